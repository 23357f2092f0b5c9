"""What every Ketenbrug hook adds to Airflow's BaseHook, read from the adapter's registration.

Why: Airflow's Connection form calls ``get_ui_field_behaviour()`` and its "Test" button calls
``test_connection()``; both are the same few lines for every adapter, so they live here once.
A hook names its plugin module (``plugin = "adapters.x.plugin"``); ``test_connection`` reads
the config from the Connection and runs the registration's ``probe`` (one cheap, harmless
call). The answer is masked: a connection error never shows a BSN.

No Airflow import here: the hook module itself is the only one that imports Airflow.
"""

from __future__ import annotations

import importlib
from typing import Any, ClassVar

from adapters.registry import AdapterRegistration, load
from privacy.masking import mask_text

__all__ = ["RegisteredHook"]


class RegisteredHook:
    """Mixin for an adapter's ``BaseHook`` subclass (put it first in the bases)."""

    plugin: ClassVar[str]

    @classmethod
    def registration(cls) -> AdapterRegistration:
        registration = importlib.import_module(cls.plugin).REGISTRATION
        assert isinstance(registration, AdapterRegistration)
        return registration

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Which Connection fields the form hides, relabels and fills with an example."""
        behaviour = dict(cls.registration().ui_behaviour)
        return {
            "hidden_fields": list(behaviour.get("hidden_fields", [])),
            "relabeling": dict(behaviour.get("relabeling", {})),
            "placeholders": dict(behaviour.get("placeholders", {})),
        }

    def get_config(self) -> Any:  # pragma: no cover - every hook defines its own
        raise NotImplementedError

    def test_connection(self) -> tuple[bool, str]:
        """Read the Connection and reach the system once: ``(ok, message)`` for the form."""
        registration = self.registration()
        try:
            config = self.get_config()
            if registration.probe is not None:
                load(registration.probe)(config)
        except Exception as exc:  # the form shows any failure, it must not raise
            return False, mask_text(f"{registration.title}: {type(exc).__name__}: {exc}")
        return True, f"{registration.title}: verbinding in orde"

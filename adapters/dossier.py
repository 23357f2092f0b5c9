"""The BSN of a zaak's client, as the dossier target (Xtendis) needs it: read from the
zaaksysteem once per zaak and kept in memory for one task only, never stored.

Why here: every system that can play the zaaksysteem (the e-Suite, a ZGW API) holds the BSN
its own way; the caching, the locking and the refusals are the same for all of them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from adapters.errors import PermanentError

__all__ = ["DossierBsn"]


class DossierBsn:
    """``zaak identificatie -> BSN`` through ``read`` (None: the zaak has no initiator)."""

    def __init__(self, read: Callable[[str], str | None], where: str) -> None:
        self.read = read
        self.where = where  # "de e-Suite", "de Zaken API": for beheer's error text
        self._known: dict[str, str] = {}
        self._lock = threading.Lock()

    def __call__(self, zaak_identificatie: str | None) -> str:
        if not zaak_identificatie:
            raise PermanentError("document zonder zaak: geen dossier in Xtendis te bepalen")
        with self._lock:
            known = self._known.get(zaak_identificatie)
        if known:
            return known
        bsn = self.read(zaak_identificatie)
        if not bsn:
            raise PermanentError(
                f"zaak {zaak_identificatie} heeft in {self.where} geen initiator (BSN): "
                "geen dossier in Xtendis te bepalen"
            )
        with self._lock:
            self._known[zaak_identificatie] = bsn
        return bsn

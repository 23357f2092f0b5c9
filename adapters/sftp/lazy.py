"""Lazy package exports (PEP 562) for the SFTP adapters' packages.

Why: the adapter registry imports ``adapters.<system>.plugin``, and so its package, while
Airflow parses DAG files; the clients pull in paramiko. A package lists what it offers and
where it lives, and a name is imported when it is first used.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, exports: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package`` that imports ``exports[name]`` on first use."""

    def __getattr__(name: str) -> Any:
        if name in exports:
            return getattr(importlib.import_module(exports[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__

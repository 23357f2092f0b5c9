"""Allegro adapter: zaak status mutations read from Allegro's CSV exports over pinned SFTP.

Allegro offers no API; it drops ``ALG_ZAKEN_*.csv`` exports (with a ``.sha256`` sidecar) in an
SFTP folder and reads ``<stem>.retour.csv`` files back (``docs/file-layouts.md``). The client
(:mod:`adapters.allegro.client`) moves bytes and verifies them, :mod:`adapters.allegro.csv_format`
parses them, :mod:`adapters.allegro.source` turns them into records for the engine.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adapters.allegro.client import (
        SYSTEM,
        AllegroClient,
        ExportIntegrityError,
        ExportNotReadyError,
        RemoteFileError,
        UnsafeNameError,
        VerifiedExport,
    )
    from adapters.allegro.config import AllegroConfig
    from adapters.allegro.source import AllegroZakenSource

# Lazy (PEP 562): the adapter registry imports this package while Airflow parses DAG files,
# and the clients pull in paramiko; a name is imported when it is first used.
_EXPORTS = {
    "SYSTEM": "adapters.allegro.client",
    "AllegroClient": "adapters.allegro.client",
    "ExportIntegrityError": "adapters.allegro.client",
    "ExportNotReadyError": "adapters.allegro.client",
    "RemoteFileError": "adapters.allegro.client",
    "UnsafeNameError": "adapters.allegro.client",
    "VerifiedExport": "adapters.allegro.client",
    "AllegroConfig": "adapters.allegro.config",
    "AllegroZakenSource": "adapters.allegro.source",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "SYSTEM",
    "AllegroClient",
    "AllegroConfig",
    "AllegroZakenSource",
    "ExportIntegrityError",
    "ExportNotReadyError",
    "RemoteFileError",
    "UnsafeNameError",
    "VerifiedExport",
]

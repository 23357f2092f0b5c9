"""Allegro adapter: zaak status mutations read from Allegro's CSV exports over pinned SFTP.

Allegro offers no API; it drops ``ALG_ZAKEN_*.csv`` exports (with a ``.sha256`` sidecar) in an
SFTP folder and reads ``<stem>.retour.csv`` files back (``docs/file-layouts.md``). The client
(:mod:`adapters.allegro.client`) moves bytes and verifies them, :mod:`adapters.allegro.csv_format`
parses them, :mod:`adapters.allegro.source` turns them into records for the engine.
"""

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

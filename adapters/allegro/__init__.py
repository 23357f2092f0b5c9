"""Allegro adapter: zaak status mutations and documents read from Allegro's exports over SFTP.

Allegro offers no API; it drops ``ALG_ZAKEN_*.csv`` and ``ALG_DOC_*.csv`` exports (with a
``.sha256`` sidecar) in an SFTP folder and reads ``<stem>.retour.csv`` files back
(``docs/file-layouts.md``). The client (:mod:`adapters.allegro.client`) moves bytes,
:mod:`adapters.allegro.integrity` decides whether they may be read,
:mod:`adapters.allegro.csv_format` parses zaken exports and :mod:`adapters.allegro.source` turns
them into records; :mod:`adapters.allegro.documents` is the source of the documenten flow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.sftp.lazy import lazy_exports

if TYPE_CHECKING:
    from adapters.allegro.client import AllegroClient, VerifiedExport
    from adapters.allegro.config import SYSTEM, AllegroConfig
    from adapters.allegro.integrity import ExportIntegrityError, ExportNotReadyError
    from adapters.allegro.source import AllegroZakenSource
    from adapters.sftp.pinned import RemoteFileError, UnsafeNameError

# Lazy (adapters.sftp.lazy): this package is imported while Airflow parses DAG files.
_EXPORTS = {
    "SYSTEM": "adapters.allegro.config",
    "AllegroClient": "adapters.allegro.client",
    "VerifiedExport": "adapters.allegro.client",
    "AllegroConfig": "adapters.allegro.config",
    "ExportIntegrityError": "adapters.allegro.integrity",
    "ExportNotReadyError": "adapters.allegro.integrity",
    "RemoteFileError": "adapters.sftp.pinned",
    "UnsafeNameError": "adapters.sftp.pinned",
    "AllegroZakenSource": "adapters.allegro.source",
}

__getattr__ = lazy_exports(__name__, _EXPORTS)


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

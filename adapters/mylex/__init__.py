"""MyLex adapter: the old archive (folders of documents with MDTO 1.0.1 metadata) over SFTP.

The layout is in ``docs/file-layouts.md``. :mod:`adapters.mylex.client` moves bytes (streamed,
SHA-256 verified) and lists the archive sorted by identificatie; :mod:`adapters.mylex.mdto`
builds the metadata and validates it against the official XSD copied into ``schema/``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adapters.mylex.client import SYSTEM, ArchiveEntry, MyLexClient
    from adapters.mylex.config import MyLexConfig
    from adapters.mylex.mdto import MdtoMetadata, mdto_errors
    from adapters.sftp.pinned import ChecksumMismatchError, UnsafeNameError

# Lazy (PEP 562): the adapter registry imports this package while Airflow parses DAG files,
# and the clients pull in paramiko; a name is imported when it is first used.
_EXPORTS = {
    "SYSTEM": "adapters.mylex.client",
    "ArchiveEntry": "adapters.mylex.client",
    "MyLexClient": "adapters.mylex.client",
    "MyLexConfig": "adapters.mylex.config",
    "MdtoMetadata": "adapters.mylex.mdto",
    "mdto_errors": "adapters.mylex.mdto",
    "ChecksumMismatchError": "adapters.sftp.pinned",
    "UnsafeNameError": "adapters.sftp.pinned",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "SYSTEM",
    "ArchiveEntry",
    "ChecksumMismatchError",
    "MdtoMetadata",
    "MyLexClient",
    "MyLexConfig",
    "UnsafeNameError",
    "mdto_errors",
]

"""MyLex adapter: the old archive (folders of documents with MDTO 1.0.1 metadata) over SFTP.

The layout is in ``docs/file-layouts.md``. :mod:`adapters.mylex.client` moves bytes (streamed,
SHA-256 verified) and lists the archive sorted by identificatie; :mod:`adapters.mylex.mdto`
builds the metadata and validates it against the official XSD copied into ``schema/``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.sftp.lazy import lazy_exports

if TYPE_CHECKING:
    from adapters.errors import ChecksumMismatchError
    from adapters.mylex.client import SYSTEM, ArchiveEntry, MyLexClient
    from adapters.mylex.config import MyLexConfig
    from adapters.mylex.mdto import MdtoMetadata, mdto_errors
    from adapters.sftp.pinned import UnsafeNameError

# Lazy (adapters.sftp.lazy): this package is imported while Airflow parses DAG files.
_EXPORTS = {
    "SYSTEM": "adapters.mylex.client",
    "ArchiveEntry": "adapters.mylex.client",
    "MyLexClient": "adapters.mylex.client",
    "MyLexConfig": "adapters.mylex.config",
    "MdtoMetadata": "adapters.mylex.mdto",
    "mdto_errors": "adapters.mylex.mdto",
    "ChecksumMismatchError": "adapters.errors",
    "UnsafeNameError": "adapters.sftp.pinned",
}

__getattr__ = lazy_exports(__name__, _EXPORTS)


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

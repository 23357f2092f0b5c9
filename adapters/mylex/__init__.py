"""MyLex adapter: the old archive (folders of documents with MDTO 1.0.1 metadata) over SFTP.

The layout is in ``docs/file-layouts.md``. :mod:`adapters.mylex.client` moves bytes (streamed,
SHA-256 verified) and lists the archive sorted by identificatie; :mod:`adapters.mylex.mdto`
builds the metadata and validates it against the official XSD copied into ``schema/``.
"""

from adapters.mylex.client import SYSTEM, ArchiveEntry, MyLexClient
from adapters.mylex.config import MyLexConfig
from adapters.mylex.mdto import MdtoMetadata, mdto_errors
from adapters.sftp.pinned import ChecksumMismatchError, UnsafeNameError

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

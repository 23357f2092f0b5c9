"""Xtendis adapter: documents into the digital client dossier through the SFTP hot folder.

The drop protocol and receipts are in ``docs/file-layouts.md``. :mod:`adapters.xtendis.client`
moves bytes (streamed, SHA-256 verified), :mod:`adapters.xtendis.index` builds the index XML
and reads receipts, :mod:`adapters.sftp.pinned` is the generic pinned SFTP plumbing
(also used by the MyLex adapter).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.sftp.lazy import lazy_exports

if TYPE_CHECKING:
    from adapters.errors import ChecksumMismatchError
    from adapters.sftp.pinned import UnsafeNameError
    from adapters.xtendis.client import ReceiptTimeoutError, XtendisClient
    from adapters.xtendis.config import XtendisConfig
    from adapters.xtendis.index import (
        SYSTEM,
        Receipt,
        XtendisIndex,
        XtendisRejectedError,
        build_index,
        parse_receipt,
    )

# Lazy (adapters.sftp.lazy): this package is imported while Airflow parses DAG files.
_EXPORTS = {
    "ChecksumMismatchError": "adapters.errors",
    "UnsafeNameError": "adapters.sftp.pinned",
    "ReceiptTimeoutError": "adapters.xtendis.client",
    "XtendisClient": "adapters.xtendis.client",
    "XtendisConfig": "adapters.xtendis.config",
    "SYSTEM": "adapters.xtendis.index",
    "Receipt": "adapters.xtendis.index",
    "XtendisIndex": "adapters.xtendis.index",
    "XtendisRejectedError": "adapters.xtendis.index",
    "build_index": "adapters.xtendis.index",
    "parse_receipt": "adapters.xtendis.index",
}

__getattr__ = lazy_exports(__name__, _EXPORTS)


__all__ = [
    "SYSTEM",
    "ChecksumMismatchError",
    "Receipt",
    "ReceiptTimeoutError",
    "UnsafeNameError",
    "XtendisClient",
    "XtendisConfig",
    "XtendisIndex",
    "XtendisRejectedError",
    "build_index",
    "parse_receipt",
]

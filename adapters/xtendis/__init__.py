"""Xtendis adapter: documents into the digital client dossier through the SFTP hot folder.

The drop protocol and receipts are in ``docs/file-layouts.md``. :mod:`adapters.xtendis.client`
moves bytes (streamed, SHA-256 verified), :mod:`adapters.xtendis.index` builds the index XML
and reads receipts, :mod:`adapters.sftp.pinned` is the generic pinned SFTP plumbing
(also used by the MyLex adapter).
"""

from adapters.sftp.pinned import ChecksumMismatchError, UnsafeNameError
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

"""Xtendis adapter: documents into the digital client dossier through the SFTP hot folder.

The drop protocol and receipts are in ``docs/file-layouts.md``. :mod:`adapters.xtendis.client`
moves bytes (streamed, SHA-256 verified), :mod:`adapters.xtendis.index` builds the index XML
and reads receipts, :mod:`adapters.sftp.pinned` is the generic pinned SFTP plumbing
(also used by the MyLex adapter).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

# Lazy (PEP 562): the adapter registry imports this package while Airflow parses DAG files,
# and the clients pull in paramiko; a name is imported when it is first used.
_EXPORTS = {
    "ChecksumMismatchError": "adapters.sftp.pinned",
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


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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

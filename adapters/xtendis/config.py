"""Connection settings of Xtendis' SFTP hot folder: validated once, then frozen.

Why so strict: the host key is the only thing between Ketenbrug and a man in the middle
reading client dossiers, so a config without a usable ``known_hosts`` line cannot be built.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from adapters.sftp.settings import DEFAULT_TIMEOUT_S, PinnedSftpConfig, SftpConfigError

__all__ = ["DEFAULT_TIMEOUT_S", "SftpConfigError", "XtendisConfig"]


@dataclass(frozen=True)
class XtendisConfig(PinnedSftpConfig):
    """Where and as whom Ketenbrug drops documents for Xtendis (hot folder, receipts)."""

    title: ClassVar[str] = "Xtendis"
    folders: ClassVar[tuple[str, ...]] = ("hotfolder_dir", "receipts_dir")

    hotfolder_dir: str = "hotfolder"
    receipts_dir: str = "receipts"

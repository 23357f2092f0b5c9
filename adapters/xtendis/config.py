"""Connection settings of Xtendis' SFTP hot folder: validated once, then frozen.

Why so strict: the host key is the only thing between Ketenbrug and a man in the middle
reading client dossiers, so a config without a usable ``known_hosts`` line cannot be built.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.sftp.pinned import (
    DEFAULT_TIMEOUT_S,
    SftpConfigError,
    check_settings,
    relative_dir,
)

__all__ = ["DEFAULT_TIMEOUT_S", "SftpConfigError", "XtendisConfig"]


@dataclass(frozen=True)
class XtendisConfig:
    """Where and as whom Ketenbrug drops documents for Xtendis.

    ``known_hosts_line`` names ``host:port`` exactly as dialled; it is the only trusted key.
    The folders are relative to the SFTP login folder. A timeout is never None.
    """

    host: str
    port: int
    username: str
    key_path: str
    known_hosts_line: str
    hotfolder_dir: str = "hotfolder"
    receipts_dir: str = "receipts"
    timeout_s: float = DEFAULT_TIMEOUT_S

    def __post_init__(self) -> None:
        check_settings(self, "Xtendis")
        relative_dir("hotfolder_dir", self.hotfolder_dir)
        relative_dir("receipts_dir", self.receipts_dir)

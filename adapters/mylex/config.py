"""Connection settings of MyLex' SFTP archive: validated once, then frozen (host key pinned)."""

from __future__ import annotations

from dataclasses import dataclass

from adapters.sftp.pinned import (
    DEFAULT_TIMEOUT_S,
    SftpConfigError,
    check_settings,
    relative_dir,
)

__all__ = ["DEFAULT_TIMEOUT_S", "MyLexConfig", "SftpConfigError"]


@dataclass(frozen=True)
class MyLexConfig:
    """Where and as whom Ketenbrug reads and writes the old archive.

    ``root_dir`` (relative to the SFTP login folder) holds ``archief/<jaar>/<zaak>/``.
    ``known_hosts_line`` names ``host:port`` exactly as dialled; a timeout is never None.
    """

    host: str
    port: int
    username: str
    key_path: str
    known_hosts_line: str
    root_dir: str = "mylex"
    timeout_s: float = DEFAULT_TIMEOUT_S

    def __post_init__(self) -> None:
        check_settings(self, "MyLex")
        relative_dir("root_dir", self.root_dir)

"""Connection settings of MyLex' SFTP archive: validated once, then frozen (host key pinned)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from adapters.sftp.settings import DEFAULT_TIMEOUT_S, PinnedSftpConfig, SftpConfigError

__all__ = ["DEFAULT_TIMEOUT_S", "MyLexConfig", "SftpConfigError"]


@dataclass(frozen=True)
class MyLexConfig(PinnedSftpConfig):
    """Where and as whom Ketenbrug reads and writes the old archive.

    ``root_dir`` (relative to the SFTP login folder) holds ``archief/<jaar>/<zaak>/``.
    """

    title: ClassVar[str] = "MyLex"
    folders: ClassVar[tuple[str, ...]] = ("root_dir",)

    root_dir: str = "mylex"

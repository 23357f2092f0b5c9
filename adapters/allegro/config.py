"""Connection settings of Allegro's SFTP server: validated once, then frozen.

Why so strict: the host key is the only thing standing between Ketenbrug and a man in the
middle reading BSNs, so a config without a usable ``known_hosts`` line cannot even be built
(there is no trust-on-first-use fallback anywhere in this adapter). The rule itself lives
once, in :mod:`adapters.sftp.settings`, shared with Xtendis and MyLex.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from adapters.sftp.settings import DEFAULT_TIMEOUT_S, PinnedSftpConfig, SftpConfigError

__all__ = ["DEFAULT_TIMEOUT_S", "SYSTEM", "AllegroConfig", "SftpConfigError"]

SYSTEM = "allegro"


@dataclass(frozen=True)
class AllegroConfig(PinnedSftpConfig):
    """Where and as whom Ketenbrug reads Allegro's exports and writes its return files."""

    title: ClassVar[str] = "Allegro"
    folders: ClassVar[tuple[str, ...]] = ("export_dir", "return_dir")

    export_dir: str = "export"
    return_dir: str = "return"

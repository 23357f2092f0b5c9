"""Open Allegro's SFTP session with exactly the pinned host key.

The trust decision (``RejectPolicy``, no system or user known_hosts, only the key from the
Connection) and the error classification live once, in :mod:`adapters.sftp.pinned`, shared
with Xtendis and MyLex.
"""

from __future__ import annotations

import paramiko

from adapters.allegro.config import AllegroConfig
from adapters.sftp.pinned import connect_pinned as shared_connect

__all__ = ["SYSTEM", "connect_pinned"]

SYSTEM = "allegro"


def connect_pinned(config: AllegroConfig) -> tuple[paramiko.SSHClient, paramiko.SFTPClient]:
    """SSH + SFTP to Allegro; ConfigError for a key that does not fit, TransientError when
    the server cannot be reached right now."""
    return shared_connect(config, SYSTEM)

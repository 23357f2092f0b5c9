"""Connection settings of Allegro's SFTP server: validated once, then frozen.

Why so strict: the host key is the only thing standing between Ketenbrug and a man in the
middle reading BSNs, so a config without a usable ``known_hosts`` line cannot even be built
(there is no trust-on-first-use fallback anywhere in this adapter).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

import paramiko

from adapters.errors import ConfigError

__all__ = ["DEFAULT_TIMEOUT_S", "AllegroConfig", "AllegroConfigError", "dialled_host"]

DEFAULT_TIMEOUT_S = 15.0


class AllegroConfigError(ConfigError, ValueError):
    """An invalid Allegro setting; also a ValueError, like the other adapters' config checks."""


def dialled_host(host: str, port: int) -> str:
    """The name a known_hosts line must carry for ``host:port`` (``[host]:port`` unless 22)."""
    return host if port == 22 else f"[{host}]:{port}"


def _relative_dir(name: str, value: str) -> None:
    path = PurePosixPath(value)
    if not value or path.is_absolute() or ".." in path.parts:
        raise AllegroConfigError(f"{name} must be a relative folder without '..': {value!r}")


@dataclass(frozen=True)
class AllegroConfig:
    """Where and as whom Ketenbrug reads Allegro's exports.

    ``known_hosts_line`` is one OpenSSH known_hosts line naming ``host:port`` exactly as
    dialled; it is the only host key trusted. ``export_dir``/``return_dir`` are relative to the
    SFTP login folder. A timeout is never None: a hung server must not hang the nightly run.
    """

    host: str
    port: int
    username: str
    key_path: str
    known_hosts_line: str
    export_dir: str = "export"
    return_dir: str = "return"
    timeout_s: float = DEFAULT_TIMEOUT_S

    def __post_init__(self) -> None:
        if not self.host:
            raise AllegroConfigError("Allegro host is required")
        if not 0 < self.port < 65536:
            raise AllegroConfigError(f"Allegro port out of range: {self.port!r}")
        if not self.username:
            raise AllegroConfigError("Allegro username is required")
        if not self.key_path:
            raise AllegroConfigError("Allegro private key path is required")
        if self.timeout_s <= 0:
            raise AllegroConfigError("timeout_s must be positive")
        _relative_dir("export_dir", self.export_dir)
        _relative_dir("return_dir", self.return_dir)
        self.pinned_host_keys()  # fails here, at configuration time, not at 3 a.m.

    def pinned_host_keys(self) -> paramiko.HostKeys:
        """The one trusted host key as paramiko ``HostKeys``; checks it names ``host:port``."""
        if not self.known_hosts_line or not self.known_hosts_line.strip():
            raise AllegroConfigError("a known_hosts line is required: host keys are pinned")
        try:
            entry = paramiko.hostkeys.HostKeyEntry.from_line(self.known_hosts_line.strip())
        except (paramiko.SSHException, ValueError, TypeError) as exc:
            raise AllegroConfigError(f"known_hosts line is not valid: {exc}") from exc
        if entry is None or entry.key is None:
            raise AllegroConfigError("known_hosts line is not valid (no usable key)")
        keys = paramiko.HostKeys()
        for name in entry.hostnames:
            keys.add(name, entry.key.get_name(), entry.key)
        if keys.lookup(dialled_host(self.host, self.port)) is None:
            raise AllegroConfigError(
                f"known_hosts line does not name {dialled_host(self.host, self.port)}"
            )
        return keys

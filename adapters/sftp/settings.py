"""Settings of a pinned SFTP session: the fields a config must offer and their checks.

Why on their own: the host key is the only thing between Ketenbrug and a man in the middle, so
the rule that turns one ``known_hosts`` line into the *only* trusted key is kept small enough to
review in one sitting. Configs call :func:`check_settings` in ``__post_init__``, so a config
without a usable pinned key cannot even be built (no trust on first use anywhere).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, ClassVar, Protocol

import paramiko

from adapters.errors import ConfigError

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "PinnedSftpConfig",
    "SftpConfigError",
    "SftpSettings",
    "check_settings",
    "connection_fields",
    "dialled_host",
    "pinned_host_keys",
    "relative_dir",
]

DEFAULT_TIMEOUT_S = 15.0


class SftpSettings(Protocol):
    """What a frozen adapter config must offer to open a pinned session."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def username(self) -> str: ...
    @property
    def key_path(self) -> str: ...
    @property
    def known_hosts_line(self) -> str: ...
    @property
    def timeout_s(self) -> float: ...


class SftpConfigError(ConfigError, ValueError):
    """An invalid SFTP setting; also a ValueError, like the other adapters' config checks."""


def dialled_host(host: str, port: int) -> str:
    """The name a known_hosts line must carry for ``host:port`` (``[host]:port`` unless 22)."""
    return host if port == 22 else f"[{host}]:{port}"


def relative_dir(name: str, value: str) -> None:
    """Folders come from a Connection: relative to the login folder, never ``..``."""
    path = PurePosixPath(value)
    if not value or path.is_absolute() or ".." in path.parts:
        raise SftpConfigError(f"{name} must be a relative folder without '..': {value!r}")


def pinned_host_keys(settings: SftpSettings) -> paramiko.HostKeys:
    """The one trusted host key as paramiko ``HostKeys``; checks it names ``host:port``."""
    line = (settings.known_hosts_line or "").strip()
    if not line:
        raise SftpConfigError("a known_hosts line is required: host keys are pinned")
    try:
        entry = paramiko.hostkeys.HostKeyEntry.from_line(line)
    except (paramiko.SSHException, ValueError, TypeError) as exc:
        raise SftpConfigError(f"known_hosts line is not valid: {exc}") from exc
    if entry is None or entry.key is None:
        raise SftpConfigError("known_hosts line is not valid (no usable key)")
    keys = paramiko.HostKeys()
    for name in entry.hostnames:
        keys.add(name, entry.key.get_name(), entry.key)
    wanted = dialled_host(settings.host, settings.port)
    if keys.lookup(wanted) is None:
        raise SftpConfigError(f"known_hosts line does not name {wanted}")
    return keys


def check_settings(settings: SftpSettings, system: str) -> None:
    """Validate the common fields at configuration time, not at 3 a.m."""
    if not settings.host:
        raise SftpConfigError(f"{system} host is required")
    if not 0 < settings.port < 65536:
        raise SftpConfigError(f"{system} port out of range: {settings.port!r}")
    if not settings.username:
        raise SftpConfigError(f"{system} username is required")
    if not settings.key_path:
        raise SftpConfigError(f"{system} private key path is required")
    if settings.timeout_s <= 0:
        raise SftpConfigError("timeout_s must be positive")
    pinned_host_keys(settings)


def connection_fields(connection: Any, conn_id: str, system: str) -> dict[str, Any]:
    """The pinned-SFTP fields of an Airflow Connection (host, port, login, extras), checked.

    Duck-typed on the Connection (``host``, ``port``, ``login``, ``extra_dejson``) so this
    module needs no Airflow; each adapter's ``hook.py`` adds its own folders.
    """
    extra = connection.extra_dejson
    missing = [k for k in ("private_key_path", "known_hosts_line") if not extra.get(k)]
    if missing:
        raise ConfigError(
            f"Connection {conn_id}: extra {', '.join(missing)} ontbreekt "
            "(host keys worden vastgepind, nooit automatisch vertrouwd)",
            system=system,
        )
    return {
        "host": connection.host or "",
        "port": int(connection.port or 22),
        "username": connection.login or "",
        "key_path": str(extra["private_key_path"]),
        "known_hosts_line": str(extra["known_hosts_line"]),
        "timeout_s": float(extra.get("timeout_s", DEFAULT_TIMEOUT_S)),
    }


@dataclass(frozen=True)
class PinnedSftpConfig:
    """Base of an adapter's frozen SFTP config: the connection fields, checked when built.

    ``known_hosts_line`` is one OpenSSH known_hosts line naming ``host:port`` exactly as
    dialled; it is the only host key trusted. A timeout is never None: a hung server must not
    hang the nightly run. A subclass adds its folders (each with a default) and names them in
    ``folders``: they are relative to the SFTP login folder, never ``..``.
    """

    #: The system as a beheerder reads it in an error text.
    title: ClassVar[str] = "SFTP"
    #: The subclass's folder fields, checked by :func:`relative_dir`.
    folders: ClassVar[tuple[str, ...]] = ()

    host: str
    port: int
    username: str
    key_path: str
    known_hosts_line: str
    timeout_s: float = DEFAULT_TIMEOUT_S

    def __post_init__(self) -> None:
        check_settings(self, self.title)
        for name in self.folders:
            relative_dir(name, getattr(self, name))

"""Open a paramiko SFTP session to the simulator with the host key pinned.

Why here and not only in the adapters: the tests, the demo and the benchmarks all need the same
pinned connection, and it doubles as the reference for how an adapter must connect: the host
key comes from configuration (a known_hosts line), the policy is ``RejectPolicy``, never
``AutoAddPolicy``; a server presenting any other key is refused before authentication.
"""

from __future__ import annotations

from pathlib import Path

import paramiko

from simulators.sftp.server import SshdServer

__all__ = ["known_hosts_entry", "open_sftp", "pinned_ssh_client"]


def known_hosts_entry(host: str, port: int, key_type: str, key_base64: str) -> str:
    """A known_hosts line for ``host:port`` (the ``[host]:port`` form when port != 22)."""
    name = host if port == 22 else f"[{host}]:{port}"
    return f"{name} {key_type} {key_base64}"


def pinned_line(server: SshdServer, port: int | None = None) -> str:
    """The known_hosts line that pins ``server`` as dialled (directly, or through a proxy)."""
    return known_hosts_entry(
        server.host, port or server.port, server.host_key_type, server.host_key_base64
    )


def pinned_ssh_client(
    host: str,
    port: int,
    *,
    username: str,
    key_path: Path | str,
    known_hosts_line: str,
    timeout: float = 10.0,
) -> paramiko.SSHClient:
    """Connect with exactly one trusted host key; any other key raises ``SSHException``.

    ``known_hosts_line`` must name ``host:port`` as dialled (for a proxy: the proxy's port).
    System and user known_hosts files are deliberately not loaded.
    """
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    entry = paramiko.hostkeys.HostKeyEntry.from_line(known_hosts_line)
    if entry is None or entry.key is None:
        raise ValueError("not a valid known_hosts line")
    for name in entry.hostnames:
        client.get_host_keys().add(name, entry.key.get_name(), entry.key)
    try:
        client.connect(
            host,
            port=port,
            username=username,
            key_filename=str(key_path),
            look_for_keys=False,
            allow_agent=False,
            timeout=timeout,
            banner_timeout=timeout,
            auth_timeout=timeout,
        )
    except BaseException:
        client.close()  # a refused host key leaves the transport open otherwise
        raise
    return client


def open_sftp(
    server: SshdServer, *, port: int | None = None, timeout: float = 10.0
) -> tuple[paramiko.SSHClient, paramiko.SFTPClient]:
    """Pinned SSH + SFTP session to ``server`` (or to a proxy in front of it at ``port``).

    The caller closes both (``sftp.close(); ssh.close()``). The SFTP session starts in the
    served root folder, so relative paths address the simulator's files.
    """
    target_port = port or server.port
    line = known_hosts_entry(server.host, target_port, server.host_key_type, server.host_key_base64)
    ssh = pinned_ssh_client(
        server.host,
        target_port,
        username=server.username,
        key_path=server.client_key_path,
        known_hosts_line=line,
        timeout=timeout,
    )
    try:
        sftp = ssh.open_sftp()
    except Exception:
        ssh.close()
        raise
    return ssh, sftp

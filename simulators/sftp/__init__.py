"""A real OpenSSH SFTP server on loopback, a fault-injecting TCP proxy, and file helpers.

Shared by the file-based simulators (``simulators.allegro``, ``simulators.xtendis``,
``simulators.mylex``); pytest fixtures live in :mod:`simulators.sftp.testing`.
"""

from simulators.sftp.client import known_hosts_entry, open_sftp, pinned_ssh_client
from simulators.sftp.proxy import ConnectionPlan, ProxyStats, TcpProxy
from simulators.sftp.server import SshdError, SshdServer, SshdUnavailableError

__all__ = [
    "ConnectionPlan",
    "ProxyStats",
    "SshdError",
    "SshdServer",
    "SshdUnavailableError",
    "TcpProxy",
    "known_hosts_entry",
    "open_sftp",
    "pinned_ssh_client",
]

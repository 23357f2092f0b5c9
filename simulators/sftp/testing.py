"""pytest fixtures for the SFTP simulators: one real sshd per test session.

Import them into a conftest (``from simulators.sftp.testing import *``); the names are listed
in ``__all__``. Why a *session* fixture: starting sshd costs ~0.3 s, and one server serving a
fresh sub-folder per test keeps the tests isolated and the suite fast.

A missing sshd is a broken set-up, not an optional feature: the fixture **fails** (never skips)
with the command that fixes it, so CI cannot silently stop testing the file-based systems.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import paramiko
import pytest

from simulators.sftp.client import open_sftp
from simulators.sftp.proxy import TcpProxy
from simulators.sftp.server import SSHD_PATH, SshdServer, SshdUnavailableError

__all__ = [
    "SftpArea",
    "sftp_area",
    "sftp_connect",
    "sftp_put_atomic",
    "sshd_server",
    "tcp_proxy",
    "wait_for",
]

_counter = itertools.count()
T = TypeVar("T")


@pytest.fixture(scope="session")
def sshd_server() -> Iterator[SshdServer]:
    """A running sshd on 127.0.0.1:<free port>, serving a temp root, for the whole session.

    ``KETENBRUG_SSHD_PATH`` overrides the sshd binary (``/usr/sbin/sshd``).
    """
    server = SshdServer(sshd_path=os.environ.get("KETENBRUG_SSHD_PATH", SSHD_PATH))
    try:
        server.start()
    except SshdUnavailableError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        _check_landing_dir(server)
        yield server
    finally:
        server.stop()


def _check_landing_dir(server: SshdServer) -> None:
    """Fail loudly if a session does not start in the served root (ForceCommand ignored):
    tests would otherwise read and write the user's home directory."""
    ssh, sftp = open_sftp(server)
    try:
        landed = sftp.normalize(".")
    finally:
        sftp.close()
        ssh.close()
    if Path(landed).resolve() != server.root:
        server.stop()
        pytest.fail(f"sshd session starts in {landed}, expected {server.root}", pytrace=False)


class SftpArea:
    """A fresh folder inside the served root for one test: its local path and remote name."""

    def __init__(self, server: SshdServer, name: str) -> None:
        self.server = server
        self.remote = name  # relative to the SFTP login directory
        self.local: Path = server.root / name
        self.local.mkdir(parents=True)


@pytest.fixture
def sftp_area(sshd_server: SshdServer, request: pytest.FixtureRequest) -> SftpArea:
    """A per-test folder under the session sshd's root (``area.local`` / ``area.remote``)."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", request.node.name)[:60]
    return SftpArea(sshd_server, f"t{next(_counter):04d}-{slug}")


@pytest.fixture
def sftp_connect(
    sshd_server: SshdServer,
) -> Iterator[Callable[..., paramiko.SFTPClient]]:
    """Factory ``sftp_connect(port=None, cwd=None)``: pinned SFTP sessions, closed after the test.

    ``port`` dials a proxy in front of the session sshd instead of sshd itself.
    """
    opened: list[tuple[paramiko.SSHClient, paramiko.SFTPClient]] = []

    def connect(port: int | None = None, cwd: str | None = None) -> paramiko.SFTPClient:
        ssh, sftp = open_sftp(sshd_server, port=port)
        opened.append((ssh, sftp))
        if cwd:
            sftp.chdir(cwd)
        return sftp

    yield connect
    for ssh, sftp in opened:
        # A test may have cut this connection on purpose: closing it then fails, harmlessly.
        with contextlib.suppress(EOFError, OSError, paramiko.SSHException):
            sftp.close()
        ssh.close()


@pytest.fixture
def tcp_proxy(sshd_server: SshdServer) -> Iterator[TcpProxy]:
    """A TCP proxy in front of the session sshd; tune its knobs in the test."""
    proxy = TcpProxy(sshd_server.host, sshd_server.port).start()
    try:
        yield proxy
    finally:
        proxy.stop()


def sftp_put_atomic(sftp: paramiko.SFTPClient, remote: str, data: bytes) -> None:
    """Upload as careful clients do: ``.<name>.part`` first, then an atomic rename."""
    folder, _, name = remote.rpartition("/")
    temp = f"{folder}/.{name}.part" if folder else f".{name}.part"
    with sftp.open(temp, "wb") as handle:
        handle.write(data)
    sftp.posix_rename(temp, remote)


def wait_for(predicate: Callable[[], T | None], timeout: float = 5.0, step: float = 0.02) -> T:
    """Poll until ``predicate`` returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"condition not met within {timeout} s")

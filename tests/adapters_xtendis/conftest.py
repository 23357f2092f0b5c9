"""Fixtures for the Xtendis adapter tests: a config on this test's folder, a client, and the
simulator's import processor polling that folder (the sshd fixtures are in tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from adapters.xtendis import XtendisClient, XtendisConfig
from simulators.sftp.client import pinned_line
from simulators.sftp.server import SshdServer
from simulators.sftp.testing import SftpArea
from simulators.xtendis import XtendisHotFolder

MakeConfig = Callable[..., XtendisConfig]


@pytest.fixture
def make_config(sshd_server: SshdServer, sftp_area: SftpArea) -> MakeConfig:
    """``make_config(port=None, known_hosts_line=None)``: a config for this test's folder."""

    def build(port: int | None = None, known_hosts_line: str | None = None) -> XtendisConfig:
        return XtendisConfig(
            host=sshd_server.host,
            port=port or sshd_server.port,
            username=sshd_server.username,
            key_path=str(sshd_server.client_key_path),
            known_hosts_line=known_hosts_line or pinned_line(sshd_server, port),
            hotfolder_dir=f"{sftp_area.remote}/hotfolder",
            receipts_dir=f"{sftp_area.remote}/receipts",
            timeout_s=5.0,
        )

    return build


@pytest.fixture
def hotfolder(sftp_area: SftpArea) -> XtendisHotFolder:
    """The Xtendis import side on this test's folder, not yet processing (call ``start``)."""
    return XtendisHotFolder(sftp_area.local, poll_interval=0.05, incomplete_after=1.0)


@pytest.fixture
def xtendis(make_config: MakeConfig, hotfolder: XtendisHotFolder) -> Iterator[XtendisClient]:
    """A client on this test's hot folder (folders created by ``hotfolder``), closed afterwards."""
    client = XtendisClient(make_config())
    yield client
    client.close()

"""Fixtures for the MyLex adapter tests: a config on this test's folder, the simulator's archive
in that folder, and a client (the sshd fixtures are in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from adapters.mylex import MyLexClient, MyLexConfig
from simulators.mylex import MyLexArchive
from simulators.sftp.client import pinned_line
from simulators.sftp.server import SshdServer
from simulators.sftp.testing import SftpArea

MakeConfig = Callable[..., MyLexConfig]


@pytest.fixture
def make_config(sshd_server: SshdServer, sftp_area: SftpArea) -> MakeConfig:
    """``make_config(port=None, **fields)``: a config whose root is this test's folder."""

    def build(port: int | None = None, **fields: object) -> MyLexConfig:
        return MyLexConfig(
            host=sshd_server.host,
            port=port or sshd_server.port,
            username=sshd_server.username,
            key_path=str(sshd_server.client_key_path),
            known_hosts_line=pinned_line(sshd_server, port),
            root_dir=sftp_area.remote,
            timeout_s=5.0,
            **fields,  # type: ignore[arg-type]
        )

    return build


@pytest.fixture
def archive(sftp_area: SftpArea) -> MyLexArchive:
    """The simulator's view of the same folder (empty until populated)."""
    return MyLexArchive(sftp_area.local, seed=1)


@pytest.fixture
def mylex(make_config: MakeConfig, archive: MyLexArchive) -> Iterator[MyLexClient]:
    client = MyLexClient(make_config())
    yield client
    client.close()

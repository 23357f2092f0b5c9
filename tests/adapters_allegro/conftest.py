"""Fixtures for the Allegro adapter tests: the real sshd of the SFTP simulators, and helpers.

The sshd fixtures themselves come from ``tests/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from adapters.allegro import AllegroClient, AllegroConfig
from simulators.sftp.client import pinned_line
from simulators.sftp.server import SshdServer
from simulators.sftp.testing import SftpArea

__all__ = ["allegro", "make_config"]

MakeConfig = Callable[..., AllegroConfig]


@pytest.fixture
def make_config(sshd_server: SshdServer, sftp_area: SftpArea) -> MakeConfig:
    """``make_config(port=None, known_hosts_line=None)``: a config for this test's folder."""

    def build(port: int | None = None, known_hosts_line: str | None = None) -> AllegroConfig:
        return AllegroConfig(
            host=sshd_server.host,
            port=port or sshd_server.port,
            username=sshd_server.username,
            key_path=str(sshd_server.client_key_path),
            known_hosts_line=known_hosts_line or pinned_line(sshd_server, port),
            export_dir=f"{sftp_area.remote}/export",
            return_dir=f"{sftp_area.remote}/return",
            timeout_s=5.0,
        )

    return build


@pytest.fixture
def allegro(make_config: MakeConfig) -> Iterator[AllegroClient]:
    """A client on this test's Allegro folder, closed afterwards."""
    client = AllegroClient(make_config())
    yield client
    client.close()

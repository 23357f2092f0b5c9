"""The fault proxy: a connection cut mid-transfer raises on the client; the server survives."""

from __future__ import annotations

import os
from collections.abc import Callable

import paramiko
import pytest

from simulators.faults import FaultConfig, FaultInjector
from simulators.sftp import SshdServer, TcpProxy
from simulators.sftp.testing import SftpArea

TRANSFER_ERRORS = (EOFError, OSError, paramiko.SSHException)
BIG = 2 * 1024 * 1024


def _timeout(sftp: paramiko.SFTPClient) -> None:
    channel = sftp.get_channel()
    assert channel is not None
    channel.settimeout(10)


def _read(sftp: paramiko.SFTPClient, path: str) -> bytes:
    _timeout(sftp)
    with sftp.open(path, "rb") as handle:
        handle.prefetch()
        return handle.read()


def test_proxy_passes_a_whole_transfer(
    sftp_area: SftpArea, tcp_proxy: TcpProxy, sftp_connect: Callable[..., paramiko.SFTPClient]
) -> None:
    payload = os.urandom(BIG)
    (sftp_area.local / "groot.bin").write_bytes(payload)
    sftp = sftp_connect(port=tcp_proxy.port, cwd=sftp_area.remote)
    assert _read(sftp, "groot.bin") == payload
    assert tcp_proxy.stats.bytes_down > BIG


def test_download_cut_mid_transfer_raises_and_next_attempt_succeeds(
    sftp_area: SftpArea, tcp_proxy: TcpProxy, sftp_connect: Callable[..., paramiko.SFTPClient]
) -> None:
    payload = os.urandom(BIG)
    (sftp_area.local / "groot.bin").write_bytes(payload)
    tcp_proxy.cut_after_bytes = 300_000  # past the handshake, well before the end
    sftp = sftp_connect(port=tcp_proxy.port, cwd=sftp_area.remote)
    with pytest.raises(TRANSFER_ERRORS):
        _read(sftp, "groot.bin")
    assert tcp_proxy.stats.cut == 1

    tcp_proxy.cut_after_bytes = None  # the line is back: a retry gets the whole file
    retry = sftp_connect(port=tcp_proxy.port, cwd=sftp_area.remote)
    assert _read(retry, "groot.bin") == payload


def test_upload_cut_mid_transfer_raises_and_leaves_no_final_file(
    sftp_area: SftpArea, tcp_proxy: TcpProxy, sftp_connect: Callable[..., paramiko.SFTPClient]
) -> None:
    tcp_proxy.cut_direction = "up"
    tcp_proxy.cut_after_bytes = 300_000
    sftp = sftp_connect(port=tcp_proxy.port, cwd=sftp_area.remote)
    _timeout(sftp)
    with pytest.raises(TRANSFER_ERRORS):
        with sftp.open(".upload.bin.part", "wb") as handle:
            handle.write(os.urandom(BIG))
        sftp.posix_rename(".upload.bin.part", "upload.bin")
    assert not (sftp_area.local / "upload.bin").exists()  # temp + rename: no half final file


def test_drop_rate_refuses_connections(
    sshd_server: SshdServer, tcp_proxy: TcpProxy, sftp_connect: Callable[..., paramiko.SFTPClient]
) -> None:
    tcp_proxy.drop_rate = 1.0
    with pytest.raises(TRANSFER_ERRORS):
        sftp_connect(port=tcp_proxy.port)
    assert tcp_proxy.stats.refused == 1


def test_fault_injector_decides_the_disconnect(
    sshd_server: SshdServer, sftp_area: SftpArea, sftp_connect: Callable[..., paramiko.SFTPClient]
) -> None:
    payload = os.urandom(BIG)
    (sftp_area.local / "groot.bin").write_bytes(payload)
    injector = FaultInjector(FaultConfig(transient_rate=1.0, seed=5))
    with TcpProxy(
        sshd_server.host, sshd_server.port, faults=injector, fault_cut_after_bytes=250_000
    ) as proxy:
        sftp = sftp_connect(port=proxy.port, cwd=sftp_area.remote)
        with pytest.raises(TRANSFER_ERRORS):
            _read(sftp, "groot.bin")
    assert injector.counts()["transient:disconnect"] == 1
    assert proxy.stats.cut == 1


def test_cut_all_breaks_open_sessions(
    tcp_proxy: TcpProxy, sftp_connect: Callable[..., paramiko.SFTPClient]
) -> None:
    sftp = sftp_connect(port=tcp_proxy.port)
    _timeout(sftp)
    sftp.listdir(".")
    assert tcp_proxy.cut_all() == 1
    with pytest.raises(TRANSFER_ERRORS):
        sftp.listdir(".")

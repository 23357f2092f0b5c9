"""The real sshd: pinned host key, listing/reading/writing, lifecycle, clear set-up errors."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import paramiko
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from simulators.sftp import SshdServer, SshdUnavailableError, known_hosts_entry, open_sftp
from simulators.sftp.client import pinned_ssh_client
from simulators.sftp.testing import SftpArea

ROOT = Path(__file__).resolve().parents[2]


def _other_key_line(host: str, port: int) -> str:
    public = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    )
    key_type, key_b64 = public.decode().split()
    return known_hosts_entry(host, port, key_type, key_b64)


def test_pinned_session_lists_reads_and_writes(
    sshd_server: SshdServer, sftp_area: SftpArea, sftp_connect: Callable[..., paramiko.SFTPClient]
) -> None:
    (sftp_area.local / "hallo.txt").write_bytes(b"goedemorgen\n")
    sftp = sftp_connect(cwd=sftp_area.remote)

    assert sftp.listdir(".") == ["hallo.txt"]
    with sftp.open("hallo.txt", "rb") as handle:
        assert handle.read() == b"goedemorgen\n"
    with sftp.open("nieuw.bin", "wb") as handle:
        handle.write(b"\x00" * 70_000)
    assert (sftp_area.local / "nieuw.bin").stat().st_size == 70_000
    sftp.posix_rename("nieuw.bin", "hernoemd.bin")
    assert sorted(sftp.listdir(".")) == ["hallo.txt", "hernoemd.bin"]


def test_session_starts_in_served_root(sshd_server: SshdServer) -> None:
    ssh, sftp = open_sftp(sshd_server)
    try:
        assert sftp.normalize(".") == str(sshd_server.root)
    finally:
        sftp.close()
        ssh.close()


def test_known_hosts_line_names_loopback_and_port(sshd_server: SshdServer) -> None:
    assert sshd_server.host == "127.0.0.1"
    assert sshd_server.host_key_public.startswith(f"[127.0.0.1]:{sshd_server.port} ssh-ed25519 ")
    assert sshd_server.port not in (22, 8080, 5432)
    config = (sshd_server.state_dir / "sshd_config").read_text()
    assert "ListenAddress 127.0.0.1\n" in config


def test_wrong_host_key_is_refused(sshd_server: SshdServer) -> None:
    with pytest.raises(paramiko.BadHostKeyException):
        pinned_ssh_client(
            sshd_server.host,
            sshd_server.port,
            username=sshd_server.username,
            key_path=sshd_server.client_key_path,
            known_hosts_line=_other_key_line(sshd_server.host, sshd_server.port),
        )


def test_unknown_host_is_refused_not_auto_added(sshd_server: SshdServer) -> None:
    # The pinned key is for another port: for this host:port nothing is known -> RejectPolicy.
    with pytest.raises(paramiko.SSHException, match="not found in known_hosts"):
        pinned_ssh_client(
            sshd_server.host,
            sshd_server.port,
            username=sshd_server.username,
            key_path=sshd_server.client_key_path,
            known_hosts_line=known_hosts_entry(
                sshd_server.host, 1, sshd_server.host_key_type, sshd_server.host_key_base64
            ),
        )


def test_password_and_foreign_keys_are_not_accepted(sshd_server: SshdServer, tmp_path) -> None:
    foreign = paramiko.RSAKey.generate(1024)
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    entry = paramiko.hostkeys.HostKeyEntry.from_line(sshd_server.host_key_public)
    assert entry is not None and entry.key is not None
    client.get_host_keys().add(entry.hostnames[0], entry.key.get_name(), entry.key)
    with pytest.raises(paramiko.AuthenticationException):
        client.connect(
            sshd_server.host,
            sshd_server.port,
            username=sshd_server.username,
            pkey=foreign,
            password="geheim",
            look_for_keys=False,
            allow_agent=False,
            timeout=5,
        )
    client.close()


def test_start_stop_and_context_manager_free_the_port() -> None:
    with SshdServer() as server:
        port, pid, state = server.port, server.pid, server.state_dir
        assert server.running and pid is not None
        with socket.create_connection((server.host, port), timeout=2) as conn:
            assert conn.recv(8).startswith(b"SSH-2.0")
    assert not server.running
    assert not state.exists()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_reserved_ports_and_non_loopback_are_rejected() -> None:
    for port in (22, 8080, 5432):
        with pytest.raises(ValueError, match="reserved"):
            SshdServer(port=port)
    with pytest.raises(ValueError, match="loopback"):
        SshdServer(host="0.0.0.0")  # noqa: S104 - proves it is refused


def test_missing_sshd_fails_with_install_hint() -> None:
    with pytest.raises(SshdUnavailableError, match=r"install-system-deps\.sh"):
        SshdServer(sshd_path="/nonexistent/sshd").start()


def test_fixture_fails_not_skips_without_sshd(tmp_path) -> None:
    """A CI image without openssh-server must go red, not quietly skip the SFTP tests."""
    (tmp_path / "conftest.py").write_text(
        "from simulators.sftp.testing import sshd_server\n__all__ = ['sshd_server']\n"
    )
    (tmp_path / "test_inner.py").write_text("def test_uses(sshd_server):\n    pass\n")
    env = {**os.environ, "KETENBRUG_SSHD_PATH": "/nonexistent/sshd", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1, result.stdout
    assert "1 error" in result.stdout and "skipped" not in result.stdout
    assert "install-system-deps.sh" in result.stdout

"""The SFTP client against a real OpenSSH sshd: pinning, safe names, verification, drops."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from adapters.allegro import (
    AllegroClient,
    AllegroConfig,
    ExportIntegrityError,
    ExportNotReadyError,
    UnsafeNameError,
)
from adapters.errors import ConfigError, TransientError
from simulators.allegro import AllegroExporter
from simulators.faults import FaultConfig
from simulators.sftp import SshdServer, TcpProxy
from simulators.sftp.testing import SftpArea

MakeConfig = Callable[..., AllegroConfig]


def _other_key_line(server: SshdServer, kind: str) -> str:
    key = (
        ed25519.Ed25519PrivateKey.generate()
        if kind == "ed25519"
        else ec.generate_private_key(ec.SECP256R1())
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return f"[{server.host}]:{server.port} {public.decode()}"


def test_pinned_key_connects_and_lists_final_names_only(
    allegro: AllegroClient, sftp_area: SftpArea
) -> None:
    exporter = AllegroExporter(sftp_area.local, seed=1)
    published = exporter.write_batch(5) + exporter.write_bbr("2024-02")
    export = sftp_area.local / "export"
    (export / ".ALG_ZAKEN_20240109_000099.csv.part").write_bytes(b"half")
    (export / "ALG_ZAKEN_20240109_000098.csv.tmp").write_bytes(b"half")
    (export / "ALG ZAKEN met spatie.csv").write_bytes(b"x")  # unsafe: skipped, not fatal
    assert allegro.list_exports() == sorted(f.name for f in published)
    assert allegro.list_exports("ALG_ZAKEN_") == [published[0].name]


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa"])
def test_another_pinned_key_is_a_config_error(
    make_config: MakeConfig, sshd_server: SshdServer, kind: str
) -> None:
    client = AllegroClient(make_config(known_hosts_line=_other_key_line(sshd_server, kind)))
    with pytest.raises(ConfigError, match="host key"):
        client.list_exports()


def test_config_demands_a_usable_known_hosts_line(make_config: MakeConfig) -> None:
    good = make_config()
    with pytest.raises(ConfigError, match="required"):
        AllegroConfig(good.host, good.port, good.username, good.key_path, "")
    with pytest.raises(ValueError, match="does not name"):  # the line is for port 22
        AllegroConfig(
            good.host,
            good.port,
            good.username,
            good.key_path,
            "127.0.0.1 " + good.known_hosts_line.split(" ", 1)[1],
        )
    with pytest.raises(ValueError, match="relative"):
        AllegroConfig(
            good.host,
            good.port,
            good.username,
            good.key_path,
            good.known_hosts_line,
            export_dir="/etc",
        )
    with pytest.raises(ValueError, match="relative"):
        AllegroConfig(
            good.host,
            good.port,
            good.username,
            good.key_path,
            good.known_hosts_line,
            return_dir="a/../b",
        )


@pytest.mark.parametrize(
    "name", ["../export/x.csv", "/etc/passwd", "..", "a/b.csv", ".x.csv.part", "x.csv.part", ""]
)
def test_unsafe_names_are_refused(allegro: AllegroClient, name: str) -> None:
    for call in (allegro.read_export, allegro.has_return):
        with pytest.raises(UnsafeNameError):
            call(name)
    with pytest.raises(UnsafeNameError):
        allegro.write_return(name, [])


def test_verified_read_and_faults(allegro: AllegroClient, sftp_area: SftpArea) -> None:
    exporter = AllegroExporter(sftp_area.local, seed=2)
    (good,) = exporter.write_batch(10)
    content = allegro.read_export(good.name)
    assert hashlib.sha256(content).hexdigest() == good.sha256
    assert content.endswith(b"#EINDE;10\n")

    sidecar = sftp_area.local / "export" / f"{good.name}.sha256"
    sidecar.rename(sidecar.with_name("weg"))
    with pytest.raises(ExportNotReadyError):
        allegro.read_export(good.name)

    for variant in ("truncated", "bad_checksum"):
        exporter.faults.configure(
            FaultConfig(permanent_rate=1.0, permanent_variants=(variant,), seed=4)
        )
        (bad,) = exporter.write_batch(30)
        with pytest.raises(ExportIntegrityError) as caught:
            allegro.read_export(bad.name)
        expected = "truncated" if variant == "truncated" else "checksum_mismatch"
        assert caught.value.reason == expected and caught.value.file == bad.name


def test_connection_cut_mid_read_is_transient_and_the_client_reconnects(
    make_config: MakeConfig, sshd_server: SshdServer, tcp_proxy: TcpProxy, sftp_area: SftpArea
) -> None:
    exporter = AllegroExporter(sftp_area.local, seed=3, client_count=50)
    (big,) = exporter.write_batch(4000)
    assert (sftp_area.local / "export" / big.name).stat().st_size > 400_000
    tcp_proxy.cut_after_bytes = 150_000  # past the handshake, well before the end of the file
    client = AllegroClient(make_config(port=tcp_proxy.port))
    try:
        with pytest.raises(TransientError):
            client.read_export(big.name)
        assert tcp_proxy.stats.cut == 1
        tcp_proxy.cut_after_bytes = None  # the line is back: the same client reconnects
        assert hashlib.sha256(client.read_export(big.name)).hexdigest() == big.sha256
    finally:
        client.close()


def test_unreachable_server_is_transient(make_config: MakeConfig, tcp_proxy: TcpProxy) -> None:
    tcp_proxy.drop_rate = 1.0
    client = AllegroClient(make_config(port=tcp_proxy.port))
    with pytest.raises(TransientError):
        client.list_exports()

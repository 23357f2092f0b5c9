"""The Xtendis adapter against a real OpenSSH sshd and the simulator's import processor."""

from __future__ import annotations

import hashlib
import io
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from adapters.errors import ConfigError, PermanentError, TransientError
from adapters.xtendis import (
    ChecksumMismatchError,
    ReceiptTimeoutError,
    UnsafeNameError,
    XtendisClient,
    XtendisConfig,
    XtendisIndex,
    XtendisRejectedError,
    build_index,
)
from adapters.xtendis.controle import ontvangstbevestigingen
from simulators.sftp import SshdServer, TcpProxy
from simulators.xtendis import XtendisHotFolder
from stuf.xml import parse_xml
from tests.adapters_xtendis.rss import MB, generated_file, measure_upload

MakeConfig = Callable[..., XtendisConfig]
BSN = "123456782"  # synthetic, passes the elfproef
BAD_BSN = "123456789"  # fails the elfproef


def _index(kenmerk: str = "1900-2024-00000004-D01", bsn: str = BSN) -> XtendisIndex:
    return XtendisIndex(
        archief="WERK_INKOMEN",
        bsn=bsn,
        kenmerk=kenmerk,
        documenttype="Beschikking",
        documentdatum="2024-03-01",
        titel="Beschikking levensonderhoud",
        naam="A. de Vries",
        zaaknummer="1900-2024-00000004",
        bestandsnaam="brief-001.pdf",
    )


def _pdf(size: int, seed: int = 1) -> bytes:
    return b"%PDF-1.4\n" + random.Random(seed).randbytes(size)


def _final_names(hotfolder: XtendisHotFolder) -> list[str]:
    return sorted(p.name for p in hotfolder.hotfolder.iterdir() if not p.name.startswith("."))


def test_drop_gets_an_ok_receipt_and_xtendis_stores_the_same_bytes(
    xtendis: XtendisClient, hotfolder: XtendisHotFolder
) -> None:
    pdf = _pdf(300_000)
    expected = hashlib.sha256(pdf).hexdigest()
    with hotfolder:
        assert xtendis.already_dropped("brief-001") is None
        assert xtendis.drop("brief-001", io.BytesIO(pdf), _index(), expected) == expected
        receipt = xtendis.wait_for_receipt("brief-001", timeout_s=10, poll_s=0.05)
    assert receipt.ok and not receipt.duplicate and receipt.document_id.startswith("XT-")
    (stored,) = hotfolder.documents()
    assert stored.name == receipt.document_id and stored.parent.name == receipt.dossier_id
    assert (stored / "brief-001.pdf").read_bytes() == pdf
    assert _final_names(hotfolder) == []  # processed drops leave the hot folder


def test_index_xml_is_built_with_lxml_and_repr_hides_the_bsn() -> None:
    root = parse_xml(build_index(_index()))
    ns = {"x": "urn:ketenbrug:sim:xtendis-index:1"}
    assert root.findtext("x:dossier/x:bsn", namespaces=ns) == BSN
    assert root.findtext("x:document/x:kenmerk", namespaces=ns) == "1900-2024-00000004-D01"
    tricky = build_index(_index(kenmerk="a<b&c"))
    assert parse_xml(tricky).findtext("x:document/x:kenmerk", namespaces=ns) == "a<b&c"
    assert BSN not in repr(_index()) and "Vries" not in repr(_index())


def test_wrong_checksum_publishes_nothing(
    xtendis: XtendisClient, hotfolder: XtendisHotFolder
) -> None:
    with pytest.raises(ChecksumMismatchError) as caught:
        xtendis.drop("brief-002", io.BytesIO(_pdf(200_000)), _index(), "0" * 64)
    assert isinstance(caught.value, PermanentError)
    assert caught.value.reason == "checksum_mismatch"
    assert list(hotfolder.hotfolder.iterdir()) == []  # not even the temp file stays


def test_error_receipt_is_xtendis_rejected_with_masked_reason(
    xtendis: XtendisClient, hotfolder: XtendisHotFolder
) -> None:
    with hotfolder:
        xtendis.drop("brief-003", io.BytesIO(_pdf(10_000)), _index(bsn=BAD_BSN))
        with pytest.raises(XtendisRejectedError) as caught:
            xtendis.wait_for_receipt("brief-003", timeout_s=10, poll_s=0.05)
    error = caught.value
    assert error.reason == "xtendis_rejected" and error.code == "BSN_INVALID"
    assert not error.redrop and BAD_BSN not in str(error) and "*****6789" in str(error)
    receipt = xtendis.already_dropped("brief-003")
    assert receipt is not None and not receipt.ok and receipt.reason_code == "BSN_INVALID"


def test_redrop_after_crash_finds_the_existing_receipt(
    make_config: MakeConfig, xtendis: XtendisClient, hotfolder: XtendisHotFolder
) -> None:
    pdf = _pdf(50_000)
    xtendis.drop("brief-004", io.BytesIO(pdf), _index())
    xtendis.close()  # the task dies here, before it saw a receipt
    rerun = XtendisClient(make_config())
    try:
        assert rerun.already_dropped("brief-004") is None
        assert rerun.pending("brief-004")  # committed, waiting for import: do not re-drop
        with pytest.raises(ReceiptTimeoutError):
            rerun.wait_for_receipt("brief-004", timeout_s=0.2, poll_s=0.05)
        hotfolder.process_once()
        found = rerun.already_dropped("brief-004")
        assert found is not None and found.ok and not rerun.pending("brief-004")
        assert len(hotfolder.documents()) == 1
    finally:
        rerun.close()


def test_connection_cut_mid_upload_is_transient_and_leaves_no_final_file(
    make_config: MakeConfig, tcp_proxy: TcpProxy, hotfolder: XtendisHotFolder
) -> None:
    pdf = _pdf(3 * MB)
    tcp_proxy.cut_direction = "up"
    tcp_proxy.cut_after_bytes = 600_000  # past the handshake, well before the end of the pdf
    client = XtendisClient(make_config(port=tcp_proxy.port))
    try:
        with pytest.raises(TransientError):
            client.drop("brief-005", io.BytesIO(pdf), _index())
        assert tcp_proxy.stats.cut == 1
        assert _final_names(hotfolder) == []  # at most a dot-temp file, which readers skip
        tcp_proxy.cut_after_bytes = None  # the line is back: the same client reconnects
        client.drop("brief-005", io.BytesIO(pdf), _index())
        assert _final_names(hotfolder) == ["brief-005.pdf", "brief-005.sha256", "brief-005.xml"]
        (result,) = hotfolder.process_once()
        assert result.ok
    finally:
        client.close()


@pytest.mark.parametrize(
    "name", ["../x", "/etc/passwd", "..", "a/b", "", ".x.part", "x.tmp", "a b", "a..b"]
)
def test_unsafe_names_are_refused(xtendis: XtendisClient, name: str) -> None:
    with pytest.raises(UnsafeNameError):
        xtendis.drop(name, io.BytesIO(b"%PDF"), _index())
    for call in (xtendis.receipt, xtendis.already_dropped, xtendis.pending):
        with pytest.raises(UnsafeNameError):
            call(name)


def test_another_host_key_is_a_config_error(
    make_config: MakeConfig, sshd_server: SshdServer
) -> None:
    public = (
        ed25519.Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    )
    line = f"[{sshd_server.host}]:{sshd_server.port} {public.decode()}"
    with pytest.raises(ConfigError, match="host key"):
        XtendisClient(make_config(known_hosts_line=line)).receipt("x")
    with pytest.raises(ValueError, match="relative"):
        XtendisConfig(**{**make_config().__dict__, "hotfolder_dir": "../elders"})


@pytest.mark.slow
def test_64_mb_drop_keeps_memory_flat(
    make_config: MakeConfig, hotfolder: XtendisHotFolder, tmp_path: Path
) -> None:
    source = generated_file(tmp_path / "groot.pdf", 64)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    index = dict(_index().__dict__)
    result = measure_upload(
        "xtendis", make_config(), source, name="groot-001", index=index, sha256=digest
    )
    assert result["sha256"] == digest
    assert result["growth_kb"] < 64 * 1024, result
    assert (hotfolder.hotfolder / "groot-001.pdf").stat().st_size == source.stat().st_size
    (outcome,) = hotfolder.process_once()  # Xtendis' own check of the marker passes too
    assert outcome.ok


@pytest.mark.slow
def test_the_memory_probe_sees_a_whole_file_read(
    make_config: MakeConfig, hotfolder: XtendisHotFolder, tmp_path: Path
) -> None:
    """Guards the guard: reading the whole file first must show up as growth."""
    source = generated_file(tmp_path / "groot.pdf", 64)
    index = dict(_index().__dict__)
    result = measure_upload(
        "xtendis", make_config(), source, name="groot-002", index=index, sha256=None, whole=True
    )
    assert result["growth_kb"] > 64 * 1024, result


def test_writes_lost_without_an_error_publish_nothing(
    xtendis: XtendisClient, hotfolder: XtendisHotFolder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pipelined writes that never reached the server (paramiko's close swallows a dead line)
    must not be renamed into a published drop: the server's size is checked first."""
    import paramiko

    real_write = paramiko.SFTPFile.write
    sent = {"bytes": 0}

    def lossy_write(self: paramiko.SFTPFile, data: bytes) -> None:
        sent["bytes"] += len(data)
        if sent["bytes"] <= 64 * 1024:  # the rest is lost on the way, silently
            real_write(self, data)

    pdf = _pdf(300_000)
    monkeypatch.setattr(paramiko.SFTPFile, "write", lossy_write)
    with pytest.raises(TransientError, match="niet gepubliceerd"):
        xtendis.drop("brief-009", io.BytesIO(pdf), _index(), hashlib.sha256(pdf).hexdigest())
    assert _final_names(hotfolder) == []


def test_a_dropped_line_mid_receipts_listing_lists_again_from_the_start(
    make_config: MakeConfig, tcp_proxy: TcpProxy, hotfolder: XtendisHotFolder
) -> None:
    # More receipts than one round of read-ahead READDIRs (50 x 100 names): the cut is met
    # when the listing asks for the rest, not hidden in what paramiko already buffered.
    names = {f"brief-{n:05d}-0123456789ab" for n in range(6000)}
    for name in names:
        (hotfolder.receipts / f"{name}.ok.xml").write_bytes(b"<ok/>")
    client = XtendisClient(make_config(port=tcp_proxy.port))
    try:
        listing = ontvangstbevestigingen(client)
        found = [next(listing)]
        assert tcp_proxy.cut_all() == 1, "the listing's one connection was cut mid-listing"
        found.extend(listing)
    finally:
        client.close()
    assert {name for name, ok in found if ok} == names
    assert len(found) > len(names), "listed again from the start on a fresh session"
    assert tcp_proxy.stats.connections == 2


def test_a_receipts_listing_whose_line_stays_down_fails_after_its_tries(
    make_config: MakeConfig, tcp_proxy: TcpProxy, hotfolder: XtendisHotFolder
) -> None:
    client = XtendisClient(make_config(port=tcp_proxy.port))
    client._sftp.READ_ATTEMPTS = 2
    tcp_proxy.drop_rate = 1.0  # every new connection refused
    try:
        with pytest.raises(TransientError, match="xtendis"):
            list(ontvangstbevestigingen(client))
    finally:
        client.close()
    assert tcp_proxy.stats.connections == 2, "one connection per try, then the error"

"""Xtendis hot folder over real SFTP: ok and error receipts, duplicates, restarts."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

import paramiko
import pytest
from lxml import etree

from simulators.pdf import pdf_bytes
from simulators.sftp.testing import SftpArea, sftp_put_atomic, wait_for
from simulators.synthetic import bsn_for_index
from simulators.xtendis import RECEIPT_NS, XtendisHotFolder, build_index_xml, drop_local
from stuf.xml import parse_xml

BSN = bsn_for_index(17)
R = f"{{{RECEIPT_NS}}}"


@pytest.fixture
def xtendis(sftp_area: SftpArea) -> Iterator[XtendisHotFolder]:
    with XtendisHotFolder(sftp_area.local, poll_interval=0.02, incomplete_after=0.3) as hot:
        yield hot


def _index(name: str, kenmerk: str = "GWS-DOC-1", bsn: str = BSN) -> bytes:
    return build_index_xml(
        archief="WERK_INKOMEN",
        bsn=bsn,
        kenmerk=kenmerk,
        documenttype="Beschikking",
        documentdatum="2024-03-01",
        titel="Beschikking levensonderhoud",
        bestandsnaam=f"{name}.pdf",
        naam="A. de Vries",
    )


def _drop(
    sftp: paramiko.SFTPClient, name: str, pdf: bytes, index: bytes | None, digest: str | None = None
) -> None:
    """Upload the triple as the protocol demands: pdf, xml, then the .sha256 commit marker."""
    sftp_put_atomic(sftp, f"hotfolder/{name}.pdf", pdf)
    if index is not None:
        sftp_put_atomic(sftp, f"hotfolder/{name}.xml", index)
    line = f"{digest or hashlib.sha256(pdf).hexdigest()}  {name}.pdf\n"
    sftp_put_atomic(sftp, f"hotfolder/{name}.sha256", line.encode())


def _receipt(sftp: paramiko.SFTPClient, name: str) -> tuple[str, etree._Element]:
    found = wait_for(lambda: [n for n in sftp.listdir("receipts") if n.startswith(f"{name}.")])
    with sftp.open(f"receipts/{found[0]}", "rb") as handle:
        return found[0], parse_xml(handle.read())


def test_complete_drop_is_imported_with_ok_receipt(
    xtendis: XtendisHotFolder, sftp_area: SftpArea, sftp_connect: Callable[..., paramiko.SFTPClient]
) -> None:
    sftp = sftp_connect(cwd=sftp_area.remote)
    pdf = pdf_bytes("Beschikking", ["Regel"], size=50_000, seed=1)
    _drop(sftp, "brief-001", pdf, _index("brief-001"))

    name, receipt = _receipt(sftp, "brief-001")
    assert name == "brief-001.ok.xml"
    assert receipt.findtext(f"{R}resultaat") == "OK"
    assert receipt.findtext(f"{R}duplicaat") == "false"
    [stored] = xtendis.documents()
    assert stored.name == receipt.findtext(f"{R}documentId")
    assert (stored / "brief-001.pdf").read_bytes() == pdf
    assert sftp.listdir("hotfolder") == []
    every_path = [p.as_posix() for p in sftp_area.local.rglob("*")]
    assert not any(BSN in p for p in every_path), "a BSN leaked into a path"
    assert BSN not in etree.tostring(receipt).decode()


def test_checksum_mismatch_gives_error_receipt(
    xtendis: XtendisHotFolder, sftp_area: SftpArea, sftp_connect: Callable[..., paramiko.SFTPClient]
) -> None:
    sftp = sftp_connect(cwd=sftp_area.remote)
    _drop(sftp, "brief-002", b"%PDF-1.4 kapot", _index("brief-002"), digest="0" * 64)
    name, receipt = _receipt(sftp, "brief-002")
    assert name == "brief-002.error.xml"
    assert receipt.findtext(f"{R}resultaat") == "FOUT"
    reden = receipt.find(f"{R}reden")
    assert reden is not None and reden.get("code") == "CHECKSUM_MISMATCH"
    assert "checksum mismatch" in (reden.text or "")
    assert xtendis.documents() == []
    assert sorted(p.name.split("-", 1)[1] for p in xtendis.rejected.iterdir()) == [
        "brief-002.pdf", "brief-002.sha256", "brief-002.xml",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("index", "code"),
    [
        (None, "INDEX_MISSING"),
        (b"<xtendisIndex><archief>", "INDEX_INVALID_XML"),
        (b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>', "INDEX_INVALID_XML"),
        (_index("b", bsn="123456789"), "BSN_INVALID"),
    ],
)
def test_bad_drops_get_error_receipts_with_reason(
    xtendis: XtendisHotFolder,
    sftp_area: SftpArea,
    sftp_connect: Callable[..., paramiko.SFTPClient],
    index: bytes | None,
    code: str,
) -> None:
    sftp = sftp_connect(cwd=sftp_area.remote)
    _drop(sftp, "b", b"%PDF-1.4 doc", index)
    name, receipt = _receipt(sftp, "b")
    assert name == "b.error.xml"
    reden = receipt.find(f"{R}reden")
    assert reden is not None and reden.get("code") == code
    assert "123456789" not in (reden.text or "")  # BSNs in reasons are masked


def test_redrop_of_same_document_is_a_duplicate_not_a_second_copy(
    xtendis: XtendisHotFolder, sftp_area: SftpArea, sftp_connect: Callable[..., paramiko.SFTPClient]
) -> None:
    sftp = sftp_connect(cwd=sftp_area.remote)
    pdf = pdf_bytes("Brief", size=5_000, seed=9)
    _drop(sftp, "eerste", pdf, _index("eerste", kenmerk="K-9"))
    _, first = _receipt(sftp, "eerste")
    _drop(sftp, "tweede", pdf, _index("tweede", kenmerk="K-9"))
    _, second = _receipt(sftp, "tweede")
    assert second.findtext(f"{R}duplicaat") == "true"
    assert second.findtext(f"{R}documentId") == first.findtext(f"{R}documentId")
    assert len(xtendis.documents()) == 1


def test_temp_names_are_ignored_and_restart_stays_idempotent(sftp_area: SftpArea) -> None:
    hot = XtendisHotFolder(sftp_area.local)
    pdf = pdf_bytes("Brief", size=3_000, seed=2)
    (hot.hotfolder / ".x.sha256.part").write_text("half")
    assert hot.process_once() == []
    drop_local(hot.hotfolder, "x", pdf, _index("x", kenmerk="K-1"))
    [result] = hot.process_once()
    assert result.ok and not result.duplicate

    restarted = XtendisHotFolder(sftp_area.local)
    drop_local(restarted.hotfolder, "x2", pdf, _index("x2", kenmerk="K-1"))
    [again] = restarted.process_once()
    assert again.duplicate and again.document_id == result.document_id


def test_delayed_fault_postpones_the_import(sftp_area: SftpArea) -> None:
    from simulators.faults import FaultConfig

    hot = XtendisHotFolder(sftp_area.local, faults=FaultConfig(transient_rate=1.0, seed=1))
    drop_local(hot.hotfolder, "later", pdf_bytes("Brief", seed=3), _index("later", kenmerk="K-7"))
    assert hot.process_once() == []  # busy: still in the hot folder, no receipt yet
    assert not list(hot.receipts.iterdir())
    hot.faults.configure(FaultConfig())
    [result] = hot.process_once()
    assert result.ok and (hot.receipts / "later.ok.xml").exists()

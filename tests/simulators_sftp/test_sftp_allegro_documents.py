"""Allegro document exports: layout, publication order, sizes, faults, over real SFTP."""

from __future__ import annotations

import hashlib
import re
import shutil
import threading
from collections.abc import Callable

import paramiko
import pytest

from simulators.allegro import (
    DOCUMENT_COLUMNS,
    DOCUMENT_FAULTS,
    AllegroExporter,
    ExportIntegrityError,
    parse_export,
)
from simulators.faults import FaultConfig
from simulators.sftp.files import is_temp_name
from simulators.sftp.testing import SftpArea


def _get(sftp: paramiko.SFTPClient, path: str) -> bytes:
    with sftp.open(path, "rb") as handle:
        return handle.read()


def _sidecar_digest(sftp: paramiko.SFTPClient, name: str) -> str:
    digest, listed_name = _get(sftp, f"export/{name}.sha256").decode().split()
    assert listed_name == name
    return digest


def test_document_export_reads_back_over_sftp(
    sftp_area: SftpArea, sftp_connect: Callable[..., paramiko.SFTPClient]
) -> None:
    exporter = AllegroExporter(sftp_area.local, seed=21)
    (zaken,) = exporter.write_batch(6)
    export = exporter.write_documents(4, sizes=[1_000, 5_000, 20_000, 70_000])
    sftp = sftp_connect(cwd=sftp_area.remote)

    assert re.fullmatch(r"ALG_DOC_\d{8}_\d{6}\.csv", export.name)
    assert export.name.endswith("_000002.csv") and zaken.name.endswith("_000001.csv")  # one seq
    assert export.folder == export.name.removesuffix(".csv")
    listed = set(sftp.listdir("export"))
    assert {export.name, f"{export.name}.sha256", export.folder} <= listed

    index = _get(sftp, f"export/{export.name}")
    rows = parse_export(index, _sidecar_digest(sftp, export.name))
    assert tuple(rows[0]) == DOCUMENT_COLUMNS and index.endswith(b"#EINDE;4\n")
    assert hashlib.sha256(index).hexdigest() == export.sha256
    assert [tuple(row.values()) for row in rows] == [doc.row() for doc in export.documents]
    dossiers = {row["dossiernummer"] for row in parse_export(_get(sftp, f"export/{zaken.name}"))}
    for row, size in zip(rows, [1_000, 5_000, 20_000, 70_000], strict=True):
        assert row["dossiernummer"] in dossiers
        assert re.fullmatch(re.escape(row["dossiernummer"]) + r"-D\d\d", row["document_id"])
        assert row["mime"] == "application/pdf" and row["bestandsnaam"].endswith(".pdf")
        content = _get(sftp, f"export/{export.folder}/{row['document_id']}.pdf")
        assert len(content) == int(row["omvang"]) == size
        assert hashlib.sha256(content).hexdigest() == row["sha256"]
        assert content.startswith(b"%PDF-1.4") and content.endswith(b"%%EOF\n")


def test_sizes_are_seeded_by_default_and_the_same_seed_gives_the_same_bytes(tmp_path) -> None:
    first = AllegroExporter(tmp_path / "a", seed=3).write_documents(6)
    second = AllegroExporter(tmp_path / "b", seed=3).write_documents(6)
    assert all(20_000 <= doc.size <= 200_000 for doc in first.documents)
    assert len({doc.size for doc in first.documents}) > 1
    assert first == second
    for doc in first.documents:
        a = (tmp_path / "a" / "export" / doc.file).read_bytes()
        assert a == (tmp_path / "b" / "export" / doc.file).read_bytes()
    same = AllegroExporter(tmp_path / "c", seed=3).write_documents(3, sizes=12_345)
    assert [doc.size for doc in same.documents] == [12_345] * 3


def test_writing_documents_changes_no_zaken_row(tmp_path) -> None:
    with_docs = AllegroExporter(tmp_path / "a", seed=5)
    without = AllegroExporter(tmp_path / "b", seed=5)
    with_docs.write_batch(8)
    with_docs.write_documents(3, document_faults={}, export_fault="")
    (a,) = with_docs.write_batch(8)
    without.write_batch(8)
    (b,) = without.write_batch(8)
    rows = [
        parse_export((tmp_path / folder / "export" / export.name).read_bytes())
        for folder, export in (("a", a), ("b", b))
    ]
    assert rows[0] == rows[1]


def test_document_faults_as_documented(sftp_area: SftpArea) -> None:
    exporter = AllegroExporter(sftp_area.local, seed=7)
    exporter.write_batch(3)
    faults = dict(enumerate(DOCUMENT_FAULTS))
    export = exporter.write_documents(len(faults) + 1, document_faults=faults, sizes=2_000)
    by_fault = {doc.fault: doc for doc in export.documents}
    clean = by_fault[""]
    assert clean.listed_sha256 == clean.sha256 and clean.file

    wrong = by_fault["document_checksum"]
    content = (sftp_area.local / "export" / wrong.file).read_bytes()
    assert hashlib.sha256(content).hexdigest() == wrong.sha256 != wrong.listed_sha256
    assert not by_fault["document_missing"].file
    assert by_fault["unsafe_bestandsnaam"].bestandsnaam == "../../etc/passwd"
    assert by_fault["unsafe_id"].document_id == "/etc/passwd"
    folder = sftp_area.local / "export" / export.folder
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        doc.file.rsplit("/", 1)[1] for doc in (clean, wrong)
    )  # nothing was written for the others, and certainly not outside the folder
    rows = parse_export((sftp_area.local / "export" / export.name).read_bytes(), export.sha256)
    assert [row["document_id"] for row in rows] == [doc.document_id for doc in export.documents]
    assert [row["sha256"] for row in rows] == [doc.listed_sha256 for doc in export.documents]


@pytest.mark.parametrize(
    ("variant", "message"),
    [("truncated", "truncated|mismatch"), ("bad_checksum", "sha256 mismatch")],
)
def test_export_faults_spoil_the_index_not_the_documents(
    tmp_path, variant: str, message: str
) -> None:
    export = AllegroExporter(tmp_path, seed=2).write_documents(
        25, sizes=1_000, export_fault=variant
    )
    assert export.fault == variant
    content = (tmp_path / "export" / export.name).read_bytes()
    digest = (tmp_path / "export" / f"{export.name}.sha256").read_text().split()[0]
    with pytest.raises(ExportIntegrityError, match=message):
        parse_export(content, digest)
    for doc in export.documents:
        assert (tmp_path / "export" / doc.file).stat().st_size == doc.size


def test_the_fault_injector_decides_when_no_fault_is_given(tmp_path) -> None:
    config = FaultConfig(permanent_rate=1.0, permanent_variants=("document_missing",), seed=1)
    exporter = AllegroExporter(tmp_path, seed=2, faults=config)
    export = exporter.write_documents(4, sizes=500)
    assert [doc.fault for doc in export.documents] == ["document_missing"] * 4
    assert export.fault == ""  # the export-level pool has no such variant
    assert exporter.faults.counts()["op:allegro_document"] == 4
    with pytest.raises(ValueError, match="unknown"):
        exporter.write_documents(1, document_faults={0: "kapot"})
    with pytest.raises(ValueError, match="unknown"):
        exporter.write_documents(1, export_fault="late")


def test_a_reader_never_sees_an_index_before_its_documents(
    sftp_area: SftpArea, sftp_connect: Callable[..., paramiko.SFTPClient]
) -> None:
    exporter = AllegroExporter(sftp_area.local, seed=9, chunk_delay=0.004)
    writer = threading.Thread(
        target=lambda: [exporter.write_documents(3, sizes=200_000) for _ in range(3)]
    )
    sftp = sftp_connect(cwd=sftp_area.remote)
    seen_temp = 0
    checked: set[str] = set()
    writer.start()
    while writer.is_alive() or len(checked) < 3:
        for name in sftp.listdir("export"):
            if name.startswith("ALG_DOC_") and "." not in name:
                seen_temp += sum(is_temp_name(f) for f in sftp.listdir(f"export/{name}"))
            if not name.endswith(".csv.sha256") or name in checked:
                continue
            index = name.removesuffix(".sha256")
            rows = parse_export(_get(sftp, f"export/{index}"), _sidecar_digest(sftp, index))
            folder = index.removesuffix(".csv")
            for row in rows:  # every document is complete once the sidecar is there
                content = _get(sftp, f"export/{folder}/{row['document_id']}.pdf")
                assert hashlib.sha256(content).hexdigest() == row["sha256"]
            checked.add(name)
    writer.join()
    assert len(checked) == 3
    assert seen_temp > 0, "the reader never observed a document being written"


def test_numbering_continues_after_exports_moved_to_processed(tmp_path) -> None:
    export = AllegroExporter(tmp_path, seed=1).write_documents(1, sizes=500)
    processed = tmp_path / "export" / "processed"
    processed.mkdir()
    for name in (export.name, f"{export.name}.sha256", export.folder):
        shutil.move(tmp_path / "export" / name, processed / name)
    (zaken,) = AllegroExporter(tmp_path, seed=1).write_batch(2)
    assert zaken.name.rsplit("_", 1)[1] > export.name.rsplit("_", 1)[1]

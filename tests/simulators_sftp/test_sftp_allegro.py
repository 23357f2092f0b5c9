"""Allegro export folder: layout, atomic publication, faults, return folder, over real SFTP."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

import paramiko
import pytest

from privacy.masking import is_valid_bsn
from simulators.allegro import (
    BBR_COLUMNS,
    ZAKEN_COLUMNS,
    AllegroExporter,
    ExportIntegrityError,
    parse_export,
    render_return,
)
from simulators.faults import FaultConfig
from simulators.sftp.files import is_temp_name
from simulators.sftp.testing import SftpArea, sftp_put_atomic


def _get(sftp: paramiko.SFTPClient, path: str) -> bytes:
    with sftp.open(path, "rb") as handle:
        return handle.read()


def _sidecar_digest(sftp: paramiko.SFTPClient, name: str) -> str:
    digest, listed_name = _get(sftp, f"export/{name}.sha256").decode().split()
    assert listed_name == name
    return digest


def test_zaken_and_bbr_exports_read_back_over_sftp(
    sftp_area: SftpArea, sftp_connect: Callable[..., paramiko.SFTPClient]
) -> None:
    exporter = AllegroExporter(sftp_area.local, seed=11)
    zaken = exporter.write_batch(25)
    bbr = exporter.write_bbr("2024-02")
    sftp = sftp_connect(cwd=sftp_area.remote)

    names = sorted(n for n in sftp.listdir("export") if n.endswith(".csv"))
    assert names == sorted(f.name for f in zaken + bbr)
    assert re.fullmatch(r"ALG_ZAKEN_\d{8}_\d{6}\.csv", zaken[0].name)

    content = _get(sftp, f"export/{zaken[0].name}")
    rows = parse_export(content, _sidecar_digest(sftp, zaken[0].name))
    assert len(rows) == 25 and tuple(rows[0]) == ZAKEN_COLUMNS
    assert content.decode().splitlines()[-1] == "#EINDE;25"
    assert all(is_valid_bsn(row["bsn"]) for row in rows)
    assert len({row["mutatie_id"] for row in rows}) == 25

    spec_rows = parse_export(
        _get(sftp, f"export/{bbr[0].name}"), _sidecar_digest(sftp, bbr[0].name)
    )
    assert tuple(spec_rows[0]) == BBR_COLUMNS
    assert all(re.fullmatch(r"[+-]\d+", row["bedrag_cent"]) for row in spec_rows)
    assert any(row["bedrag_cent"].startswith("-") for row in spec_rows)


def test_same_seed_same_bytes(tmp_path) -> None:
    first = AllegroExporter(tmp_path / "a", seed=3)
    second = AllegroExporter(tmp_path / "b", seed=3)
    for exporter in (first, second):
        exporter.write_batch(40)
        exporter.write_bbr("2024-03")
    for name in (f.name for f in first.published):
        a = (tmp_path / "a" / "export" / name).read_bytes()
        assert a == (tmp_path / "b" / "export" / name).read_bytes()


def test_reader_never_sees_half_a_file_under_its_final_name(
    sftp_area: SftpArea, sftp_connect: Callable[..., paramiko.SFTPClient]
) -> None:
    exporter = AllegroExporter(sftp_area.local, seed=5, chunk_delay=0.002, chunk_size=512)
    writer = threading.Thread(target=lambda: [exporter.write_batch(60) for _ in range(4)])
    sftp = sftp_connect(cwd=sftp_area.remote)
    seen_temp = 0
    checked: set[str] = set()
    writer.start()
    while writer.is_alive() or len(checked) < 4:
        for name in sftp.listdir("export"):
            if is_temp_name(name):
                seen_temp += 1
            elif name.endswith(".csv") and name not in checked:
                parse_export(_get(sftp, f"export/{name}"))  # complete: trailer and count agree
                checked.add(name)
    writer.join()
    assert len(checked) == 4
    assert seen_temp > 0, "the reader never observed a write in progress"


@pytest.mark.parametrize(
    ("variant", "message"),
    [("truncated", "truncated|mismatch"), ("bad_checksum", "sha256 mismatch")],
)
def test_permanent_file_faults_are_detectable(tmp_path, variant: str, message: str) -> None:
    config = FaultConfig(permanent_rate=1.0, permanent_variants=(variant,), seed=1)
    exporter = AllegroExporter(tmp_path, seed=2, faults=config)
    [export] = exporter.write_batch(30)
    assert export.fault == variant
    content = (tmp_path / "export" / export.name).read_bytes()
    digest = (tmp_path / "export" / f"{export.name}.sha256").read_text().split()[0]
    with pytest.raises(ExportIntegrityError, match=message):
        parse_export(content, digest)


def test_late_files_arrive_with_the_next_batch(tmp_path) -> None:
    config = FaultConfig(transient_rate=1.0, seed=1)
    exporter = AllegroExporter(tmp_path, seed=2, faults=config)
    assert exporter.write_batch(5) == []  # held back
    assert not list((tmp_path / "export").glob("*.csv"))
    exporter.faults.configure(FaultConfig())
    published = exporter.write_batch(5)
    assert [f.fault for f in published] == ["late", ""]
    assert published[0].name < published[1].name  # the late file has the older sequence number


def test_duplicates_repeat_the_records_under_a_new_name(tmp_path) -> None:
    exporter = AllegroExporter(tmp_path, seed=2, faults=FaultConfig(duplicate_rate=1.0))
    original, twin = exporter.write_batch(10)
    assert twin.duplicate_of == original.name and twin.name != original.name
    read = [parse_export((tmp_path / "export" / f.name).read_bytes()) for f in (original, twin)]
    assert read[0] == read[1]


def test_unmapped_status_codes_can_be_injected(tmp_path) -> None:
    exporter = AllegroExporter(tmp_path, seed=2, unmapped_rate=1.0)
    [export] = exporter.write_batch(5)
    rows = parse_export((tmp_path / "export" / export.name).read_bytes())
    assert {row["statuscode"] for row in rows} == {"ONBK"}


def test_return_files_are_read_and_processed(
    sftp_area: SftpArea, sftp_connect: Callable[..., paramiko.SFTPClient]
) -> None:
    exporter = AllegroExporter(sftp_area.local, seed=8)
    [export] = exporter.write_batch(3)
    rows = parse_export((sftp_area.local / "export" / export.name).read_bytes())
    sftp = sftp_connect(cwd=sftp_area.remote)
    retour = [
        (rows[0]["mutatie_id"], "VERWERKT", ""),
        (rows[1]["mutatie_id"], "AFGEWEZEN", "onbekende statuscode"),
    ]
    stem = export.name.removesuffix(".csv")
    sftp_put_atomic(sftp, f"return/{stem}.retour.csv", render_return(retour))

    records = exporter.read_returns()
    assert [(r.sleutel, r.resultaat) for r in records] == [(k, v) for k, v, _ in retour]
    assert exporter.process_returns() == [export.name]
    assert sorted(sftp.listdir("export/archief")) == [export.name, f"{export.name}.sha256"]
    assert sftp.listdir("return/verwerkt") == [f"{stem}.retour.csv"]


def test_a_second_exporter_on_the_same_folder_never_overwrites(tmp_path) -> None:
    [first] = AllegroExporter(tmp_path, seed=1).write_batch(3)
    [second] = AllegroExporter(tmp_path, seed=1).write_batch(3)
    assert second.name > first.name
    assert len(list((tmp_path / "export").glob("*.csv"))) == 2

"""AllegroZakenSource against real SFTP: records, keys, faults, return files, once only."""

from __future__ import annotations

import hashlib
import re
import shutil

import pytest

from adapters.allegro import AllegroClient, AllegroZakenSource
from adapters.base import RecordError, Source, SourceBatch, SourceRecord
from adapters.errors import InvalidMessageError
from simulators.allegro import AllegroExporter, parse_export
from simulators.faults import FaultConfig
from simulators.sftp.testing import SftpArea


def _records(batch: SourceBatch) -> list[SourceRecord]:
    return [r for r in batch.records if isinstance(r, SourceRecord)]


def _errors(batch: SourceBatch) -> list[RecordError]:
    return [r for r in batch.records if isinstance(r, RecordError)]


def _read(source: AllegroZakenSource, cursor: str | None = None) -> SourceBatch:
    batch = source.read_batch(cursor, 1000)
    assert batch is not None
    return batch


def test_records_have_the_gws4all_shapes_and_stable_unique_keys(
    allegro: AllegroClient, sftp_area: SftpArea
) -> None:
    (export,) = AllegroExporter(sftp_area.local, seed=7).write_batch(25)
    source = AllegroZakenSource(allegro)
    assert isinstance(source, Source)
    batch = _read(source)
    records = _records(batch)
    assert len(records) == 25 and not _errors(batch)
    content = (sftp_area.local / "export" / export.name).read_bytes()
    records_end = content.rindex(b"#EINDE;")  # file and offset after the last record line
    assert batch.cursor_after == f"{export.name}#27@{records_end}"
    assert batch.ref == f"allegro:{export.name}"
    assert batch.context["file"] == export.name and batch.context["sha256"] == export.sha256
    assert len({r.key for r in records}) == 25
    assert [r.key for r in _records(_read(source))] == [r.key for r in records]  # stable

    first = records[0]
    assert re.fullmatch(r"allegro:ALG-\d{4}-\d{6}-\d{2}", first.key)
    assert first.kind == "zaakstatus" and first.payload_ref == f"allegro:{export.name}#2"
    data = first.data
    assert first.ordering_key == f"zaak:{data['zaak_identificatie']}"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", first.ordering_value or "")
    assert data["datum_status_gezet"] == first.ordering_value
    assert isinstance(data["volgnummer"], int) and data["toelichting"] is None
    zaak = data["zaak"]
    assert zaak["identificatie"] == data["zaak_identificatie"]
    assert zaak["startdatum"] == zaak["registratiedatum"]
    assert re.fullmatch(r"\d{9}", zaak["initiator_bsn"])
    assert set(zaak) == {
        "identificatie", "zaaktype_code", "omschrijving", "startdatum", "registratiedatum",
        "einddatum", "initiator_bsn", "toelichting",
    }  # fmt: skip


def test_file_without_sidecar_is_skipped_until_it_is_complete(
    allegro: AllegroClient, sftp_area: SftpArea
) -> None:
    (export,) = AllegroExporter(sftp_area.local, seed=8).write_batch(3)
    sidecar = sftp_area.local / "export" / f"{export.name}.sha256"
    hidden = sidecar.with_name("elders")
    sidecar.rename(hidden)
    source = AllegroZakenSource(allegro)
    assert source.read_batch(None, 100) is None
    hidden.rename(sidecar)
    assert len(_records(_read(source))) == 3


@pytest.mark.parametrize(
    ("variant", "reason"), [("truncated", "truncated"), ("bad_checksum", "checksum_mismatch")]
)
def test_corrupt_file_is_one_error_then_answered_and_never_offered_again(
    allegro: AllegroClient, sftp_area: SftpArea, variant: str, reason: str
) -> None:
    faults = FaultConfig(permanent_rate=1.0, permanent_variants=(variant,), seed=1)
    (bad,) = AllegroExporter(sftp_area.local, seed=9, faults=faults).write_batch(40)
    source = AllegroZakenSource(allegro)
    batch = _read(source)
    (error,) = batch.records
    assert isinstance(error, RecordError) and error.error.reason == reason
    actual = hashlib.sha256((sftp_area.local / "export" / bad.name).read_bytes()).hexdigest()
    assert error.key == f"allegro-file:{bad.name}:{actual[:12]}"
    assert not re.search(r"\d{9}", error.error.message)

    source.after_commit(batch)
    returned = (sftp_area.local / "return" / bad.name.replace(".csv", ".retour.csv")).read_bytes()
    (row,) = parse_export(returned)
    assert row["sleutel"] == bad.name and row["resultaat"] == "AFGEWEZEN"
    assert row["melding"].startswith(reason)
    assert source.read_batch(bad.name, 100) is None


def test_malformed_line_is_its_own_error_and_the_rest_comes_through(
    allegro: AllegroClient, sftp_area: SftpArea
) -> None:
    (export,) = AllegroExporter(sftp_area.local, seed=10).write_batch(5)
    path = sftp_area.local / "export" / export.name
    lines = path.read_bytes().decode().split("\n")
    bsn = lines[3].split(";")[2]
    lines[3] = lines[3].replace("+01:00", "")  # file line 4: no offset
    content = "\n".join(lines).encode()
    path.write_bytes(content)
    digest = hashlib.sha256(content).hexdigest()
    path.with_name(f"{export.name}.sha256").write_text(f"{digest}  {export.name}\n")

    source = AllegroZakenSource(allegro)
    batch = _read(source)
    assert len(_records(batch)) == 4
    (error,) = _errors(batch)
    assert error.key == error.payload_ref == f"allegro:{export.name}#4"
    assert isinstance(error.error, InvalidMessageError) and "regel 4" in error.error.message
    assert bsn not in error.error.message

    source.after_commit(batch)
    rows = parse_export(
        (sftp_area.local / "return" / export.name.replace(".csv", ".retour.csv")).read_bytes()
    )
    assert [r["resultaat"] for r in rows] == [
        "VERWERKT",
        "VERWERKT",
        "AFGEWEZEN",
        "VERWERKT",
        "VERWERKT",
    ]
    assert rows[2]["sleutel"] == lines[3].split(";")[0]


def test_duplicate_export_gives_the_same_keys(allegro: AllegroClient, sftp_area: SftpArea) -> None:
    faults = FaultConfig(duplicate_rate=1.0, seed=2)
    original, twin = AllegroExporter(sftp_area.local, seed=11, faults=faults).write_batch(6)
    assert twin.duplicate_of == original.name
    source = AllegroZakenSource(allegro)
    first = _read(source)
    source.after_commit(first)
    second = _read(source, first.cursor_after)
    assert (first.context["file"], second.context["file"]) == (original.name, twin.name)
    assert [r.key for r in _records(first)] == [r.key for r in _records(second)]
    assert first.records[0].payload_ref != second.records[0].payload_ref


def test_late_file_with_an_older_sequence_is_still_offered(
    allegro: AllegroClient, sftp_area: SftpArea
) -> None:
    exporter = AllegroExporter(
        sftp_area.local,
        seed=12,
        faults=FaultConfig(transient_rate=1.0, transient_variants=("late",)),
    )
    assert exporter.write_batch(4) == []  # held back
    exporter.faults.configure(FaultConfig())
    late, newer = exporter.write_batch(4)
    assert late.fault == "late" and late.name < newer.name
    export, parked = sftp_area.local / "export", sftp_area.local / "geparkeerd"
    parked.mkdir()
    for suffix in ("", ".sha256"):  # the late file arrives only after the newer one is done
        shutil.move(export / f"{late.name}{suffix}", parked / f"{late.name}{suffix}")
    source = AllegroZakenSource(allegro)
    batch = _read(source)
    assert batch.context["file"] == newer.name
    source.after_commit(batch)
    for suffix in ("", ".sha256"):
        shutil.move(parked / f"{late.name}{suffix}", export / f"{late.name}{suffix}")
    assert _read(source, newer.name).context["file"] == late.name


def test_after_commit_answers_every_row_and_the_file_is_not_offered_again(
    allegro: AllegroClient, sftp_area: SftpArea
) -> None:
    exporter = AllegroExporter(sftp_area.local, seed=13, unmapped_rate=0.3)
    (export,) = exporter.write_batch(12)
    source = AllegroZakenSource(allegro)
    batch = _read(source)
    records = _records(batch)
    unmapped = [r for r in records if r.data["status_code"] == "ONBK"]
    assert unmapped  # unknown codes come through: mapping them is the flow's job
    batch.context["rejected"] = {r.key: "code 'ONBK' staat niet in mappingtabel" for r in unmapped}
    source.after_commit(batch)

    rows = exporter.read_returns()
    assert [r.sleutel for r in rows] == [r.key.removeprefix("allegro:") for r in records]
    assert {r.sleutel for r in rows if r.resultaat == "AFGEWEZEN"} == {
        r.key.removeprefix("allegro:") for r in unmapped
    }
    assert source.read_batch(export.name, 100) is None  # return file in return/
    assert exporter.process_returns() == [export.name]
    assert source.read_batch(export.name, 100) is None  # archived by Allegro
    assert allegro.has_return(export.name)


def test_unreadable_file_is_dead_lettered_and_does_not_block_later_files(
    allegro: AllegroClient, sftp_area: SftpArea
) -> None:
    exporter = AllegroExporter(sftp_area.local, seed=14)
    (first,) = exporter.write_batch(2)
    (second,) = exporter.write_batch(2)
    path = sftp_area.local / "export" / first.name
    path.unlink()
    path.symlink_to(sftp_area.local / "nergens.csv")  # listed, sidecar there, open: ENOENT
    source = AllegroZakenSource(allegro)
    batch = _read(source)
    (error,) = batch.records
    assert isinstance(error, RecordError) and error.error.reason == "file_unavailable"
    source.after_commit(batch)
    assert _read(source, first.name).context["file"] == second.name


def test_no_bsn_in_logs_errors_or_return_file(
    allegro: AllegroClient, sftp_area: SftpArea, caplog: pytest.LogCaptureFixture
) -> None:
    exporter = AllegroExporter(sftp_area.local, seed=15, unmapped_rate=0.2)
    (export,) = exporter.write_batch(20)
    path = sftp_area.local / "export" / export.name
    bsns = {row["bsn"] for row in parse_export(path.read_bytes())}
    caplog.set_level("DEBUG")
    source = AllegroZakenSource(allegro)
    batch = _read(source)
    batch.context["rejected"] = {batch.records[0].key: f"geweigerd voor {next(iter(bsns))}"}
    source.after_commit(batch)
    returned = (sftp_area.local / "return" / export.name.replace(".csv", ".retour.csv")).read_text()
    shown = caplog.text + returned + repr([r for r in batch.records if isinstance(r, RecordError)])
    assert not any(bsn in shown for bsn in bsns)

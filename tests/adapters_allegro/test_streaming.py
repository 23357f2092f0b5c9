"""A big Allegro zaken export is streamed: bounded batches, flat memory, resumable per batch.

The export is verified whole (sidecar, trailer) in a streaming pass before any batch, and
answered by one return file written only after its last batch; a new process resumes where
the answered part ends.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from adapters.allegro import AllegroClient, AllegroZakenSource
from adapters.allegro.config import AllegroConfig
from adapters.base import RecordError, SourceBatch, SourceRecord
from simulators.allegro import parse_export
from simulators.sftp.testing import SftpArea

COLUMNS = (
    "mutatie_id;dossiernummer;bsn;zaaktype;zaaktype_omschrijving;statuscode;status_volgnummer;"
    "status_omschrijving;datum_status_gezet;startdatum;einddatum;behandelaar"
)
BSNS = ("111222333", "123456782", "999999990")  # elfproef-valid, synthetic
NAME = "ALG_ZAKEN_20260301_001.csv"


def row(i: int) -> str:
    return (
        f"ALG-2026-{i:06d}-01;ALG-2026-{i:06d};{BSNS[i % 3]};SHV;Schuldhulpverlening;AANM;1;"
        f"Aanmelding ontvangen;2026-02-{1 + i % 28:02d}T10:{i % 60:02d}:00+01:00;2026-01-08;;"
        "BAD-intake-01"
    )


def write_export(folder: Path, lines: Iterator[str], *, name: str = NAME) -> Path:
    """Write an export and its sidecar line by line (never whole in memory)."""
    for sub in ("export/archief", "return/verwerkt"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    path = folder / "export" / name
    digest = hashlib.sha256()
    count = 0
    with open(path, "wb") as handle:

        def put(text: str) -> None:
            data = (text + "\n").encode()
            digest.update(data)
            handle.write(data)

        put(COLUMNS)
        for line in lines:
            put(line)
            count += 1
        put(f"#EINDE;{count}")
    path.with_name(f"{name}.sha256").write_text(f"{digest.hexdigest()}  {name}\n")
    return path


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(field)


@contextmanager
def peak_rss_growth() -> Iterator[Callable[[], int]]:
    """Bytes the process's peak RSS rose above its RSS at the start (as tests/adapters_xtendis
    measures): the kernel's high-water mark is reset first (``/proc/self/clear_refs``)."""
    before = _status_kb("VmRSS")
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    peak: list[int] = []
    yield lambda: peak[0]
    peak.append((_status_kb("VmHWM") - before) * 1024)


def return_path(area: SftpArea, name: str = NAME) -> Path:
    return area.local / "return" / name.replace(".csv", ".retour.csv")


def position(cursor: str | None) -> int:
    match = re.fullmatch(r"(.+)#(\d+)@(\d+)", cursor or "")
    assert match, cursor
    return int(match[3])


def keys(batch: SourceBatch) -> list[str]:
    return [r.key.removeprefix("allegro:") for r in batch.records]


def test_large_export_streams_in_bounded_batches_with_flat_memory(
    allegro: AllegroClient, sftp_area: SftpArea
) -> None:
    rows = 100_000
    path = write_export(sftp_area.local, (row(i) for i in range(rows)))
    size = path.stat().st_size
    source = AllegroZakenSource(allegro)
    allegro.list_exports()  # connect before the baseline
    with peak_rss_growth() as growth:
        started = time.monotonic()
        seen = batches = 0
        cursor: str | None = None
        while (batch := source.read_batch(cursor, 2000)) is not None:
            assert 0 < len(batch.records) <= 2000
            assert not [r for r in batch.records if isinstance(r, RecordError)]
            assert position(batch.cursor_after) > position(cursor) if cursor else True
            assert keys(batch)[0] == f"ALG-2026-{seen:06d}-01"  # in order, none skipped
            seen += len(batch.records)
            batches += 1
            assert not return_path(sftp_area).exists()  # only once the last one committed
            cursor = batch.cursor_after
            source.after_commit(batch)
            del batch
        elapsed = time.monotonic() - started
    assert (seen, batches) == (rows, rows // 2000)
    growth_mb = growth() / 2**20
    # the whole-file read held the bytes twice plus every parsed row: about 250 MB here
    assert growth_mb < 24, f"peak RSS grew {growth_mb:.1f} MB for a {size >> 20} MB export"
    answered = parse_export(return_path(sftp_area).read_bytes())
    assert len(answered) == rows and {r["resultaat"] for r in answered} == {"VERWERKT"}
    assert [r["sleutel"] for r in answered[:2]] == ["ALG-2026-000000-01", "ALG-2026-000001-01"]
    assert not [p for p in (sftp_area.local / "return").iterdir() if p.name.startswith(".")]
    assert elapsed < 60


def new_source(make_config: Callable[..., AllegroConfig]) -> AllegroZakenSource:
    """A source in a 'new process': its own client, nothing cached."""
    return AllegroZakenSource(AllegroClient(make_config()))


def test_resume_from_a_mid_file_cursor_reads_only_the_rest(
    make_config: Callable[..., AllegroConfig], sftp_area: SftpArea
) -> None:
    write_export(sftp_area.local, (row(i) for i in range(50)))
    first = new_source(make_config)
    one = first.read_batch(None, 10)
    assert one is not None and keys(one)[0] == "ALG-2026-000000-01"
    one.context["rejected"] = {one.records[3].key: "code staat niet in mappingtabel"}
    first.after_commit(one)
    two = first.read_batch(one.cursor_after, 10)
    assert two is not None and keys(two)[0] == "ALG-2026-000010-01"
    first.after_commit(two)
    crashed = first.read_batch(two.cursor_after, 10)  # the process dies before its commit
    assert crashed is not None
    first.client.close()

    second = new_source(make_config)
    read: list[str] = []
    cursor = two.cursor_after
    while (batch := second.read_batch(cursor, 10)) is not None:
        read += keys(batch)
        cursor = batch.cursor_after
        second.after_commit(batch)
    assert read == [f"ALG-2026-{i:06d}-01" for i in range(20, 50)]  # only the rest
    answered = parse_export(return_path(sftp_area).read_bytes())
    assert [r["sleutel"] for r in answered] == [f"ALG-2026-{i:06d}-01" for i in range(50)]
    rejected = [r["sleutel"] for r in answered if r["resultaat"] == "AFGEWEZEN"]
    assert rejected == ["ALG-2026-000003-01"]  # an answer of the first process survived
    second.client.close()


def test_commit_without_its_answer_offers_that_batch_again_and_cuts_a_half_append(
    make_config: Callable[..., AllegroConfig], sftp_area: SftpArea
) -> None:
    write_export(sftp_area.local, (row(i) for i in range(30)))
    first = new_source(make_config)
    one = first.read_batch(None, 10)
    assert one is not None
    first.after_commit(one)
    two = first.read_batch(one.cursor_after, 10)
    assert two is not None  # committed (its cursor stored), then the process died
    (partial,) = [p for p in (sftp_area.local / "return").iterdir() if p.name.endswith(".part")]
    with open(partial, "ab") as handle:  # an append cut short before its rename
        handle.write(b"ALG-2026-000010-01;VERWERKT;\n" * 200 + b"ALG-2026-0000")
    first.client.close()

    second = new_source(make_config)
    again = second.read_batch(two.cursor_after, 10)
    assert again is not None and keys(again) == keys(two)  # its outcome is not answered yet
    second.after_commit(again)
    rest = second.read_batch(again.cursor_after, 10)
    assert rest is not None and rest.context["last"]
    second.after_commit(rest)
    answered = parse_export(return_path(sftp_area).read_bytes())
    assert [r["sleutel"] for r in answered] == [f"ALG-2026-{i:06d}-01" for i in range(30)]
    assert second.read_batch(rest.cursor_after, 10) is None
    second.client.close()


@pytest.mark.parametrize("damage", ["truncated", "bad_checksum"])
def test_a_damaged_big_export_is_refused_before_any_batch(
    allegro: AllegroClient, sftp_area: SftpArea, damage: str
) -> None:
    path = write_export(sftp_area.local, (row(i) for i in range(5_000)))
    content = path.read_bytes()
    if damage == "truncated":  # cut in the last records: only a whole-file check sees it
        path.write_bytes(content[: len(content) - 400])
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        path.with_name(f"{NAME}.sha256").write_text(f"{digest}  {NAME}\n")
    else:  # one byte near the end differs from what the sidecar promised
        at = len(content) - 300
        path.write_bytes(content[:at] + b"9" + content[at + 1 :])
    source = AllegroZakenSource(allegro)
    batch = source.read_batch(None, 100)
    assert batch is not None
    (error,) = batch.records
    reason = "truncated" if damage == "truncated" else "checksum_mismatch"
    assert isinstance(error, RecordError) and error.error.reason == reason
    source.after_commit(batch)
    (answer,) = parse_export(return_path(sftp_area).read_bytes())
    assert answer["resultaat"] == "AFGEWEZEN" and source.read_batch(None, 100) is None


def test_repeats_across_batches_follow_the_whole_file_rule(
    allegro: AllegroClient, sftp_area: SftpArea
) -> None:
    conflicting = row(1).replace(";AANM;1;", ";BESL;2;")
    write_export(sftp_area.local, iter([row(0), row(1), row(2), row(1), conflicting, row(3)]))
    source = AllegroZakenSource(allegro)
    seen: list[SourceRecord | RecordError] = []
    cursor = None
    while (batch := source.read_batch(cursor, 2)) is not None:
        assert len(batch.records) <= 2
        seen += batch.records
        cursor = batch.cursor_after
        source.after_commit(batch)
    # file lines 2..7: line 5 repeats line 3 exactly (dropped), line 6 contradicts it
    assert [r.key for r in seen] == [
        "allegro:ALG-2026-000000-01",
        "allegro:ALG-2026-000001-01",
        "allegro:ALG-2026-000002-01",
        f"allegro:{NAME}#6",
        "allegro:ALG-2026-000003-01",
    ]
    error = seen[3]
    assert isinstance(error, RecordError) and "komt ook voor op regel 3" in error.error.message
    answered = parse_export(return_path(sftp_area).read_bytes())
    assert [r["resultaat"] for r in answered] == ["VERWERKT"] * 3 + ["AFGEWEZEN", "VERWERKT"]

"""Writing a mapping row: validated like ``ketenbrug mappings check``, atomic, never lost."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import pytest

from mappings import edit
from mappings.edit import put_mapping
from mappings.tables import MappingError, load_tables, validate_tables
from tests.beheer.seed import mappings_copy


def test_a_row_that_breaks_the_tables_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    folder = mappings_copy(tmp_path / "m")
    before = {p.name: p.read_bytes() for p in folder.glob("*.csv")}
    for table, values, finding in (
        (
            "statussen",
            {"bronsysteem": "gws4all", "broncode": "X", "volgnummer": "99", "omschrijving": "x"},
            "volgnummer 99 bestaat niet",
        ),
        (
            "statussen",
            {"bronsysteem": "gws4all", "broncode": "X", "volgnummer": "drie", "omschrijving": "x"},
            "geen getal",
        ),
        (
            "zaaktypen",
            {"bronsysteem": "gws4all", "broncode": "X", "zaaktype": "B9999", "omschrijving": "x"},
            "heeft geen statustypen",
        ),
        (
            "zaaktypen",
            {"bronsysteem": "gws4all", "broncode": "X", "zaaktype": "", "omschrijving": "x"},
            "lege verplichte waarde",
        ),
        ("esuite_statustypen", {}, "kan hier niet"),
    ):
        with pytest.raises(MappingError) as refused:
            put_mapping(folder, table, values)
        assert finding in str(refused.value), table
    assert {p.name: p.read_bytes() for p in folder.glob("*.csv")} == before
    assert not [p for p in folder.iterdir() if p.name.startswith(".nieuw-")]  # scratch removed


def test_two_beheerders_adding_at_once_both_keep_their_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both read the table at the same moment (barrier in the read) unless the lock holds one
    back; then the one held back waits out the barrier and reads the other's row."""
    folder = mappings_copy(tmp_path / "m")
    barrier = threading.Barrier(2)
    real_read = edit.read_table

    def read_together(folder: Path, file_name: str) -> tuple[list[str], list[dict[str, str]]]:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=1)
        return real_read(folder, file_name)

    monkeypatch.setattr(edit, "read_table", read_together)
    errors: list[Exception] = []

    def add(code: str) -> None:
        try:
            put_mapping(
                folder,
                "statussen",
                {
                    "bronsysteem": "gws4all",
                    "broncode": code,
                    "volgnummer": "2",
                    "omschrijving": code,
                },
            )
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=add, args=(c,)) for c in ("NIEUW-1", "NIEUW-2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and validate_tables(folder) == []
    tables = load_tables(folder)
    assert tables.status("gws4all", "NIEUW-1") and tables.status("gws4all", "NIEUW-2")


def test_changing_a_row_returns_the_old_one(tmp_path: Path) -> None:
    folder = mappings_copy(tmp_path / "m")
    old = put_mapping(
        folder,
        "zaaktypen",
        {
            "bronsysteem": "gws4all",
            "broncode": "PW-WIJZ",
            "zaaktype": "B1026",
            "omschrijving": "anders",
        },
    )
    assert old is not None and old["zaaktype"] == "B1033"
    zaaktype = load_tables(folder).zaaktype("gws4all", "PW-WIJZ")
    assert zaaktype is not None and zaaktype.zaaktype == "B1026"

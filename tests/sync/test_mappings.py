"""The code tables: shipped tables are sound; the validator finds each kind of mistake."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mappings import MappingError, load_tables, validate_tables
from mappings.tables import DEFAULT_DIR
from sync.cli import main


@pytest.fixture
def tables(tmp_path: Path) -> Path:
    for csv in DEFAULT_DIR.glob("*.csv"):
        shutil.copy(csv, tmp_path / csv.name)
    return tmp_path


def append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def test_shipped_tables_are_sound() -> None:
    assert validate_tables() == []
    tables = load_tables()
    status = tables.status("gws4all", "GWS-AV-09")
    assert status is not None
    statustype = tables.statustype("B1026", status.volgnummer)
    assert statustype is not None
    assert (statustype.omschrijving, statustype.mijnloket_tekst) == (
        "In behandeling",
        "In behandeling",
    )
    # "In behandeling" twice in the chain: told apart by code and volgnummer, never by text
    third = tables.statustype("B1026", 3)
    assert third is not None and third.code != statustype.code


def test_duplicate_code_is_found(tables: Path) -> None:
    append(tables / "statussen.csv", "gws4all;GWS-AV-01;2;nogmaals")
    assert any("GWS-AV-01 dubbel" in f for f in validate_tables(tables))


def test_gap_in_volgnummers_is_found(tables: Path) -> None:
    append(tables / "esuite_statustypen.csv", "B1026;14;B1026-ST14;Extra;Extra;")
    assert any("lopen niet" in f for f in validate_tables(tables))


def test_dangling_reference_is_found(tables: Path) -> None:
    append(tables / "statussen.csv", "gws4all;GWS-AV-13;13;bestaat niet")
    append(tables / "zaaktypen.csv", "gws4all;PW-X;B9999;onbekend zaaktype")
    findings = validate_tables(tables)
    assert any("volgnummer 13 bestaat niet" in f for f in findings)
    assert any("B9999 heeft geen statustypen" in f for f in findings)


def test_load_refuses_a_broken_table(tables: Path) -> None:
    append(tables / "statussen.csv", "gws4all;GWS-AV-01;1;dubbel")
    with pytest.raises(MappingError):
        load_tables(tables)


def test_check_command_exit_codes(tables: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mappings", "check", str(tables)]) == 0
    append(tables / "statussen.csv", "gws4all;GWS-AV-01;1;dubbel")
    assert main(["mappings", "check", str(tables)]) == 1
    assert "dubbel" in capsys.readouterr().out

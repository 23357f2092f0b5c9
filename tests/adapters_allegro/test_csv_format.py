"""The CSV layout on its own: typed rows, per-line errors without BSNs, trailer, return files."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from adapters.allegro.csv_format import (
    ZAKEN_COLUMNS,
    TrailerError,
    check_trailer,
    parse_zaken,
    render_return,
)
from adapters.errors import InvalidMessageError
from simulators.allegro import parse_export

BSN = "111222333"  # elfproef-valid
GOOD = (
    f"ALG-2024-000001-01;ALG-2024-000001;{BSN};SHV;Schuldhulpverlening;AANM;1;"
    "Aanmelding ontvangen;2024-01-09T14:02:00+01:00;2024-01-08;;BAD-intake-01"
)


def _file(*lines: str) -> bytes:
    return ("\n".join([";".join(ZAKEN_COLUMNS), *lines, f"#EINDE;{len(lines)}"]) + "\n").encode()


def test_good_line_is_typed_and_repr_hides_the_bsn() -> None:
    parsed = parse_zaken(_file(GOOD))
    assert parsed.errors == []
    (row,) = parsed.rows
    assert row.line == 2 and row.status_volgnummer == 1 and row.einddatum is None
    assert row.datum_status_gezet.utcoffset() == timedelta(hours=1)
    assert row.startdatum == date(2024, 1, 8)
    assert BSN not in repr(row) and row.masked_bsn == "*****2333"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (GOOD.replace("+01:00", ""), "tijdzone"),
        (GOOD.replace(BSN, "111222334"), "bsn ongeldig"),
        (GOOD.replace(";1;", ";een;"), "status_volgnummer"),
        (GOOD.replace("2024-01-08", "08-01-2024"), "startdatum"),
        (GOOD + ";extra", "13 velden"),
        (GOOD.replace("ALG-2024-000001-01", "ANDER-01"), "mutatie_id"),
    ],
)
def test_bad_line_is_reported_alone_without_bsn(line: str, reason: str) -> None:
    other = GOOD.replace("-01;", "-02;", 1)
    parsed = parse_zaken(_file(line, other))
    assert [row.line for row in parsed.rows] == [3]
    (error,) = parsed.errors
    assert error.line == 2 and reason in error.reason
    assert not re.search(r"\d{9}", error.reason)


def test_repeated_row_is_dropped_and_conflicting_repeat_is_an_error() -> None:
    conflicting = GOOD.replace(";AANM;", ";INTK;")
    parsed = parse_zaken(_file(GOOD, GOOD, conflicting))
    assert len(parsed.rows) == 1
    assert [(e.line, e.sleutel) for e in parsed.errors] == [(4, "ALG-2024-000001-01")]


def test_wrong_header_rejects_the_whole_file() -> None:
    content = _file(GOOD).replace(b"mutatie_id;", b"id;", 1)
    with pytest.raises(InvalidMessageError):
        parse_zaken(content)


@pytest.mark.parametrize(
    "content",
    [_file(GOOD)[:-20], _file(GOOD).replace(b"#EINDE;1", b"#EINDE;2"), _file(GOOD)[:-1]],
)
def test_trailer_catches_cut_and_miscounted_files(content: bytes) -> None:
    with pytest.raises(TrailerError):
        check_trailer(content)


def test_return_file_follows_the_layout_and_masks_meldingen() -> None:
    data = render_return(
        [("ALG-1-01", "VERWERKT", ""), ("ALG-1-02", "AFGEWEZEN", f"fout; bsn {BSN}\nregel")]
    )
    rows = parse_export(data)  # the simulator's reference reader accepts it
    assert rows[1] == {
        "sleutel": "ALG-1-02",
        "resultaat": "AFGEWEZEN",
        "melding": rows[1]["melding"],
    }
    assert BSN not in data.decode() and "*****2333" in rows[1]["melding"]
    with pytest.raises(ValueError, match="resultaat"):
        render_return([("ALG-1-01", "GOED", "")])

"""The BBR export parsed into specifications: a bad specification fails alone, the newest
version counts, no reason quotes a BSN; and the task's dossier -> BSN memory for Xtendis."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.allegro.bbr import BBR_COLUMNS, BbrSpecificatie, parse_bbr
from adapters.base import RecordError, SourceRecord
from adapters.errors import InvalidMessageError, PermanentError
from sync.betaalspecificaties import BbrDossiers, BbrRecords
from sync.blobs import BlobStore

BSN_A, BSN_B = "123456782", "111222333"


def _row(nummer: str, bsn: str, regel: int, **changes: str) -> list[str]:
    dossier, versie = nummer.split("-v")[0].removeprefix("BBR-"), nummer.split("-v")[1]
    row = {
        "specificatienummer": nummer,
        "dossiernummer": dossier,
        "bsn": bsn,
        "periode": "2024-01",
        "versie": versie,
        "regelnummer": str(regel),
        "soort": "VAST",
        "omschrijving": "Huur",
        "tegenpartij": "Domijn",
        "bedrag_cent": "-65000",
        "valutadatum": "2024-01-01",
        **changes,
    }
    return [row[column] for column in BBR_COLUMNS]


def _export(*rows: list[str]) -> bytes:
    lines = [";".join(BBR_COLUMNS), *(";".join(row) for row in rows)]
    return ("\n".join(lines) + f"\n#EINDE;{len(rows)}\n").encode()


def test_a_bad_specification_fails_alone_without_quoting_the_bsn() -> None:
    parsed = parse_bbr(
        _export(
            _row("BBR-D1-v1", BSN_A, 1),
            _row("BBR-D1-v1", BSN_A, 2, valutadatum=f"x{BSN_A}"),
            _row("BBR-D2-v1", BSN_B, 1),
            _row("BBR-D2-v1", BSN_B, 2, bedrag_cent="+150000"),
        )
    )
    assert [spec.specificatienummer for spec in parsed.current] == ["BBR-D2-v1"]
    assert parsed.current[0].totaal_cent == 85000
    [fout] = parsed.errors
    assert (fout.sleutel, fout.line) == ("BBR-D1-v1", 2)
    assert "valutadatum" in fout.reason and BSN_A not in fout.reason


@pytest.mark.parametrize(
    ("second", "reason"),
    [
        (_row("BBR-D1-v1", BSN_A, 3), "regelnummers"),
        (_row("BBR-D1-v1", BSN_B, 2), "wijkt af"),
        (_row("BBR-D1-v1", BSN_A, 2, bedrag_cent="65000"), "bedrag_cent"),
    ],
)
def test_a_specification_must_be_one_consistent_whole(second: list[str], reason: str) -> None:
    parsed = parse_bbr(_export(_row("BBR-D1-v1", BSN_A, 1), second))
    assert parsed.current == []
    assert reason in parsed.errors[0].reason


def test_the_highest_version_per_client_and_period_counts() -> None:
    parsed = parse_bbr(
        _export(
            _row("BBR-D1-v2", BSN_A, 1, bedrag_cent="-60000"),
            _row("BBR-D1-v1", BSN_A, 1),
            _row("BBR-D9-v2", BSN_A, 1),  # another spec, same client, period and versie
        )
    )
    assert [spec.specificatienummer for spec in parsed.current] == ["BBR-D1-v2"]
    assert [(o.specificatienummer, n.specificatienummer) for o, n in parsed.replaced] == [
        ("BBR-D1-v1", "BBR-D1-v2")
    ]
    assert [fout.sleutel for fout in parsed.errors] == ["BBR-D9-v2"]


def test_a_wrong_header_refuses_the_whole_file() -> None:
    content = _export(_row("BBR-D1-v1", BSN_A, 1)).replace(b"tegenpartij", b"partij")
    with pytest.raises(InvalidMessageError):
        parse_bbr(content)


def _spec(dossier: str, bsn: str) -> BbrSpecificatie:
    [spec] = parse_bbr(_export(_row(f"BBR-{dossier}-v1", bsn, 1))).current
    return spec


def test_the_dossier_bsn_comes_from_this_runs_export_only(tmp_path: Path) -> None:
    dossiers = BbrDossiers()
    records = BbrRecords(BlobStore(tmp_path), "geheim", "xtendis", dossiers)
    lookup = dossiers.lookup()
    with pytest.raises(PermanentError, match="geen initiator"):
        lookup("D1")  # not read in this task: refused, never guessed

    record = records("ALG_BBR_1.csv", _spec("D1", BSN_A))
    assert isinstance(record, SourceRecord)
    assert lookup("D1") == BSN_A
    assert BSN_A not in repr(record)

    clash = records("ALG_BBR_2.csv", _spec("D1", BSN_B))
    assert isinstance(clash, RecordError)
    assert BSN_B not in clash.error.message and BSN_A not in clash.error.message

"""Retention per zaaktype: the table's loader and validator, and the data the flows send MyLex."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.mylex.bewaring import einde_termijn
from mappings import DEFAULT_DIR, MappingError, load_tables, validate_tables
from mappings.archiefbeleid import (
    ARCHIEFBELEID,
    STANDAARD,
    load_archiefbeleid,
    validate_archiefbeleid,
)
from sync.archiefbeleid import archief_gegevens
from sync.store.db import Store
from sync.zaak_kenmerken import ZaakKenmerken

HEADER = "zaaktype;archiefnominatie;bewaartermijn;selectielijst_categorie;omschrijving\n"
ESUITE_ZAAKTYPEN = {"B1026", "B1027", "B1031", "B1033", "B2010", "B2011", "B2012"}


def _table(folder: Path, *rows: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ARCHIEFBELEID).write_text(HEADER + "".join(f"{r}\n" for r in rows), "utf-8")
    return folder


def test_the_shipped_table_covers_every_esuite_zaaktype_and_a_safest_default() -> None:
    beleid = load_archiefbeleid()
    assert validate_archiefbeleid(DEFAULT_DIR) == [] and validate_tables() == []
    assert ESUITE_ZAAKTYPEN | {STANDAARD} <= set(beleid.rows)
    longest = max(b.jaren or 0 for b in beleid.rows.values())
    assert beleid.rows[STANDAARD].jaren == longest
    assert beleid.voor("B1026").categorie_naam == "Verstrekken van een uitkering"
    assert load_tables().archiefbeleid == beleid


def test_every_finding_names_file_and_line_and_half_a_table_is_refused(tmp_path: Path) -> None:
    folder = _table(
        tmp_path,
        "B1026;vernietigen;P10Y;1.1.4;Verstrekken van een uitkering",
        "B1027;vernietigen;;1.1.4;zonder termijn",  # line 3
        "B1031;blijvend_bewaren;P5Y;1.1.4;blijvend met termijn",  # line 4
        "B1033;bewaren;P5Y;1.1.4;onbekende nominatie",  # line 5
        "B2010;vernietigen;10 jaar;1.1.4;geen ISO-duur",  # line 6
        "B2011;vernietigen;P7Y;categorie;geen categorie",  # line 7
        "B1026;vernietigen;P10Y;1.1.4;dubbel",  # line 8
        "B2012;vernietigen;P10Y;1.1.4",  # line 9: four columns
        "*;vernietigen;P5Y;1.1.4;korter dan de langste",
    )
    findings = validate_archiefbeleid(folder)
    for line, text in [
        (3, "bewaartermijn ''"),
        (4, "blijvend_bewaren heeft geen bewaartermijn"),
        (5, "archiefnominatie 'bewaren'"),
        (6, "bewaartermijn '10 jaar'"),
        (7, "selectielijst_categorie 'categorie'"),
        (8, "B1026 staat er twee keer"),
        (9, "4 kolommen"),
    ]:
        assert any(
            f.startswith(f"archiefbeleid.csv regel {line}:") and text in f for f in findings
        ), (
            line,
            findings,
        )
    assert any("'*' moet de langste bewaartermijn" in f and "P10Y" in f for f in findings)
    with pytest.raises(MappingError) as refused:
        load_archiefbeleid(folder)
    assert refused.value.findings == findings


def test_a_missing_default_and_an_uncovered_zaaktype_are_findings(tmp_path: Path) -> None:
    folder = _table(tmp_path, "B1026;blijvend_bewaren;;1.1.4;Verstrekken van een uitkering")
    (folder / "zaaktypen.csv").write_text(
        "bronsysteem;broncode;zaaktype;omschrijving\ngws4all;X;B1027;iets\n", "utf-8"
    )
    findings = validate_archiefbeleid(folder)
    assert "archiefbeleid.csv: zaaktype B1027 (zaaktypen.csv) heeft geen archiefbeleid" in findings
    assert "archiefbeleid.csv: de regel '*' (onbekend zaaktype) ontbreekt" in findings


def test_validate_tables_and_load_tables_check_the_retention_table(mappings_dir: Path) -> None:
    table = mappings_dir / ARCHIEFBELEID
    table.write_text(table.read_text("utf-8").replace("B1027;vernietigen;P10Y", "B1027;weg;P10Y"))
    findings = validate_tables(mappings_dir)
    assert any("archiefbeleid.csv regel 3: archiefnominatie 'weg'" in f for f in findings)
    with pytest.raises(MappingError):
        load_tables(mappings_dir)


def test_a_leap_day_term_ends_on_the_first_of_march_never_earlier() -> None:
    from datetime import date

    assert einde_termijn(date(2020, 2, 29), "P10Y") == date(2030, 3, 1)
    assert einde_termijn(date(2020, 2, 29), "P4Y") == date(2024, 2, 29)
    assert einde_termijn(date(2021, 6, 30), "P5Y") == date(2026, 6, 30)
    assert einde_termijn(date(2021, 6, 30), "P6M") is None


def _beleid(tmp_path: Path):  # type: ignore[no-untyped-def]
    return load_archiefbeleid(
        _table(
            tmp_path,
            "B1026;vernietigen;P7Y;1.1.4;Verstrekken van een uitkering. Toelichting",
            "B2010;blijvend_bewaren;;2.3;Schuldhulp blijvend",
            "*;vernietigen;P20Y;9.9;Standaard",
        )
    )


def test_archief_gegevens_from_the_zaak_kenmerken_and_the_zaaktypes_row(
    store: Store, tmp_path: Path
) -> None:
    beleid = _beleid(tmp_path)
    with store.session() as session:
        kenmerken = ZaakKenmerken(session)
        kenmerken.record(
            "ES-1",
            bron="gws4all",
            zaaktype="B1026",
            startdatum="2019-05-01",
            einddatum="2020-02-29",
        )
        kenmerken.record("ES-2", bron="gws4all", zaaktype="B1026", startdatum="20210101")
        kenmerken.record("ES-3", bron="allegro", zaaktype="B2010", einddatum="2022-01-01")
        kenmerken.record("ES-4", bron="gws4all", zaaktype="B7777", einddatum="2001-01-01")
        ended = archief_gegevens(session, beleid, "ES-1")
        running = archief_gegevens(session, beleid, "ES-2")
        blijvend = archief_gegevens(session, beleid, "ES-3")
        unknown_type = archief_gegevens(session, beleid, "ES-4")
        unknown_zaak = archief_gegevens(session, beleid, "ES-404")
        kept_year = archief_gegevens(session, beleid, "ES-1", jaar=2017)
        no_table = archief_gegevens(session, None, "ES-1")
    assert ended == {
        "jaar": 2019,
        "zaaktype": "B1026",
        "waardering": "V",
        "bewaartermijn": "P7Y",
        "selectielijst": {"categorie": "1.1.4", "omschrijving": "Verstrekken van een uitkering"},
        "startdatum_looptijd": "2020-02-29",
        "einde_bewaartermijn": "2027-03-01",  # leap day + P7Y: 1 March, never 28 February
    }
    assert running["jaar"] == 2021 and running["einde_bewaartermijn"] is None
    assert running["startdatum_looptijd"] is None and running["bewaartermijn"] == "P7Y"
    assert blijvend["waardering"] == "B" and blijvend["bewaartermijn"] is None
    assert blijvend["einde_bewaartermijn"] is None and blijvend["jaar"] is None
    assert unknown_type["bewaartermijn"] == "P20Y"  # the '*' row
    assert unknown_type["selectielijst"]["categorie"] == "9.9"
    assert unknown_type["einde_bewaartermijn"] == "2021-01-01"
    assert unknown_zaak["jaar"] is None and unknown_zaak["zaaktype"] is None
    assert unknown_zaak["bewaartermijn"] == "P20Y"
    assert kept_year["jaar"] == 2017
    assert no_table["jaar"] == 2019 and no_table["waardering"] is None


def test_a_repair_of_the_reconciliation_carries_the_zaaks_year_and_retention(
    store: Store,
) -> None:
    from adapters.base import SourceRecord
    from sync.archief import HerstelFlow
    from sync.engine import PlanContext
    from sync.identity import IdentityMap

    record = SourceRecord(
        source_system="esuite",
        key="herstel:D9:abc:run",
        kind="herstel_mylex",
        data={
            "document": {"identificatie": "D9", "zaak_identificatie": "ES-9"},
            "content": {"path": "/x", "sha256": "ab" * 32, "size": 1},
        },
        payload_ref="esuite:document:D9",
    )
    with store.session() as session:
        ZaakKenmerken(session).record(
            "ES-9", bron="esuite", zaaktype="B1027", startdatum="2018-01-02", einddatum="2019-01-01"
        )
        (operation,) = HerstelFlow().plan(record, PlanContext(IdentityMap(session), load_tables()))
    assert operation.data["jaar"] == 2018 and operation.data["zaaktype"] == "B1027"
    assert operation.data["waardering"] == "V" and operation.data["bewaartermijn"] == "P10Y"
    assert operation.data["einde_bewaartermijn"] == "2029-01-01"

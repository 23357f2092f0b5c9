"""MyLexTarget records the zaaktype's retention in MDTO and files by the zaak's start year."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.base import Operation
from adapters.document import ARCHIVEER_DOCUMENT
from adapters.errors import InvalidMessageError, PermanentError
from adapters.mylex import MyLexConfig
from adapters.mylex.bewaring import read_bewaring
from adapters.mylex.target import MyLexArchivering, MyLexTarget
from simulators.mylex import MyLexArchive, validate_mdto
from stuf.xml import parse_xml
from sync.store.db import Store

MakeConfig = Callable[..., MyLexConfig]
MDTO = "{https://www.nationaalarchief.nl/mdto}"
IO = f"{MDTO}informatieobject/{MDTO}"
ZAAK = "ES-2019-000042"
SELECTIELIJST = "Selectielijst gemeenten en intergemeentelijke organen 2020"


def _op(tmp_path: Path, ident: str = "DOC-R1", **extra: Any) -> Operation:
    data = b"%PDF-1.4\n" + random.Random(ident).randbytes(4000)
    path = tmp_path / f"{ident}.bin"
    path.write_bytes(data)
    content = {"path": str(path), "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    document = {
        "identificatie": ident,
        "titel": "Beschikking",
        "zaak_identificatie": ZAAK,
        "bestandsnaam": "b.pdf",
        "formaat": "application/pdf",
        "creatiedatum": "2024-03-01",  # created long after the zaak started (2019)
    }
    return Operation(
        target_system="mylex",
        name=ARCHIVEER_DOCUMENT,
        ledger_key=f"esuite:{ident}",
        target_key=ident,
        data={"document": document, "content": content, **extra},
    )


V_DATA = {
    "jaar": 2019,
    "zaaktype": "B1026",
    "waardering": "V",
    "bewaartermijn": "P7Y",
    "selectielijst": {"categorie": "1.1.4", "omschrijving": "Verstrekken van een uitkering"},
    "startdatum_looptijd": "2020-02-29",
    "einde_bewaartermijn": "2027-03-01",
}


@pytest.fixture
def target(make_config: MakeConfig, archive: MyLexArchive) -> Iterator[MyLexTarget]:
    made = MyLexTarget(make_config())
    yield made
    made.close()


def test_the_zaaktypes_retention_is_written_into_a_valid_informatieobject(
    target: MyLexTarget, archive: MyLexArchive, tmp_path: Path
) -> None:
    operation = _op(tmp_path, **V_DATA)
    target.apply(operation)
    assert target.is_applied(operation)
    info = archive.archief / "2019" / ZAAK / "DOC-R1.MDTO.xml"  # start year, not 2024
    assert info.exists() and not (archive.archief / "2024").exists()
    assert validate_mdto(info) == []
    tree = parse_xml(info.read_bytes())
    assert tree.findtext(f"{IO}waardering/{MDTO}begripCode") == "V"
    termijn = f"{IO}bewaartermijn/{MDTO}"
    assert tree.findtext(termijn + "termijnLooptijd") == "P7Y"
    assert tree.findtext(termijn + "termijnStartdatumLooptijd") == "2020-02-29"
    assert tree.findtext(termijn + "termijnEinddatum") == "2027-03-01"
    categorie = f"{IO}informatiecategorie/{MDTO}"
    assert tree.findtext(categorie + "begripCode") == "1.1.4"
    assert tree.findtext(categorie + "begripLabel") == "Verstrekken van een uitkering"
    lijst = f"{categorie}begripBegrippenlijst/{MDTO}verwijzingNaam"
    assert tree.findtext(lijst) == SELECTIELIJST
    assert tree.findtext(f"{IO}classificatie/{MDTO}begripCode") == "B1026"
    read = read_bewaring(info.read_bytes(), ZAAK)
    assert (read.zaaktype, read.bewaartermijn, str(read.einde)) == ("B1026", "P7Y", "2027-03-01")


def test_blijvend_bewaren_writes_no_bewaartermijn(
    target: MyLexTarget, archive: MyLexArchive, tmp_path: Path
) -> None:
    data = {
        **V_DATA,
        "waardering": "B",
        "bewaartermijn": None,
        "einde_bewaartermijn": None,
        "startdatum_looptijd": None,
    }
    target.apply(_op(tmp_path, "DOC-B1", **data))
    info = archive.archief / "2019" / ZAAK / "DOC-B1.MDTO.xml"
    assert validate_mdto(info) == []
    tree = parse_xml(info.read_bytes())
    assert tree.findtext(f"{IO}waardering/{MDTO}begripCode") == "B"
    assert tree.find(f"{IO}bewaartermijn") is None
    assert read_bewaring(info.read_bytes(), ZAAK).einde is None


def test_an_operation_without_retention_keeps_the_former_defaults(
    target: MyLexTarget, archive: MyLexArchive, tmp_path: Path
) -> None:
    target.apply(_op(tmp_path, "DOC-OUD", jaar=None, waardering=None))
    info = archive.archief / "2024" / ZAAK / "DOC-OUD.MDTO.xml"  # no start year: creation year
    assert validate_mdto(info) == []
    tree = parse_xml(info.read_bytes())
    assert tree.findtext(f"{IO}bewaartermijn/{MDTO}termijnLooptijd") == "P10Y"
    assert tree.find(f"{IO}bewaartermijn/{MDTO}termijnEinddatum") is None
    assert tree.find(f"{IO}classificatie") is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"bewaartermijn": "10 jaar"}, "bewaartermijn"),
        ({"bewaartermijn": "P6M"}, "bewaartermijn"),
        ({"waardering": "B"}, "blijvend"),  # B with a bewaartermijn
        ({"selectielijst": {"categorie": "x", "omschrijving": "y"}}, "selectielijstcategorie"),
        ({"selectielijst": "1.1.4"}, "selectielijst"),
        ({"einde_bewaartermijn": "31-12-2030"}, "einde_bewaartermijn"),
        ({"einde_bewaartermijn": "2019-01-01"}, "voor de start"),
        ({"zaaktype": ""}, "zaaktype"),
    ],
)
def test_bad_retention_fields_are_refused_before_any_connection(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidMessageError) as refused:
        MyLexArchivering.from_operation(_op(tmp_path, **{**V_DATA, **change}))
    assert message in str(refused.value) and isinstance(refused.value, PermanentError)


def test_a_b1026_document_through_the_documenten_flow_lands_in_its_zaaks_start_year(
    make_config: MakeConfig, archive: MyLexArchive, store: Store, tmp_path: Path
) -> None:
    """End to end: kenmerk (B1026, started 2019, ended 2020) → flow → engine → SFTP MyLex."""
    from adapters.base import SourceBatch, SourceRecord
    from mappings import load_tables
    from sync.engine import Engine
    from sync.flows.documenten import DocumentenFlow
    from sync.zaak_kenmerken import ZaakKenmerken
    from tests.sync.fakes import FakeTarget

    with store.session() as session:
        ZaakKenmerken(session).record(
            ZAAK, bron="esuite", zaaktype="B1026", startdatum="2019-04-01", einddatum="2020-06-30"
        )
    operation = _op(tmp_path, "DOC-E2E")
    record = SourceRecord(
        source_system="esuite",  # read from the zaaksysteem: its zaak is the zaak itself
        key="esuite:document:DOC-E2E",
        kind="document",
        data={"document": operation.data["document"], "content": operation.data["content"]},
        payload_ref="esuite:document:DOC-E2E",
    )
    target = MyLexTarget(make_config())
    flow = DocumentenFlow(zaaksysteem="esuite", dossier="xtendis", archief="mylex")
    engine = Engine(
        store, flow, {"mylex": target, "xtendis": FakeTarget("xtendis")}, load_tables(None)
    )
    try:
        outcome = engine.run_batch(SourceBatch([record]), on_commit=lambda *_: None)
    finally:
        target.close()
    assert outcome.dead_lettered == 0
    info = archive.archief / "2019" / ZAAK / "DOC-E2E.MDTO.xml"  # not 2024, the creation year
    assert info.exists() and validate_mdto(info) == []
    tree = parse_xml(info.read_bytes())
    termijn = f"{IO}bewaartermijn/{MDTO}"
    assert tree.findtext(f"{IO}waardering/{MDTO}begripCode") == "V"
    assert tree.findtext(termijn + "termijnLooptijd") == "P10Y"  # archiefbeleid.csv, B1026
    assert tree.findtext(termijn + "termijnStartdatumLooptijd") == "2020-06-30"
    assert tree.findtext(termijn + "termijnEinddatum") == "2030-06-30"
    assert tree.findtext(f"{IO}informatiecategorie/{MDTO}begripCode") == "1.1.4"
    assert tree.findtext(f"{IO}classificatie/{MDTO}begripCode") == "B1026"

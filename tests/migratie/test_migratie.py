"""The migration MyLex → e-Suite: against the real SFTP MyLex and the e-Suite simulator.

The reconciliation finds what only MyLex holds; the migration takes it over some nights within
its budget, attaches each document to its zaak or to the client's historisch dossier, refuses
what it cannot place, leaves debt help in MyLex, and never writes a document twice.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from adapters.esuite.config import EsuiteConfig
from adapters.mylex import MyLexConfig
from simulators.mylex import MyLexArchive
from simulators.testing import SimulatorHandle
from stuf import Systeem, Zaak
from sync.archief import run_archief_reconciliatie
from sync.config import Settings, load_settings
from sync.engine import RetryPolicy
from sync.identity import IdentityMap
from sync.migratie import Budget, voortgang
from sync.store.db import Store
from sync.store.models import DeadLetter, DriftItemRow, DriftState
from sync.tasks.migratie import run_migratie
from tests.adapters_mylex.conftest import MakeConfig

FAST = RetryPolicy(attempts=3, wait_base_s=0.01, wait_max_s=0.02)


@pytest.fixture
def settings(tmp_path: Path, store: Store) -> Settings:
    return load_settings({"KETENBRUG_HOME": str(tmp_path), "KETENBRUG_DATABASE_URL": store.url})


@pytest.fixture
def esuite_config(esuite: SimulatorHandle) -> EsuiteConfig:
    return EsuiteConfig(
        url=esuite.url + "/",
        zender=Systeem("1900", "Ketenbrug"),
        ontvanger=Systeem("0153", "e-Suite"),
        timeout_s=5.0,
    )


def _reconcile(esuite_config: EsuiteConfig, mylex: MyLexConfig, settings: Settings, store: Store):
    return run_archief_reconciliatie(
        esuite=esuite_config, mylex=mylex, settings=settings, store=store, repair=False
    )


def _migrate(
    esuite_config: EsuiteConfig,
    mylex: MyLexConfig,
    settings: Settings,
    store: Store,
    budget: Budget,
) -> dict[str, object]:
    return run_migratie(
        zaaksysteem_config=esuite_config,
        mylex=mylex,
        settings=settings,
        store=store,
        retry=FAST,
        budget=budget,  # routing: the shipped mappings/zaaktype_routering.csv
    )


def _documents(esuite: SimulatorHandle) -> dict[str, dict[str, object]]:
    return dict(esuite.store.snapshot().get("documenten", {}))


def test_old_documents_move_over_nights_each_once_to_the_right_zaak(
    esuite: SimulatorHandle,
    esuite_config: EsuiteConfig,
    archive: MyLexArchive,
    make_config: MakeConfig,
    settings: Settings,
    store: Store,
) -> None:
    # a zaak the e-Suite knows (it came from GWS4all): its old documents attach to it
    esuite.store.create_zaak(Zaak("0153Z-OUD-1", "B1026", startdatum=date(2016, 1, 4)))
    with store.session() as session:
        IdentityMap(session).link("zaak", "gws4all", "0153Z-OUD-1", "esuite", "0153Z-OUD-1")
    bij_zaak = [archive.add_old_document(year=2016, zaak="0153Z-OUD-1") for _ in range(2)]
    client = [archive.add_old_document(year=2012, client="K000123") for _ in range(3)]
    schuldhulp = archive.add_old_document(year=2018, client="K000777", zaaktype="B2010")
    wees = archive.add_old_document(year=2019)  # no known zaak, no client
    config = make_config()

    first = _reconcile(esuite_config, config, settings, store)
    assert first["ontbreekt_in_nieuw_archief"] == 7
    assert voortgang(store).te_gaan == 7

    night1 = _migrate(esuite_config, config, settings, store, Budget(documenten=3))
    assert night1["gemigreerd"] == 3
    assert night1["te_gaan"] == 4
    assert night1["nachten_te_gaan"] == 2
    assert "nog te gaan 4" in str(night1["samenvatting"])
    for _ in range(3):
        _migrate(esuite_config, config, settings, store, Budget(documenten=3))

    documents = _documents(esuite)
    for doc in bij_zaak:
        assert documents[doc.identificatie]["zaak"] == "0153Z-OUD-1"
        assert documents[doc.identificatie]["sha256"] == doc.sha256
    for doc in client:
        assert documents[doc.identificatie]["zaak"] == "HD-K000123"
        assert documents[doc.identificatie]["sha256"] == doc.sha256
    zaken = esuite.store.snapshot()["zaken"]
    assert zaken["HD-K000123"]["zaaktype_code"] == "B1099"  # mappings/migratie.csv
    assert sorted(zaken["HD-K000123"]["documenten"]) == sorted(d.identificatie for d in client)
    # functiescheiding: debt help stays in MyLex; the orphan waits for beheer
    assert schuldhulp.identificatie not in documents
    assert wees.identificatie not in documents
    assert esuite.store.counts()["documenten"] == 5
    with store.session() as session:
        letter = session.scalars(select(DeadLetter).where(DeadLetter.flow == "migratie")).one()
        assert letter.reason == "zaak_onbekend"
        assert "MLX-2019-DOSSIER" in letter.message
        states = dict(session.execute(select(DriftItemRow.identificatie, DriftItemRow.state)).all())
    assert states[schuldhulp.identificatie] == DriftState.NIET_MIGREREN
    assert states[wees.identificatie] == DriftState.OPEN
    left = voortgang(store)
    assert (left.gemigreerd, left.te_gaan, left.wacht_op_beheer, left.niet_migreren) == (5, 0, 1, 1)

    # the next reconciliation finds the migrated documents in step and keeps its decisions
    again = _reconcile(esuite_config, config, settings, store)
    assert again["ontbreekt_in_nieuw_archief"] == 2
    assert again["in_orde"] == 5
    with store.session() as session:
        rows = session.scalars(
            select(DriftItemRow).where(DriftItemRow.identificatie == schuldhulp.identificatie)
        ).all()
    assert [row.state for row in rows] == [DriftState.NIET_MIGREREN]
    assert _migrate(esuite_config, config, settings, store, Budget())["gemigreerd"] == 0
    assert esuite.store.counts()["documenten"] == 5


def test_damaged_content_in_mylex_is_never_migrated(
    esuite: SimulatorHandle,
    esuite_config: EsuiteConfig,
    archive: MyLexArchive,
    make_config: MakeConfig,
    settings: Settings,
    store: Store,
) -> None:
    doc = archive.add_old_document(year=2014, client="K000042")
    config = make_config()
    _reconcile(esuite_config, config, settings, store)
    archive.change_checksum(doc.identificatie, mode="content")  # bytes flipped after listing
    result = _migrate(esuite_config, config, settings, store, Budget())
    assert result["gemigreerd"] == 0
    assert doc.identificatie not in _documents(esuite)
    with store.session() as session:
        letter = session.scalars(select(DeadLetter).where(DeadLetter.flow == "migratie")).one()
    assert letter.reason == "checksum_mismatch"


def test_the_byte_budget_bounds_a_night(
    esuite: SimulatorHandle,
    esuite_config: EsuiteConfig,
    archive: MyLexArchive,
    make_config: MakeConfig,
    settings: Settings,
    store: Store,
) -> None:
    for _ in range(4):
        archive.add_old_document(year=2010, client="K1", size=600_000)
    config = make_config()
    _reconcile(esuite_config, config, settings, store)
    night = _migrate(esuite_config, config, settings, store, Budget(documenten=100, megabytes=1))
    assert night["gemigreerd"] == 1  # 0.6 MB fits once in 1 MB; always at least one
    assert night["te_gaan"] == 3

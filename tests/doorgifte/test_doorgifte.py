"""The doorgifte: new aanvragen of the e-Suite, with their documents, to GWS4all, exactly once;
both keys in the identity map; nothing that came from GWS4all goes back (no echo)."""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from adapters.errors import TransientError
from adapters.esuite.client import EsuiteClient
from adapters.esuite.config import EsuiteConfig
from adapters.esuite.zaak_lijst import EsuiteZaakLijst
from adapters.failpoints import CRASH_EXIT_CODE
from adapters.gws4all.outbound import Gws4allClient
from adapters.gws4all.outbound_config import Gws4allOutboundConfig
from adapters.gws4all.outbound_target import Gws4allTarget
from mappings import load_tables
from simulators.faults import FaultConfig
from simulators.testing import (
    Gws4allBackofficeHandle,
    SimulatorHandle,
    esuite,
    esuite_simulator,
    gws4all_backoffice,
    gws4all_backoffice_simulator,
)
from stuf import Document, Systeem, Zaak
from sync.config import Settings, load_settings
from sync.doorgifte import run_doorgifte, run_doorgifte_resends
from sync.engine import RetryPolicy
from sync.identity import IdentityMap
from sync.resend import request_resend
from sync.store.db import Store
from sync.store.models import DeadLetter, DeadLetterState

__all__ = ["esuite", "esuite_simulator", "gws4all_backoffice", "gws4all_backoffice_simulator"]

ROOT = Path(__file__).resolve().parents[2]
FAST = RetryPolicy(attempts=4, wait_base_s=0.01, wait_max_s=0.05)
TODAY = datetime.now(ZoneInfo("Europe/Amsterdam")).date()
BSN = "999993653"


@pytest.fixture
def settings(tmp_path: Path, store: Store) -> Settings:
    return load_settings({"KETENBRUG_HOME": str(tmp_path), "KETENBRUG_DATABASE_URL": store.url})


@pytest.fixture
def clients(
    esuite: SimulatorHandle, gws4all_backoffice: Gws4allBackofficeHandle
) -> Iterator[tuple[EsuiteClient, EsuiteZaakLijst, Gws4allTarget]]:
    config = EsuiteConfig(
        url=esuite.url + "/",
        zender=Systeem("1900", "Ketenbrug"),
        ontvanger=Systeem("0153", "e-Suite"),
        timeout_s=5.0,
    )
    client = EsuiteClient(config)
    gws = Gws4allClient(Gws4allOutboundConfig(url=gws4all_backoffice.url + "/stuf", timeout_s=3))
    yield client, EsuiteZaakLijst(config, client), Gws4allTarget(gws)
    client.close()
    gws.close()


def _aanvraag(esuite: SimulatorHandle, nr: int, zaaktype: str = "B1026", docs: int = 2) -> str:
    zaak = f"0153ESUITE{5_000_000 + nr}"
    esuite.store.create_zaak(
        Zaak(
            zaak,
            zaaktype,
            omschrijving="Aanvraag via MijnLoket",
            startdatum=TODAY - timedelta(days=1),
            registratiedatum=TODAY - timedelta(days=1),
            initiator_bsn=BSN,
        )
    )
    for d in range(docs):
        esuite.store.add_document(
            Document(
                f"{zaak}-D{d}",
                f"Bijlage {d}",
                zaak_identificatie=zaak,
                documenttype_omschrijving="Bijlage aanvraag",
                vertrouwelijkheid="VERTROUWELIJK",
                auteur="MijnLoket",
                bestandsnaam=f"bijlage-{d}.pdf",
                formaat="application/pdf",
                creatiedatum=TODAY,
                inhoud=b"%PDF-1.4 " + bytes([d]) * (1000 + nr),
            )
        )
    return zaak


def _run(
    clients: tuple[EsuiteClient, EsuiteZaakLijst, Gws4allTarget], settings: Settings, store: Store
) -> dict[str, object]:
    client, lijst, target = clients
    return run_doorgifte(
        esuite=client, lijst=lijst, gws4all=target, settings=settings, store=store, retry=FAST
    )


def test_new_aanvragen_reach_gws4all_once_with_their_documents_and_both_keys(
    esuite: SimulatorHandle,
    gws4all_backoffice: Gws4allBackofficeHandle,
    clients: tuple[EsuiteClient, EsuiteZaakLijst, Gws4allTarget],
    settings: Settings,
    store: Store,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    aanvragen = [_aanvraag(esuite, 1), _aanvraag(esuite, 2, zaaktype="B1027", docs=1)]
    _aanvraag(esuite, 3, zaaktype="B1033")  # Wijziging: not in doorgifte.csv, stays put

    first = _run(clients, settings, store)
    assert (first["nieuw"], first["delivered"], first["dead_lettered"]) == (2, 2, 0)

    held = gws4all_backoffice.snapshot()
    assert set(held["zaken"]) == set(aanvragen)
    assert held["zaken"][aanvragen[0]]["zaaktype_code"] == "PW-LO-AANV"
    assert held["zaken"][aanvragen[1]]["zaaktype_code"] == "PW-BB-AANV"
    for zaak in aanvragen:
        for stored in esuite.store.documents_of(zaak):
            sent = held["documenten"][stored.document.identificatie]
            assert sent["sha256"] == stored.sha256 and sent["zaak"] == zaak
    with store.session() as session:
        identity = IdentityMap(session)
        for zaak in aanvragen:
            assert identity.lookup("zaak", "gws4all", zaak, "esuite") == zaak
            assert identity.origin("zaak", "gws4all", zaak) == "esuite"

    second = _run(clients, settings, store)
    assert (second["nieuw"], second["delivered"]) == (0, 0), "a rerun hands over nothing"
    again = gws4all_backoffice.snapshot()
    assert all(count == 1 for count in again["received"]["zaken"].values())
    assert all(count == 1 for count in again["received"]["documenten"].values())
    assert BSN not in caplog.text


def test_a_zaak_that_came_from_gws4all_is_never_sent_back(
    esuite: SimulatorHandle,
    gws4all_backoffice: Gws4allBackofficeHandle,
    clients: tuple[EsuiteClient, EsuiteZaakLijst, Gws4allTarget],
    settings: Settings,
    store: Store,
) -> None:
    zaak = _aanvraag(esuite, 4)
    with store.session() as session:  # as the zaken flow leaves a zaak GWS4all pushed
        IdentityMap(session).link("zaak", "gws4all", zaak, "esuite", zaak)
    result = _run(clients, settings, store)
    assert result["nieuw"] == 0
    assert gws4all_backoffice.snapshot()["zaken"] == {}


def test_a_lost_answer_and_passing_faults_still_hand_over_each_thing_once(
    esuite: SimulatorHandle,
    gws4all_backoffice: Gws4allBackofficeHandle,
    clients: tuple[EsuiteClient, EsuiteZaakLijst, Gws4allTarget],
    settings: Settings,
    store: Store,
) -> None:
    aanvragen = [_aanvraag(esuite, n) for n in range(10, 16)]
    gws4all_backoffice.server.lose_responses(2)
    gws4all_backoffice.server.unavailable(0.2, seed=7)
    esuite.server.faults.configure(
        FaultConfig(transient_rate=0.2, seed=11, transient_variants=("http_503",))
    )
    for _ in range(6):  # a run that got nothing through fails (Airflow retries it)
        with contextlib.suppress(TransientError):
            _run(clients, settings, store)
    gws4all_backoffice.server.clear_commands()
    esuite.server.faults.configure(FaultConfig())
    _run(clients, settings, store)

    held = gws4all_backoffice.snapshot()
    assert set(held["zaken"]) == set(aanvragen)
    assert all(count == 1 for count in held["received"]["zaken"].values())
    assert all(count == 1 for count in held["received"]["documenten"].values())
    assert len(held["documenten"]) == 2 * len(aanvragen)
    with store.session() as session:
        assert session.scalars(select(DeadLetter)).all() == []


def test_an_aanvraag_zaaktype_without_a_gws4all_code_is_a_dead_letter_unmapped(
    tmp_path: Path,
) -> None:
    from adapters.base import SourceRecord
    from adapters.errors import UnmappedCodeError
    from adapters.gws4all.outbound_target import zaak_to_data
    from mappings.doorgifte import Doorgifte
    from sync.engine import PlanContext
    from sync.flows.doorgifte import DoorgifteFlow

    flow = DoorgifteFlow(Doorgifte({"B1026": "PW-LO-AANV"}))
    record = SourceRecord(
        source_system="esuite",
        key="doorgifte:Z1",
        kind="aanvraag",
        data={"zaak": zaak_to_data(Zaak("Z1", "B1031")), "documenten": []},
        payload_ref="esuite:Z1",
    )

    class NoIdentity:
        def origin(self, *_: object) -> None:
            return None

        def link(self, *_: object) -> str:
            return "x"

    context = PlanContext(NoIdentity(), load_tables())  # type: ignore[arg-type]
    with pytest.raises(UnmappedCodeError) as unmapped:
        flow.plan(record, context)
    assert unmapped.value.reason == "unmapped" and unmapped.value.table == "doorgifte"


def test_a_refused_document_is_a_dead_letter_and_a_resend_delivers_it_once(
    esuite: SimulatorHandle,
    gws4all_backoffice: Gws4allBackofficeHandle,
    clients: tuple[EsuiteClient, EsuiteZaakLijst, Gws4allTarget],
    settings: Settings,
    store: Store,
) -> None:
    zaak = _aanvraag(esuite, 20, docs=1)
    gws4all_backoffice.server.refuse(
        code="StUF058", text="documenttype onbekend", operations={"voegZaakdocumentToe"}
    )
    first = _run(clients, settings, store)
    assert first["dead_lettered"] == 1
    with store.session() as session:
        (letter,) = session.scalars(select(DeadLetter)).all()
    assert letter.source_key == f"doorgifte:{zaak}:document:{zaak}-D0"
    assert "documenttype onbekend" in letter.message
    assert _run(clients, settings, store)["nieuw"] == 0, "beheer decides, not the next run"

    gws4all_backoffice.server.clear_commands()
    assert request_resend(store, letter.id, actor="beheerder")
    client, _, target = clients
    resent = run_doorgifte_resends(
        esuite=client, gws4all=target, settings=settings, store=store, retry=FAST
    )
    assert resent["resends"] == 1
    held = gws4all_backoffice.snapshot()
    assert held["received"]["zaken"] == {zaak: 1}, "the zaak is not sent again"
    assert set(held["documenten"]) == {f"{zaak}-D0"}
    assert held["received"]["documenten"] == {f"{zaak}-D0": 2}, "refused once, stored once"
    with store.session() as session:
        assert session.get(DeadLetter, letter.id).state == DeadLetterState.RESENT  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "point", ["after_intent:1", "before_target_write:3", "after_target_write:3"]
)
def test_a_run_killed_mid_batch_and_rerun_hands_over_each_thing_once(
    esuite: SimulatorHandle,
    gws4all_backoffice: Gws4allBackofficeHandle,
    clients: tuple[EsuiteClient, EsuiteZaakLijst, Gws4allTarget],
    settings: Settings,
    store: Store,
    point: str,
) -> None:
    aanvragen = [_aanvraag(esuite, n, docs=2) for n in range(30, 34)]
    env = {
        **os.environ,
        "KETENBRUG_HOME": str(settings.home),
        "KETENBRUG_DATABASE_URL": store.url,
        "KETENBRUG_CRASH_AT": point,
    }
    killed = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.doorgifte.crash_worker",
            esuite.url,
            gws4all_backoffice.url + "/stuf",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        timeout=120,
    )
    assert killed.returncode == CRASH_EXIT_CODE, killed.stderr.decode()[-2000:]

    _run(clients, settings, store)
    held = gws4all_backoffice.snapshot()
    assert set(held["zaken"]) == set(aanvragen)
    assert len(held["documenten"]) == 2 * len(aanvragen)
    assert all(count == 1 for count in held["received"]["zaken"].values())
    assert all(count == 1 for count in held["received"]["documenten"].values())
    assert _run(clients, settings, store)["nieuw"] == 0

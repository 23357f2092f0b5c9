"""The doelbinding log: every SSD query recorded with purpose and basis, the BSN only keyed,
append-only in the database itself, and ``ketenbrug audit --bsn`` answers who looked, and why."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from adapters.esuite.document_target import EsuiteDocumentTarget
from adapters.ssd.client import SsdClient
from simulators.tls_testing import SoapSimHandle
from sync.betaalspecificaties import SSD_DIENST, run_betaalspecificaties
from sync.config import Settings
from sync.doelbinding import BETAALSPECIFICATIE, DoelbindingLog, queries_about
from sync.store.db import Store
from sync.store.models import DoelbindingEntry
from tests.flows_betaal.conftest import FAST, SECRET

CLIENTS = [3, 7]
NOT_A_CLIENT = 1_500  # elfproef-valid, no payment: NietsGevonden is logged too


def test_every_ssd_query_is_logged_with_purpose_basis_zaak_and_run(
    ssd: SoapSimHandle,
    ssd_client: SsdClient,
    esuite_target: EsuiteDocumentTarget,
    store: Store,
    settings: Settings,
    make_zaken: Callable[..., list[str]],
) -> None:
    zaken = make_zaken(CLIENTS)
    make_zaken([NOT_A_CLIENT])
    run_betaalspecificaties(
        "2024-03",
        ssd=ssd_client,
        esuite=esuite_target,
        secret=SECRET,
        settings=settings,
        store=store,
        retry=FAST,
        run_ref="airflow:maand-maart",
        gebruiker="beheerder-anna",
    )
    first = queries_about(store, ssd.known_bsn(CLIENTS[0]), SECRET)
    assert [q.uitkomst for q in first] == ["gevraagd", "gevonden"]
    query = first[1]
    assert (query.dienst, query.doel, query.grondslag) == (
        SSD_DIENST,
        BETAALSPECIFICATIE.doel,
        BETAALSPECIFICATIE.grondslag,
    )
    assert (query.zaak, query.flow, query.gebruiker, query.run_ref, query.uitkomst) == (
        zaken[0],
        "betaalspecificaties",
        "beheerder-anna",
        "airflow:maand-maart",
        "gevonden",
    )
    nothing = queries_about(store, ssd.known_bsn(NOT_A_CLIENT), SECRET)
    assert [q.uitkomst for q in nothing] == ["gevraagd", "niets gevonden"]
    assert queries_about(store, ssd.known_bsn(CLIENTS[0]), "een-andere-sleutel-0000") == []

    with store.session() as session:
        rows = session.execute(text("SELECT * FROM doelbinding_log")).all()
    dumped = json.dumps([list(map(str, row)) for row in rows])
    assert len(rows) == 6, "three queries, each logged before and after"
    for index in [*CLIENTS, NOT_A_CLIENT]:
        assert ssd.known_bsn(index) not in dumped, "the log holds no BSN, only its keyed hash"


def _one_entry(store: Store) -> None:
    DoelbindingLog(store, secret=SECRET, flow="test", gebruiker="t", run_ref=None).record(
        dienst="Suwinet-Inkijk", doel=BETAALSPECIFICATIE, bsn="123456782", zaak="Z1", uitkomst="ok"
    )


def test_the_log_cannot_be_altered_or_emptied(store: Store) -> None:
    _one_entry(store)
    for statement in (
        update(DoelbindingEntry).values(uitkomst="niets"),
        delete(DoelbindingEntry),
    ):
        with pytest.raises(DBAPIError, match="append-only"), store.session() as session:
            session.execute(statement)
    with store.session() as session:
        assert [e.uitkomst for e in session.scalars(select(DoelbindingEntry))] == ["ok"]


def test_ketenbrug_audit_answers_for_one_person_without_showing_the_bsn(
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from sync.cli import main

    _one_entry(store)
    connection = {"conn_type": "http", "host": "ssd", "password": SECRET}
    monkeypatch.setenv("AIRFLOW_CONN_KETENBRUG_SSD", json.dumps(connection))
    monkeypatch.setenv("KETENBRUG_DATABASE_URL", store.url)
    monkeypatch.setenv("KETENBRUG_HOME", str(tmp_path))
    assert main(["audit", "--bsn", "123456782"]) == 0
    out = capsys.readouterr().out
    assert "0 bevraging(en), 1 regel(s)" in out and "Suwinet-Inkijk" in out and "zaak Z1" in out
    assert "123456782" not in out
    assert main(["audit", "--bsn", "111222333"]) == 0
    assert "0 bevraging(en), 0 regel(s)" in capsys.readouterr().out


class _Killed(BaseException):
    """Stands in for a kill: no ``except Exception`` in the task sees it."""


class _DiesAfterTheAnswer:
    """The SSD client of a task that is killed the moment SSD has answered."""

    def __init__(self, inner: SsdClient) -> None:
        self.inner = inner

    def uitkeringsspecificatie(self, bsn: str, periode: str) -> object:
        self.inner.uitkeringsspecificatie(bsn, periode)
        raise _Killed


def test_a_task_killed_while_the_question_is_out_still_leaves_the_query_in_the_log(
    ssd: SoapSimHandle,
    ssd_client: SsdClient,
    esuite_target: EsuiteDocumentTarget,
    store: Store,
    settings: Settings,
    make_zaken: Callable[..., list[str]],
) -> None:
    make_zaken(CLIENTS[:1])
    with pytest.raises(_Killed):
        run_betaalspecificaties(
            "2024-03",
            ssd=_DiesAfterTheAnswer(ssd_client),  # type: ignore[arg-type]
            esuite=esuite_target,
            secret=SECRET,
            settings=settings,
            store=store,
            retry=FAST,
        )
    assert len(ssd.state()["calls"]) == 1, "SSD was asked"
    logged = queries_about(store, ssd.known_bsn(CLIENTS[0]), SECRET)
    assert [q.uitkomst for q in logged] == ["gevraagd"], "logged before the question left"

"""The betaalspecificaties flow end to end: SSD simulator over mTLS -> PDF -> e-Suite zaak."""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from adapters.esuite.document_target import EsuiteDocumentTarget
from adapters.ssd.client import SsdClient
from simulators.synthetic import BetaalRegel
from simulators.testing import SimulatorHandle
from simulators.tls_testing import SoapSimHandle
from sync.betaalspecificaties import run_betaalspecificaties, run_betaalspecificaties_resends
from sync.config import Settings
from sync.doelbinding import queries_about
from sync.pdf import euro
from sync.resend import request_resend
from sync.run_lock import RunBusyError
from sync.store.db import Store
from sync.store.models import DeadLetter, DeadLetterState, LedgerEntry, SyncRun
from tests.flows_betaal.conftest import FAST, SECRET, ssd_config

PERIODE = "2024-02"
CLIENTS = [3, 7, 11]
NOT_A_CLIENT = 1_500  # elfproef-valid BSN, beyond the simulator's 1,000 clients


def _run(
    ssd_client: SsdClient, esuite_target: EsuiteDocumentTarget, store: Store, settings: Settings
) -> dict[str, Any]:
    return run_betaalspecificaties(
        PERIODE,
        ssd=ssd_client,
        esuite=esuite_target,
        secret=SECRET,
        settings=settings,
        store=store,
        retry=FAST,
    )


def _documents(esuite: SimulatorHandle, zaken: list[str]) -> dict[str, list[Any]]:
    return {zaak: esuite.store.documents_of(zaak) for zaak in zaken}


def _pdf_text(content: bytes) -> str:
    """The text drawn on the page (fpdf2 compresses each page stream with zlib)."""
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S)
    return "".join(zlib.decompress(s).decode("cp1252", "replace") for s in streams)


def test_every_client_once_and_a_rerun_adds_nothing(
    ssd: SoapSimHandle,
    esuite: SimulatorHandle,
    ssd_client: SsdClient,
    esuite_target: EsuiteDocumentTarget,
    store: Store,
    settings: Settings,
    make_zaken: Callable[..., list[str]],
) -> None:
    zaken = make_zaken(CLIENTS)
    make_zaken([NOT_A_CLIENT])  # no payment this month: NietsGevonden, not an error
    make_zaken([20], zaaktype="B2010")  # schuldhulp: not routed to the e-Suite

    first = _run(ssd_client, esuite_target, store, settings)
    assert first["clienten"] == 4
    assert first["delivered"] == 3
    assert first["niets_gevonden"] == 1
    assert first["dead_lettered"] == 0
    documents = _documents(esuite, zaken)
    assert all(len(docs) == 1 for docs in documents.values())
    shas = {zaak: docs[0].sha256 for zaak, docs in documents.items()}

    second = _run(ssd_client, esuite_target, store, settings)
    assert second["delivered"] == 0
    assert second["in_step"] == 3
    assert second["dead_lettered"] == 0
    again = _documents(esuite, zaken)
    assert {zaak: [d.sha256 for d in docs] for zaak, docs in again.items()} == {
        zaak: [sha] for zaak, sha in shas.items()
    }
    with store.session() as session:
        assert session.scalars(select(DeadLetter)).all() == []
        keys = list(session.scalars(select(LedgerEntry.source_key)))
    assert len(keys) == 3
    bsns = [ssd.known_bsn(i) for i in [*CLIENTS, NOT_A_CLIENT]]
    assert not any(bsn in key for key in keys for bsn in bsns)


def test_the_document_is_a_readable_pdf_with_euros(
    ssd: SoapSimHandle,
    esuite: SimulatorHandle,
    ssd_client: SsdClient,
    esuite_target: EsuiteDocumentTarget,
    store: Store,
    settings: Settings,
    make_zaken: Callable[..., list[str]],
) -> None:
    esuite.store.keep_content = True
    (zaak,) = make_zaken([3])
    _run(ssd_client, esuite_target, store, settings)
    (stored,) = esuite.store.documents_of(zaak)
    assert stored.document.formaat == "application/pdf"
    spec, correction = ssd.data.betaalspecificatie(3, PERIODE)
    spec = correction or spec
    assert stored.content is not None and stored.content.startswith(b"%PDF-")
    text = _pdf_text(stored.content)
    assert "Uitkeringsspecificatie februari 2024" in text
    assert euro(spec.totaal_cent) in text  # the total in euros from the eurocent fields
    for regel in spec.regels:
        assert euro(abs(regel.bedrag_cent)) in text
    assert ssd.known_bsn(3) not in text


def test_a_correction_becomes_a_new_version_not_a_second_document(
    ssd: SoapSimHandle,
    esuite: SimulatorHandle,
    ssd_client: SsdClient,
    esuite_target: EsuiteDocumentTarget,
    store: Store,
    settings: Settings,
    make_zaken: Callable[..., list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    zaken = make_zaken(CLIENTS)
    _run(ssd_client, esuite_target, store, settings)
    before = {zaak: docs[0] for zaak, docs in _documents(esuite, zaken).items()}

    original = ssd.data.betaalspecificatie

    def corrected(index: int, periode: str, **kwargs: Any) -> Any:
        spec, correction = original(index, periode, **kwargs)
        spec = correction or spec
        extra = BetaalRegel("NAB", "Nabetaling na correctie", 1_234)
        return spec, dataclasses.replace(spec, versie=spec.versie + 1, regels=(*spec.regels, extra))

    monkeypatch.setattr(ssd.data, "betaalspecificatie", corrected)
    second = _run(ssd_client, esuite_target, store, settings)
    assert second["delivered"] == 3
    after = _documents(esuite, zaken)
    for zaak in zaken:
        assert len(after[zaak]) == 1  # the same document ...
        assert after[zaak][0].document.identificatie == before[zaak].document.identificatie
        assert after[zaak][0].sha256 != before[zaak].sha256  # ... in a new version

    third = _run(ssd_client, esuite_target, store, settings)
    assert third["delivered"] == 0 and third["in_step"] == 3


def test_an_fwi_fault_is_a_dead_letter_with_code_and_text(
    ssd: SoapSimHandle,
    esuite: SimulatorHandle,
    ssd_client: SsdClient,
    esuite_target: EsuiteDocumentTarget,
    store: Store,
    settings: Settings,
    make_zaken: Callable[..., list[str]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    zaken = make_zaken(CLIENTS)
    ssd.set_faults(permanent_rate=1.0, permanent_variants=("fwi",))
    with caplog.at_level(logging.DEBUG):
        outcome = _run(ssd_client, esuite_target, store, settings)
    assert outcome["dead_lettered"] == 3
    assert outcome["dead_reasons"] == {"ssd_fwi": 3}
    with store.session() as session:
        letters = session.scalars(select(DeadLetter)).all()
    assert len(letters) == 3
    for letter in letters:
        assert "FWI-fout 99" in letter.message
        assert "technische fout" in letter.message
    assert all(esuite.store.documents_of(zaak) == [] for zaak in zaken)
    bsns = [ssd.known_bsn(i) for i in CLIENTS]
    everything = caplog.text + "".join(f"{x.source_key}{x.message}" for x in letters)
    assert not any(bsn in everything for bsn in bsns)


def test_transient_faults_are_retried_until_all_are_delivered(
    ssd: SoapSimHandle,
    esuite: SimulatorHandle,
    ssd_client: SsdClient,
    esuite_target: EsuiteDocumentTarget,
    store: Store,
    settings: Settings,
    make_zaken: Callable[..., list[str]],
) -> None:
    zaken = make_zaken(list(range(10)))
    ssd.set_faults(transient_rate=0.2, seed=7)
    outcome = run_betaalspecificaties(
        PERIODE,
        ssd=ssd_client,
        esuite=esuite_target,
        secret=SECRET,
        settings=settings,
        store=store,
        retry=FAST.__class__(attempts=8, wait_base_s=0.01, wait_max_s=0.05),
    )
    assert outcome["delivered"] == 10
    assert all(len(docs) == 1 for docs in _documents(esuite, zaken).values())


def test_a_client_certificate_expiring_within_30_days_is_in_the_run_summary(
    ssd: SoapSimHandle,
    ssd_client: SsdClient,
    esuite_target: EsuiteDocumentTarget,
    store: Store,
    settings: Settings,
    make_zaken: Callable[..., list[str]],
) -> None:
    make_zaken(CLIENTS[:1])
    # the test CA issues certificates valid for 30 days: this one expires within the window
    result = run_betaalspecificaties(
        PERIODE,
        ssd=ssd_client,
        esuite=esuite_target,
        secret=SECRET,
        settings=settings,
        store=store,
        retry=FAST,
        certificates=[ssd_config(ssd)],
    )
    assert result["delivered"] == 1
    warnings = result["waarschuwingen"]
    assert isinstance(warnings, list) and len(warnings) == 1
    warning = str(warnings[0])
    assert warning.startswith("Connection ketenbrug_ssd: clientcertificaat verloopt op ")
    with store.session() as session:
        (run,) = session.scalars(select(SyncRun)).all()
    assert run.warnings == warning, "kept with the run, for the DAG run note"


class _HeldOpen:
    """An SSD client whose first question waits until the test lets it go (a run in progress)."""

    def __init__(self, inner: SsdClient) -> None:
        self.inner = inner
        self.asking = threading.Event()
        self.go_on = threading.Event()

    def uitkeringsspecificatie(self, bsn: str, periode: str) -> Any:
        self.asking.set()
        assert self.go_on.wait(30), "the test never let the first run go on"
        return self.inner.uitkeringsspecificatie(bsn, periode)


def test_a_second_run_of_the_month_while_one_runs_stops_and_retries_later(
    ssd_client: SsdClient,
    esuite_target: EsuiteDocumentTarget,
    esuite: SimulatorHandle,
    store: Store,
    settings: Settings,
    make_zaken: Callable[..., list[str]],
) -> None:
    """Two runs at once could let an older version land last while the ledger holds the newer
    one (found by the chaos run); the second run now stops before it reads anything."""
    zaken = make_zaken(CLIENTS)
    held = _HeldOpen(ssd_client)
    results: dict[str, Any] = {}

    def first() -> None:
        results["first"] = run_betaalspecificaties(
            PERIODE,
            ssd=held,  # type: ignore[arg-type]
            esuite=esuite_target,
            secret=SECRET,
            settings=settings,
            store=store,
            retry=FAST,
        )

    thread = threading.Thread(target=first)
    thread.start()
    assert held.asking.wait(30)
    with pytest.raises(RunBusyError, match="er loopt al een run"):
        _run(ssd_client, esuite_target, store, settings)
    held.go_on.set()
    thread.join(60)
    assert results["first"]["delivered"] == 3
    assert all(len(docs) == 1 for docs in _documents(esuite, zaken).values())
    assert _run(ssd_client, esuite_target, store, settings)["in_step"] == 3, "free again"


def test_beheer_resends_an_fwi_dead_letter_and_gws4all_is_asked_once_more(
    ssd: SoapSimHandle,
    esuite: SimulatorHandle,
    ssd_client: SsdClient,
    esuite_target: EsuiteDocumentTarget,
    store: Store,
    settings: Settings,
    make_zaken: Callable[..., list[str]],
) -> None:
    zaken = make_zaken(CLIENTS[:1])
    ssd.set_faults(permanent_rate=1.0, permanent_variants=("fwi",))
    assert _run(ssd_client, esuite_target, store, settings)["dead_lettered"] == 1
    with store.session() as session:
        (letter,) = session.scalars(select(DeadLetter)).all()
    ssd.reset()  # GWS4all is repaired
    assert request_resend(store, letter.id, actor="beheerder")

    resent = run_betaalspecificaties_resends(
        ssd=ssd_client,
        esuite=esuite_target,
        secret=SECRET,
        settings=settings,
        store=store,
        retry=FAST,
        gebruiker="beheerder",
    )
    assert resent["resends"] == 1 and resent["delivered"] == 1
    assert len(esuite.store.documents_of(zaken[0])) == 1
    with store.session() as session:
        assert session.get(DeadLetter, letter.id).state == DeadLetterState.RESENT  # type: ignore[union-attr]
    asked = queries_about(store, ssd.known_bsn(CLIENTS[0]), SECRET)
    assert [q.uitkomst for q in asked][-2:] == ["gevraagd", "gevonden"]
    assert asked[-1].gebruiker == "beheerder"
    again = run_betaalspecificaties_resends(
        ssd=ssd_client, esuite=esuite_target, secret=SECRET, settings=settings, store=store
    )
    assert again["resends"] == 0, "a resend is done once"

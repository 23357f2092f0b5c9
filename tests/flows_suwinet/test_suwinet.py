"""The suwinet-verrijking flow end to end: e-Suite zaak -> Suwinet simulator over mTLS -> PDF
on the zaak, once; faults as dead letters; every query in the doelbinding log."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from adapters.errors import TransientError
from adapters.esuite.document_target import EsuiteDocumentTarget
from adapters.suwinet.client import SuwinetClient
from adapters.suwinet.config import SuwinetConfig
from simulators.suwinet_data import uwv_income
from simulators.testing import SimulatorHandle
from simulators.tls_testing import SoapSimHandle
from sync.config import Settings
from sync.doelbinding import queries_about
from sync.pdf import euro
from sync.pseudonym import bsn_ref
from sync.resend import request_resend
from sync.store.db import Store
from sync.store.models import (
    DeadLetter,
    DeadLetterState,
    DoelbindingEntry,
    LedgerEntry,
    LedgerState,
    SyncRun,
)
from sync.suwinet import SUWINET_AANVRAAG, run_suwinet
from tests.flows_betaal.test_betaalspecificaties import _pdf_text
from tests.flows_suwinet.conftest import FAST, SECRET, with_income

Run = Callable[..., dict[str, Any]]


def _calls(suwinet: SoapSimHandle) -> int:
    return sum(suwinet.state()["counts"].values())


def _pdf(esuite: SimulatorHandle, zaak: str) -> str:
    (stored,) = esuite.store.documents_of(zaak)
    assert stored.content is not None and stored.content.startswith(b"%PDF-")
    return _pdf_text(stored.content)


def test_new_aanvraag_gets_one_document_with_brp_and_uwv_data(
    suwinet: SoapSimHandle, esuite: SimulatorHandle, make_zaak: Callable[..., str], run: Run
) -> None:
    index = with_income(suwinet.data, wanted=True)
    client = suwinet.data.client(index)
    zaak = make_zaak(index)

    counts = run()

    assert counts["delivered"] == 1 and counts["dead_lettered"] == 0
    assert [c["service"] for c in suwinet.state()["calls"]] == [
        "BRPDossierPersoonGSD",
        "UWVDossierInkomstenGSD",
    ]
    text = _pdf(esuite, zaak)
    assert client.geslachtsnaam in text and client.woonplaats in text
    assert str(client.huisnummer) in text
    employer, _, gross, _ = uwv_income(client) or ("", "", 0, None)
    assert f"{employer}, brutoloon" in text and euro(gross) in text
    assert "geen inkomsten bekend" not in text
    assert client.bsn not in text and f"*****{client.bsn[-4:]}" in text


def test_a_second_run_queries_nothing(
    suwinet: SoapSimHandle, esuite: SimulatorHandle, make_zaak: Callable[..., str], run: Run
) -> None:
    zaak = make_zaak(with_income(suwinet.data, wanted=True))
    run()
    asked = _calls(suwinet)

    counts = run()

    assert asked == 2 and _calls(suwinet) == asked
    assert counts["zaken"] == 0 and counts["delivered"] == 0
    assert len(esuite.store.documents_of(zaak)) == 1


def test_a_zaak_of_another_zaaktype_is_not_queried(
    suwinet: SoapSimHandle, esuite: SimulatorHandle, make_zaak: Callable[..., str], run: Run
) -> None:
    zaak = make_zaak(with_income(suwinet.data, wanted=True), "B2010")

    counts = run()

    assert _calls(suwinet) == 0
    assert counts["ander_zaaktype"] == 1 and counts["delivered"] == 0
    assert esuite.store.documents_of(zaak) == []


def test_niets_gevonden_from_uwv_is_a_document_saying_no_income(
    suwinet: SoapSimHandle,
    esuite: SimulatorHandle,
    make_zaak: Callable[..., str],
    run: Run,
    store: Store,
) -> None:
    zaak = make_zaak(with_income(suwinet.data, wanted=False))

    counts = run()

    assert suwinet.state()["counts"] == {"ok": 1, "niets_gevonden": 1}
    assert counts["delivered"] == 1 and counts["dead_lettered"] == 0
    assert "UWV: geen inkomsten bekend" in _pdf(esuite, zaak)
    with store.session() as session:
        assert session.scalars(select(DeadLetter)).all() == []


def test_fwi_fault_is_a_dead_letter_and_its_resend_queries_once_more(
    suwinet: SoapSimHandle,
    esuite: SimulatorHandle,
    make_zaak: Callable[..., str],
    run: Run,
    store: Store,
    caplog: pytest.LogCaptureFixture,
) -> None:
    index = with_income(suwinet.data, wanted=True)
    zaak = make_zaak(index)
    suwinet.set_faults(permanent_rate=1.0, permanent_variants=("fwi",))

    counts = run()

    assert counts["dead_lettered"] == 1 and esuite.store.documents_of(zaak) == []
    with store.session() as session:
        (letter,) = session.scalars(select(DeadLetter)).all()
        assert letter.reason == "suwinet_fwi" and letter.source_key == f"suwinet:{zaak}"
        assert "FWI0001" in letter.message and "technische fout" in letter.message
        letter_id = letter.id
    assert _calls(suwinet) == 1  # BRP failed: UWV not asked

    suwinet.reset()
    run()  # an ordinary rerun leaves the dead letter alone
    assert _calls(suwinet) == 0

    request_resend(store, letter_id, actor="beheerder")
    caplog.set_level(logging.INFO, logger="sync.suwinet")
    result = run(resends=True)

    assert result["resends"] == 1 and result["delivered"] == 1
    assert _calls(suwinet) == 2
    assert len(esuite.store.documents_of(zaak)) == 1
    assert f"zaak {zaak} opnieuw uitgevraagd na dead letter {letter_id}" in caplog.text
    with store.session() as session:
        resent = session.get(DeadLetter, letter_id)
        assert resent is not None and resent.state == DeadLetterState.RESENT
    uitkomsten = [q.uitkomst for q in queries_about(store, suwinet.known_bsn(index), SECRET)]
    assert uitkomsten[0] == "gevraagd"
    assert uitkomsten[1].startswith("fout: Suwinet BRPDossierPersoonGSD FWI-fout FWI0001")
    again = f"opnieuw na dead letter {letter_id} (opnieuw aanbieden): "
    assert uitkomsten[2:] == [again + "gevraagd", again + "gevonden"] * 2


def test_every_query_is_logged_with_zaak_and_keyed_hash_and_no_bsn_anywhere(
    suwinet: SoapSimHandle,
    make_zaak: Callable[..., str],
    run: Run,
    store: Store,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    good, none = with_income(suwinet.data, wanted=True), with_income(suwinet.data, wanted=False)
    faulty = max(good, none) + 1
    zaken = {make_zaak(good): good, make_zaak(none): none}
    run()
    suwinet.set_faults(permanent_rate=1.0, permanent_variants=("fwi",))
    zaken[make_zaak(faulty)] = faulty
    run()

    with store.session() as session:
        rows = session.scalars(select(DoelbindingEntry)).all()
        ledger = session.scalars(select(LedgerEntry)).all()
        letters = session.scalars(select(DeadLetter)).all()
    assert _calls(suwinet) == 5  # BRP and UWV twice, then the BRP fault
    assert len(rows) == 2 * 5, "each query logged before it left and with its outcome"
    for row in rows:
        assert row.zaak in zaken
        assert row.bsn_ref == bsn_ref(SECRET, suwinet.known_bsn(zaken[row.zaak]), length=64)
        assert row.doel == SUWINET_AANVRAAG.doel and row.grondslag == SUWINET_AANVRAAG.grondslag
    assert len(letters) == 1 and len(ledger) == 2
    stored = [str(vars(row)) for row in (*rows, *ledger, *letters)]
    for index in zaken.values():
        bsn = suwinet.known_bsn(index)
        assert bsn not in caplog.text
        assert all(bsn not in text for text in stored)


def test_a_run_that_died_mid_write_asks_again_and_finds_its_document_there(
    suwinet: SoapSimHandle,
    esuite: SimulatorHandle,
    make_zaak: Callable[..., str],
    run: Run,
    store: Store,
    caplog: pytest.LogCaptureFixture,
) -> None:
    zaak = make_zaak(with_income(suwinet.data, wanted=True))
    run()
    with store.session() as session:  # as if the run died after the write, before its outcome
        (entry,) = session.scalars(select(LedgerEntry)).all()
        entry.state = LedgerState.IN_FLIGHT
    caplog.set_level(logging.INFO, logger="sync.suwinet")

    counts = run()

    assert _calls(suwinet) == 4 and counts["delivered"] == 1 and counts["dead_lettered"] == 0
    assert len(esuite.store.documents_of(zaak)) == 1
    assert f"zaak {zaak} opnieuw uitgevraagd na een afgebroken run" in caplog.text
    with store.session() as session:
        assert session.scalars(select(LedgerEntry.state)).all() == [LedgerState.DELIVERED]


def test_an_unreachable_broker_holds_the_zaak_back_and_the_next_run_asks_it(
    suwinet: SoapSimHandle,
    esuite: SimulatorHandle,
    esuite_target: EsuiteDocumentTarget,
    make_zaak: Callable[..., str],
    run: Run,
    store: Store,
    settings: Settings,
) -> None:
    index = with_income(suwinet.data, wanted=True)
    zaak = make_zaak(index)
    cert, key = suwinet.pki.client.as_requests_cert
    closed = SuwinetConfig(url="https://127.0.0.1:9/x", client_cert=cert, client_key=key)
    away = SuwinetClient(closed)

    with pytest.raises(TransientError, match="1 zaken uitgesteld"):
        run_suwinet(
            suwinet=away,
            zaaksysteem=esuite_target,
            lezer=esuite_target.client,
            secret=SECRET,
            settings=settings,
            store=store,
            retry=FAST,
        )
    away.close()

    uitkomsten = [q.uitkomst for q in queries_about(store, suwinet.known_bsn(index), SECRET)]
    assert uitkomsten == ["gevraagd", "mislukt: TransientError"] * FAST.attempts
    assert run()["delivered"] == 1 and len(esuite.store.documents_of(zaak)) == 1


def test_a_client_certificate_expiring_within_30_days_is_in_the_run_summary(
    suwinet: SoapSimHandle,
    suwinet_client: SuwinetClient,
    make_zaak: Callable[..., str],
    run: Run,
    store: Store,
) -> None:
    make_zaak(with_income(suwinet.data, wanted=True))
    # the test CA issues certificates valid for 30 days: this one expires within the window
    result = run(certificates=[suwinet_client.config])
    assert result["delivered"] == 1
    (warning,) = result["waarschuwingen"]
    assert warning.startswith("Connection ketenbrug_suwinet: clientcertificaat verloopt op ")
    with store.session() as session:
        (row,) = session.scalars(select(SyncRun)).all()
    assert row.warnings == warning

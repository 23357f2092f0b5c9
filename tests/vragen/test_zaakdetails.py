"""geefZaakdetails on the inbox endpoint: asked of the e-Suite, answered in ZDS 1.1."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from adapters.gws4all import inbound
from simulators.testing import SimulatorHandle
from stuf import Fout, ZaakdetailsAntwoord, parse_message
from sync.blobs import BlobStore
from sync.identity import IdentityMap
from sync.inbox import Inbox
from sync.inbox_app import InboxServer
from sync.store.db import Store
from sync.store.models import DeadLetter, IdentityLink, InboxMessage
from tests.vragen.conftest import make_vragen
from tests.vragen.messages import BSN, CDR, GWS4ALL, assert_valid_11, esuite_zaak, geef_zaakdetails

ZAAK = "1900KB0000000001"


def _rows(store: Store, model: type) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_decode_recognises_a_question_and_stores_nothing() -> None:
    body, _sg = geef_zaakdetails(ZAAK)
    decoded = inbound.decode(body, soap_action=None, payload_ref="x")
    assert decoded.function == "geefZaakdetails"
    assert decoded.question is not None and decoded.records == []


def test_zaakdetails_from_the_esuite_in_gws4all_codes(
    inbox: Inbox, esuite: SimulatorHandle, store: Store
) -> None:
    esuite_zaak(esuite.store, ZAAK)
    body, asked = geef_zaakdetails(ZAAK)
    answer = inbox.receive(body, None)
    assert answer.status == 200, answer.body[:500]
    assert_valid_11(answer.body)
    reply = parse_message(answer.body)
    assert isinstance(reply, ZaakdetailsAntwoord) and reply.zaak is not None
    assert reply.zaak.identificatie == ZAAK
    assert reply.zaak.zaaktype_code == "PW-LO-AANV"  # the e-Suite's B1026, back in GWS4all terms
    assert reply.zaak.initiator_bsn == BSN  # the sender is authorised to see it
    assert [(s.statustype_code, s.statustype_volgnummer) for s in reply.statussen] == [
        ("GWS-AV-01", 1)
    ]
    sg = reply.stuurgegevens
    assert sg.berichtcode == "La01"
    assert sg.cross_refnummer == asked.referentienummer
    assert (sg.zender, sg.ontvanger) == (CDR, GWS4ALL)  # swapped
    assert answer.message_id is None
    # a question never changes state
    assert _rows(store, InboxMessage) == 0 and _rows(store, DeadLetter) == 0
    assert _rows(store, IdentityLink) == 0


def test_keys_go_through_the_identity_map(
    inbox: Inbox, esuite: SimulatorHandle, store: Store
) -> None:
    esuite_zaak(esuite.store, "0153ESUITE1000042")
    with store.session() as session:
        IdentityMap(session).link("zaak", "gws4all", "GWS-Z-00042", "esuite", "0153ESUITE1000042")
    body, _sg = geef_zaakdetails("GWS-Z-00042")
    reply = parse_message(inbox.receive(body, None).body)
    assert isinstance(reply, ZaakdetailsAntwoord) and reply.zaak is not None
    assert reply.zaak.identificatie == "GWS-Z-00042"
    assert all(s.zaak_identificatie == "GWS-Z-00042" for s in reply.statussen)


def test_unknown_zaak_is_an_la01_without_antwoord(inbox: Inbox) -> None:
    body, asked = geef_zaakdetails("1900KB0000009999")
    answer = inbox.receive(body, None)
    assert answer.status == 200
    assert_valid_11(answer.body)
    reply = parse_message(answer.body)
    assert isinstance(reply, ZaakdetailsAntwoord) and reply.zaak is None
    assert reply.stuurgegevens.cross_refnummer == asked.referentienummer


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers (a hung e-Suite)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield server.getsockname()[1]
    server.close()


def test_hung_esuite_gives_a_transient_fo_within_the_budget(
    store: Store, tmp_path: Path, silent_port: int
) -> None:
    answerer = make_vragen(store, f"http://127.0.0.1:{silent_port}/zds", tmp_path, budget_s=0.5)
    inbox = Inbox(store, blobs=BlobStore(tmp_path / "blobs"), questions=answerer.answer)
    body, asked = geef_zaakdetails(ZAAK)
    started = time.monotonic()
    answer = inbox.receive(body, None)
    elapsed = time.monotonic() - started
    answerer.close()
    assert elapsed < 1.5
    assert answer.status == 503
    assert_valid_11(answer.body)
    fout = parse_message(answer.body)
    assert isinstance(fout, Fout) and fout.code == "StUF049"
    assert fout.stuurgegevens is not None
    assert fout.stuurgegevens.cross_refnummer == asked.referentienummer
    assert fout.stuurgegevens.ontvanger == GWS4ALL


def test_esuite_down_gives_a_transient_fo(store: Store, tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    answerer = make_vragen(store, f"http://127.0.0.1:{port}/zds", tmp_path)
    inbox = Inbox(store, blobs=BlobStore(tmp_path / "blobs"), questions=answerer.answer)
    answer = inbox.receive(geef_zaakdetails(ZAAK)[0], None)
    answerer.close()
    fout = parse_message(answer.body)
    assert answer.status == 503 and isinstance(fout, Fout) and fout.code == "StUF049"


def test_without_an_esuite_configured_the_question_gets_a_fo(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KETENBRUG_ESUITE_URL", raising=False)
    inbox = Inbox(store, blobs=BlobStore(tmp_path / "blobs"))
    answer = inbox.receive(geef_zaakdetails(ZAAK)[0], None)
    assert answer.status == 500
    assert_valid_11(answer.body)
    fout = parse_message(answer.body)
    assert isinstance(fout, Fout) and "niet ingesteld" in fout.omschrijving
    assert _rows(store, InboxMessage) == 0 and _rows(store, DeadLetter) == 0


def test_the_inbox_process_builds_its_esuite_from_the_environment(
    store: Store, esuite: SimulatorHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KETENBRUG_ESUITE_URL", esuite.url + "/zds")
    monkeypatch.setenv("KETENBRUG_HOME", str(tmp_path))
    esuite_zaak(esuite.store, ZAAK)
    inbox = Inbox(store, blobs=BlobStore(tmp_path / "blobs"))
    reply = parse_message(inbox.receive(geef_zaakdetails(ZAAK)[0], None).body)
    assert isinstance(reply, ZaakdetailsAntwoord) and reply.zaak is not None


def test_over_http_the_soap_action_of_a_question_is_accepted(
    inbox: Inbox, esuite: SimulatorHandle, caplog: pytest.LogCaptureFixture
) -> None:
    esuite_zaak(esuite.store, ZAAK)
    body, _sg = geef_zaakdetails(ZAAK)
    action = "http://www.egem.nl/StUF/sector/zkn/0310/geefZaakdetails_Lv01"
    caplog.set_level(logging.DEBUG)
    with InboxServer(inbox) as server:
        response = requests.post(
            server.url,
            data=body,
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{action}"'},
            timeout=10,
        )
    assert response.status_code == 200, response.text[:300]
    assert_valid_11(response.content)
    reply = parse_message(response.content)
    assert isinstance(reply, ZaakdetailsAntwoord) and reply.zaak is not None
    assert BSN not in caplog.text  # the answer carries the BSN, no log line does


def test_novalue_fields_from_the_esuite_are_passed_on_not_refused(
    inbox: Inbox, esuite: SimulatorHandle
) -> None:
    import dataclasses

    from stuf import NoValue

    esuite_zaak(esuite.store, "1900KB0000000099")
    zaak, _statussen = esuite.store.get("1900KB0000000099")
    esuite.store.create_zaak(  # the e-Suite answers required-ish fields with noValue/nil
        dataclasses.replace(
            zaak,
            identificatie=ZAAK,
            toelichting=NoValue.GEEN_WAARDE,
            einddatum=NoValue.WAARDE_ONBEKEND,
        )
    )
    answer = inbox.receive(geef_zaakdetails(ZAAK)[0], None)
    assert answer.status == 200
    assert_valid_11(answer.body)
    reply = parse_message(answer.body)
    assert isinstance(reply, ZaakdetailsAntwoord) and reply.zaak is not None
    assert reply.zaak.einddatum is NoValue.WAARDE_ONBEKEND

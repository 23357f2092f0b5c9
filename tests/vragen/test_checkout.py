"""Editing through check-out: geefZaakdocumentbewerken, check-in by updateZaakdocument, and
cancelCheckout, answered on the inbox endpoint (ZDS 1.1)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from simulators.testing import SimulatorHandle
from stuf import (
    Bevestiging,
    CancelCheckout,
    Fout,
    GeefZaakdocumentBewerken,
    Stuurgegevens,
    UpdateZaakdocument,
    ZaakdocumentBewerkenAntwoord,
    ZdsVersion,
    build_message,
    new_stuurgegevens,
    parse_message,
)
from sync import checkout
from sync.inbox import Inbox, InboxAnswer
from sync.store.db import Store
from sync.store.models import DocumentCheckout, DocumentZaak, InboxMessage, utcnow
from tests.sync.messages import update_document
from tests.vragen.messages import CDR, GWS4ALL, assert_valid_11, esuite_document, esuite_zaak

ZAAK = "1900KB0000000021"
DOC = "1900KBD0000000021"
PDF = b"%PDF-1.7 brief " * 40
ACTION = "http://www.egem.nl/StUF/sector/zkn/0310/"


def bewerken(doc_id: str) -> tuple[bytes, Stuurgegevens]:
    sg = new_stuurgegevens("Di02", GWS4ALL, CDR, functie="geefZaakdocumentbewerken")
    message = GeefZaakdocumentBewerken(sg, document_identificatie=doc_id)
    return build_message(message, ZdsVersion.V1_1), sg


def cancel(doc_id: str, checked_out_id: str | None) -> tuple[bytes, Stuurgegevens]:
    sg = new_stuurgegevens("Di02", GWS4ALL, CDR, functie="cancelCheckout")
    message = CancelCheckout(sg, document_identificatie=doc_id, checked_out_id=checked_out_id)
    return build_message(message, ZdsVersion.V1_1), sg


def check_in(doc_id: str, zaak_id: str, content: bytes, checked_out_id: str | None) -> bytes:
    """updateZaakdocument with a new version, carrying ``checked_out_id`` (or none)."""
    message = parse_message(update_document(doc_id, zaak_id, content))
    assert isinstance(message, UpdateZaakdocument)
    message.checked_out_id = checked_out_id
    return build_message(message, ZdsVersion.V1_1)


def check_out(inbox: Inbox, doc_id: str = DOC) -> ZaakdocumentBewerkenAntwoord:
    body, asked = bewerken(doc_id)
    answer = inbox.receive(body, ACTION + "geefZaakdocumentbewerken_Di02")
    assert answer.status == 200, answer.body[:600]
    assert_valid_11(answer.body)
    reply = parse_message(answer.body)
    assert isinstance(reply, ZaakdocumentBewerkenAntwoord)
    assert reply.stuurgegevens.cross_refnummer == asked.referentienummer
    assert (reply.stuurgegevens.zender, reply.stuurgegevens.ontvanger) == (CDR, GWS4ALL)
    return reply


def refused(answer: InboxAnswer, asked: Stuurgegevens | None = None) -> Fout:
    """The Fo03 a refused check-out, check-in or cancelCheckout is answered with."""
    assert answer.status == 500
    assert_valid_11(answer.body)
    fout = parse_message(answer.body)
    assert isinstance(fout, Fout) and fout.berichtcode == "Fo03"
    assert fout.stuurgegevens is not None
    assert (fout.stuurgegevens.zender, fout.stuurgegevens.ontvanger) == (CDR, GWS4ALL)
    if asked is not None:
        assert fout.stuurgegevens.cross_refnummer == asked.referentienummer
    return fout


def count(store: Store, model: type) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def in_esuite(esuite: SimulatorHandle) -> None:
    esuite_zaak(esuite.store, ZAAK)
    esuite_document(esuite.store, DOC, ZAAK, PDF)


@pytest.mark.usefixtures("in_esuite")
def test_check_out_answers_the_document_and_records_who_holds_it(
    inbox: Inbox, store: Store
) -> None:
    reply = check_out(inbox)
    assert reply.document.identificatie == DOC and reply.document.inhoud == PDF
    assert len(reply.checked_out_id) >= 40, "random and unguessable"
    with store.session() as session:
        row = session.get(DocumentCheckout, ("gws4all", DOC))
        assert row is not None
        assert (row.checked_out_id, row.zender_organisatie, row.zender_applicatie) == (
            reply.checked_out_id,
            "1900",
            "GWS4all",
        )
    assert count(store, InboxMessage) == 0, "a question stores no message"
    assert count(store, DocumentZaak) == 0, "nor a link"


@pytest.mark.usefixtures("in_esuite")
def test_a_second_check_out_is_refused_saying_who_holds_it(inbox: Inbox, store: Store) -> None:
    first = check_out(inbox)
    body, asked = bewerken(DOC)
    fout = refused(inbox.receive(body, None), asked)
    assert fout.code == checkout.REFUSED_CODE
    assert f"document {DOC} is al uitgecheckt door 1900:GWS4all sinds" in fout.omschrijving
    with store.session() as session:
        row = session.get(DocumentCheckout, ("gws4all", DOC))
        assert row is not None and row.checked_out_id == first.checked_out_id


def test_check_out_of_an_unknown_document_is_refused_and_holds_nothing(
    inbox: Inbox, store: Store
) -> None:
    body, asked = bewerken("1900KBD0000009999")
    assert refused(inbox.receive(body, None), asked).code == "StUF064"
    assert count(store, DocumentCheckout) == 0


@pytest.mark.usefixtures("in_esuite")
@pytest.mark.parametrize("wrong", [None, "geraden-id"], ids=["without-id", "wrong-id"])
def test_check_in_without_the_right_id_is_refused_and_nothing_stored(
    inbox: Inbox, store: Store, wrong: str | None
) -> None:
    held = check_out(inbox)
    fout = refused(inbox.receive(check_in(DOC, ZAAK, b"%PDF versie 2", wrong), None))
    assert "inchecken" in fout.omschrijving and "geweigerd" in fout.omschrijving
    assert count(store, InboxMessage) == 0
    assert count(store, DocumentZaak) == 0
    with store.session() as session:
        row = session.get(DocumentCheckout, ("gws4all", DOC))
        assert row is not None and row.checked_out_id == held.checked_out_id


@pytest.mark.usefixtures("in_esuite")
def test_check_in_with_the_right_id_is_stored_and_ends_the_check_out(
    inbox: Inbox, store: Store
) -> None:
    held = check_out(inbox)
    answer = inbox.receive(check_in(DOC, ZAAK, b"%PDF versie 2", held.checked_out_id), None)
    assert answer.status == 200, answer.body[:400]
    assert isinstance(parse_message(answer.body), Bevestiging)
    with store.session() as session:
        stored = session.get(InboxMessage, answer.message_id)
        assert stored is not None and stored.function == "updateZaakdocument"
    assert count(store, DocumentCheckout) == 0
    assert check_out(inbox).checked_out_id != held.checked_out_id, "free to check out again"


@pytest.mark.usefixtures("in_esuite")
def test_a_check_in_refused_inside_the_storing_transaction_stores_nothing(
    inbox: Inbox, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The early read-only check passes (as when the check-out changes in between); the check
    in the storing transaction refuses and rolls the message back."""
    check_out(inbox)
    monkeypatch.setattr(Inbox, "_early_refusal", lambda *_args: None)
    answer = inbox.receive(check_in(DOC, ZAAK, b"%PDF versie 3", "geraden-id"), None)
    assert answer.status == 500
    assert count(store, InboxMessage) == 0
    assert count(store, DocumentCheckout) == 1


def test_an_update_of_a_document_nobody_checked_out_is_stored_as_always(
    inbox: Inbox, store: Store
) -> None:
    answer = inbox.receive(check_in(DOC, ZAAK, b"%PDF versie 2", "co-1"), None)
    assert answer.status == 200
    assert count(store, InboxMessage) == 1


@pytest.mark.usefixtures("in_esuite")
def test_cancel_checkout_with_a_wrong_id_is_refused_the_right_one_releases(
    inbox: Inbox, store: Store
) -> None:
    held = check_out(inbox)
    body, asked = cancel(DOC, "geraden-id")
    assert "cancelCheckout" in refused(inbox.receive(body, None), asked).omschrijving
    assert count(store, DocumentCheckout) == 1
    body, _asked = cancel(DOC, held.checked_out_id)
    answer = inbox.receive(body, ACTION + "cancelCheckout_Di02")
    assert answer.status == 200
    assert_valid_11(answer.body)
    bv02 = parse_message(answer.body)
    assert isinstance(bv02, Bevestiging) and bv02.berichtcode == "Bv02"
    assert count(store, DocumentCheckout) == 0
    assert check_out(inbox).checked_out_id != held.checked_out_id, "a new check-out works"
    assert count(store, InboxMessage) == 0


def test_cancel_checkout_of_a_document_not_checked_out_is_refused(inbox: Inbox) -> None:
    body, asked = cancel(DOC, "co-1")
    assert "niet uitgecheckt" in refused(inbox.receive(body, None), asked).omschrijving


def test_a_check_out_of_an_identificatie_longer_than_stuf_allows_is_refused(store: Store) -> None:
    with pytest.raises(checkout.CheckoutRefused, match="hooguit 40"):
        checkout.begin(store, "gws4all", "D" * 41, GWS4ALL, checkout.new_id())
    assert count(store, DocumentCheckout) == 0


def _age(store: Store, hours: float) -> None:
    """Let the check-out of DOC be ``hours`` old."""
    with store.session() as session:
        row = session.get(DocumentCheckout, ("gws4all", DOC))
        assert row is not None
        row.checked_out_at = utcnow() - timedelta(hours=hours)


@pytest.mark.usefixtures("in_esuite")
def test_a_forgotten_check_out_expires_and_the_next_check_out_takes_it_over(
    inbox: Inbox, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KETENBRUG_CHECKOUT_UREN", "8")
    forgotten = check_out(inbox)
    _age(store, 7.9)
    body, asked = bewerken(DOC)
    refused(inbox.receive(body, None), asked)  # not expired yet: still held

    _age(store, 8.1)
    taken = check_out(inbox)
    assert taken.checked_out_id != forgotten.checked_out_id
    with store.session() as session:
        row = session.get(DocumentCheckout, ("gws4all", DOC))
        assert row is not None and row.checked_out_id == taken.checked_out_id
    late = refused(inbox.receive(check_in(DOC, ZAAK, b"%PDF oud", forgotten.checked_out_id), None))
    assert "met een onjuist checkedOutId" in late.omschrijving, "the old id checks in nothing"
    assert (
        inbox.receive(check_in(DOC, ZAAK, b"%PDF nieuw", taken.checked_out_id), None).status == 200
    )

"""geefLijstZaakdocumenten and geefZaakdocumentLezen: from the e-Suite, merged with the inbox."""

from __future__ import annotations

from simulators.testing import SimulatorHandle
from stuf import Fout, LijstZaakdocumentenAntwoord, ZaakdocumentAntwoord, parse_message
from sync.identity import IdentityMap
from sync.inbox import Inbox
from sync.store.db import Store
from tests.sync.messages import creeer_zaak, update_document, voeg_document
from tests.vragen.messages import (
    CDR,
    GWS4ALL,
    assert_valid_11,
    esuite_document,
    esuite_zaak,
    geef_lezen,
    geef_lijst,
)

ZAAK = "1900KB0000000003"
PDF = b"%PDF-1.7 beschikking " * 50


def _lijst(inbox: Inbox, zaak: str) -> LijstZaakdocumentenAntwoord:
    body, asked = geef_lijst(zaak)
    answer = inbox.receive(
        body, "http://www.egem.nl/StUF/sector/zkn/0310/geefLijstZaakdocumenten_Lv01"
    )
    assert answer.status == 200, answer.body[:400]
    assert_valid_11(answer.body)
    reply = parse_message(answer.body)
    assert isinstance(reply, LijstZaakdocumentenAntwoord)
    assert reply.stuurgegevens.cross_refnummer == asked.referentienummer
    assert (reply.stuurgegevens.zender, reply.stuurgegevens.ontvanger) == (CDR, GWS4ALL)
    return reply


def _lezen(inbox: Inbox, document: str) -> ZaakdocumentAntwoord:
    body, asked = geef_lezen(document)
    answer = inbox.receive(body, None)
    assert answer.status == 200, answer.body[:400]
    assert_valid_11(answer.body)
    reply = parse_message(answer.body)
    assert isinstance(reply, ZaakdocumentAntwoord)
    assert reply.stuurgegevens.cross_refnummer == asked.referentienummer
    return reply


def test_lijst_from_the_esuite_with_keys_translated(
    inbox: Inbox, esuite: SimulatorHandle, store: Store
) -> None:
    esuite_zaak(esuite.store, "0153ESUITE1000003")
    esuite_document(esuite.store, "0153ESUITED1000001", "0153ESUITE1000003", PDF)
    with store.session() as session:
        identity = IdentityMap(session)
        identity.link("zaak", "gws4all", ZAAK, "esuite", "0153ESUITE1000003")
        identity.link("document", "gws4all", "1900KBD0000000001", "esuite", "0153ESUITED1000001")
    reply = _lijst(inbox, ZAAK)
    assert reply.zaak_identificatie == ZAAK
    assert [(d.identificatie, d.titel) for d in reply.documenten] == [
        ("1900KBD0000000001", "Beschikking")
    ]


def test_lijst_of_an_unknown_zaak_is_a_fo(inbox: Inbox) -> None:
    body, asked = geef_lijst("1900KB0000009999")
    answer = inbox.receive(body, None)
    assert answer.status == 500
    assert_valid_11(answer.body)
    fout = parse_message(answer.body)
    assert isinstance(fout, Fout) and "niet gevonden" in fout.omschrijving
    assert fout.stuurgegevens is not None
    assert fout.stuurgegevens.cross_refnummer == asked.referentienummer


def test_lijst_holds_documents_the_inbox_did_not_deliver_yet(
    inbox: Inbox, esuite: SimulatorHandle
) -> None:
    inbox.receive(creeer_zaak(ZAAK), None)
    assert inbox.receive(voeg_document("1900KBD0000000009", ZAAK, PDF), None).status == 200
    reply = _lijst(inbox, ZAAK)
    assert [d.identificatie for d in reply.documenten] == ["1900KBD0000000009"]


def test_lezen_from_the_esuite_with_its_content(inbox: Inbox, esuite: SimulatorHandle) -> None:
    esuite_zaak(esuite.store, ZAAK)
    esuite_document(esuite.store, "1900KBD0000000002", ZAAK, PDF)
    reply = _lezen(inbox, "1900KBD0000000002")
    assert reply.document is not None
    assert reply.document.inhoud == PDF
    assert reply.document.zaak_identificatie == ZAAK


def test_lezen_of_an_unknown_document_is_an_la01_without_antwoord(inbox: Inbox) -> None:
    assert _lezen(inbox, "1900KBD0000009999").document is None


def test_lezen_answers_the_pending_version_not_the_older_one(
    inbox: Inbox, esuite: SimulatorHandle
) -> None:
    """The e-Suite has version 1; GWS4all checked in version 2, still in the inbox."""
    esuite_zaak(esuite.store, ZAAK)
    esuite_document(esuite.store, "1900KBD0000000004", ZAAK, PDF)
    inbox.receive(voeg_document("1900KBD0000000004", ZAAK, PDF), None)  # links document → zaak
    newer = b"%PDF-1.7 versie 2 " * 40
    assert inbox.receive(update_document("1900KBD0000000004", ZAAK, newer), None).status == 200
    reply = _lezen(inbox, "1900KBD0000000004")
    assert reply.document is not None and reply.document.inhoud == newer


def test_lezen_of_a_document_only_the_inbox_holds(inbox: Inbox, esuite: SimulatorHandle) -> None:
    inbox.receive(creeer_zaak(ZAAK), None)
    inbox.receive(voeg_document("1900KBD0000000005", ZAAK, PDF), None)
    reply = _lezen(inbox, "1900KBD0000000005")
    assert reply.document is not None and reply.document.inhoud == PDF
    assert reply.document.titel == "Beschikking"

"""geefZaakstatus (ZDS 1.1 zakLv01): the zaak's status history, from the e-Suite's details."""

from __future__ import annotations

from adapters.gws4all import inbound
from simulators.testing import SimulatorHandle
from stuf import (
    Stuurgegevens,
    ZaakdetailsAntwoord,
    ZaakSelectie,
    ZaakstatusAntwoord,
    parse_message,
)
from sync.inbox import Inbox
from tests.sync.messages import status
from tests.vragen.messages import BSN, CDR, GWS4ALL, assert_valid_11, esuite_zaak
from tests.vragen.selectie_data import vraag

ZAAK = "1900KB0000000301"
ACTION = "http://www.egem.nl/StUF/sector/zkn/0310/geefZaakstatus_Lv01"


def _ask(inbox: Inbox, zaak: str, action: str | None = ACTION) -> tuple[bytes, Stuurgegevens]:
    body, asked = vraag(ZaakSelectie(identificatie=zaak), status=True)
    answer = inbox.receive(body, action)
    assert answer.status == 200, answer.body[:600]
    assert_valid_11(answer.body)
    return answer.body, asked


def test_decode_knows_geefzaakstatus() -> None:
    body, _sg = vraag(ZaakSelectie(identificatie=ZAAK), status=True)
    decoded = inbound.decode(body, soap_action=ACTION, payload_ref="x")
    assert decoded.function == "geefZaakstatus" and decoded.zaak_identificatie == ZAAK
    # without a SOAPAction its scope (identificatie and heeft only) tells it apart
    assert inbound.decode(body, soap_action=None, payload_ref="x").function == "geefZaakstatus"


def test_zaakstatus_answers_the_statuses_in_gws4all_codes(
    inbox: Inbox, esuite: SimulatorHandle
) -> None:
    esuite_zaak(esuite.store, ZAAK)
    assert inbox.receive(status(ZAAK, "GWS-AV-03", 3, 5), None).status == 200  # not delivered
    body, asked = _ask(inbox, ZAAK)
    reply = parse_message(body, soap_action=ACTION)
    assert isinstance(reply, ZaakstatusAntwoord) and reply.zaak is not None
    assert reply.zaak.identificatie == ZAAK
    assert [(s.statustype_code, s.statustype_volgnummer) for s in reply.statussen] == [
        ("GWS-AV-01", 1),
        ("GWS-AV-03", 3),  # read your writes, as geefZaakdetails
    ]
    # only the zaak's identificatie and its statuses: no initiator, zaaktype or omschrijving
    assert (
        BSN.encode() not in body and b"isVan" not in body and b"omschrijving>Aanvraag" not in body
    )
    assert reply.stuurgegevens.cross_refnummer == asked.referentienummer
    assert (reply.stuurgegevens.zender, reply.stuurgegevens.ontvanger) == (CDR, GWS4ALL)


def test_zaakstatus_of_an_unknown_zaak_has_no_antwoord(inbox: Inbox) -> None:
    body, _asked = _ask(inbox, "1900KB0000009998")
    reply = parse_message(body, soap_action=ACTION)
    assert isinstance(reply, ZaakdetailsAntwoord) and reply.zaak is None
    assert b"antwoord" not in body.split(b"</ZKN:parameters>")[1]

"""Read your own writes: what the inbox accepted is in the answer before it was delivered."""

from __future__ import annotations

from simulators.testing import SimulatorHandle
from stuf import ZaakdetailsAntwoord, parse_message
from sync.inbox import Inbox
from tests.sync.messages import BSN, creeer_zaak, status
from tests.vragen.messages import assert_valid_11, esuite_zaak, geef_zaakdetails

ZAAK = "1900KB0000000007"


def _ask(inbox: Inbox, zaak: str) -> ZaakdetailsAntwoord:
    answer = inbox.receive(geef_zaakdetails(zaak)[0], None)
    assert answer.status == 200, answer.body[:400]
    assert_valid_11(answer.body)
    reply = parse_message(answer.body)
    assert isinstance(reply, ZaakdetailsAntwoord)
    return reply


def test_creeer_zaak_then_at_once_geef_zaakdetails_is_never_onbekend(
    inbox: Inbox, esuite: SimulatorHandle
) -> None:
    assert inbox.receive(creeer_zaak(ZAAK), None).status == 200  # Bv03: accepted, not delivered
    reply = _ask(inbox, ZAAK)
    assert ZAAK not in esuite.store  # the e-Suite does not know it yet
    assert reply.zaak is not None
    assert reply.zaak.identificatie == ZAAK
    assert reply.zaak.zaaktype_code == "PW-LO-AANV"
    assert reply.zaak.omschrijving == "Aanvraag levensonderhoud"
    assert reply.zaak.initiator_bsn == BSN


def test_pending_statuses_are_in_the_answer_in_date_order(
    inbox: Inbox, esuite: SimulatorHandle
) -> None:
    inbox.receive(creeer_zaak(ZAAK), None)
    inbox.receive(status(ZAAK, "GWS-AV-03", 3, 5), None)
    inbox.receive(status(ZAAK, "GWS-AV-01", 1, 2), None)
    reply = _ask(inbox, ZAAK)
    assert [s.statustype_code for s in reply.statussen] == ["GWS-AV-01", "GWS-AV-03"]


def test_pending_status_on_a_delivered_zaak_is_merged_once(
    inbox: Inbox, esuite: SimulatorHandle
) -> None:
    """The e-Suite holds the zaak and status 1 (2 March 09:30); the inbox still holds status 1
    (delivered, not yet acknowledged: in flight) and a new status 3."""
    esuite_zaak(esuite.store, ZAAK)
    inbox.receive(status(ZAAK, "GWS-AV-01", 1, 2), None)  # same moment as the e-Suite's
    inbox.receive(status(ZAAK, "GWS-AV-03", 3, 6), None)
    reply = _ask(inbox, ZAAK)
    assert [s.statustype_code for s in reply.statussen] == ["GWS-AV-01", "GWS-AV-03"]

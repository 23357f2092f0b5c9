"""geefZaakdetails selecting on more than one identificatie: BSN, zaaktype, dates, scope, paging.

The candidates come from the e-Suite's ZGW Zaken API, the details from its ZDS geefZaakdetails;
every answer is valid ZDS 1.1, in GWS4all's keys and codes, and changes nothing.
"""

from __future__ import annotations

import logging
from datetime import date

import pytest
import requests
from sqlalchemy import func, select

from adapters.esuite.zaak_lijst import ZaakZoekvraag
from simulators.testing import SimulatorHandle
from stuf import ZaakdetailsAntwoord, ZaakScope, ZaakSelectie, parse_message
from sync.identity import IdentityMap
from sync.inbox import Inbox
from sync.inbox_app import InboxServer
from sync.store.db import Store
from sync.store.models import DeadLetter, IdentityLink, InboxMessage
from sync.vragen import Vragen
from tests.vragen.messages import BSN, CDR, GWS4ALL, assert_valid_11
from tests.vragen.selectie_data import OTHER_BSN, put_zaak, vraag

A1, A2, A3 = "1900KB0000000101", "1900KB0000000102", "1900KB0000000103"
B1 = "1900KB0000000201"
ACTION = "http://www.egem.nl/StUF/sector/zkn/0310/geefZaakdetails_Lv01"


@pytest.fixture
def zaken(esuite: SimulatorHandle) -> SimulatorHandle:
    """Three zaken of BSN (two bijstand, one bijzondere bijstand), one of another person."""
    put_zaak(esuite.store, A2, start=date(2026, 3, 5))
    put_zaak(esuite.store, A1, start=date(2026, 3, 1))
    put_zaak(esuite.store, A3, zaaktype="B1027", start=date(2026, 4, 1))
    put_zaak(esuite.store, B1, bsn=OTHER_BSN, start=date(2026, 3, 2))
    return esuite


def _ask(inbox: Inbox, body: bytes, action: str | None = None) -> ZaakdetailsAntwoord:
    answer = inbox.receive(body, action)
    assert answer.status == 200, answer.body[:600]
    assert_valid_11(answer.body)
    reply = parse_message(answer.body, soap_action=action)
    assert isinstance(reply, ZaakdetailsAntwoord)
    return reply


def _ids(reply: ZaakdetailsAntwoord) -> list[str]:
    return [zaak.identificatie for zaak, _statussen in reply.zaken]


def _rows(store: Store, model: type) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_gelijk_on_the_bsn_answers_that_persons_zaken_only(
    inbox: Inbox, zaken: SimulatorHandle, store: Store
) -> None:
    body, asked = vraag(ZaakSelectie(initiator_bsn=BSN))
    reply = _ask(inbox, body)
    assert _ids(reply) == [A1, A2, A3]  # in identificatie order, B1 (another person) left out
    assert {zaak.initiator_bsn for zaak, _s in reply.zaken} == {BSN}
    assert reply.vervolg is False
    sg = reply.stuurgegevens
    assert sg.cross_refnummer == asked.referentienummer
    assert (sg.zender, sg.ontvanger) == (CDR, GWS4ALL)
    # in GWS4all's codes: B1026 -> PW-LO-AANV, B1027 -> PW-BB-AANV
    assert [zaak.zaaktype_code for zaak, _s in reply.zaken] == [
        "PW-LO-AANV",
        "PW-LO-AANV",
        "PW-BB-AANV",
    ]
    assert all(statussen for _zaak, statussen in reply.zaken)
    # a question changes nothing
    assert _rows(store, InboxMessage) == _rows(store, DeadLetter) == _rows(store, IdentityLink) == 0


def test_gelijk_on_the_zaaktype_in_gws4all_code(inbox: Inbox, zaken: SimulatorHandle) -> None:
    reply = _ask(inbox, vraag(ZaakSelectie(zaaktype_code="PW-LO-AANV"))[0])
    assert _ids(reply) == [A1, A2, B1]
    reply = _ask(inbox, vraag(ZaakSelectie(zaaktype_code="PW-BB-AANV", initiator_bsn=BSN))[0])
    assert _ids(reply) == [A3]


def test_a_startdatum_range(inbox: Inbox, zaken: SimulatorHandle) -> None:
    selectie = ZaakSelectie(
        startdatum_vanaf=date(2026, 3, 2), startdatum_tot_en_met=date(2026, 3, 31)
    )
    assert _ids(_ask(inbox, vraag(selectie)[0])) == [A2, B1]
    exact = ZaakSelectie(startdatum_vanaf=date(2026, 3, 1), startdatum_tot_en_met=date(2026, 3, 1))
    assert _ids(_ask(inbox, vraag(exact)[0])) == [A1]  # a gelijk on the date


def test_nothing_selected_is_an_la01_without_antwoord(inbox: Inbox, zaken: SimulatorHandle) -> None:
    reply = _ask(inbox, vraag(ZaakSelectie(initiator_bsn="123456782"))[0])
    assert reply.zaak is None and reply.zaken == [] and reply.vervolg is False


def test_a_scope_without_related_entities_answers_the_zaak_only(
    inbox: Inbox, zaken: SimulatorHandle
) -> None:
    scope = ZaakScope(zaaktype=False, initiator=False, statussen=False)
    answer = inbox.receive(vraag(ZaakSelectie(initiator_bsn=BSN), scope=scope)[0], None)
    assert_valid_11(answer.body)
    for element in (b"heeftAlsInitiator", b"<ZKN:heeft ", b"isVan", BSN.encode()):
        assert element not in answer.body
    reply = parse_message(answer.body)
    assert isinstance(reply, ZaakdetailsAntwoord)
    zaak, statussen = reply.zaken[0]
    assert (zaak.identificatie, zaak.omschrijving, zaak.startdatum) == (
        A1,
        "Aanvraag 101",
        date(2026, 3, 1),
    )
    assert zaak.initiator_bsn is None and zaak.zaaktype_code is None and statussen == []


def test_the_scope_of_one_zaak_by_identificatie_is_kept_too(
    inbox: Inbox, zaken: SimulatorHandle
) -> None:
    scope = ZaakScope(zaaktype=True, initiator=False, statussen=False)
    answer = inbox.receive(vraag(ZaakSelectie(identificatie=A1), scope=scope)[0], None)
    assert_valid_11(answer.body)
    assert BSN.encode() not in answer.body and b"isVan" in answer.body


def test_paging_two_then_the_last_one(inbox: Inbox, zaken: SimulatorHandle) -> None:
    first = _ask(inbox, vraag(ZaakSelectie(initiator_bsn=BSN), maximum=2)[0])
    assert _ids(first) == [A1, A2] and first.vervolg is True
    start = _ids(first)[-1]  # the asker sends the last zaak it got back as start
    body, _sg = vraag(ZaakSelectie(initiator_bsn=BSN), maximum=2, start=start)
    following = _ask(inbox, body)
    assert _ids(following) == [A3] and following.vervolg is False


def test_exactly_a_full_page_has_no_vervolg(inbox: Inbox, zaken: SimulatorHandle) -> None:
    reply = _ask(inbox, vraag(ZaakSelectie(initiator_bsn=BSN), maximum=3)[0])
    assert _ids(reply) == [A1, A2, A3] and reply.vervolg is False


def test_listed_keys_go_back_through_the_identity_map(
    inbox: Inbox, esuite: SimulatorHandle, store: Store
) -> None:
    put_zaak(esuite.store, "0153ESUITE1000077")
    with store.session() as session:
        IdentityMap(session).link("zaak", "gws4all", "GWS-Z-00077", "esuite", "0153ESUITE1000077")
    reply = _ask(inbox, vraag(ZaakSelectie(initiator_bsn=BSN))[0])
    assert _ids(reply) == ["GWS-Z-00077"]
    assert all(s.zaak_identificatie == "GWS-Z-00077" for s in reply.statussen)


def test_identificatie_and_bsn_must_both_hold(inbox: Inbox, zaken: SimulatorHandle) -> None:
    assert _ids(_ask(inbox, vraag(ZaakSelectie(identificatie=B1, initiator_bsn=BSN))[0])) == []
    assert _ids(_ask(inbox, vraag(ZaakSelectie(identificatie=A1, initiator_bsn=BSN))[0])) == [A1]


def test_the_zgw_listing_filters_on_the_bsn(vragen: Vragen, zaken: SimulatorHandle) -> None:
    assert vragen.zaken.zoek(ZaakZoekvraag(bsn=OTHER_BSN)) == [B1]
    assert vragen.zaken.zoek(ZaakZoekvraag(bsn=BSN, zaaktype_code="B1027")) == [A3]


def test_over_http_no_bsn_in_any_ketenbrug_log_line(
    inbox: Inbox,
    zaken: SimulatorHandle,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    # Another test's logging config (Airflow's dictConfig) may have disabled or quieted
    # urllib3's logger in this process: this test needs its request lines, to see them masked.
    pool_log = logging.getLogger("urllib3.connectionpool")
    monkeypatch.setattr(pool_log, "disabled", False)
    monkeypatch.setattr(pool_log, "propagate", True)
    caplog.set_level(logging.DEBUG, logger="urllib3.connectionpool")
    caplog.set_level(logging.DEBUG, logger="urllib3")
    body, asked = vraag(ZaakSelectie(initiator_bsn=BSN), maximum=2)
    with InboxServer(inbox) as server:
        response = requests.post(
            server.url,
            data=body,
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{ACTION}"'},
            timeout=10,
        )
    assert response.status_code == 200, response.text[:300]
    assert_valid_11(response.content)
    reply = parse_message(response.content)
    assert isinstance(reply, ZaakdetailsAntwoord) and _ids(reply) == [A1, A2]
    assert reply.stuurgegevens.cross_refnummer == asked.referentienummer
    # urllib3 logged the listing's request line (its query holds the BSN filter): masked
    assert any("inpBsn=" in r.getMessage() for r in caplog.records if r.name.startswith("urllib3"))
    ours = [r.getMessage() for r in caplog.records if not r.name.startswith("simulators")]
    assert not [line for line in ours if BSN in line]

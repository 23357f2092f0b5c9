"""zakLv01 selection, scope and paging (geefZaakdetails, geefZaakstatus), and zakLa01 answers
with several zaken and indicatorVervolgvraag: parsed, built, valid against the ZDS 1.1 XSD."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from stuf import (
    GeefZaakdetails,
    GeefZaakstatus,
    StufError,
    Stuurgegevens,
    Systeem,
    Zaak,
    ZaakdetailsAntwoord,
    ZaakScope,
    ZaakSelectie,
    ZaakStatus,
    ZaakstatusAntwoord,
    ZdsVersion,
    build_message,
    new_stuurgegevens,
    parse_message,
    soap_action_for,
    validate,
)

ASKER, ANSWERER = Systeem("1900", "GWS4all"), Systeem("1900", "CDR")
BSN = "111222333"
V11 = ZdsVersion.V1_1


def _sg(code: str = "Lv01") -> Stuurgegevens:
    cross = "q-1" if code == "La01" else None  # a question has no crossRefnummer
    return new_stuurgegevens(code, ASKER, ANSWERER, entiteittype="ZAK", cross_refnummer=cross)


def _zaak(identificatie: str) -> tuple[Zaak, list[ZaakStatus]]:
    zaak = Zaak(identificatie, "PW-LO-AANV", omschrijving="x", initiator_bsn=BSN)
    moment = datetime(2026, 3, 2, 9, tzinfo=UTC)
    return zaak, [ZaakStatus(identificatie, "GWS-AV-01", 1, moment, "PW-LO-AANV")]


QUESTIONS = [
    GeefZaakdetails(_sg(), "1900KB0000000001"),
    GeefZaakdetails(
        _sg(),
        "",
        selectie=ZaakSelectie(
            zaaktype_code="PW-LO-AANV",
            initiator_bsn=BSN,
            startdatum_vanaf=date(2026, 1, 1),
            startdatum_tot_en_met=date(2026, 3, 31),
            registratiedatum_vanaf=date(2026, 2, 1),
        ),
        scope=ZaakScope(zaaktype=False, initiator=False, statussen=False),
        maximum_aantal=2,
        start="1900KB0000000002",
    ),
    GeefZaakdetails(
        _sg(),
        "",
        selectie=ZaakSelectie(
            startdatum_vanaf=date(2026, 1, 5), startdatum_tot_en_met=date(2026, 1, 5)
        ),
    ),
    GeefZaakstatus(_sg(), "1900KB0000000001"),
]


@pytest.mark.parametrize("question", QUESTIONS, ids=["simple", "full", "gelijk-datum", "status"])
def test_questions_round_trip_and_are_valid(question: GeefZaakdetails) -> None:
    body = build_message(question, V11)
    assert validate(body, V11) == []
    parsed = parse_message(body, soap_action=soap_action_for(question, V11))
    assert type(parsed) is type(question)
    assert parsed == question


def test_the_simple_question_is_what_it_always_was() -> None:
    parsed = parse_message(build_message(QUESTIONS[0], V11))
    assert isinstance(parsed, GeefZaakdetails)
    assert (parsed.zaak_identificatie, parsed.selectie, parsed.scope) == (
        "1900KB0000000001",
        None,
        None,
    )


def _lv01(body: str, params: str = "") -> bytes:
    return f"""<ZKN:zakLv01 xmlns:ZKN="http://www.egem.nl/StUF/sector/zkn/0310"
        xmlns:StUF="http://www.egem.nl/StUF/StUF0301" xmlns:BG="http://www.egem.nl/StUF/sector/bg/0310"
        xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
      <ZKN:stuurgegevens><StUF:berichtcode>Lv01</StUF:berichtcode>
        <StUF:zender><StUF:applicatie>GWS4all</StUF:applicatie></StUF:zender>
        <StUF:ontvanger><StUF:applicatie>CDR</StUF:applicatie></StUF:ontvanger>
        <StUF:referentienummer>r1</StUF:referentienummer>
        <StUF:tijdstipBericht>20260301120000</StUF:tijdstipBericht>
        <StUF:entiteittype>ZAK</StUF:entiteittype></ZKN:stuurgegevens>
      <ZKN:parameters><StUF:sortering>0</StUF:sortering>
        <StUF:indicatorVervolgvraag>false</StUF:indicatorVervolgvraag>{params}</ZKN:parameters>
      {body}</ZKN:zakLv01>""".encode()


def test_a_hand_written_selection_with_inp_bsn_and_an_explicit_scope() -> None:
    message = parse_message(
        _lv01(
            f"""<ZKN:gelijk StUF:entiteittype="ZAK">
              <ZKN:heeftAlsInitiator StUF:entiteittype="ZAKBTRINI">
              <ZKN:gerelateerde><ZKN:natuurlijkPersoon StUF:entiteittype="NPS">
              <BG:inp.bsn>{BSN}</BG:inp.bsn></ZKN:natuurlijkPersoon></ZKN:gerelateerde>
              </ZKN:heeftAlsInitiator></ZKN:gelijk>
            <ZKN:vanaf StUF:entiteittype="ZAK"><ZKN:startdatum>20260101</ZKN:startdatum></ZKN:vanaf>
            <ZKN:scope><ZKN:object StUF:entiteittype="ZAK"><ZKN:identificatie xsi:nil="true"/>
              <ZKN:heeft StUF:entiteittype="ZAKSTT">
              <ZKN:gerelateerde StUF:entiteittype="STT"/></ZKN:heeft>
              <ZKN:isVan StUF:entiteittype="ZAKZKT"/></ZKN:object></ZKN:scope>""",
            "<StUF:maximumAantal>5</StUF:maximumAantal>",
        )
    )
    assert isinstance(message, GeefZaakdetails) and not isinstance(message, GeefZaakstatus)
    assert message.selectie == ZaakSelectie(initiator_bsn=BSN, startdatum_vanaf=date(2026, 1, 1))
    assert message.scope == ZaakScope(zaaktype=True, initiator=False, statussen=True)
    assert message.maximum_aantal == 5 and message.zaak_identificatie == ""
    assert BSN not in repr(message)


@pytest.mark.parametrize(
    "body",
    [
        '<ZKN:gelijk StUF:entiteittype="ZAK"><ZKN:omschrijving>x</ZKN:omschrijving></ZKN:gelijk>',
        f"""<ZKN:gelijk StUF:entiteittype="ZAK">
            <ZKN:heeftAlsInitiator StUF:entiteittype="ZAKBTRINI">
            <ZKN:gerelateerde StUF:entiteittype="BTR"><ZKN:naam>{BSN}</ZKN:naam>
            </ZKN:gerelateerde></ZKN:heeftAlsInitiator></ZKN:gelijk>""",
        '<ZKN:vanaf StUF:entiteittype="ZAK">'
        "<ZKN:identificatie>1900KB0000000001</ZKN:identificatie></ZKN:vanaf>",
        "",
    ],
    ids=["omschrijving", "initiator-naam", "vanaf-identificatie", "empty"],
)
def test_what_cannot_be_selected_on_is_refused_not_ignored(body: str) -> None:
    with pytest.raises(StufError) as caught:
        parse_message(_lv01(body))
    assert BSN not in str(caught.value)


def test_answers_with_several_zaken_and_vervolg_are_valid_and_read_back() -> None:
    sg = _sg("La01")
    (z1, s1), (z2, s2) = _zaak("1900KB0000000001"), _zaak("1900KB0000000002")
    answer = ZaakdetailsAntwoord(sg, z1, s1, [(z2, s2)], vervolg=True)
    body = build_message(answer, V11)
    assert validate(body, V11) == []
    assert b"<StUF:indicatorVervolgvraag>true</StUF:indicatorVervolgvraag>" in body
    parsed = parse_message(body)
    assert isinstance(parsed, ZaakdetailsAntwoord)
    assert [zaak.identificatie for zaak, _s in parsed.zaken] == [z1.identificatie, z2.identificatie]
    assert parsed.vervolg is True and parsed.warnings == []


def test_scopes_leave_related_entities_out_and_stay_valid() -> None:
    zaak, statussen = _zaak("1900KB0000000001")
    bare = ZaakScope(zaaktype=False, initiator=False, statussen=False)
    body = build_message(
        ZaakdetailsAntwoord(_sg("La01"), zaak, statussen, scope=bare),
        V11,
    )
    assert validate(body, V11) == []
    assert b"heeftAlsInitiator" not in body and b"isVan" not in body and b"ZAKSTT" not in body
    status_body = build_message(ZaakstatusAntwoord(_sg("La01"), zaak, statussen), V11)
    assert validate(status_body, V11) == []
    assert b"ZAKSTT" in status_body and b"omschrijving" not in status_body
    action = soap_action_for(ZaakstatusAntwoord(_sg("La01"), None), V11)
    assert action.endswith("/geefZaakstatus_Lv01")
    parsed = parse_message(status_body, soap_action=action)
    assert isinstance(parsed, ZaakstatusAntwoord) and len(parsed.statussen) == 1


def test_an_empty_answer_is_valid() -> None:
    body = build_message(ZaakdetailsAntwoord(_sg("La01"), None), V11)
    assert validate(body, V11) == [] and b"antwoord" not in body.split(b"parameters>")[-1]


@pytest.mark.parametrize("question", QUESTIONS[1:], ids=["full", "gelijk-datum", "status"])
def test_zds_12_refuses_what_its_schema_shapes_differently(question: GeefZaakdetails) -> None:
    with pytest.raises(StufError):
        build_message(question, ZdsVersion.V1_2)
    assert validate(build_message(QUESTIONS[0], ZdsVersion.V1_2), ZdsVersion.V1_2) == []

"""Outbound: every message kind, both versions, both SOAP versions, valid against the XSD."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest

from stuf import (
    ActualiseerZaakstatus,
    Bevestiging,
    CreeerZaak,
    Fout,
    GeefZaakdetails,
    NoValue,
    SoapVersion,
    StufError,
    VoegZaakdocumentToe,
    ZdsVersion,
    build_fault,
    build_message,
    new_stuurgegevens,
    soap_action_for,
    validate,
)
from tests.stuf.conftest import BSN, CDR, DOC, GWS, ZAAK, all_samples, sg, xpath

SAMPLES = all_samples()
IDS = [f"{i}-{type(m).__name__}" for i, m in enumerate(SAMPLES)]


@pytest.mark.parametrize("soap", list(SoapVersion))
@pytest.mark.parametrize("version", list(ZdsVersion))
@pytest.mark.parametrize("message", SAMPLES, ids=IDS)
def test_every_kind_is_schema_valid(
    message: object, version: ZdsVersion, soap: SoapVersion
) -> None:
    data = build_message(message, version, soap=soap)  # type: ignore[arg-type]
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert validate(data, version) == []


def test_version_12_uses_zds_elements_and_11_zkn() -> None:
    msg = CreeerZaak(sg(), ZAAK)
    v11 = build_message(msg, ZdsVersion.V1_1)
    v12 = build_message(msg, ZdsVersion.V1_2)
    assert xpath(v11, "count(//ZKN:zakLk01)") == [1.0]
    assert xpath(v12, "count(//ZDS:creeerZaak_ZakLk01)") == [1.0]
    for data in (v11, v12):
        assert xpath(data, "string(//ZKN:object/@StUF:verwerkingssoort)") == ["T"]
        assert xpath(data, "string(//ZKN:object/ZKN:isVan/ZKN:gerelateerde/ZKN:code)") == ["B1026"]
        assert xpath(data, "string(//BG:inp.bsn)") == [BSN]
        assert xpath(data, "string(//StUF:mutatiesoort)") == ["T"]


def test_soap_12_envelope_and_fault() -> None:
    data = build_message(
        GeefZaakdetails(sg("Lv01"), "ZAAK-0001"), ZdsVersion.V1_2, soap=SoapVersion.V1_2
    )
    assert xpath(data, "count(/s12:Envelope/s12:Body/ZDS:geefZaakdetails_ZakLv01)") == [1.0]
    fault = build_fault(
        Fout("Fo02", "StUF055", "client", "fout"), ZdsVersion.V1_2, soap=SoapVersion.V1_2
    )
    assert xpath(fault, "string(//s12:Fault/s12:Code/s12:Value)") == ["soapenv:Sender"]
    assert xpath(fault, "string(//s12:Detail/StUF:Fo02Bericht/StUF:body/StUF:code)") == ["StUF055"]
    assert validate(fault, ZdsVersion.V1_2) == []


def test_soap_11_fault_structure() -> None:
    fout = Fout("Fo03", "StUF058", "server", "Proces geeft fout", None, sg("Fo03"))
    data = build_fault(fout, ZdsVersion.V1_1)
    assert xpath(data, "string(//s11:Fault/faultcode)") == ["soapenv:Server"]
    assert xpath(data, "string(//s11:Fault/faultstring)") == ["Proces geeft fout"]
    assert xpath(data, "count(//s11:Fault/detail/StUF:Fo03Bericht)") == [1.0]
    assert validate(data, ZdsVersion.V1_1) == []


def test_actualiseer_zaakstatus_was_and_wordt() -> None:
    msg = next(m for m in SAMPLES if isinstance(m, ActualiseerZaakstatus) and m.was is None)
    data = build_message(msg, ZdsVersion.V1_2)
    assert xpath(data, "count(//ZKN:object)") == [2.0]
    assert xpath(data, "string(//ZKN:object[1]/ZKN:heeft/@xsi:nil)") == ["true"]
    assert xpath(data, "string(//ZKN:object[2]/ZKN:heeft/ZKN:gerelateerde/ZKN:volgnummer)") == [
        "0001"
    ]
    assert xpath(data, "string(//ZKN:object[2]/ZKN:heeft/ZKN:datumStatusGezet)") == [
        "20240102080104500"
    ]


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (ZdsVersion.V1_1, "http://www.egem.nl/StUF/sector/zkn/0310/creeerZaak_Lk01"),
        (ZdsVersion.V1_2, "http://www.stufstandaarden.nl/koppelvlak/zds0120/creeerZaak_ZakLk01"),
    ],
)
def test_soap_action(version: ZdsVersion, expected: str) -> None:
    assert soap_action_for(CreeerZaak(sg(), ZAAK), version) == expected
    assert soap_action_for(Bevestiging("Bv03", sg("Bv03")), version).endswith("/StUF0301/Bv03")


def test_soap_action_for_every_kind() -> None:
    for message in SAMPLES:
        for version in ZdsVersion:
            assert soap_action_for(message, version).startswith("http://")


def test_new_stuurgegevens_is_fresh() -> None:
    first = new_stuurgegevens("Lk01", GWS, CDR, entiteittype="ZAK")
    second = new_stuurgegevens("Lk01", GWS, CDR)
    assert first.referentienummer != second.referentienummer
    assert re.fullmatch(r"[0-9a-f-]{36}", first.referentienummer)
    assert re.fullmatch(r"\d{17}", first.tijdstip_bericht)
    assert first.entiteittype == "ZAK"


@pytest.mark.parametrize(
    ("message", "plek"),
    [
        (CreeerZaak(sg(), replace(ZAAK, identificatie="Z1")), "object/identificatie"),
        (CreeerZaak(sg(), replace(ZAAK, startdatum=None)), "object/startdatum"),
        (CreeerZaak(sg(), replace(ZAAK, zaaktype_code=None)), "object/isVan/gerelateerde/code"),
        (CreeerZaak(sg(tijdstip_bericht="2024"), ZAAK), "stuurgegevens/tijdstipBericht"),
        (CreeerZaak(sg(referentienummer="x" * 41), ZAAK), "stuurgegevens/referentienummer"),
        (VoegZaakdocumentToe(sg(), replace(DOC, inhoud=None)), "object/inhoud"),
        (VoegZaakdocumentToe(sg(), replace(DOC, inhoud=NoValue.NIL)), "object/inhoud"),
        (CreeerZaak(sg(), replace(ZAAK, startdatum=NoValue.GEEN_WAARDE)), "object/startdatum"),
        (Bevestiging("Bv03"), "stuurgegevens"),
        (Bevestiging("Bv09"), "/"),
    ],
)
def test_outbound_is_strict(message: object, plek: str) -> None:
    with pytest.raises(StufError) as info:
        build_message(message, ZdsVersion.V1_2)  # type: ignore[arg-type]
    assert info.value.plek == plek


def test_antwoord_needs_cross_refnummer() -> None:
    from stuf import ZaakdetailsAntwoord

    with pytest.raises(StufError, match="crossRefnummer"):
        build_message(ZaakdetailsAntwoord(sg("La01", cross_refnummer=None), ZAAK), ZdsVersion.V1_1)  # type: ignore[arg-type]


def test_no_value_and_empty_are_written_distinctly() -> None:
    from stuf import NoValue, Zaak

    zaak = Zaak(
        "ZAAK-0001",
        "B1",
        omschrijving="",
        toelichting=NoValue.WAARDE_ONBEKEND,
        startdatum=date(2024, 1, 1),
        registratiedatum=date(2024, 1, 1),
        einddatum=NoValue.NIL,
    )
    data = build_message(CreeerZaak(sg(), zaak), ZdsVersion.V1_1)
    assert xpath(data, "count(//ZKN:object/ZKN:omschrijving[not(@xsi:nil)])") == [1.0]
    assert xpath(data, "string(//ZKN:object/ZKN:toelichting/@StUF:noValue)") == ["waardeOnbekend"]
    assert xpath(data, "string(//ZKN:object/ZKN:einddatum/@xsi:nil)") == ["true"]
    assert xpath(data, "count(//ZKN:object/ZKN:einddatum/@StUF:noValue)") == [0.0]
    assert xpath(data, "count(//ZKN:object/ZKN:einddatumGepland)") == [0.0]

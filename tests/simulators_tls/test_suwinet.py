"""Suwinet-Inkijk simulator: BKWI-schema-valid answers, NietsGevonden, FWI faults, addressing."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lxml import etree

from simulators.suwinet import SCHEMA_DIR
from simulators.suwinet_data import uwv_income
from simulators.synthetic import SyntheticData
from simulators.tls_testing import SoapSimHandle
from stuf.xml import load_schema, parse_xml
from tests.simulators_tls import envelopes

BRP_PATH = "/suwibroker/soap/BRPDossierPersoonGSD-v0200"
UWV_PATH = "/suwibroker/soap/UWVDossierInkomstenGSD-v0200"
FWI = "http://bkwi.nl/SuwiML/FWI/v0205"
WSA = "http://www.w3.org/2005/08/addressing"


@cache
def _schema(service: str) -> etree.XMLSchema:
    return load_schema(Path(SCHEMA_DIR) / "Diensten" / service / "v0200-b02" / "BodyReaction.xsd")


def _valid_body(content: bytes, service: str) -> etree._Element:
    body = parse_xml(content).find("{http://schemas.xmlsoap.org/soap/envelope/}Body")[0]
    schema = _schema(service)
    assert schema.validate(etree.ElementTree(body)), schema.error_log.last_error
    return body


def _client_with_income(data: SyntheticData, want: bool) -> int:
    return next(i for i in range(1_000) if (uwv_income(data.client(i)) is not None) == want)


def test_brp_persoon_is_valid(suwinet: SoapSimHandle) -> None:
    client = suwinet.data.client(4)
    response = suwinet.post(BRP_PATH, envelopes.brp(client.bsn))
    assert response.status_code == 200
    body = _valid_body(response.content, "BRPDossierPersoonGSD")
    assert body.findtext("ClientSuwi/Burgerservicenr") == client.bsn
    assert body.findtext("ClientSuwi/SignificantDeelVanDeAchternaam") == client.geslachtsnaam


def test_uwv_income_is_valid(suwinet: SoapSimHandle) -> None:
    index = _client_with_income(suwinet.data, True)
    response = suwinet.post(UWV_PATH, envelopes.uwv(suwinet.known_bsn(index)))
    body = _valid_body(response.content, "UWVDossierInkomstenGSD")
    opgaven = body.findall("ClientSuwi/Inkomstenverhouding/Inkomstenopgave")
    assert 1 <= len(opgaven) <= 12
    assert body.findtext("PeriodeGegevensleveringIko/DatBPeriode") == "20240101"


def test_uwv_without_income_gives_niets_gevonden(suwinet: SoapSimHandle) -> None:
    index = _client_with_income(suwinet.data, False)
    response = suwinet.post(UWV_PATH, envelopes.uwv(suwinet.known_bsn(index)))
    body = _valid_body(response.content, "UWVDossierInkomstenGSD")
    assert [c.tag for c in body] == [f"{{{FWI}}}NietsGevonden"]


def test_unknown_bsn_gives_niets_gevonden(suwinet: SoapSimHandle) -> None:
    stranger = SyntheticData(0).client(5_000).bsn
    response = suwinet.post(BRP_PATH, envelopes.brp(stranger))
    body = _valid_body(response.content, "BRPDossierPersoonGSD")
    assert [c.tag for c in body] == [f"{{{FWI}}}NietsGevonden"]
    assert stranger not in str(suwinet.state())


def test_bsn_failing_elfproef_gives_fwi_fout(suwinet: SoapSimHandle) -> None:
    response = suwinet.post(BRP_PATH, envelopes.brp("123456789"))
    body = _valid_body(response.content, "BRPDossierPersoonGSD")
    assert body.findtext(f"{{{FWI}}}FWI/Fout/Code") == "FWI0002"
    assert "123456789" not in response.text


def test_injected_fwi_fault_in_response(suwinet: SoapSimHandle) -> None:
    suwinet.set_faults(permanent_rate=1.0, permanent_variants=["fwi"])
    response = suwinet.post(BRP_PATH, envelopes.brp(suwinet.known_bsn()))
    body = _valid_body(response.content, "BRPDossierPersoonGSD")
    assert body.findtext(f"{{{FWI}}}FWI/Fout/Code") == "FWI0001"
    assert body.findtext(f"{{{FWI}}}FWI/Fout/Bron/DN") == "BRPDossierPersoonGSD"


def test_injected_soap_fault_is_the_wsdl_fault(suwinet: SoapSimHandle) -> None:
    suwinet.set_faults(permanent_rate=1.0, permanent_variants=["soap_fault"])
    response = suwinet.post(BRP_PATH, envelopes.brp(suwinet.known_bsn()))
    assert response.status_code == 500
    root = parse_xml(response.content)
    assert root.findtext(f".//{{{WSA}}}Action").endswith("BRPDossierPersoonGSD-v0200/Fout")
    fout = root.find(f".//detail/{{{FWI}}}Fout")
    assert fout is not None and fout.findtext("Bron/DN") == "BRPDossierPersoonGSD"


def test_injected_schema_invalid_answer(suwinet: SoapSimHandle) -> None:
    suwinet.set_faults(permanent_rate=1.0, permanent_variants=["schema_invalid"])
    response = suwinet.post(BRP_PATH, envelopes.brp(suwinet.known_bsn()))
    body = parse_xml(response.content).find("{http://schemas.xmlsoap.org/soap/envelope/}Body")[0]
    assert not _schema("BRPDossierPersoonGSD").validate(etree.ElementTree(body))


def test_ws_addressing_reply(suwinet: SoapSimHandle) -> None:
    message_id = "MessageId-082d96cc-ee5b-aaa6-e39c-07ce06df7f29"
    response = suwinet.post(BRP_PATH, envelopes.brp(suwinet.known_bsn(), message_id=message_id))
    header = parse_xml(response.content)[0]
    assert header.findtext(f"{{{WSA}}}RelatesTo") == message_id
    assert header.findtext(f"{{{WSA}}}To") == f"{WSA}/anonymous"
    assert header.findtext(f"{{{WSA}}}Action").endswith("/AanvraagPersoonResponse")


def test_addressing_is_required(suwinet: SoapSimHandle) -> None:
    response = suwinet.post(BRP_PATH, envelopes.brp(suwinet.known_bsn(), message_id=None))
    assert response.status_code == 500
    assert "MessageAddressingHeaderRequired" in response.text

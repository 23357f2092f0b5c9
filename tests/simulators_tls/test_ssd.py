"""GWS4all SSD simulator: schema-valid answers, NietsGevonden, FWI, WS-Addressing, determinism."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from lxml import etree

from simulators.ssd import SCHEMA_DIR, SsdApp
from simulators.synthetic import SyntheticData
from simulators.tls_testing import SoapSimHandle
from stuf.xml import load_schema, parse_xml
from tests.simulators_tls import envelopes

UITKERING = "uitkering/v0600-b01"
JAAROPGAVE = "jaaropgave/v0400-b01"
WSA = "http://www.w3.org/2005/08/addressing"
FWI = "http://www.centric.nl/GWS/FWI/v0200"
PATH = "/SSD/UitkeringsSpecificatieClient-v0600"


@cache
def _schema(folder: str, name: str) -> etree.XMLSchema:
    return load_schema(Path(SCHEMA_DIR) / folder / name)


def _envelope_valid(content: bytes, folder: str) -> etree._Element:
    root = parse_xml(content)
    schema = _schema(folder, "EnvelopeReaction_resolved.xsd")
    assert schema.validate(root.getroottree()), schema.error_log.last_error
    return root


def _body(root: etree._Element) -> etree._Element:
    return root.find("{http://schemas.xmlsoap.org/soap/envelope/}Body")[0]


def test_uitkeringsspecificatie_is_valid_and_from_synthetic_data(ssd: SoapSimHandle) -> None:
    bsn = ssd.known_bsn(7)
    response = ssd.post(PATH, envelopes.uitkering(bsn, "202403"))
    assert response.status_code == 200
    body = _body(_envelope_valid(response.content, UITKERING))
    spec, correction = ssd.data.betaalspecificatie(7, "2024-03")
    latest = correction or spec
    paid = body.find("UitkeringsSpecificatieClient/Uitkeringsspecificatie/Dossierhistorie")
    assert paid.findtext("Periodenummer") == "202403"
    assert int(paid.findtext("UitbetaaldBedragClient/WaardeBedrag")) == abs(latest.totaal_cent)
    assert len(paid.findall("Componenthistorie")) == len(latest.regels) + 1


def test_jaaropgave_is_valid(ssd: SoapSimHandle) -> None:
    response = ssd.post("/SSD/JaarOpgaveClient-v0400", envelopes.jaaropgave(ssd.known_bsn(2)))
    body = _body(_envelope_valid(response.content, JAAROPGAVE))
    assert body.findtext("JaarOpgaveClient/JaarOpgave/SpecificatieJaarOpgave/Dienstjaar") == "2024"


def test_unknown_bsn_gives_niets_gevonden(ssd: SoapSimHandle) -> None:
    stranger = SyntheticData(0).client(5_000).bsn  # valid BSN, beyond the 1,000 clients
    response = ssd.post(PATH, envelopes.uitkering(stranger))
    assert response.status_code == 200
    body = _body(_envelope_valid(response.content, UITKERING))
    assert [child.tag for child in body] == [f"{{{FWI}}}NietsGevonden"]


def test_period_without_data_gives_niets_gevonden(ssd: SoapSimHandle) -> None:
    response = ssd.post(PATH, envelopes.uitkering(ssd.known_bsn(), "201901"))
    assert _body(parse_xml(response.content))[0].tag == f"{{{FWI}}}NietsGevonden"


def test_bsn_failing_elfproef_gives_fwi_without_the_bsn(ssd: SoapSimHandle) -> None:
    response = ssd.post(PATH, envelopes.uitkering("123456789"))
    body = _body(_envelope_valid(response.content, UITKERING))
    assert body.findtext(f"{{{FWI}}}FWI/Fout/Code") == "01"
    assert "123456789" not in response.text
    assert "*****6789" in body.findtext(f"{{{FWI}}}FWI/Fout/Tekst")


def test_injected_fwi_fault(ssd: SoapSimHandle) -> None:
    ssd.set_faults(permanent_rate=1.0, permanent_variants=["fwi"])
    response = ssd.post(PATH, envelopes.uitkering(ssd.known_bsn()))
    assert response.status_code == 200
    body = _body(_envelope_valid(response.content, UITKERING))
    assert body.findtext(f"{{{FWI}}}FWI/Fout/Code") == "99"
    assert ssd.server.faults.counts()["permanent:fwi"] == 1


def test_injected_soap_fault_has_fwi_detail(ssd: SoapSimHandle) -> None:
    ssd.set_faults(permanent_rate=1.0, permanent_variants=["soap_fault"])
    response = ssd.post(PATH, envelopes.uitkering(ssd.known_bsn()))
    assert response.status_code == 500
    root = _envelope_valid(response.content, UITKERING)
    assert root.findtext(f".//{{{WSA}}}Action").endswith("/Fout")
    assert _body(root).findtext(f"detail/{{{FWI}}}Fout/Code") == "99"


def test_injected_schema_invalid_answer_fails_the_schema(ssd: SoapSimHandle) -> None:
    ssd.set_faults(permanent_rate=1.0, permanent_variants=["schema_invalid"])
    response = ssd.post(PATH, envelopes.uitkering(ssd.known_bsn()))
    schema = _schema(UITKERING, "EnvelopeReaction_resolved.xsd")
    assert not schema.validate(parse_xml(response.content).getroottree())


def test_ws_addressing_reply(ssd: SoapSimHandle) -> None:
    message_id = "urn:uuid:1d82df77-2072-4505-9069-c56687fc4858"
    response = ssd.post(PATH, envelopes.uitkering(ssd.known_bsn(), message_id=message_id))
    header = parse_xml(response.content)[0]
    assert header.findtext(f"{{{WSA}}}RelatesTo") == message_id
    assert header.findtext(f"{{{WSA}}}Action").endswith("/UitkeringsSpecificatieInfoResponse")
    reply_id = header.findtext(f"{{{WSA}}}MessageID")
    assert reply_id.startswith("urn:uuid:") and reply_id != message_id
    gws = header.find("{http://www.centric.nl/GWS/Header/v0300}Header")
    assert gws.findtext("RouteInformatie/Bron/ApplicatieNaam") == "GWS4all"
    assert gws.findtext("RouteInformatie/Bestemming/ApplicatieNaam") == "Ketenbrug"
    created = gws.findtext("BerichtIdentificatie/DatTijdAanmaakRequest")
    assert created == "2025-01-06T10:00:00+01:00"


def test_gws_header_v0201_is_answered_in_v0201(ssd: SoapSimHandle) -> None:
    v0201 = "http://www.centric.nl/GWS/Header/v0201"
    response = ssd.post(PATH, envelopes.uitkering(ssd.known_bsn(), header_ns=v0201))
    assert parse_xml(response.content)[0].find(f"{{{v0201}}}Header") is not None


def test_missing_message_id_is_a_ws_addressing_fault(ssd: SoapSimHandle) -> None:
    response = ssd.post(PATH, envelopes.uitkering(ssd.known_bsn(), message_id=None))
    assert response.status_code == 500
    assert "MessageAddressingHeaderRequired" in response.text


def test_wrong_action_is_refused(ssd: SoapSimHandle) -> None:
    response = ssd.post(PATH, envelopes.uitkering(ssd.known_bsn(), action="urn:verkeerd"))
    assert response.status_code == 500
    assert "ActionNotSupported" in response.text


def test_not_xml_is_a_client_fault(ssd: SoapSimHandle) -> None:
    response = ssd.post(PATH, b"<geen xml")
    assert response.status_code == 500
    assert "SOAP-ENV:Client" in response.text


def test_audit_trail_masks_bsn(ssd: SoapSimHandle) -> None:
    bsn = ssd.known_bsn(3)
    ssd.post(PATH, envelopes.uitkering(bsn))
    calls = ssd.state()["calls"]
    assert calls[-1]["bsn"] == "*****" + bsn[-4:]
    assert bsn not in str(calls)


def _answer(app: SsdApp, body: bytes) -> bytes:
    import io

    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": PATH,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    return b"".join(app(environ, lambda status, headers, exc_info=None: lambda data: None))


def test_answers_are_deterministic_per_seed() -> None:
    from datetime import datetime

    from simulators.synthetic import TZ

    def clock() -> datetime:
        return datetime(2025, 1, 6, 10, 0, tzinfo=TZ)

    bsn = SyntheticData(4).client(11).bsn
    request = envelopes.uitkering(bsn, message_id="urn:uuid:00000000-0000-4000-8000-000000000001")
    first = _answer(SsdApp(SyntheticData(4), clock=clock), request)
    again = _answer(SsdApp(SyntheticData(4), clock=clock), request)
    assert first == again
    other = _answer(SsdApp(SyntheticData(5), clock=clock), request)
    assert re.search(rb"NietsGevonden|UitkeringsSpecificatieClient>", other)
    assert other != first

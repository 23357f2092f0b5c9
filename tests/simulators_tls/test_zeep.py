"""Ketenbrug's side of the wire: zeep with the shipped WSDLs, hardened settings, over mTLS."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
import requests
from lxml import etree
from zeep import Client, Settings
from zeep.transports import Transport
from zeep.wsa import WsAddressingPlugin

from simulators.ssd import SCHEMA_DIR as SSD_SCHEMAS
from simulators.suwinet import SCHEMA_DIR as SUWINET_SCHEMAS
from simulators.synthetic import TZ
from simulators.tls_testing import SoapSimHandle

SAFE = Settings(forbid_dtd=True, forbid_entities=True, forbid_external=True, strict=True)


@pytest.fixture
def session(ssd: SoapSimHandle) -> Iterator[requests.Session]:
    with requests.Session() as client:
        client.trust_env = False  # REQUESTS_CA_BUNDLE would override verify (psf/requests#3829)
        kwargs = ssd.requests_kwargs()
        client.cert, client.verify = kwargs["cert"], kwargs["verify"]
        yield client


def test_uitkeringsspecificatie_through_zeep(ssd: SoapSimHandle, session: requests.Session) -> None:
    wsdl = SSD_SCHEMAS / "uitkering/v0600-b01/UitkeringsSpecificatieClient.wsdl"
    client = Client(
        str(wsdl),
        settings=SAFE,
        transport=Transport(session=session),
        plugins=[WsAddressingPlugin()],
    )
    service = client.create_service(
        "{http://www.centric.nl/GWS/Diensten/UitkeringsSpecificatieClient/v0600}"
        "UitkeringsSpecificatieClientBinding",
        ssd.url + "/SSD/UitkeringsSpecificatieClient-v0600",
    )
    header_type = client.get_element("{http://www.centric.nl/GWS/Header/v0300}Header")
    header = header_type(
        RouteInformatie={
            "Bron": {"Gemeentecode": "0153", "ApplicatieNaam": "Ketenbrug"},
            "Bestemming": {"Gemeentecode": "0153"},
        },
        BerichtIdentificatie={"DatTijdAanmaakRequest": datetime(2025, 1, 6, 10, 0, tzinfo=TZ)},
    )
    bsn = ssd.known_bsn(12)
    result = service.SendUitkeringsSpecificatieClient(
        BurgerServiceNr=bsn, Periodenummer="202402", _soapheaders=[header]
    )
    spec = result.body.UitkeringsSpecificatieClient
    assert result.header.headerPart.RouteInformatie.Bron.ApplicatieNaam == "GWS4all"
    addressing = {etree.QName(el).localname: el.text for el in result.header._raw_elements}
    assert addressing["Action"].endswith("/UitkeringsSpecificatieInfoResponse")
    assert spec.Client.BurgerServiceNr == bsn
    regel = spec.Uitkeringsspecificatie[0].Dossierhistorie[0]
    assert regel.Periodenummer == "202402"
    assert ssd.state()["calls"][-1]["outcome"] == "ok"


def test_brp_through_zeep(suwinet: SoapSimHandle) -> None:
    wsdl = SUWINET_SCHEMAS / "Diensten/BRPDossierPersoonGSD/v0200-b02/BRPDossierPersoonGSD.wsdl"
    with requests.Session() as http:
        http.trust_env = False
        kwargs = suwinet.requests_kwargs()
        http.cert, http.verify = kwargs["cert"], kwargs["verify"]
        client = Client(
            str(wsdl), settings=SAFE, transport=Transport(session=http),
            plugins=[WsAddressingPlugin()],
        )  # fmt: skip
        service = client.create_service(
            "{http://bkwi.nl/SuwiML/Diensten/BRPDossierPersoonGSD/v0200}BRPBinding",
            suwinet.url + "/suwibroker/soap/BRPDossierPersoonGSD-v0200",
        )
        result = service.AanvraagPersoon(Burgerservicenr=suwinet.known_bsn(1))
    assert result.ClientSuwi[0].Burgerservicenr == suwinet.known_bsn(1)

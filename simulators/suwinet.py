"""Suwinet-Inkijk (BKWI broker) on loopback: BRPDossierPersoonGSD and UWVDossierInkomstenGSD.

Why: the suwinet-verrijking flow asks, once per bijstandsaanvraag, for the applicant's BRP data
and UWV income. The real broker speaks SOAP 1.1 with the BKWI WSDLs, demands a client
certificate and WS-Addressing, and reports "nothing known" and errors in the SuwiML FWI shape.
This simulator does the same from :class:`~simulators.synthetic.SyntheticData`.

Answers (the operation follows from the body element; the broker's paths
``/suwibroker/soap/<Service>-v0200`` are what the demo documents):

* a client of the population: ``AanvraagPersoonResponse`` / ``UWVPersoonsIkvInfoResponse``,
  valid against the shipped ``BodyReaction.xsd``; no income in the asked period (UWV), an
  elfproef-valid BSN that is no client: ``fwi:NietsGevonden`` (HTTP 200);
* a BSN failing the elfproef: ``fwi:FWI/Fout`` (code ``FWI0002``, BSN masked) in the response;
* an unreadable or schema-invalid request: SOAP Fault ``SOAP-ENV:Client``; no WS-Addressing:
  ``wsa:MessageAddressingHeaderRequired``; a wrong Action: ``wsa:ActionNotSupported``.

The reply carries ``wsa:To`` (the request's ReplyTo, anonymous by default), ``From``,
``MessageID`` (uuid5 of seed + request), ``Action`` (``...Response`` or ``.../Fout``) and
``RelatesTo`` (the request's MessageID). WS-Security (signature, timestamp) is not simulated:
the TLS client certificate is the authentication here.

Injected permanent faults: ``fwi`` (``fwi:FWI/Fout`` FWI0001 in the response, as BKWI's
examples), ``soap_fault`` (the WSDL fault ``AanvraagNietOk``: SOAP Fault with ``detail/fwi:Fout``,
HTTP 500) and ``schema_invalid``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from wsgiref.types import StartResponse, WSGIEnvironment

from lxml import etree

from privacy.masking import is_valid_bsn, mask_bsn
from simulators.faults import FaultConfig, FaultDecision, FaultInjector
from simulators.http import FAULT_KEY
from simulators.ssd_soap import (
    AuditTrail,
    FwiRefusal,
    SoapFault,
    SoapRequest,
    build_envelope,
    fault_element,
    read_soap_request,
    reply_message_id,
    shape_answer,
    soap_answer,
    wsa_reply_headers,
)
from simulators.suwinet_data import (
    DEFAULT_PERIOD,
    NS_BRP,
    NS_UWV,
    brp_response,
    fwi_element,
    niets_gevonden_response,
    uwv_response,
)
from simulators.synthetic import SyntheticData, index_for_bsn
from simulators.tls import SimulatorPki, TlsSimulatorServer
from stuf.xml import load_schema

__all__ = ["ACTION_BRP", "ACTION_UWV", "SCHEMA_DIR", "SuwinetApp", "make_suwinet_server"]

SCHEMA_DIR = Path(__file__).parent / "schemas_suwinet"
ACTION_BRP = "http://bkwi.nl/SuwiML/Diensten/BRPDossierPersoonGSD-v0200/AanvraagPersoon"
ACTION_UWV = "http://bkwi.nl/SuwiML/Diensten/UWVDossierInkomstenGSD-v0200/UWVPersoonsIkvInfo"


@dataclass(frozen=True)
class _Service:
    name: str
    request: str
    namespace: str
    action: str

    @property
    def response(self) -> str:
        return f"{self.request}Response"

    @property
    def fault_action(self) -> str:
        return self.action.rsplit("/", 1)[0] + "/Fout"

    @property
    def schema_path(self) -> Path:
        return SCHEMA_DIR / "Diensten" / self.name / "v0200-b02" / "BodyAction.xsd"

    @property
    def address(self) -> str:
        return f"https://broker.tst.suwi.net/suwibroker/soap/{self.name}-v0200"


_SERVICES = {
    f"{{{s.namespace}}}{s.request}": s
    for s in (
        _Service("BRPDossierPersoonGSD", "AanvraagPersoon", NS_BRP, ACTION_BRP),
        _Service("UWVDossierInkomstenGSD", "UWVPersoonsIkvInfo", NS_UWV, ACTION_UWV),
    )
}


def _date(text: str | None, default: date) -> date:
    if not text:
        return default
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


class SuwinetApp(AuditTrail):
    """WSGI app for both Suwinet operations, plus ``GET /_admin/state``, ``POST /_admin/reset``."""

    transient_variants: tuple[str, ...] = ()
    permanent_variants: tuple[str, ...] = ("fwi", "soap_fault", "schema_invalid")

    def __init__(self, data: SyntheticData | None = None, *, client_count: int = 1_000) -> None:
        self.data = data or SyntheticData(0)
        self.client_count = client_count
        self._schemas = {key: load_schema(svc.schema_path) for key, svc in _SERVICES.items()}
        AuditTrail.__init__(self)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        if path.startswith("/_admin/"):
            return self._admin(path, environ, start_response)
        try:
            request = read_soap_request(environ, require_addressing=True)
        except SoapFault as fault:
            self._record("-", "", f"fault:{fault.faultcode}", environ)
            body = build_envelope([], fault_element(fault.faultcode, fault.faultstring))
            return soap_answer(start_response, body, fault.status)
        decision: FaultDecision = environ.get(FAULT_KEY) or FaultDecision()
        return self._answer(request, decision, environ, start_response)

    def _answer(
        self,
        request: SoapRequest,
        decision: FaultDecision,
        environ: WSGIEnvironment,
        start_response: StartResponse,
    ) -> list[bytes]:
        service = _SERVICES.get(str(request.body.tag))
        bsn = (request.body.findtext("Burgerservicenr") or "").strip()
        status = "200 OK"
        try:
            if service is None:
                raise SoapFault("SOAP-ENV:Client", f"unknown operation {request.body.tag}")
            if request.action != service.action:
                raise SoapFault("wsa:ActionNotSupported", f"action not supported: {request.action}")
            if decision.variant == "soap_fault":
                raise SoapFault("SOAP-ENV:Server", "Er is een technische fout opgetreden.")
            body, outcome = self._body(service, request, bsn, decision)
            action = service.action + "Response"
        except SoapFault as fault:
            bron = service.name if service else "SuwiBroker"
            detail = [fwi_element("FWI0001", fault.faultstring, bron, tag="Fout")]
            body = fault_element(fault.faultcode, fault.faultstring, detail)
            outcome, status = f"fault:{fault.faultcode}", fault.status
            action = service.fault_action if service else ""
        self._record(service.name if service else "-", bsn, outcome, environ)
        headers = wsa_reply_headers(
            to=request.reply_to,
            action=action,
            message_id=reply_message_id(self.data.seed, request, outcome),
            relates_to=request.message_id,
            from_address=request.to or (service.address if service else "urn:suwibroker"),
        )
        return soap_answer(start_response, build_envelope(headers, body), status)

    def _body(
        self, service: _Service, request: SoapRequest, bsn: str, decision: FaultDecision
    ) -> tuple[etree._Element, str]:
        def lookup() -> etree._Element | None:
            if not self._schemas[str(request.body.tag)].validate(request.body):
                raise SoapFault("SOAP-ENV:Client", "request does not match BodyAction schema")
            if not is_valid_bsn(bsn):
                raise FwiRefusal(
                    "FWI0002", f"Burgerservicenr {mask_bsn(bsn)} is ongeldig (elfproef)."
                )
            if decision.variant == "fwi":
                raise FwiRefusal(
                    "FWI0001",
                    "Er is een technische fout opgetreden bij het verwerken van de aanvraag.",
                )
            return self._lookup(service, request, bsn)

        return shape_answer(
            lookup,
            niets_gevonden=lambda: niets_gevonden_response(service.namespace, service.response),
            fwi=lambda refusal: fwi_element(refusal.code, refusal.tekst, service.name),
            variant=decision.variant,
        )

    def _lookup(self, service: _Service, request: SoapRequest, bsn: str) -> etree._Element | None:
        index = index_for_bsn(bsn, self.data.seed)
        if index is None or index >= self.client_count:
            return None
        client = self.data.client(index)
        if service.namespace == NS_BRP:
            return brp_response(client)
        asked = request.body.find("PeriodeGegevensvraagIko")
        begin = _date(
            asked.findtext("DatBPeriode") if asked is not None else None, DEFAULT_PERIOD[0]
        )
        end = _date(asked.findtext("DatEPeriode") if asked is not None else None, DEFAULT_PERIOD[1])
        return uwv_response(client, (begin, end))


def make_suwinet_server(
    *,
    tls: SimulatorPki | str | Path,
    port: int = 0,
    faults: FaultInjector | FaultConfig | None = None,
    data: SyntheticData | None = None,
    client_count: int = 1_000,
    name: str = "suwinet",
) -> TlsSimulatorServer:
    """An (unstarted) Suwinet simulator; ``tls`` is a PKI or a directory to load/create one in."""
    pki = tls if isinstance(tls, SimulatorPki) else SimulatorPki.load_or_create(tls)
    app = SuwinetApp(data, client_count=client_count)
    return TlsSimulatorServer(
        app, ssl_context=pki.server_context(), port=port, name=name, faults=faults
    )

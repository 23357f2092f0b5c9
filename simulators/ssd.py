"""GWS4all's SSD services on loopback: UitkeringsSpecificatie v0600 and JaarOpgave v0400.

Why: the betaalspecificaties flow asks GWS4all, per client per month, for the payment
specification over SOAP 1.1 with WS-Addressing, the Centric GWS header and mutual TLS. This
simulator answers the same way from :class:`~simulators.synthetic.SyntheticData`, so one seed
gives the same answer for the same BSN and period in every run.

Answers (one endpoint; the operation follows from the body element, any path works):

* a client of the population (index < ``client_count``) and a period in
  ``first_period``..``last_period``: the ``...InfoResponse`` (schema-valid against the shipped
  ``BodyReaction_resolved.xsd``);
* an elfproef-valid BSN that is no client, or a period/year without data: ``fwi:NietsGevonden``
  inside the response element (HTTP 200), as GWS4all does;
* a BSN that fails the elfproef: ``fwi:FWI/Fout`` code ``01`` in the response (HTTP 200), text
  masked; an unreadable or schema-invalid request: a SOAP Fault ``SOAP-ENV:Client``;
* a missing ``wsa:Action``/``wsa:MessageID``: ``wsa:MessageAddressingHeaderRequired``; an
  Action that does not fit the body: ``wsa:ActionNotSupported``.

The reply's WS-Addressing header is ``MessageID`` (new, uuid5 of seed + request),
``Action`` (``...Response``), ``RelatesTo`` (the request's MessageID) and ``From``; the GWS header
is answered in the namespace the client used (v0201 as in production, else v0300 as the WSDL),
with Bron = GWS4all and Bestemming = the requesting application, ``DatTijdAanmaakRequest``
echoed verbatim (GWS4all does, even when it is not a valid ``xs:dateTime``).

Injected permanent faults (:mod:`simulators.faults`): ``fwi`` (``fwi:FWI/Fout`` in the response),
``soap_fault`` (SOAP Fault with ``detail/fwi:Fout``, HTTP 500, Action ``.../Fout``) and
``schema_invalid`` (an answer with an element the schema does not know).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from wsgiref.types import StartResponse, WSGIEnvironment

from lxml import etree

from privacy.masking import is_valid_bsn, mask_bsn
from simulators.faults import FaultConfig, FaultDecision, FaultInjector
from simulators.http import FAULT_KEY
from simulators.ssd_data import (
    NS_JAAROPGAVE,
    NS_UITKERING,
    fwi_element,
    jaaropgave_response,
    niets_gevonden_response,
    uitkering_response,
)
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
from simulators.synthetic import TZ, SyntheticData, index_for_bsn
from simulators.tls import SimulatorPki, TlsSimulatorServer
from stuf.xml import load_schema

__all__ = [
    "ACTION_JAAROPGAVE",
    "ACTION_UITKERING",
    "GWS_HEADER_V0201",
    "GWS_HEADER_V0300",
    "SCHEMA_DIR",
    "SsdApp",
    "make_ssd_server",
]

SCHEMA_DIR = Path(__file__).parent / "schemas_ssd"
ACTION_UITKERING = (
    "http://www.centric.nl/GWS/Diensten/UitkeringsSpecificatieClient-v0600/"
    "UitkeringsSpecificatieInfo"
)
ACTION_JAAROPGAVE = "http://www.centric.nl/GWS/Diensten/JaarOpgaveClient-v0400/JaarOpgaveInfo"
GWS_HEADER_V0201 = "http://www.centric.nl/GWS/Header/v0201"
GWS_HEADER_V0300 = "http://www.centric.nl/GWS/Header/v0300"
_GWS_HEADERS = (GWS_HEADER_V0201, GWS_HEADER_V0300)


@dataclass(frozen=True)
class _Service:
    name: str
    request: str  # body element local name
    namespace: str
    action: str
    schema_dir: str

    @property
    def response(self) -> str:
        return f"{self.request}Response"

    @property
    def fault_action(self) -> str:
        return self.action.rsplit("/", 1)[0] + "/Fout"


_SERVICES = {
    f"{{{s.namespace}}}{s.request}": s
    for s in (
        _Service(
            "UitkeringsSpecificatieClient-v0600", "UitkeringsSpecificatieInfo",
            NS_UITKERING, ACTION_UITKERING, "uitkering/v0600-b01",
        ),
        _Service(
            "JaarOpgaveClient-v0400", "JaarOpgaveInfo",
            NS_JAAROPGAVE, ACTION_JAAROPGAVE, "jaaropgave/v0400-b01",
        ),
    )
}  # fmt: skip


class SsdApp(AuditTrail):
    """WSGI app for both SSD operations, plus ``GET /_admin/state`` and ``POST /_admin/reset``."""

    transient_variants: tuple[str, ...] = ()
    permanent_variants: tuple[str, ...] = ("fwi", "soap_fault", "schema_invalid")

    def __init__(
        self,
        data: SyntheticData | None = None,
        *,
        client_count: int = 1_000,
        first_period: str = "2023-01",
        last_period: str = "2025-12",
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.data = data or SyntheticData(0)
        self.client_count = client_count
        self.first_period = first_period
        self.last_period = last_period
        self.clock = clock or (lambda: datetime.now(TZ))
        self._schemas = {
            key: load_schema(SCHEMA_DIR / svc.schema_dir / "BodyAction_resolved.xsd")
            for key, svc in _SERVICES.items()
        }
        AuditTrail.__init__(self)

    # -- WSGI ---------------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        if path.startswith("/_admin/"):
            return self._admin(path, environ, start_response)
        received = self.clock()
        try:
            request = read_soap_request(environ, require_addressing=True)
        except SoapFault as fault:
            self._record("-", "", f"fault:{fault.faultcode}", environ, key="")
            body = build_envelope([], fault_element(fault.faultcode, fault.faultstring))
            return soap_answer(start_response, body, fault.status)
        decision: FaultDecision = environ.get(FAULT_KEY) or FaultDecision()
        return self._answer(request, decision, received, environ, start_response)

    def _answer(
        self,
        request: SoapRequest,
        decision: FaultDecision,
        received: datetime,
        environ: WSGIEnvironment,
        start_response: StartResponse,
    ) -> list[bytes]:
        service = _SERVICES.get(str(request.body.tag))
        bsn = (request.body.findtext("BurgerServiceNr") or "").strip()
        key = request.body.findtext("Periodenummer") or request.body.findtext("Dienstjaar") or ""
        status = "200 OK"
        try:
            if service is None:
                raise SoapFault("SOAP-ENV:Client", f"unknown operation {request.body.tag}")
            if request.action != service.action:
                raise SoapFault("wsa:ActionNotSupported", f"action not supported: {request.action}")
            if decision.variant == "soap_fault":
                raise SoapFault("SOAP-ENV:Server", "GWS4all: interne fout (gesimuleerd)")
            body, outcome = self._body(service, request, bsn, key.strip(), decision)
            action = service.action + "Response"
        except SoapFault as fault:
            detail = [fwi_element("99", fault.faultstring, tag="Fout")]
            body = fault_element(fault.faultcode, fault.faultstring, detail)
            outcome, status = f"fault:{fault.faultcode}", fault.status
            action = service.fault_action if service else ""
        self._record(service.name if service else "-", bsn, outcome, environ, key=key)
        headers: list[Any] = wsa_reply_headers(
            action=action,
            message_id=reply_message_id(self.data.seed, request, outcome),
            relates_to=request.message_id,
            from_address=request.to or f"urn:ketenbrug:simulator:gws4all-ssd{request.path}",
        )
        headers.append(self._gws_header(request, received))
        return soap_answer(start_response, build_envelope(headers, body), status)

    # -- the business part --------------------------------------------------------------------

    def _body(
        self,
        service: _Service,
        request: SoapRequest,
        bsn: str,
        key: str,
        decision: FaultDecision,
    ) -> tuple[etree._Element, str]:
        """The response element and an outcome label for the audit trail."""

        def lookup() -> etree._Element | None:
            if not is_valid_bsn(bsn):
                raise FwiRefusal("01", f"BSN {mask_bsn(bsn)} voldoet niet aan de elfproef.")
            if not self._schemas[str(request.body.tag)].validate(request.body):
                raise SoapFault("SOAP-ENV:Client", "request does not match BodyAction schema")
            if decision.variant == "fwi":
                raise FwiRefusal("99", "Er is een technische fout opgetreden in GWS4all.")
            return self._lookup(service, bsn, key)

        return shape_answer(
            lookup,
            niets_gevonden=lambda: niets_gevonden_response(service.namespace, service.response),
            fwi=lambda refusal: fwi_element(refusal.code, refusal.tekst),
            variant=decision.variant,
        )

    def _lookup(self, service: _Service, bsn: str, key: str) -> etree._Element | None:
        index = index_for_bsn(bsn, self.data.seed)
        if index is None or index >= self.client_count:
            return None
        if service.namespace == NS_UITKERING:
            periode = f"{key[:4]}-{key[4:]}"
            if not self.first_period <= periode <= self.last_period:
                return None
            spec, correction = self.data.betaalspecificatie(index, periode)
            return uitkering_response(correction or spec)
        periods = [
            p
            for p in (f"{key}-{m:02d}" for m in range(1, 13))
            if self.first_period <= p <= self.last_period
        ]
        if not periods:
            return None
        return jaaropgave_response(self.data, self.data.client(index), int(key), periods)

    def _gws_header(self, request: SoapRequest, received: datetime) -> etree._Element:
        """The Centric GWS header of the answer, in the namespace the request used."""
        found = (request.header(ns, "Header") for ns in _GWS_HEADERS)
        asked = next((h for h in found if h is not None), None)
        namespace = etree.QName(asked).namespace if asked is not None else GWS_HEADER_V0300
        header = etree.Element(f"{{{namespace}}}Header", nsmap={"gwsh": namespace})
        route = etree.SubElement(header, "RouteInformatie")
        bron = etree.SubElement(route, "Bron")
        etree.SubElement(bron, "Gemeentecode").text = "0153"
        etree.SubElement(bron, "ApplicatieNaam").text = "GWS4all"
        bestemming = etree.SubElement(route, "Bestemming")
        asked_bron = asked.find("RouteInformatie/Bron") if asked is not None else None
        etree.SubElement(bestemming, "Gemeentecode").text = (
            _child_text(asked_bron, "Gemeentecode") or "0153"
        )
        if _child_text(asked_bron, "ApplicatieNaam"):
            etree.SubElement(bestemming, "ApplicatieNaam").text = _child_text(
                asked_bron, "ApplicatieNaam"
            )
        ident = etree.SubElement(header, "BerichtIdentificatie")
        created = _child_text(asked, "BerichtIdentificatie/DatTijdAanmaakRequest")
        if created:
            etree.SubElement(ident, "DatTijdAanmaakRequest").text = created
        etree.SubElement(ident, "DatTijdOntvangstRequest").text = received.isoformat("T", "seconds")
        etree.SubElement(ident, "DatTijdAanmaakResponse").text = self.clock().isoformat(
            "T", "seconds"
        )
        return header


def _child_text(parent: etree._Element | None, path: str) -> str:
    if parent is None:
        return ""
    return (parent.findtext(path) or "").strip()


def make_ssd_server(
    *,
    tls: SimulatorPki | str | Path,
    port: int = 0,
    faults: FaultInjector | FaultConfig | None = None,
    data: SyntheticData | None = None,
    client_count: int = 1_000,
    name: str = "gws4all-ssd",
    **app_options: Any,
) -> TlsSimulatorServer:
    """An (unstarted) SSD simulator; ``tls`` is a PKI or a directory to load/create one in."""
    pki = tls if isinstance(tls, SimulatorPki) else SimulatorPki.load_or_create(tls)
    app = SsdApp(data, client_count=client_count, **app_options)
    return TlsSimulatorServer(
        app, ssl_context=pki.server_context(), port=port, name=name, faults=faults
    )


def service_paths() -> Iterable[str]:
    """The paths the demo documents (any path works; the body element decides)."""
    return (f"/SSD/{svc.name}" for svc in _SERVICES.values())

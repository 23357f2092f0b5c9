"""SOAP 1.1 + WS-Addressing plumbing shared by the SSD (GWS4all) and Suwinet simulators.

Why one module: both services are SOAP 1.1 document/literal with WS-Addressing 2005/08 and differ
only in their extra header (GWS ``Header`` vs. none) and error shapes. Reading the request,
checking the addressing headers, answering with ``RelatesTo`` = the request's ``MessageID`` and a
SOAP Fault all live here, so the two simulators cannot drift apart on those rules.

Parsing goes through :func:`stuf.xml.parse_xml` (no DTD, no entities, no network); building uses
lxml's element API. Texts that end up in a fault or a log line pass :func:`mask_text` first.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from wsgiref.types import StartResponse, WSGIEnvironment

from lxml import etree

from privacy.masking import mask_bsn, mask_text
from simulators.http import json_response
from stuf.errors import StufError
from stuf.xml import parse_xml

__all__ = [
    "SOAP_ENV",
    "WSA",
    "WSA_ANONYMOUS",
    "SoapFault",
    "SoapRequest",
    "build_envelope",
    "fault_element",
    "read_soap_request",
    "reply_message_id",
    "soap_answer",
    "wsa_reply_headers",
]

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
WSA = "http://www.w3.org/2005/08/addressing"
WSA_ANONYMOUS = "http://www.w3.org/2005/08/addressing/anonymous"
_MAX_BODY = 1024 * 1024
#: Namespace for the deterministic reply MessageIDs (uuid5): same seed + request, same id.
_REPLY_NS = uuid.UUID("6f1d1c1e-4b7a-5e55-9d0e-6b657465626e")


class SoapFault(Exception):
    """A request the service refuses with a SOAP 1.1 Fault (``faultcode`` as prefixed QName)."""

    def __init__(
        self, faultcode: str, faultstring: str, *, status: str = "500 Internal Server Error"
    ) -> None:
        super().__init__(mask_text(faultstring))
        self.faultcode = faultcode
        self.faultstring = mask_text(faultstring)
        self.status = status


@dataclass(frozen=True)
class SoapRequest:
    """The parts of an inbound SOAP request the simulators look at."""

    body: etree._Element = field(repr=False)
    headers: tuple[etree._Element, ...] = field(repr=False)
    action: str
    message_id: str
    to: str
    reply_to: str
    path: str
    client_cn: str

    def header(self, namespace: str, local: str) -> etree._Element | None:
        """The first SOAP header block ``{namespace}local``, if the client sent one."""
        for element in self.headers:
            if element.tag == f"{{{namespace}}}{local}":
                return element
        return None


def _text(parent: etree._Element | None, tag: str) -> str:
    if parent is None:
        return ""
    found = parent.find(tag)
    return (found.text or "").strip() if found is not None else ""


def read_soap_request(environ: WSGIEnvironment, *, require_addressing: bool) -> SoapRequest:
    """Read and parse the POSTed envelope; raise :class:`SoapFault` for what is not SOAP 1.1.

    With ``require_addressing`` a missing ``wsa:Action`` or ``wsa:MessageID`` is refused with the
    WS-Addressing fault ``wsa:MessageAddressingHeaderRequired`` (both WSDLs declare
    ``UsingAddressing``; Suwinet's as required).
    """
    if environ.get("REQUEST_METHOD") != "POST":
        raise SoapFault(
            "SOAP-ENV:Client", "only POST is supported", status="405 Method Not Allowed"
        )
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length <= 0 or length > _MAX_BODY:
        raise SoapFault("SOAP-ENV:Client", "missing or oversized request body")
    data = environ["wsgi.input"].read(length)
    try:
        root = parse_xml(data)
    except StufError as exc:
        raise SoapFault("SOAP-ENV:Client", f"request is not readable XML: {exc}") from exc
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        raise SoapFault("SOAP-ENV:VersionMismatch", "expected a SOAP 1.1 Envelope")
    header = root.find(f"{{{SOAP_ENV}}}Header")
    body = root.find(f"{{{SOAP_ENV}}}Body")
    children = [c for c in body if isinstance(c.tag, str)] if body is not None else []
    if len(children) != 1:
        raise SoapFault("SOAP-ENV:Client", "the SOAP Body must hold exactly one element")
    blocks = tuple(c for c in header if isinstance(c.tag, str)) if header is not None else ()
    reply_to = next((b for b in blocks if b.tag == f"{{{WSA}}}ReplyTo"), None)
    request = SoapRequest(
        body=children[0],
        headers=blocks,
        action=_wsa_text(blocks, "Action"),
        message_id=_wsa_text(blocks, "MessageID"),
        to=_wsa_text(blocks, "To"),
        reply_to=_text(reply_to, f"{{{WSA}}}Address") or WSA_ANONYMOUS,
        path=str(environ.get("PATH_INFO", "")),
        client_cn=str(environ.get("SSL_CLIENT_S_DN_CN", "")),
    )
    if require_addressing and not (request.action and request.message_id):
        raise SoapFault(
            "wsa:MessageAddressingHeaderRequired",
            "WS-Addressing headers Action and MessageID are required",
        )
    return request


def _wsa_text(blocks: Iterable[etree._Element], local: str) -> str:
    for block in blocks:
        if block.tag == f"{{{WSA}}}{local}":
            return (block.text or "").strip()
    return ""


def reply_message_id(seed: int, request: SoapRequest, outcome: str) -> str:
    """A reply MessageID that is new per request yet reproducible per seed (uuid5)."""
    return f"urn:uuid:{uuid.uuid5(_REPLY_NS, f'{seed}|{request.message_id}|{outcome}')}"


def wsa_reply_headers(
    *, action: str, message_id: str, relates_to: str, from_address: str, to: str = ""
) -> list[etree._Element]:
    """``To`` (when given), ``From``, ``MessageID``, ``Action``, ``RelatesTo``, as the services
    send them. ``RelatesTo`` names the request's MessageID: that is how a client pairs them."""
    headers: list[etree._Element] = []
    if to:
        element = etree.Element(f"{{{WSA}}}To", nsmap={"wsa": WSA})
        element.text = to
        headers.append(element)
    sender = etree.Element(f"{{{WSA}}}From", nsmap={"wsa": WSA})
    etree.SubElement(sender, f"{{{WSA}}}Address").text = from_address
    headers.append(sender)
    for local, value in (("MessageID", message_id), ("Action", action), ("RelatesTo", relates_to)):
        if value:
            element = etree.Element(f"{{{WSA}}}{local}", nsmap={"wsa": WSA})
            element.text = value
            headers.append(element)
    return headers


def build_envelope(headers: Iterable[etree._Element], body_child: etree._Element) -> bytes:
    """A SOAP 1.1 envelope (prefix ``SOAP-ENV``, as GWS4all writes it) around the parts."""
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"SOAP-ENV": SOAP_ENV, "wsa": WSA})
    header = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Header")
    for element in headers:
        header.append(element)
    etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body").append(body_child)
    return bytes(etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"))


def fault_element(
    faultcode: str, faultstring: str, detail: Iterable[etree._Element] = ()
) -> etree._Element:
    """``SOAP-ENV:Fault``; ``faultcode`` is a QName with prefix ``SOAP-ENV`` or ``wsa``."""
    fault = etree.Element(f"{{{SOAP_ENV}}}Fault", nsmap={"SOAP-ENV": SOAP_ENV, "wsa": WSA})
    etree.SubElement(fault, "faultcode").text = faultcode
    etree.SubElement(fault, "faultstring").text = mask_text(faultstring)
    details = list(detail)
    if details:
        holder = etree.SubElement(fault, "detail")
        for element in details:
            holder.append(element)
    return fault


def soap_answer(start_response: StartResponse, body: bytes, status: str = "200 OK") -> list[bytes]:
    """Send an envelope as ``text/xml`` (SOAP 1.1)."""
    start_response(
        status,
        [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]


class AuditTrail:
    """Who asked what (BSN masked), shared by the SSD and Suwinet simulators.

    Tests read it to check *eenmalige uitvraag* (one query per aanvraag) and the client
    certificate that asked; ``/_admin/state`` and ``/_admin/reset`` expose it over HTTP.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._calls: deque[dict[str, str]] = deque(maxlen=200)

    def _record(
        self, service: str, bsn: str, outcome: str, environ: WSGIEnvironment, **extra: str
    ) -> None:
        with self._lock:
            self._counts[outcome] += 1
            self._calls.append(
                {
                    "service": service,
                    "bsn": mask_bsn(bsn),
                    **extra,
                    "outcome": outcome,
                    "client_cn": str(environ.get("SSL_CLIENT_S_DN_CN", "")),
                }
            )

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {"counts": dict(self._counts), "calls": list(self._calls)}

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
            self._calls.clear()

    def _admin(
        self, path: str, environ: WSGIEnvironment, start_response: StartResponse
    ) -> list[bytes]:
        if path == "/_admin/state":
            return json_response(start_response, self.state())
        if path == "/_admin/reset" and environ.get("REQUEST_METHOD") == "POST":
            self.reset()
            return json_response(start_response, {"reset": True})
        return json_response(start_response, {"error": "not found"}, "404 Not Found")


class FwiRefusal(Exception):
    """A refusal the service reports as ``fwi:FWI/Fout`` inside the response (HTTP 200)."""

    def __init__(self, code: str, tekst: str) -> None:
        super().__init__(tekst)
        self.code = code
        self.tekst = tekst


def shape_answer(
    lookup: Callable[[], etree._Element | None],
    *,
    niets_gevonden: Callable[[], etree._Element],
    fwi: Callable[[FwiRefusal], etree._Element],
    variant: str | None,
) -> tuple[etree._Element, str]:
    """The response element and an audit label, the way GWS4all and BKWI shape them.

    ``lookup`` returns the found element, None for *niets gevonden*, or raises
    :class:`FwiRefusal`; an injected ``schema_invalid`` fault adds an element the schema does
    not know.
    """
    try:
        found = lookup()
    except FwiRefusal as refusal:
        root = niets_gevonden()
        root.remove(root[0])
        root.append(fwi(refusal))
        return root, f"fwi:{refusal.code}"
    if found is None:
        return niets_gevonden(), "niets_gevonden"
    if variant == "schema_invalid":
        found.insert(0, etree.Element("OnbekendElement"))
        return found, "schema_invalid"
    return found, "ok"

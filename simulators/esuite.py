"""The e-Suite on loopback: a StUF-ZKN ZDS 1.2 SOAP service backed by :class:`EsuiteStore`.

Why: Ketenbrug's zaken flow writes to the e-Suite with non-idempotent StUF calls. The simulator
answers like the real one (Bv03, Du02, La01, Fo01/Fo02/Fo03) so the adapter's retry and
"read before write again" logic can be shown to converge, and it keeps every write so a test can
count them.

Operations (one endpoint, dispatch on the parsed message, SOAPAction optional):

=========================  ===============================================================
genereerZaakIdentificatie  Du02 with the next ``0153ESUITE1000001``-style identificatie
creeerZaak                 Bv03; same identificatie again: Fo03 StUF058 "Zaak ... bestaat al"
updateZaak                 Bv03; unknown zaak: Fo03 StUF058 "Zaak ... onbekend"
actualiseerZaakstatus      Bv03, status appended (duplicates too); unknown zaak: Fo03
geefZaakdetails            La01 with zaak + statussen; unknown: Fo02 StUF058 "niet gevonden"
voegZaakdocumentToe        Bv03, document stored (size, SHA-256); unknown zaak: Fo03; same
                           identificatie again: Fo03 StUF058 "Document ... bestaat al"
genereerDocumentIdent.     Du02 with ``0153ESUITED1000001``-style identificatie
geefLijstZaakdocumenten    La01 with the zaak's documents; unknown zaak: Fo02 "niet gevonden"
geefZaakdocumentLezen      La01 with the document and its content; unknown: Fo02
                           "Document ... niet gevonden"
updateZaakdocument         Bv02, the wordt's fields and content (size, SHA-256) replace the
                           document's (no check-out bookkeeping); unknown document: Fo02
                           StUF058 "Document ... onbekend"
unparseable / not ZDS 1.2  Fo01 StUF055 (the sender must fix the message: permanent)
=========================  ===============================================================

Documents stream both ways, like the real e-Suite must handle them: a voegZaakdocumentToe or an
updateZaakdocument is parsed with :func:`stuf.stream.stream_document_lk01` straight from the
socket (so a document of any size is accepted; a DOM parse refuses text nodes over 10 MB; the
inhoud of an update's *was* object is skipped unread), and the answer to geefZaakdocumentLezen is
written as envelope + base64 chunks + envelope, byte for byte what ``build_message`` would write.
A request cut off before its end (a client that aborts an upload) is not well-formed: Fo01,
nothing stored.

The e-Suite's ZGW Documenten API (read-only, the same documents) is served under
``/documenten/api/v1``: see :mod:`simulators.esuite_zgw`; its ZGW Zaken API (read-only listing of
the same zaken) under ``/zaken/api/v1``: see :mod:`simulators.esuite_zgw_zaken`. Each document
stored in or changed for a zaak is published as a ZGW notificatie by the NRC under
``/notificaties/api/v1``: see :mod:`simulators.esuite_notificaties`.

Admin: ``GET /_admin/state`` (``?zaak=ID``, ``?summary=1``), ``POST /_admin/reset`` (also the
NRC's abonnementen and counters), ``GET``/``POST /_admin/notificaties``, and the fault endpoints
of :mod:`simulators.http`.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qs
from wsgiref.types import StartResponse, WSGIEnvironment

from privacy.masking import mask_text
from simulators.esuite_notificaties import EsuiteNrc
from simulators.esuite_store import EsuiteStore, ZaakBestaatAl, ZaakOnbekend
from simulators.esuite_zgw import DEFAULT_PAGE_SIZE, ZgwDocumentenApp
from simulators.esuite_zgw_zaken import ZgwZakenApp
from simulators.faults import FaultConfig, FaultDecision, FaultInjector
from simulators.http import FAULT_KEY, SimulatorServer, json_response
from stuf import (
    ActualiseerZaakstatus,
    Bevestiging,
    CreeerZaak,
    Document,
    DocumentIdentificatieAntwoord,
    Fout,
    GeefLijstZaakdocumenten,
    GeefZaakdetails,
    GeefZaakdocumentLezen,
    GenereerDocumentIdentificatie,
    GenereerZaakIdentificatie,
    LijstZaakdocumentenAntwoord,
    NoValue,
    SoapVersion,
    StufError,
    Stuurgegevens,
    Systeem,
    UpdateZaak,
    UpdateZaakdocument,
    VoegZaakdocumentToe,
    ZaakdetailsAntwoord,
    ZaakdocumentAntwoord,
    ZaakIdentificatieAntwoord,
    ZdsVersion,
    build_message,
    new_stuurgegevens,
    parse_message,
)
from stuf.stream import Readable, stream_document_lk01

__all__ = [
    "ESUITE_SYSTEEM",
    "TRANSIENT_STUF_CODES",
    "EsuiteApp",
    "EsuiteServer",
    "make_esuite_server",
]

log = logging.getLogger(__name__)

ESUITE_SYSTEEM = Systeem(organisatie="0153", applicatie="ESUITE")
#: Fo02 codes that mean "try again later" (StUF 03.01 table 4.1: server-side, temporary).
TRANSIENT_STUF_CODES = ("StUF046", "StUF049", "StUF061", "StUF960")
_ANONYMOUS = Systeem(organisatie=None, applicatie="ONBEKEND")
_SOAP12_NS = b"http://www.w3.org/2003/05/soap-envelope"
_FIRST_IN_BODY = re.compile(rb"<((?:[\w.-]+:)?Body)\b[^>]*>\s*<((?:[\w.-]+:)?[\w.-]+)")
_REFERENTIE = re.compile(rb"referentienummer>\s*([^<\s]{1,40})\s*<")
_MAX_BODY = 512 * 1024 * 1024
_PEEK = 8192  # enough of a request to see which message it is
_DOCUMENT_MESSAGES = (b"voegZaakdocumentToe_EdcLk01", b"edcLk01", b"updateZaakdocument_Di02")
#: Stand-in inhoud for a streamed answer: its base64 (40 characters) is unique in the message.
_PLACEHOLDER = b"KB-SIM-INHOUD:" + os.urandom(16)
_PLACEHOLDER_B64 = base64.b64encode(_PLACEHOLDER)
_B64_STEP = 3 * 64 * 1024  # bytes of content per base64 chunk (a multiple of 3: no padding)


@dataclass(frozen=True)
class _Upload:
    """What :func:`stream_document_lk01` made of a voegZaakdocumentToe's or an
    updateZaakdocument's inhoud (``has_content`` False: absent or nil, a metadata-only update).
    """

    size: int
    sha256: str
    content: bytes | None
    has_content: bool = True


@dataclass(frozen=True)
class _WithContent:
    """A geefZaakdocumentLezen answer whose content is streamed into the envelope."""

    stuurgegevens: Stuurgegevens
    document: Document
    content: bytes

    def answer(self, inhoud: bytes) -> ZaakdocumentAntwoord:
        document = dataclasses.replace(self.document, inhoud=inhoud)
        return ZaakdocumentAntwoord(self.stuurgegevens, document=document)


@dataclass
class _Body:
    """An HTTP body as parts, with its length known in advance."""

    parts: Iterable[bytes]
    length: int

    @classmethod
    def of(cls, data: bytes) -> _Body:
        return cls([data], len(data))


class _Reject(Exception):
    """A fault answer decided while handling a message."""

    def __init__(self, berichtcode: str, code: str, omschrijving: str, plek: str) -> None:
        super().__init__(omschrijving)
        self.fout = (berichtcode, code, plek, omschrijving)


class EsuiteApp:
    """WSGI app. ``unknown_zaak_vraag`` picks the answer to geefZaakdetails for an unknown zaak:
    ``"Fo02"`` (default, StUF058 "niet gevonden") or ``"leeg"`` (a La01 without antwoord)."""

    transient_variants: tuple[str, ...] = ("fo02",)
    permanent_variants: tuple[str, ...] = ("fo03", "schema_invalid")

    def __init__(
        self,
        store: EsuiteStore | None = None,
        *,
        unknown_zaak_vraag: Literal["Fo02", "leeg"] = "Fo02",
        zgw_page_size: int = DEFAULT_PAGE_SIZE,
    ) -> None:
        self.store = store or EsuiteStore()
        self.unknown_zaak_vraag = unknown_zaak_vraag
        self.zgw = ZgwDocumentenApp(self.store, page_size=zgw_page_size)
        self.zgw_zaken = ZgwZakenApp(self.store, page_size=zgw_page_size)
        self.notificaties = EsuiteNrc(self.store)
        self._handlers: dict[type, Callable[[Any, Stuurgegevens], Any]] = {
            GenereerZaakIdentificatie: self._genereer,
            CreeerZaak: self._creeer,
            UpdateZaak: self._update,
            ActualiseerZaakstatus: self._actualiseer,
            GeefZaakdetails: self._geef,
            VoegZaakdocumentToe: self._voeg_document_toe,
            GenereerDocumentIdentificatie: self._genereer_document,
            GeefLijstZaakdocumenten: self._lijst_documenten,
            GeefZaakdocumentLezen: self._document_lezen,
            UpdateZaakdocument: self._update_document,
        }

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ["REQUEST_METHOD"]
        if self.zgw.handles(path):
            return self.zgw(environ, start_response)
        if self.zgw_zaken.handles(path):
            return self.zgw_zaken(environ, start_response)
        if self.notificaties.handles(path):
            return self.notificaties(environ, start_response)
        if path == "/_admin/state" and method == "GET":
            query = parse_qs(environ.get("QUERY_STRING", ""))
            zaak = query.get("zaak", [None])[0]
            summary = query.get("summary", ["0"])[0] in ("1", "true")
            return json_response(
                start_response, self.store.snapshot(zaak, include_zaken=not summary)
            )
        if path == "/_admin/reset" and method == "POST":
            self.store.reset()
            self.notificaties.reset()
            return json_response(start_response, {"reset": True})
        if method != "POST":
            start_response(
                "405 Method Not Allowed", [("Content-Type", "text/plain"), ("Allow", "POST")]
            )
            return [b"e-Suite simulator: POST ZDS 1.2 SOAP messages here\n"]
        length = min(int(environ.get("CONTENT_LENGTH") or 0), _MAX_BODY)
        source = _BodyReader(environ["wsgi.input"], length)
        head = source.read(_PEEK)
        decision = environ.get(FAULT_KEY)
        action = _soap_action(environ)
        if _carries_document(head):
            status, body, soap = self._handle_streamed(head, source, action, decision)
        else:
            status, body, soap = self._respond(head + source.read(), action, decision)
        content_type = "application/soap+xml" if soap is SoapVersion.V1_2 else "text/xml"
        start_response(
            status,
            [
                ("Content-Type", f"{content_type}; charset=utf-8"),
                ("Content-Length", str(body.length)),
            ],
        )
        return body.parts

    # --- SOAP -------------------------------------------------------------------------------

    def handle(
        self, data: bytes, soap_action: str | None = None, decision: FaultDecision | None = None
    ) -> tuple[str, bytes, SoapVersion]:
        """Answer one SOAP request: (HTTP status, body, SOAP version). Usable without HTTP."""
        status, body, soap = self._respond(data, soap_action, decision)
        return status, b"".join(body.parts), soap

    def _respond(
        self, data: bytes, soap_action: str | None, decision: FaultDecision | None
    ) -> tuple[str, _Body, SoapVersion]:
        soap = SoapVersion.V1_2 if _SOAP12_NS in data[:4096] else SoapVersion.V1_1
        try:
            message = parse_message(data, soap_action=soap_action)
        except StufError as exc:
            log.info("e-Suite simulator: unreadable request: %s", exc)
            fout = ("Fo01", exc.code, "client", exc.omschrijving)
            return self._fault(fout, None, soap, details=exc.plek, raw=data)
        return self._answer(message, soap, decision)

    def _handle_streamed(
        self,
        head: bytes,
        source: Readable,
        soap_action: str | None,
        decision: FaultDecision | None,
    ) -> tuple[str, _Body, SoapVersion]:
        """A voegZaakdocumentToe or updateZaakdocument, parsed from the socket with the inhoud
        streamed to a sink (nothing is stored unless the whole request parses)."""
        soap = SoapVersion.V1_2 if _SOAP12_NS in head[:4096] else SoapVersion.V1_1
        sink: io.BytesIO | _Discard = io.BytesIO() if self.store.keep_content else _Discard()
        try:
            streamed = stream_document_lk01(_Chain(head, source), sink)
        except StufError as exc:
            log.info("e-Suite simulator: unreadable document request: %s", exc)
            fout = ("Fo01", exc.code, "client", exc.omschrijving)
            return self._fault(fout, None, soap, details=exc.plek, raw=head)
        content = sink.getvalue() if isinstance(sink, io.BytesIO) else None
        upload = _Upload(streamed.size, streamed.sha256, content, streamed.has_content)
        return self._answer(streamed.message, soap, decision, upload)

    def _answer(
        self,
        message: Any,
        soap: SoapVersion,
        decision: FaultDecision | None,
        upload: _Upload | None = None,
    ) -> tuple[str, _Body, SoapVersion]:
        request_sg = getattr(message, "stuurgegevens", None)
        operation = type(message).__name__
        self.store.count_call(operation)
        if decision is not None and decision.variant == "fo02":
            fout = ("Fo02", "StUF049", "server", "Proces voor afhandelen bericht niet beschikbaar")
            return self._fault(fout, request_sg, soap)
        if decision is not None and decision.variant == "fo03":
            fout = ("Fo03", "StUF058", "server", "Proces voor afhandelen bericht geeft fout")
            return self._fault(fout, request_sg, soap)
        handler = self._handlers.get(type(message))
        if handler is None or request_sg is None:
            fout = ("Fo01", "StUF025", "server", f"Bericht {operation} wordt niet ondersteund")
            return self._fault(fout, request_sg, soap)
        if message.version is not ZdsVersion.V1_2:
            fout = ("Fo01", "StUF055", "client", "Alleen ZDS 1.2 wordt ondersteund")
            return self._fault(fout, request_sg, soap)
        try:
            if upload is not None and isinstance(message, VoegZaakdocumentToe):
                answer = self._voeg_document_toe(message, request_sg, upload)
            elif upload is not None and isinstance(message, UpdateZaakdocument):
                answer = self._update_document(message, request_sg, upload)
            else:
                answer = handler(message, request_sg)
        except _Reject as reject:
            return self._fault(reject.fout, request_sg, soap)
        broken = decision is not None and decision.variant == "schema_invalid"
        return "200 OK", _encode(answer, soap, broken=broken), soap

    def _fault(
        self,
        fout: tuple[str, str, str, str],
        request_sg: Stuurgegevens | None,
        soap: SoapVersion,
        *,
        details: str | None = None,
        raw: bytes = b"",
    ) -> tuple[str, _Body, SoapVersion]:
        """A Fo0x in a SOAP Fault. ``plek`` is client/server (the schema's enumeration); where
        in the message the problem sits goes to ``details``."""
        berichtcode, code, plek, omschrijving = fout
        sg = self._answer_sg(berichtcode, request_sg)
        if request_sg is None:  # unreadable request: echo its referentienummer if we can see one
            match = _REFERENTIE.search(raw[:8192])
            cross_ref = match.group(1).decode("utf-8", "replace") if match else "onbekend"
            sg = dataclasses.replace(sg, cross_refnummer=cross_ref)
        message = Fout(
            berichtcode,
            code,
            plek,
            mask_text(omschrijving),
            details=mask_text(details) if details else None,
            stuurgegevens=sg,
        )
        body = build_message(message, ZdsVersion.V1_2, soap=soap)
        return "500 Internal Server Error", _Body.of(body), soap

    @staticmethod
    def _answer_sg(
        berichtcode: str, request_sg: Stuurgegevens | None, **extra: Any
    ) -> Stuurgegevens:
        ontvanger = request_sg.zender if request_sg is not None else _ANONYMOUS
        cross_ref = request_sg.referentienummer if request_sg is not None else None
        return new_stuurgegevens(
            berichtcode, ESUITE_SYSTEEM, ontvanger, cross_refnummer=cross_ref, **extra
        )

    def _bv03(self, request_sg: Stuurgegevens) -> Bevestiging:
        return Bevestiging("Bv03", stuurgegevens=self._answer_sg("Bv03", request_sg))

    # --- operations -------------------------------------------------------------------------

    def _genereer(self, message: GenereerZaakIdentificatie, sg: Stuurgegevens) -> Any:
        answer_sg = self._answer_sg("Du02", sg, functie="genereerZaakidentificatie")
        return ZaakIdentificatieAntwoord(answer_sg, identificatie=self.store.next_identificatie())

    def _creeer(self, message: CreeerZaak, sg: Stuurgegevens) -> Any:
        identificatie = message.zaak.identificatie
        try:
            self.store.create_zaak(message.zaak)
        except ZaakBestaatAl:
            raise _Reject("Fo03", "StUF058", f"Zaak {identificatie} bestaat al", "client") from None
        return self._bv03(sg)

    def _update(self, message: UpdateZaak, sg: Stuurgegevens) -> Any:
        identificatie = message.was.identificatie
        try:
            self.store.update_zaak(identificatie, message.wordt)
        except ZaakOnbekend:
            raise _onbekend(identificatie, "Fo03") from None
        return self._bv03(sg)

    def _actualiseer(self, message: ActualiseerZaakstatus, sg: Stuurgegevens) -> Any:
        try:
            self.store.add_status(message.zaak_identificatie, message.wordt)
        except ZaakOnbekend:
            raise _onbekend(message.zaak_identificatie, "Fo03") from None
        return self._bv03(sg)

    def _geef(self, message: GeefZaakdetails, sg: Stuurgegevens) -> Any:
        answer_sg = self._answer_sg("La01", sg, entiteittype="ZAK")
        try:
            zaak, statussen = self.store.get(message.zaak_identificatie)
        except ZaakOnbekend:
            if self.unknown_zaak_vraag == "leeg":
                return ZaakdetailsAntwoord(answer_sg, zaak=None)
            raise _onbekend(message.zaak_identificatie, "Fo02", "niet gevonden") from None
        return ZaakdetailsAntwoord(answer_sg, zaak=zaak, statussen=statussen)

    def _voeg_document_toe(
        self, message: VoegZaakdocumentToe, sg: Stuurgegevens, upload: _Upload | None = None
    ) -> Any:
        document = message.document
        try:
            if upload is None:
                self.store.add_document(document)
            else:
                self.store.add_streamed_document(
                    document, size=upload.size, sha256=upload.sha256, content=upload.content
                )
        except ZaakOnbekend:
            raise _onbekend(document.zaak_identificatie or "", "Fo03") from None
        except ZaakBestaatAl:
            raise _Reject(
                "Fo03", "StUF058", f"Document {document.identificatie} bestaat al", "client"
            ) from None
        return self._bv03(sg)

    def _genereer_document(self, message: GenereerDocumentIdentificatie, sg: Stuurgegevens) -> Any:
        answer_sg = self._answer_sg("Du02", sg, functie="genereerDocumentidentificatie")
        identificatie = self.store.next_document_identificatie()
        return DocumentIdentificatieAntwoord(answer_sg, identificatie=identificatie)

    def _lijst_documenten(self, message: GeefLijstZaakdocumenten, sg: Stuurgegevens) -> Any:
        try:
            stored = self.store.documents_of(message.zaak_identificatie)
        except ZaakOnbekend:
            raise _onbekend(message.zaak_identificatie, "Fo02", "niet gevonden") from None
        return LijstZaakdocumentenAntwoord(
            self._answer_sg("La01", sg, entiteittype="ZAK"),
            zaak_identificatie=message.zaak_identificatie,
            documenten=[s.document for s in stored],
        )

    def _document_lezen(self, message: GeefZaakdocumentLezen, sg: Stuurgegevens) -> Any:
        stored = self.store.document(message.document_identificatie)
        if stored is None:
            text = f"Document {message.document_identificatie} niet gevonden"
            raise _Reject("Fo02", "StUF058", text, "client")
        answer_sg = self._answer_sg("La01", sg, entiteittype="EDC")
        if stored.content is None:
            document = dataclasses.replace(stored.document, inhoud=NoValue.WAARDE_ONBEKEND)
            return ZaakdocumentAntwoord(answer_sg, document=document)
        return _WithContent(answer_sg, stored.document, stored.content)

    def _update_document(
        self, message: UpdateZaakdocument, sg: Stuurgegevens, upload: _Upload | None = None
    ) -> Any:
        try:
            if upload is None:
                self.store.update_document(message.wordt)
            elif upload.has_content:
                self.store.update_streamed_document(
                    message.wordt, size=upload.size, sha256=upload.sha256, content=upload.content
                )
            else:  # metadata only
                self.store.update_streamed_document(message.wordt)
        except ZaakOnbekend:
            text = f"Document {message.wordt.identificatie} onbekend"
            raise _Reject("Fo02", "StUF058", text, "client") from None
        return Bevestiging("Bv02")


def _encode(answer: Any, soap: SoapVersion, *, broken: bool) -> _Body:
    """The answer as SOAP; a document's content is streamed in as base64 chunks.

    ``broken`` (the ``schema_invalid`` fault): processed, but the answer is not a StUF message.
    """
    if isinstance(answer, _WithContent):
        template = build_message(answer.answer(_PLACEHOLDER), ZdsVersion.V1_2, soap=soap)
        if broken:
            template = _break_answer(template)
        if template.count(_PLACEHOLDER_B64) != 1:  # pragma: no cover - 2**-128
            return _encode(answer.answer(answer.content), soap, broken=broken)
        head, tail = template.split(_PLACEHOLDER_B64)
        size = len(answer.content)
        length = len(head) + 4 * ((size + 2) // 3) + len(tail)
        return _Body(_base64_parts(head, answer.content, tail), length)
    body = build_message(answer, ZdsVersion.V1_2, soap=soap)
    return _Body.of(_break_answer(body) if broken else body)


def _base64_parts(head: bytes, content: bytes, tail: bytes) -> Iterator[bytes]:
    """``head``, base64 of ``content`` in chunks (together equal to one b64encode), ``tail``."""
    yield head
    view = memoryview(content)
    for start in range(0, len(content), _B64_STEP):
        yield base64.b64encode(view[start : start + _B64_STEP])
    yield tail


def _carries_document(head: bytes) -> bool:
    """Is the request (of which ``head`` is the start) a voegZaakdocumentToe?"""
    match = _FIRST_IN_BODY.search(head)
    return match is not None and match.group(2).rpartition(b":")[2] in _DOCUMENT_MESSAGES


class _BodyReader:
    """At most ``remaining`` bytes of the request body (never a byte of a next request)."""

    def __init__(self, stream: Readable, remaining: int) -> None:
        self.stream = stream
        self.remaining = remaining

    def read(self, size: int | None = -1, /) -> bytes:
        if self.remaining <= 0:
            return b""
        want = self.remaining if size is None or size < 0 else min(size, self.remaining)
        data = self.stream.read(want)
        self.remaining = self.remaining - len(data) if data else 0
        return data


class _Chain:
    """``head`` (already read), then the rest of ``source``."""

    def __init__(self, head: bytes, source: Readable) -> None:
        self.head = head
        self.source = source

    def read(self, size: int | None = -1, /) -> bytes:
        if self.head:
            if size is None or size < 0 or size >= len(self.head):
                data, self.head = self.head, b""
            else:
                data, self.head = self.head[:size], self.head[size:]
            return data
        return self.source.read(-1 if size is None else size)


class _Discard:
    """A sink that keeps nothing (``keep_content=False``: size and SHA-256 only)."""

    def write(self, data: bytes, /) -> int:
        return len(data)


def _break_answer(body: bytes) -> bytes:
    """Rename the StUF message element in the Body (``Bv03Bericht`` → ``Bv03BerichtOnbekend``).

    Still well-formed XML, but no schema has that element: a liberal parser cannot mistake it
    for a valid answer (a wrong berichtcode text alone would slip through a lenient reader).
    """
    match = _FIRST_IN_BODY.search(body)
    if match is None:  # pragma: no cover - build_message always writes a Body
        return body
    name = match.group(2)
    head = body[: match.end()] + b"Onbekend"
    tail = body[match.end() :]
    closing = b"</" + name + b">"
    index = tail.rfind(closing)
    if index >= 0:
        tail = tail[:index] + b"</" + name + b"Onbekend>" + tail[index + len(closing) :]
    return head + tail


def _onbekend(identificatie: str, berichtcode: str, wording: str = "onbekend") -> _Reject:
    return _Reject(berichtcode, "StUF058", f"Zaak {identificatie} {wording}", "client")


def _soap_action(environ: WSGIEnvironment) -> str | None:
    """SOAPAction header (SOAP 1.1) or the ``action`` parameter of the Content-Type (SOAP 1.2)."""
    action = environ.get("HTTP_SOAPACTION", "").strip().strip('"')
    if action:
        return str(action)
    match = re.search(r'action="?([^";]+)"?', environ.get("CONTENT_TYPE", ""))
    return match.group(1) if match else None


class EsuiteServer(SimulatorServer):
    """The e-Suite simulator's server: its NRC publishes with this server's URL as base and
    stops delivering when the server stops (no delivery thread outlives it)."""

    def __init__(self, app: EsuiteApp, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.notificaties = app.notificaties
        self.notificaties.bind(lambda: self.url)

    def __enter__(self) -> EsuiteServer:  # typed, so ``with`` gives ``.notificaties``
        self.start()
        return self

    def stop(self) -> None:
        super().stop()
        self.notificaties.stop()


def make_esuite_server(
    *,
    port: int = 0,
    faults: FaultInjector | FaultConfig | None = None,
    store: EsuiteStore | None = None,
    unknown_zaak_vraag: Literal["Fo02", "leeg"] = "Fo02",
    keep_content: bool = True,
    zgw_page_size: int = DEFAULT_PAGE_SIZE,
) -> EsuiteServer:
    """An (unstarted) e-Suite simulator server; ``server.app.store`` is its store,
    ``server.notificaties`` (also ``server.app.notificaties``) its NRC.

    ``keep_content=False`` keeps only size and SHA-256 of documents (for big benchmark runs).
    ``zgw_page_size`` is the page size of the ZGW Documenten and Zaken listings.
    """
    app = EsuiteApp(
        store or EsuiteStore(keep_content=keep_content),
        unknown_zaak_vraag=unknown_zaak_vraag,
        zgw_page_size=zgw_page_size,
    )
    return EsuiteServer(app, port=port, name="e-Suite", faults=faults)

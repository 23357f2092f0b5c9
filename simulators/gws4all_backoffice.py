"""GWS4all as a *backoffice* on loopback: receives ZDS 1.1 (ZKN namespace), keeps, answers.

Why: the doorgifte (issue #14) reads new aanvraag-zaken from the e-Suite and delivers them to
GWS4all with creeerZaak (``zakLk01``, mutatiesoort T) and voegZaakdocumentToe (``edcLk01``).
Those writes are not idempotent, so the adapter must survive refusals, hangs and lost answers
and read back ("is it there?") with geefZaakdetails. This simulator is that other side, with
commands to misbehave on demand. (:mod:`simulators.gws4all` is GWS4all as a *sender*.)

=========================  ======================================================================
creeerZaak                 Bv03 (crossRefnummer = request's referentienummer, zender/ontvanger
                           swapped); the zaak gets a GWS4all key ``GWS-<n>``. Identificatie already
                           held: **Fo03 StUF058 "Zaak <id> bestaat al"**. Mutatiesoort not T: Fo01.
voegZaakdocumentToe        Bv03, streamed (size + SHA-256 only, content never kept). Unknown zaak:
                           **Fo03 StUF058 "Zaak <id> onbekend"**. Document already held: **Fo03
                           StUF058 "Document <id> bestaat al"** (same SHA-256) or "... bestaat al
                           met andere inhoud"; ``details`` is ``sha256=<held hash>`` either way.
actualiseerZaakstatus      Bv03, status appended; unknown zaak: Fo03 StUF058 "Zaak <id> onbekend".
geefZaakdetails            La01 with the zaak and its statuses; unknown zaak: a La01 *without*
                           antwoord (StUF: no object matches the selection), or with
                           ``unknown_zaak_vraag="Fo02"`` Fo02 StUF058 "Zaak <id> niet gevonden".
geefLijstZaakdocumenten    La01 (zakLa01) with the zaak's documents, metadata only (read-only:
                           how a sender checks that a document landed); unknown zaak: **Fo02
                           StUF058 "Zaak <id> niet gevonden"** (a list answer needs its zaak).
other messages             Fo01 StUF025 "Bericht ... wordt niet ondersteund" (e.g. updateZaak).
not XML, not ZDS 1.1,      Fo01 StUF055 (schema findings in ``details``), HTTP 500: the sender
schema-invalid             must fix the message, nothing stored.
=========================  ======================================================================

StUF 03.01 has no foutcode of its own for "object bestaat al", so, like the e-Suite simulator
and what ``adapters/esuite/client.fout_error`` recognises, "already there" is Fo03 StUF058 with
the words "bestaat al" (:data:`BESTAAT_AL`); "onbekend" likewise (:data:`ONBEKEND`).

Commands (Python, on :class:`Gws4allBackofficeServer`): :meth:`~Gws4allBackofficeServer.refuse`
(every or the next N requests get a Fo0x with your code and text, nothing stored),
:meth:`~Gws4allBackofficeServer.hold` (requests wait S seconds: a client times out; then they
are processed or dropped), :meth:`~Gws4allBackofficeServer.lose_responses` (the next N are
stored, then the connection is reset without an answer),
:meth:`~Gws4allBackofficeServer.unavailable` (HTTP 503 at a rate, via the shared
:class:`~simulators.faults.FaultInjector`), :meth:`~Gws4allBackofficeServer.clear_commands`.

Admin over HTTP: ``GET /_admin/state`` (the store's snapshot), ``POST /_admin/reset``.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal
from wsgiref.types import StartResponse, WSGIEnvironment

from lxml import etree

from privacy.masking import mask_text
from simulators.faults import FaultConfig, FaultDecision, FaultInjector
from simulators.gws4all_backoffice_store import (
    Gws4allBackofficeStore,
    ObjectBestaatAl,
    ObjectOnbekend,
)
from simulators.http import SimulatorServer, json_response
from stuf import (
    ActualiseerZaakstatus,
    Bevestiging,
    CreeerZaak,
    Fout,
    GeefLijstZaakdocumenten,
    GeefZaakdetails,
    LijstZaakdocumentenAntwoord,
    Message,
    StufError,
    Stuurgegevens,
    Systeem,
    VoegZaakdocumentToe,
    ZaakdetailsAntwoord,
    ZdsVersion,
    build_fault,
    build_message,
    new_stuurgegevens,
    soap_action_for,
)
from stuf.envelope import unwrap
from stuf.parse import parse_element
from stuf.peek import message_element
from stuf.schema import validate_element
from stuf.stream import Readable, stream_document_lk01
from stuf.xml import STUF, ZDS, ZKN, parse_xml, safe_parser

__all__ = [
    "BESTAAT_AL",
    "GWS4ALL_BACKOFFICE_SYSTEEM",
    "ONBEKEND",
    "Gws4allBackofficeApp",
    "Gws4allBackofficeServer",
    "make_gws4all_backoffice_server",
]

log = logging.getLogger(__name__)

#: How GWS4all names itself in answers (the sender side uses the same organisatie/applicatie).
GWS4ALL_BACKOFFICE_SYSTEEM = Systeem(organisatie="1900", applicatie="GWS4all")
#: Words in a Fo03 StUF058 omschrijving that mean "already there" and "not there".
BESTAAT_AL = "bestaat al"
ONBEKEND = "onbekend"
_ANONYMOUS = Systeem(organisatie=None, applicatie="ONBEKEND")
_EDC_LK01 = f"{{{ZKN}}}edcLk01"
_INHOUD = f"{{{ZKN}}}inhoud"
_MUTATIESOORT = f"{{{ZKN}}}parameters/{{{STUF}}}mutatiesoort"
_REFERENTIE = re.compile(rb"referentienummer>\s*([^<\s]{1,40})\s*<")
_MAX_BODY = 768 * 1024 * 1024
_PEEK = 8192

_Fout = tuple[str, str, str, str]  # berichtcode, code, plek, omschrijving


class _Reject(Exception):
    def __init__(self, fout: _Fout, details: str | None = None) -> None:
        super().__init__(fout[3])
        self.fout = fout
        self.details = details


# --- commands -------------------------------------------------------------------------------


@dataclass
class _Refusal:
    berichtcode: str
    code: str
    text: str
    remaining: int | None  # None: until cleared
    operations: frozenset[str] | None


@dataclass
class _Hold:
    seconds: float
    process: bool
    remaining: int | None


class BackofficeCommands:
    """The misbehaviour asked for, consumed request by request (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self.refusal: _Refusal | None = None
            self.holding: _Hold | None = None
            self.lose = 0
            self.applied: dict[str, int] = {"refused": 0, "held": 0, "lost": 0}

    def set_refusal(self, refusal: _Refusal) -> None:
        with self._lock:
            self.refusal = refusal

    def set_hold(self, holding: _Hold) -> None:
        with self._lock:
            self.holding = holding

    def add_lost(self, count: int) -> None:
        with self._lock:
            self.lose += count

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self.applied)

    def take_refusal(self, operation: str) -> _Fout | None:
        with self._lock:
            refusal = self.refusal
            if refusal is None:
                return None
            if refusal.operations is not None and operation not in refusal.operations:
                return None
            if refusal.remaining is not None:
                refusal.remaining -= 1
                if refusal.remaining <= 0:
                    self.refusal = None
            self.applied["refused"] += 1
            plek = "server" if refusal.berichtcode == "Fo02" else "client"
            return (refusal.berichtcode, refusal.code, plek, refusal.text)

    def take_socket_decision(self) -> FaultDecision | None:
        """A hold or a lost answer for this request, applied by the server's handler."""
        with self._lock:
            if self.lose > 0:
                self.lose -= 1
                self.applied["lost"] += 1
                return FaultDecision("transient", "lost_response")
            holding = self.holding
            if holding is None:
                return None
            if holding.remaining is not None:
                holding.remaining -= 1
                if holding.remaining <= 0:
                    self.holding = None
            self.applied["held"] += 1
            latency = max(1, int(holding.seconds * 1000))
            if holding.process:  # waits, then handled and answered as usual
                return FaultDecision("none", "", latency)
            return FaultDecision("transient", "reset", latency)  # waits, then RST, not handled


# --- streaming a document with its schema check ---------------------------------------------


class _SkipInhoud:
    """Parser target: the message as a small tree, the (huge) inhoud text left out, so the
    rest of a voegZaakdocumentToe can be checked against the XSD without holding the content."""

    def __init__(self) -> None:
        self.builder = etree.TreeBuilder()
        self.in_inhoud = 0

    def start(
        self, tag: str, attrib: dict[str, str], nsmap: dict[str | None, str] | None = None
    ) -> None:
        if tag == _INHOUD or self.in_inhoud:
            self.in_inhoud += 1
        self.builder.start(tag, attrib, nsmap or {})

    def end(self, tag: str) -> None:
        if self.in_inhoud:
            self.in_inhoud -= 1
        self.builder.end(tag)

    def data(self, text: str) -> None:
        if not self.in_inhoud:
            self.builder.data(text)

    def close(self) -> etree._Element:
        return self.builder.close()


class _Tee:
    """Reads ``source`` (head first) and feeds what it read to the schema-check parser too."""

    def __init__(self, head: bytes, source: Readable) -> None:
        self.head = head
        self.source = source
        self.parser = safe_parser(target=_SkipInhoud())
        self.broken = False  # the stream parse reports the error itself

    def read(self, size: int = -1, /) -> bytes:
        if self.head:
            data, self.head = (self.head, b"") if size < 0 else (self.head[:size], self.head[size:])
        else:
            data = self.source.read(size)
        if data and not self.broken:
            try:
                self.parser.feed(data)
            except etree.XMLSyntaxError:
                self.broken = True
        return data

    def element(self) -> etree._Element:
        root = self.parser.close()
        element, _soap = unwrap(root)
        return element


class _Discard:
    """The content is only hashed (by the stream parse), never kept."""

    def write(self, data: bytes, /) -> int:
        return len(data)


class _BodyReader:
    """At most ``remaining`` bytes of the request body."""

    def __init__(self, stream: Readable, remaining: int) -> None:
        self.stream = stream
        self.remaining = remaining

    def read(self, size: int = -1, /) -> bytes:
        if self.remaining <= 0:
            return b""
        want = self.remaining if size < 0 else min(size, self.remaining)
        data = self.stream.read(want)
        self.remaining = self.remaining - len(data) if data else 0
        return data


@dataclass(frozen=True)
class _Upload:
    size: int
    sha256: str


# --- the app --------------------------------------------------------------------------------


class Gws4allBackofficeApp:
    """WSGI app: one endpoint for every ZDS 1.1 message (any path), admin under ``/_admin/``."""

    transient_variants: tuple[str, ...] = ()
    permanent_variants: tuple[str, ...] = ()

    def __init__(
        self,
        store: Gws4allBackofficeStore | None = None,
        *,
        unknown_zaak_vraag: Literal["leeg", "Fo02"] = "leeg",
        commands: BackofficeCommands | None = None,
    ) -> None:
        self.store = store or Gws4allBackofficeStore()
        self.unknown_zaak_vraag = unknown_zaak_vraag
        self.commands = commands or BackofficeCommands()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ["REQUEST_METHOD"]
        if path == "/_admin/state" and method == "GET":
            return json_response(start_response, self.store.snapshot())
        if path == "/_admin/reset" and method == "POST":
            self.store.reset()
            self.commands.clear()
            return json_response(start_response, {"reset": True})
        if method != "POST":
            start_response(
                "405 Method Not Allowed", [("Content-Type", "text/plain"), ("Allow", "POST")]
            )
            return [b"GWS4all backoffice simulator: POST ZDS 1.1 SOAP messages here\n"]
        length = min(int(environ.get("CONTENT_LENGTH") or 0), _MAX_BODY)
        source = _BodyReader(environ["wsgi.input"], length)
        head = source.read(_PEEK)
        status, body = self._receive(head, source, _soap_action(environ))
        start_response(
            status,
            [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(body)))],
        )
        return [body]

    # --- receiving ------------------------------------------------------------------------

    def handle(self, data: bytes, soap_action: str | None = None) -> tuple[str, bytes]:
        """Answer one SOAP request: (HTTP status, body). Usable without HTTP."""
        return self._receive(data[:_PEEK], io.BytesIO(data[_PEEK:]), soap_action)

    def _receive(self, head: bytes, source: Readable, soap_action: str | None) -> tuple[str, bytes]:
        """A voegZaakdocumentToe is streamed; anything else is read whole."""
        try:
            element = message_element(io.BytesIO(head))
        except StufError:
            element = ""  # unreadable, or its message starts later: read whole
        if element == _EDC_LK01:
            return self._document(head, source, soap_action)
        return self._whole(head + source.read(), soap_action)

    def _whole(self, data: bytes, soap_action: str | None) -> tuple[str, bytes]:
        try:
            root = parse_xml(data)
            element, _soap = unwrap(root)
            self._check_version(element)
            findings = self._findings(element)
            message = parse_element(element, soap_action=soap_action)
        except StufError as exc:
            return self._unreadable(exc.code, exc.omschrijving, exc.plek, data)
        except _Reject as reject:
            return self._fault(reject.fout, None, details=reject.details, raw=data)
        if findings:
            return self._schema_invalid(findings, data)
        if isinstance(message, CreeerZaak) and element.findtext(_MUTATIESOORT) != "T":
            fout = ("Fo01", "StUF055", "client", "creeerZaak hoort mutatiesoort T te hebben")
            return self._fault(fout, message.stuurgegevens)
        return self._answer(message, soap_action)

    def _document(self, head: bytes, source: Readable, action: str | None) -> tuple[str, bytes]:
        """A voegZaakdocumentToe, read from the socket: content hashed as it arrives."""
        tee = _Tee(head, source)
        try:
            streamed = stream_document_lk01(tee, _Discard())
            element = tee.element()
            findings = self._findings(element)
        except StufError as exc:
            return self._unreadable(exc.code, exc.omschrijving, exc.plek, head)
        except (etree.XMLSyntaxError, _Reject) as exc:  # pragma: no cover - stream saw it first
            return self._unreadable("StUF055", f"niet te lezen: {exc}", "/", head)
        if findings:
            return self._schema_invalid(findings, head)
        return self._answer(streamed.message, action, _Upload(streamed.size, streamed.sha256))

    @staticmethod
    def _check_version(element: etree._Element) -> None:
        tag = element.tag
        if isinstance(tag, str) and tag.startswith(f"{{{ZDS}}}"):
            raise _Reject(("Fo01", "StUF055", "client", "Alleen ZDS 1.1 wordt ondersteund"))

    @staticmethod
    def _findings(element: etree._Element) -> list[str]:
        tag = element.tag
        if isinstance(tag, str) and tag.rpartition("}")[2] == "Fault":
            return []  # not ours to check: parse_element refuses it as a request
        return validate_element(element, ZdsVersion.V1_1)

    def _unreadable(self, code: str, text: str, plek: str, raw: bytes) -> tuple[str, bytes]:
        log.info("GWS4all backoffice simulator: unreadable request: %s", mask_text(text))
        fout = ("Fo01", code or "StUF055", "client", text)
        return self._fault(fout, None, details=plek, raw=raw)

    def _schema_invalid(self, findings: list[str], raw: bytes) -> tuple[str, bytes]:
        fout = ("Fo01", "StUF055", "client", "Bericht is niet conform het ZDS 1.1 schema")
        return self._fault(fout, None, details=" | ".join(findings[:3])[:1000], raw=raw)

    def _answer(
        self, message: Message, soap_action: str | None, upload: _Upload | None = None
    ) -> tuple[str, bytes]:
        sg = getattr(message, "stuurgegevens", None)
        operation = _operation(message)
        self.store.count_call(operation)
        if sg is None or operation not in _HANDLED:
            fout = ("Fo01", "StUF025", "client", f"Bericht {operation} wordt niet ondersteund")
            return self._fault(fout, sg)
        if soap_action and soap_action.strip('"') != soap_action_for(message, ZdsVersion.V1_1):
            fout = ("Fo01", "StUF034", "client", "SOAPAction past niet bij het bericht")
            return self._fault(fout, sg)
        if isinstance(message, CreeerZaak):
            self.store.received_zaak(message.zaak.identificatie)
        elif isinstance(message, VoegZaakdocumentToe):
            self.store.received_document(message.document.identificatie)
        refusal = self.commands.take_refusal(operation)
        if refusal is not None:
            return self._fault(refusal, sg)
        answer: Bevestiging | ZaakdetailsAntwoord | LijstZaakdocumentenAntwoord
        try:
            if isinstance(message, CreeerZaak):
                answer = self._creeer(message, sg)
            elif isinstance(message, VoegZaakdocumentToe):
                answer = self._voeg_toe(message, sg, upload)
            elif isinstance(message, ActualiseerZaakstatus):
                answer = self._actualiseer(message, sg)
            elif isinstance(message, GeefLijstZaakdocumenten):
                answer = self._lijst(message, sg)
            else:
                assert isinstance(message, GeefZaakdetails)
                answer = self._geef(message, sg)
        except _Reject as reject:  # its details are our own (a hash): no BSN to mask
            return self._fault(reject.fout, sg, details=reject.details, masked=False)
        return "200 OK", build_message(answer, ZdsVersion.V1_1)

    # --- answers --------------------------------------------------------------------------

    @staticmethod
    def _answer_sg(
        berichtcode: str, request_sg: Stuurgegevens | None, **extra: Any
    ) -> Stuurgegevens:
        """Zender and ontvanger swapped, crossRefnummer the request's referentienummer."""
        if request_sg is None:
            return new_stuurgegevens(berichtcode, GWS4ALL_BACKOFFICE_SYSTEEM, _ANONYMOUS, **extra)
        return new_stuurgegevens(
            berichtcode,
            request_sg.ontvanger,
            request_sg.zender,
            cross_refnummer=request_sg.referentienummer,
            **extra,
        )

    def _fault(
        self,
        fout: _Fout,
        request_sg: Stuurgegevens | None,
        *,
        details: str | None = None,
        raw: bytes = b"",
        masked: bool = True,
    ) -> tuple[str, bytes]:
        """A Fo0x in a SOAP 1.1 Fault, HTTP 500 (plek is the schema's client/server).

        ``details`` is masked for BSNs unless ``masked`` is False (a SHA-256 we wrote)."""
        berichtcode, code, plek, omschrijving = fout
        sg = self._answer_sg(berichtcode, request_sg)
        if request_sg is None:  # unreadable: echo its referentienummer if one can be seen
            match = _REFERENTIE.search(raw[:8192])
            cross_ref = match.group(1).decode("utf-8", "replace") if match else "onbekend"
            sg = dataclasses.replace(sg, cross_refnummer=cross_ref)
        message = Fout(
            berichtcode,
            code,
            plek,
            mask_text(omschrijving)[:200],
            details=(mask_text(details) if masked else details) if details else None,
            stuurgegevens=sg,
        )
        return "500 Internal Server Error", build_fault(message, ZdsVersion.V1_1)

    def _bv03(self, sg: Stuurgegevens) -> Bevestiging:
        return Bevestiging("Bv03", stuurgegevens=self._answer_sg("Bv03", sg))

    def _creeer(self, message: CreeerZaak, sg: Stuurgegevens) -> Bevestiging:
        identificatie = message.zaak.identificatie
        try:
            stored = self.store.create_zaak(message.zaak)
        except ObjectBestaatAl:
            text = f"Zaak {identificatie} {BESTAAT_AL}"
            raise _Reject(("Fo03", "StUF058", "client", text)) from None
        log.info("GWS4all backoffice simulator: zaak stored as %s", stored.gws_zaaknummer)
        return self._bv03(sg)

    def _voeg_toe(
        self, message: VoegZaakdocumentToe, sg: Stuurgegevens, upload: _Upload | None
    ) -> Bevestiging:
        document = message.document
        if upload is None:  # pragma: no cover - an edcLk01 is always streamed
            raise _Reject(("Fo01", "StUF025", "client", "voegZaakdocumentToe zonder inhoud"))
        try:
            self.store.add_document(document, size=upload.size, sha256=upload.sha256)
        except ObjectOnbekend:
            text = f"Zaak {document.zaak_identificatie or ''} {ONBEKEND}"
            raise _Reject(("Fo03", "StUF058", "client", text)) from None
        except ObjectBestaatAl as exists:
            text = f"Document {document.identificatie} {BESTAAT_AL}"
            if exists.sha256 != upload.sha256:
                text += " met andere inhoud"
            raise _Reject(("Fo03", "StUF058", "client", text), f"sha256={exists.sha256}") from None
        return self._bv03(sg)

    def _actualiseer(self, message: ActualiseerZaakstatus, sg: Stuurgegevens) -> Bevestiging:
        try:
            self.store.add_status(message.zaak_identificatie, message.wordt)
        except ObjectOnbekend:
            text = f"Zaak {message.zaak_identificatie} {ONBEKEND}"
            raise _Reject(("Fo03", "StUF058", "client", text)) from None
        return self._bv03(sg)

    def _geef(self, message: GeefZaakdetails, sg: Stuurgegevens) -> ZaakdetailsAntwoord:
        answer_sg = self._answer_sg("La01", sg, entiteittype="ZAK")
        try:
            held = self.store.zaak(message.zaak_identificatie)
        except ObjectOnbekend:
            if self.unknown_zaak_vraag == "leeg":
                return ZaakdetailsAntwoord(answer_sg, zaak=None)
            text = f"Zaak {message.zaak_identificatie} niet gevonden"
            raise _Reject(("Fo02", "StUF058", "client", text)) from None
        return ZaakdetailsAntwoord(answer_sg, zaak=held.zaak, statussen=held.statussen)

    def _lijst(
        self, message: GeefLijstZaakdocumenten, sg: Stuurgegevens
    ) -> LijstZaakdocumentenAntwoord:
        """The zaak's documents as held (metadata, in the order they were added)."""
        try:
            held = self.store.zaak(message.zaak_identificatie)
        except ObjectOnbekend:
            text = f"Zaak {message.zaak_identificatie} niet gevonden"
            raise _Reject(("Fo02", "StUF058", "client", text)) from None
        documenten = []
        for identificatie in held.documenten:
            stored = self.store.document(identificatie)
            if stored is not None:
                documenten.append(dataclasses.replace(stored.document, inhoud=None))
        answer_sg = self._answer_sg("La01", sg, entiteittype="ZAK")
        return LijstZaakdocumentenAntwoord(answer_sg, held.zaak.identificatie, documenten)


_HANDLED = (
    "creeerZaak",
    "voegZaakdocumentToe",
    "actualiseerZaakstatus",
    "geefZaakdetails",
    "geefLijstZaakdocumenten",
)
_OPERATION_NAMES = {
    CreeerZaak: "creeerZaak",
    VoegZaakdocumentToe: "voegZaakdocumentToe",
    ActualiseerZaakstatus: "actualiseerZaakstatus",
    GeefZaakdetails: "geefZaakdetails",
    GeefLijstZaakdocumenten: "geefLijstZaakdocumenten",
}


def _operation(message: Message) -> str:
    return _OPERATION_NAMES.get(type(message), type(message).__name__)


def _soap_action(environ: WSGIEnvironment) -> str | None:
    action = str(environ.get("HTTP_SOAPACTION", "")).strip().strip('"')
    return action or None


# --- the server and its commands ------------------------------------------------------------


class Gws4allBackofficeServer(SimulatorServer):
    """A :class:`SimulatorServer` whose handler also applies the backoffice's commands."""

    app: Gws4allBackofficeApp

    def __init__(
        self,
        app: Gws4allBackofficeApp,
        *,
        port: int = 0,
        faults: FaultInjector | FaultConfig | None = None,
    ) -> None:
        super().__init__(app, port=port, name="GWS4all-backoffice", faults=faults)
        self.app = app

    def __enter__(self) -> Gws4allBackofficeServer:
        self.start()
        return self

    @property
    def store(self) -> Gws4allBackofficeStore:
        return self.app.store

    def decide(self, environ: WSGIEnvironment) -> FaultDecision:
        """A hold or lost answer asked for wins; otherwise the shared injector decides."""
        forced = self.app.commands.take_socket_decision()
        return forced if forced is not None else super().decide(environ)

    def refuse(
        self,
        code: str = "StUF058",
        text: str = "Proces voor afhandelen bericht geeft fout",
        *,
        count: int | None = None,
        berichtcode: str = "Fo03",
        operations: Iterable[str] | None = None,
    ) -> None:
        """Answer ``berichtcode`` ``code`` ``text`` (HTTP 500) to every request, or to the next
        ``count``, optionally only for ``operations``; nothing is stored (receipts are counted).
        """
        if count is not None and count <= 0:
            raise ValueError("count must be positive")
        ops = frozenset(operations) if operations is not None else None
        self.app.commands.set_refusal(_Refusal(berichtcode, code, text, count, ops))

    def hold(self, seconds: float, *, count: int | None = None, process: bool = True) -> None:
        """Let requests (every one, or the next ``count``) wait ``seconds`` before anything
        happens, so a client times out. ``process``: then handle and answer it (stored though
        the client gave up); else reset the connection, nothing stored. A stop ends the wait."""
        if seconds <= 0:
            raise ValueError("seconds must be positive")
        self.app.commands.set_hold(_Hold(seconds, process, count))

    def lose_responses(self, count: int = 1) -> None:
        """The next ``count`` requests are handled (stored), then the connection is reset."""
        if count <= 0:
            raise ValueError("count must be positive")
        self.app.commands.add_lost(count)

    def unavailable(self, rate: float, *, seed: int = 0) -> None:
        """HTTP 503 (not processed) for a share ``rate`` of requests, seeded."""
        self.faults.configure(
            FaultConfig(transient_rate=rate, transient_variants=("http_503",), seed=seed)
        )

    def commands_applied(self) -> dict[str, int]:
        """How many requests were refused, held and lost by command so far."""
        return self.app.commands.counts()

    def clear_commands(self) -> None:
        """No refusals, holds or lost answers; the injector quiet again."""
        self.app.commands.clear()
        self.faults.configure(FaultConfig())

    def snapshot(self) -> dict[str, Any]:
        """The store's plain state (zaken, documenten, receipts, calls)."""
        return self.app.store.snapshot()

    def gws_zaaknummer(self, identificatie: str) -> str | None:
        """The key GWS4all gave the zaak (``GWS-<n>``), None when it does not hold it."""
        return self.app.store.gws_zaaknummer(identificatie)

    def reset(self) -> None:
        """Empty store, no commands, quiet injector."""
        self.clear_commands()
        self.app.store.reset()


def make_gws4all_backoffice_server(
    *,
    port: int = 0,
    faults: FaultInjector | FaultConfig | None = None,
    store: Gws4allBackofficeStore | None = None,
    unknown_zaak_vraag: Literal["leeg", "Fo02"] = "leeg",
) -> Gws4allBackofficeServer:
    """An (unstarted) GWS4all backoffice server on 127.0.0.1 (``port=0``: a free one)."""
    app = Gws4allBackofficeApp(store, unknown_zaak_vraag=unknown_zaak_vraag)
    return Gws4allBackofficeServer(app, port=port, faults=faults)

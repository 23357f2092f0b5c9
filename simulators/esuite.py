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
voegZaakdocumentToe        Bv03, document stored (size, SHA-256); unknown zaak: Fo03
genereerDocumentIdent.     Du02 with ``0153ESUITED1000001``-style identificatie
geefLijstZaakdocumenten    La01 with the zaak's documents; unknown zaak: Fo02 "niet gevonden"
geefZaakdocumentLezen      La01 with the document and its content; unknown: Fo02
updateZaakdocument         Bv02, metadata/content replaced (no check-out bookkeeping)
unparseable / not ZDS 1.2  Fo01 StUF055 (the sender must fix the message: permanent)
=========================  ===============================================================

Admin: ``GET /_admin/state`` (``?zaak=ID``, ``?summary=1``), ``POST /_admin/reset``, and the
fault endpoints of :mod:`simulators.http`.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable
from typing import Any, Literal
from urllib.parse import parse_qs
from wsgiref.types import StartResponse, WSGIEnvironment

from simulators.esuite_store import EsuiteStore, StoredDocument, ZaakBestaatAl, ZaakOnbekend
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
from stuf.privacy import mask_text

__all__ = ["ESUITE_SYSTEEM", "TRANSIENT_STUF_CODES", "EsuiteApp", "make_esuite_server"]

log = logging.getLogger(__name__)

ESUITE_SYSTEEM = Systeem(organisatie="0153", applicatie="ESUITE")
#: Fo02 codes that mean "try again later" (StUF 03.01 table 4.1: server-side, temporary).
TRANSIENT_STUF_CODES = ("StUF046", "StUF049", "StUF061", "StUF960")
_ANONYMOUS = Systeem(organisatie=None, applicatie="ONBEKEND")
_SOAP12_NS = b"http://www.w3.org/2003/05/soap-envelope"
_FIRST_IN_BODY = re.compile(rb"<((?:[\w.-]+:)?Body)\b[^>]*>\s*<((?:[\w.-]+:)?[\w.-]+)")
_REFERENTIE = re.compile(rb"referentienummer>\s*([^<\s]{1,40})\s*<")
_MAX_BODY = 512 * 1024 * 1024


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
    ) -> None:
        self.store = store or EsuiteStore()
        self.unknown_zaak_vraag = unknown_zaak_vraag
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

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ["REQUEST_METHOD"]
        if path == "/_admin/state" and method == "GET":
            query = parse_qs(environ.get("QUERY_STRING", ""))
            zaak = query.get("zaak", [None])[0]
            summary = query.get("summary", ["0"])[0] in ("1", "true")
            return json_response(
                start_response, self.store.snapshot(zaak, include_zaken=not summary)
            )
        if path == "/_admin/reset" and method == "POST":
            self.store.reset()
            return json_response(start_response, {"reset": True})
        if method != "POST":
            body = b"e-Suite simulator: POST ZDS 1.2 SOAP messages here\n"
            start_response(
                "405 Method Not Allowed", [("Content-Type", "text/plain"), ("Allow", "POST")]
            )
            return [body]
        length = min(int(environ.get("CONTENT_LENGTH") or 0), _MAX_BODY)
        data = environ["wsgi.input"].read(length) if length else b""
        decision = environ.get(FAULT_KEY)
        status, payload, soap = self.handle(data, _soap_action(environ), decision)
        content_type = "application/soap+xml" if soap is SoapVersion.V1_2 else "text/xml"
        start_response(
            status,
            [
                ("Content-Type", f"{content_type}; charset=utf-8"),
                ("Content-Length", str(len(payload))),
            ],
        )
        return [payload]

    # --- SOAP -------------------------------------------------------------------------------

    def handle(
        self, data: bytes, soap_action: str | None = None, decision: FaultDecision | None = None
    ) -> tuple[str, bytes, SoapVersion]:
        """Answer one SOAP request: (HTTP status, body, SOAP version). Usable without HTTP."""
        soap = SoapVersion.V1_2 if _SOAP12_NS in data[:4096] else SoapVersion.V1_1
        try:
            message = parse_message(data, soap_action=soap_action)
        except StufError as exc:
            log.info("e-Suite simulator: unreadable request: %s", exc)
            fout = ("Fo01", exc.code, "client", exc.omschrijving)
            return self._fault(fout, None, soap, details=exc.plek, raw=data)
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
            answer = handler(message, request_sg)
        except _Reject as reject:
            return self._fault(reject.fout, request_sg, soap)
        body = build_message(answer, ZdsVersion.V1_2, soap=soap)
        if decision is not None and decision.variant == "schema_invalid":
            body = _break_answer(body)  # processed, but the answer is not a StUF message
        return "200 OK", body, soap

    def _fault(
        self,
        fout: tuple[str, str, str, str],
        request_sg: Stuurgegevens | None,
        soap: SoapVersion,
        *,
        details: str | None = None,
        raw: bytes = b"",
    ) -> tuple[str, bytes, SoapVersion]:
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
        return "500 Internal Server Error", build_message(message, ZdsVersion.V1_2, soap=soap), soap

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

    def _voeg_document_toe(self, message: VoegZaakdocumentToe, sg: Stuurgegevens) -> Any:
        document = message.document
        try:
            self.store.add_document(document)
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
        return ZaakdocumentAntwoord(answer_sg, document=_with_content(stored))

    def _update_document(self, message: UpdateZaakdocument, sg: Stuurgegevens) -> Any:
        try:
            self.store.update_document(message.wordt)
        except ZaakOnbekend:
            text = f"Document {message.wordt.identificatie} onbekend"
            raise _Reject("Fo02", "StUF058", text, "client") from None
        return Bevestiging("Bv02")


def _with_content(stored: StoredDocument) -> Document:
    inhoud: bytes | NoValue = NoValue.WAARDE_ONBEKEND if stored.content is None else stored.content
    return dataclasses.replace(stored.document, inhoud=inhoud)


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


def make_esuite_server(
    *,
    port: int = 0,
    faults: FaultInjector | FaultConfig | None = None,
    store: EsuiteStore | None = None,
    unknown_zaak_vraag: Literal["Fo02", "leeg"] = "Fo02",
    keep_content: bool = True,
) -> SimulatorServer:
    """An (unstarted) e-Suite simulator server; ``server.app.store`` is its store.

    ``keep_content=False`` keeps only size and SHA-256 of documents (for big benchmark runs).
    """
    app = EsuiteApp(
        store or EsuiteStore(keep_content=keep_content), unknown_zaak_vraag=unknown_zaak_vraag
    )
    return SimulatorServer(app, port=port, name="e-Suite", faults=faults)

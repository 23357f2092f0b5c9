"""A small ZDS 1.1 client for GWS4all's own StUF endpoint (the doorgifte, issue #14).

Every answer is classified onto Ketenbrug's error tree, so the engine can tell a retry from a
dead letter: no answer (timeout, reset, garbage) is transient (ambiguous for a write: it may
have landed), HTTP 429/502/503/504 and any Fo02 are transient, a Fo01/Fo03 is a rejection
(:class:`Gws4allRejectedError`, carrying the Fo's code), and a Fo03 "bestaat al" on a create is
:class:`Gws4allBestaatAlError` (with the SHA-256 GWS4all holds, for a document). Texts are
masked: GWS4all may quote a BSN in its omschrijving or details.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any

import requests

from adapters.document import DocumentContent
from adapters.errors import (
    AlreadyExistsError,
    AmbiguousWriteError,
    ChecksumMismatchError,
    InvalidMessageError,
    KetenbrugError,
    TargetRejectedError,
    TransientError,
    ZaakOnbekendError,
    no_answer,
)
from adapters.gws4all.outbound_body import BlobMismatch, BlobReadError, StreamedBody, envelope_parts
from adapters.gws4all.outbound_config import Gws4allOutboundConfig
from adapters.http_sessions import ThreadSessions
from adapters.soap_post import post_soap
from privacy.masking import mask_text
from stuf import (
    Bevestiging,
    CreeerZaak,
    Document,
    Fout,
    GeefLijstZaakdocumenten,
    GeefZaakdetails,
    LijstZaakdocumentenAntwoord,
    StufError,
    VoegZaakdocumentToe,
    Zaak,
    ZaakdetailsAntwoord,
    ZdsVersion,
    build_message,
    new_stuurgegevens,
    parse_message,
    soap_action_for,
)

__all__ = [
    "SYSTEM",
    "Gws4allBestaatAlError",
    "Gws4allClient",
    "Gws4allRejectedError",
    "fout_error",
]

SYSTEM = "gws4all"
log = logging.getLogger(__name__)

_SHA256_DETAIL = re.compile(r"sha256=([0-9a-fA-F]{64})")
_UNKNOWN = ("onbekend", "niet gevonden")


class Gws4allRejectedError(TargetRejectedError):
    """GWS4all refused for good (Fo01/Fo03): ``berichtcode`` and ``code`` are the Fo's."""

    def __init__(self, message: str, *, berichtcode: str, code: str, operation: str) -> None:
        super().__init__(message, system=SYSTEM, operation=operation)
        self.berichtcode = berichtcode
        self.code = code


class Gws4allBestaatAlError(AlreadyExistsError):
    """A create found the object there; ``held_sha256`` is the content GWS4all holds (from
    the Fo's details ``sha256=<hash>``, documents only; None when not given)."""

    def __init__(self, message: str, *, operation: str, held_sha256: str | None) -> None:
        super().__init__(message, system=SYSTEM, operation=operation)
        self.held_sha256 = held_sha256


def fout_text(fout: Fout) -> str:
    """The Fo0x for an error text or log line, any BSN masked."""
    text = f"GWS4all {fout.berichtcode} {fout.code}: {fout.omschrijving}"
    if fout.details:
        text += f" ({fout.details[:200]})"
    return mask_text(text)


def fout_error(fout: Fout, operation: str) -> KetenbrugError:
    """What a Fo0x means: Fo02 retried, "bestaat al" delivered (for a create), "onbekend" zaak
    a :class:`ZaakOnbekendError`, anything else a :class:`Gws4allRejectedError`."""
    text = fout_text(fout)
    wording = fout.omschrijving.lower()
    if fout.berichtcode == "Fo02":
        return TransientError(text, system=SYSTEM, operation=operation)
    if "bestaat al" in wording and operation in ("creeerZaak", "voegZaakdocumentToe"):
        found = _SHA256_DETAIL.search(fout.details or "")
        held = found.group(1).lower() if found else None
        return Gws4allBestaatAlError(text, operation=operation, held_sha256=held)
    if operation == "voegZaakdocumentToe" and "zaak" in wording and "onbekend" in wording:
        return ZaakOnbekendError(text, system=SYSTEM, operation=operation)
    return Gws4allRejectedError(
        text, berichtcode=fout.berichtcode, code=fout.code, operation=operation
    )


def _expect_bevestiging(answer: Any, operation: str) -> None:
    if not isinstance(answer, Bevestiging):
        raise AmbiguousWriteError(
            f"onverwacht antwoord op {operation}: {type(answer).__name__}",
            system=SYSTEM,
            operation=operation,
        )


class Gws4allClient:
    """Calls GWS4all's ZDS 1.1 operations; one ``requests.Session`` per thread."""

    def __init__(
        self, config: Gws4allOutboundConfig, session: requests.Session | None = None
    ) -> None:
        self.config = config
        self._given = session
        cert: str | tuple[str, str] | None = None
        if config.client_cert:
            cert = (
                (config.client_cert, config.client_key) if config.client_key else config.client_cert
            )
        self._sessions = ThreadSessions(verify=config.verify, cert=cert)

    @property
    def session(self) -> requests.Session:
        return self._given if self._given is not None else self._sessions.get()

    def close(self) -> None:
        self._sessions.close()

    # --- transport ------------------------------------------------------------------------

    def post(self, body: Any, *, action: str, operation: str, writes: bool) -> Any:
        """POST a SOAP body (bytes, or a file-like with ``__len__``) and return its parsed
        answer, a Fout included; transport failures are raised on the error tree."""
        response = post_soap(
            self.session,
            self.config.url,
            body,
            action=action,
            timeout_s=self.config.timeout_s,
            verify=self.config.verify,
            service="GWS4all",
            system=SYSTEM,
            operation=operation,
            writes=writes,
        )
        with response:
            status, content = response.status_code, response.content
        try:
            return parse_message(content)
        except StufError as exc:
            raise no_answer(
                mask_text(f"onleesbaar antwoord van GWS4all (HTTP {status}): {exc}"),
                writes=writes,
                system=SYSTEM,
                operation=operation,
            ) from exc

    def call(self, message: Any, *, writes: bool) -> Any:
        """Send one message; its answer, or the error its Fo0x means."""
        operation = _operation(message)
        try:
            body = build_message(message, ZdsVersion.V1_1)
        except StufError as exc:
            raise InvalidMessageError(
                mask_text(f"{operation} niet te maken: {exc}"), system=SYSTEM, operation=operation
            ) from exc
        action = soap_action_for(message, ZdsVersion.V1_1)
        answer = self.post(body, action=action, operation=operation, writes=writes)
        if isinstance(answer, Fout):
            raise fout_error(answer, operation)
        return answer

    def stuurgegevens(self, berichtcode: str, entiteittype: str) -> Any:
        """Fresh stuurgegevens (a new referentienummer) from Ketenbrug to GWS4all."""
        return new_stuurgegevens(
            berichtcode, self.config.zender, self.config.ontvanger, entiteittype=entiteittype
        )

    # --- operations -----------------------------------------------------------------------

    def creeer_zaak(self, zaak: Zaak) -> None:
        """creeerZaak (zakLk01, mutatiesoort T). "Bestaat al": Gws4allBestaatAlError."""
        answer = self.call(CreeerZaak(self.stuurgegevens("Lk01", "ZAK"), zaak=zaak), writes=True)
        _expect_bevestiging(answer, "creeerZaak")

    def voeg_zaakdocument_toe(self, document: Document, content: DocumentContent) -> None:
        """voegZaakdocumentToe (edcLk01) with the blob streamed and its SHA-256 checked.

        Raises Gws4allBestaatAlError ("bestaat al", with the held SHA-256), ZaakOnbekendError,
        Gws4allRejectedError, TransientError/AmbiguousWriteError, ChecksumMismatchError (the
        upload was cut off, nothing stored), ContentUnavailableError (no blob).
        """
        operation = "voegZaakdocumentToe"
        message = VoegZaakdocumentToe(
            self.stuurgegevens("Lk01", "EDC"), document=replace(document, inhoud=None)
        )
        try:
            head, tail = envelope_parts(message)
        except StufError as exc:
            text = f"document {document.identificatie}: {exc}"
            raise InvalidMessageError(mask_text(text), system=SYSTEM, operation=operation) from exc
        action = soap_action_for(message, ZdsVersion.V1_1)
        with content.open(SYSTEM, operation) as handle:
            body = StreamedBody(head, handle, tail, content.size, content.sha256)
            try:
                answer = self.post(body, action=action, operation=operation, writes=True)
            except BlobMismatch as exc:
                raise ChecksumMismatchError(
                    f"inhoud van document {document.identificatie} klopt niet met de sha256 "
                    f"(verwacht {content.sha256}, gelezen {exc.sha256}); niet afgeleverd",
                    system=SYSTEM,
                    operation=operation,
                    sha256=exc.sha256,
                ) from exc
            except BlobReadError as exc:
                raise TransientError(
                    f"blob van document {document.identificatie} niet te lezen: {exc}",
                    system=SYSTEM,
                    operation=operation,
                ) from exc
        if isinstance(answer, Fout):
            raise fout_error(answer, operation)
        _expect_bevestiging(answer, operation)

    def ask(self, message: GeefZaakdetails | GeefLijstZaakdocumenten) -> Any:
        """Ask a question; None when GWS4all answers that the zaak is not there (a Fo0x
        saying "onbekend"/"niet gevonden": some backoffices answer so, not with an empty La01).
        """
        operation = _operation(message)
        body = build_message(message, ZdsVersion.V1_1)
        action = soap_action_for(message, ZdsVersion.V1_1)
        answer = self.post(body, action=action, operation=operation, writes=False)
        if isinstance(answer, Fout):
            if any(word in answer.omschrijving.lower() for word in _UNKNOWN):
                return None
            raise fout_error(answer, operation)
        return answer

    def geef_zaakdetails(self, identificatie: str) -> Zaak | None:
        """The zaak as GWS4all holds it, or None when it does not know it."""
        sg = self.stuurgegevens("Lv01", "ZAK")
        answer = self.ask(GeefZaakdetails(sg, zaak_identificatie=identificatie))
        if answer is None:
            return None
        if not isinstance(answer, ZaakdetailsAntwoord):
            raise _unexpected(answer, "geefZaakdetails")
        return answer.zaak

    def geef_lijst_zaakdocumenten(self, zaak_identificatie: str) -> list[Document] | None:
        """The documents (metadata only) GWS4all holds for the zaak; None for an unknown zaak."""
        sg = self.stuurgegevens("Lv01", "ZAK")
        answer = self.ask(GeefLijstZaakdocumenten(sg, zaak_identificatie=zaak_identificatie))
        if answer is None:
            return None
        if not isinstance(answer, LijstZaakdocumentenAntwoord):
            raise _unexpected(answer, "geefLijstZaakdocumenten")
        return list(answer.documenten)


def _unexpected(answer: Any, operation: str) -> TransientError:
    return TransientError(
        f"onverwacht antwoord op {operation}: {type(answer).__name__}",
        system=SYSTEM,
        operation=operation,
    )


_OPERATIONS = {
    CreeerZaak: "creeerZaak",
    VoegZaakdocumentToe: "voegZaakdocumentToe",
    GeefZaakdetails: "geefZaakdetails",
    GeefLijstZaakdocumenten: "geefLijstZaakdocumenten",
}


def _operation(message: Any) -> str:
    return _OPERATIONS.get(type(message), type(message).__name__)

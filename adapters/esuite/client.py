"""A small ZDS 1.2 client for the e-Suite on requests and the ``stuf`` codec.

Every call goes through :meth:`EsuiteClient.call`, which maps transport and StUF faults onto
Ketenbrug's error tree: the engine can then tell a retry from a dead letter.
"""

from __future__ import annotations

import logging
from typing import Any

import requests

from adapters.errors import (
    AlreadyExistsError,
    AmbiguousWriteError,
    KetenbrugError,
    TargetRejectedError,
    TransientError,
    ZaakOnbekendError,
    no_answer,
)
from adapters.esuite.config import EsuiteConfig
from adapters.http_sessions import ThreadSessions
from adapters.soap_post import post_soap
from privacy.masking import mask_text
from stuf import (
    ActualiseerZaakstatus,
    Bevestiging,
    CreeerZaak,
    Fout,
    GeefZaakdetails,
    StufError,
    UpdateZaak,
    Zaak,
    ZaakdetailsAntwoord,
    ZaakStatus,
    ZdsVersion,
    build_message,
    new_stuurgegevens,
    parse_message,
    soap_action_for,
)

__all__ = [
    "SYSTEM",
    "TRANSIENT_FO02_CODES",
    "EsuiteClient",
    "expect_bevestiging",
    "fout_error",
    "fout_text",
]

SYSTEM = "esuite"
log = logging.getLogger(__name__)

# HTTP statuses that mean "not processed, try later" (gateway or overload, not a SOAP fault).
#: Fo02 foutcodes that mean "temporary, try again" (StUF 03.01 tabel 4.1, server side).
TRANSIENT_FO02_CODES = frozenset({"StUF046", "StUF049", "StUF061", "StUF960"})


def fout_text(fout: Fout) -> str:
    """The Fo0x for a log line or error: any BSN in the e-Suite's wording masked."""
    return mask_text(f"e-Suite {fout.berichtcode} {fout.code}: {fout.omschrijving}")


def fout_error(
    fout: Fout,
    operation: str,
    *,
    unknown: type[TargetRejectedError] = ZaakOnbekendError,
    unknown_text: str = "",
    exists: bool = False,
) -> KetenbrugError:
    """What an e-Suite Fo0x means on the error tree, read from its code and wording.

    A transient Fo02 code is retried; "onbekend"/"niet gevonden" is ``unknown`` (the zaak, or
    for a document call the document), its text ``unknown_text`` with the Fo0x behind it when
    given; with ``exists`` (a create) "bestaat al" counts as delivered. Anything else is a
    rejection.
    """
    text = fout_text(fout)
    wording = fout.omschrijving.lower()
    if fout.berichtcode == "Fo02" and fout.code in TRANSIENT_FO02_CODES:
        return TransientError(text, system=SYSTEM, operation=operation)
    if exists and "bestaat al" in wording:
        return AlreadyExistsError(text, system=SYSTEM, operation=operation)
    if "onbekend" in wording or "niet gevonden" in wording:
        message = f"{unknown_text} ({text})" if unknown_text else text
        return unknown(message, system=SYSTEM, operation=operation)
    return TargetRejectedError(text, system=SYSTEM, operation=operation)


def expect_bevestiging(answer: Any, operation: str) -> None:
    """A write's answer must be a Bevestiging; anything else leaves the write's fate open."""
    if not isinstance(answer, Bevestiging):
        raise AmbiguousWriteError(
            f"onverwacht antwoord op {operation}: {type(answer).__name__}",
            system=SYSTEM,
            operation=operation,
        )


def _client_cert(config: EsuiteConfig) -> str | tuple[str, str] | None:
    """The mTLS certificate as requests takes it: one file, or a (cert, key) pair of files."""
    if not config.client_cert:
        return None
    return (config.client_cert, config.client_key) if config.client_key else config.client_cert


class EsuiteClient:
    """Calls the e-Suite's ZDS 1.2 operations; one ``requests.Session`` per thread."""

    def __init__(self, config: EsuiteConfig, session: requests.Session | None = None) -> None:
        self.config = config
        self._given = session
        self._sessions = ThreadSessions(verify=config.verify, cert=_client_cert(config))

    @property
    def session(self) -> requests.Session:
        """This thread's session (the engine writes from several threads), or the one given."""
        return self._given if self._given is not None else self._sessions.get()

    def close(self) -> None:
        self._sessions.close()

    def call(self, message: Any, *, writes: bool) -> Any:
        """Send one message and return the parsed answer (or raise from the error tree)."""
        body = build_message(message, ZdsVersion.V1_2)
        action = soap_action_for(message, ZdsVersion.V1_2)
        operation = type(message).__name__
        response = self.post(body, action=action, operation=operation, writes=writes)
        answer = self.answer(response, operation=operation, writes=writes)
        if isinstance(answer, Fout):
            raise fout_error(answer, operation)
        return answer

    @staticmethod
    def answer(response: requests.Response, *, operation: str, writes: bool) -> Any:
        """The parsed answer of a (non-streamed) response, a Fout included; unreadable raises."""
        with response:
            content = response.content
        try:
            return parse_message(content)
        except StufError as exc:
            raise no_answer(
                f"onleesbaar antwoord van e-Suite (HTTP {response.status_code}): {exc}",
                writes=writes,
                system=SYSTEM,
                operation=operation,
            ) from exc

    def post(
        self, body: Any, *, action: str, operation: str, writes: bool, stream: bool = False
    ) -> requests.Response:
        """POST a ready SOAP body and return the HTTP response, unparsed (for streaming).

        ``body`` is bytes, or a file-like object with ``__len__``: requests then sends a
        Content-Length, never chunked transfer encoding. Transport failures and gateway statuses
        are raised like :meth:`call` does; an exception the body's ``read`` raises (that is not
        a requests error) comes out unchanged. With ``stream`` the caller reads and closes the
        response.
        """
        return post_soap(
            self.session,
            self.config.url,
            body,
            action=action,
            timeout_s=self.config.timeout_s,
            verify=self.config.verify,
            service="e-Suite",
            system=SYSTEM,
            operation=operation,
            writes=writes,
            stream=stream,
        )

    def stuurgegevens(
        self, berichtcode: str, entiteittype: str | None = "ZAK", functie: str | None = None
    ) -> Any:
        """Fresh stuurgegevens from this client's zender to its ontvanger (one per message)."""
        return new_stuurgegevens(
            berichtcode,
            self.config.zender,
            self.config.ontvanger,
            entiteittype=entiteittype,
            functie=functie,
        )

    def creeer_zaak(self, zaak: Zaak) -> None:
        answer = self.call(CreeerZaak(self.stuurgegevens("Lk01"), zaak=zaak), writes=True)
        expect_bevestiging(answer, "creeerZaak")

    def update_zaak(self, was: Zaak, wordt: Zaak) -> None:
        message = UpdateZaak(self.stuurgegevens("Lk01"), was=was, wordt=wordt)
        expect_bevestiging(self.call(message, writes=True), "updateZaak")

    def actualiseer_zaakstatus(self, zaak_identificatie: str, status: ZaakStatus) -> None:
        message = ActualiseerZaakstatus(
            self.stuurgegevens("Lk01"), zaak_identificatie=zaak_identificatie, wordt=status
        )
        expect_bevestiging(self.call(message, writes=True), "actualiseerZaakstatus")

    def geef_zaakdetails(self, zaak_identificatie: str) -> ZaakdetailsAntwoord | None:
        """The zaak with its status history, or None when the e-Suite does not know it."""
        message = GeefZaakdetails(self.stuurgegevens("Lv01"), zaak_identificatie=zaak_identificatie)
        try:
            answer = self.call(message, writes=False)
        except ZaakOnbekendError:
            return None
        if not isinstance(answer, ZaakdetailsAntwoord):
            raise TransientError(
                f"onverwacht antwoord op geefZaakdetails: {type(answer).__name__}",
                system=SYSTEM,
                operation="geefZaakdetails",
            )
        return answer if answer.zaak is not None else None

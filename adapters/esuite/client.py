"""A small ZDS 1.2 client for the e-Suite on requests and the ``stuf`` codec.

Every call goes through :meth:`EsuiteClient.call`, which maps transport and StUF faults onto
Ketenbrug's error tree: the engine can then tell a retry from a dead letter.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import requests

from adapters.errors import (
    AmbiguousWriteError,
    TargetRejectedError,
    TransientError,
    ZaakOnbekendError,
)
from adapters.esuite.config import EsuiteConfig
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

__all__ = ["SYSTEM", "TRANSIENT_FO02_CODES", "EsuiteClient"]

SYSTEM = "esuite"
log = logging.getLogger(__name__)

# HTTP statuses that mean "not processed, try later" (gateway or overload, not a SOAP fault).
_RETRY_STATUSES = {429, 502, 503, 504}
#: Fo02 foutcodes that mean "temporary, try again" (StUF 03.01 tabel 4.1, server side).
TRANSIENT_FO02_CODES = frozenset({"StUF046", "StUF049", "StUF061", "StUF960"})


class EsuiteClient:
    """Calls the e-Suite's ZDS 1.2 operations; one ``requests.Session`` per client."""

    def __init__(self, config: EsuiteConfig, session: requests.Session | None = None) -> None:
        self.config = config
        self._given = session
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()

    @property
    def session(self) -> requests.Session:
        """One ``requests.Session`` per thread (the engine writes from several threads)."""
        if self._given is not None:
            return self._given
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            # Everything comes from the config: no proxy, CA bundle or netrc from the environment
            # (it would also cost a scan of os.environ on every call).
            session.trust_env = False
            session.verify = self.config.verify
            if self.config.client_cert:
                session.cert = (
                    (self.config.client_cert, self.config.client_key)
                    if self.config.client_key
                    else self.config.client_cert
                )
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def close(self) -> None:
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()

    def call(self, message: Any, *, writes: bool) -> Any:
        """Send one message and return the parsed answer (or raise from the error tree)."""
        body = build_message(message, ZdsVersion.V1_2)
        action = soap_action_for(message, ZdsVersion.V1_2)
        operation = type(message).__name__
        response = self.post(body, action=action, operation=operation, writes=writes)
        try:
            answer = parse_message(response.content)
        except StufError as exc:
            kind = AmbiguousWriteError if writes else TransientError
            raise kind(
                f"onleesbaar antwoord van e-Suite (HTTP {response.status_code}): {exc}",
                system=SYSTEM,
                operation=operation,
            ) from exc
        if isinstance(answer, Fout):
            self._raise_fout(answer, operation)
        return answer

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
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{action}"'}
        try:
            response = self.session.post(
                self.config.url,
                data=body,
                headers=headers,
                timeout=self.config.timeout_s,
                # per request: a REQUESTS_CA_BUNDLE in the environment would override the session's
                verify=self.config.verify,
                stream=stream,
            )
        except requests.ConnectTimeout as exc:
            raise TransientError(
                "e-Suite niet bereikbaar (connect timeout)", system=SYSTEM, operation=operation
            ) from exc
        except (requests.Timeout, requests.ConnectionError) as exc:
            kind = AmbiguousWriteError if writes else TransientError
            raise kind(
                f"e-Suite gaf geen antwoord: {type(exc).__name__}",
                system=SYSTEM,
                operation=operation,
            ) from exc
        if response.status_code in _RETRY_STATUSES:
            response.close()
            raise TransientError(
                f"e-Suite HTTP {response.status_code}", system=SYSTEM, operation=operation
            )
        return response

    @staticmethod
    def _raise_fout(fout: Fout, operation: str) -> None:
        text = f"e-Suite {fout.berichtcode} {fout.code}: {fout.omschrijving}"
        if fout.berichtcode == "Fo02" and fout.code in TRANSIENT_FO02_CODES:
            raise TransientError(text, system=SYSTEM, operation=operation)
        wording = fout.omschrijving.lower()
        if "onbekend" in wording or "niet gevonden" in wording:
            raise ZaakOnbekendError(text, system=SYSTEM, operation=operation)
        raise TargetRejectedError(text, system=SYSTEM, operation=operation)

    def _stuurgegevens(self, berichtcode: str, entiteittype: str = "ZAK") -> Any:
        return new_stuurgegevens(
            berichtcode, self.config.zender, self.config.ontvanger, entiteittype=entiteittype
        )

    def creeer_zaak(self, zaak: Zaak) -> None:
        answer = self.call(CreeerZaak(self._stuurgegevens("Lk01"), zaak=zaak), writes=True)
        self._expect_bevestiging(answer, "creeerZaak")

    def update_zaak(self, was: Zaak, wordt: Zaak) -> None:
        message = UpdateZaak(self._stuurgegevens("Lk01"), was=was, wordt=wordt)
        self._expect_bevestiging(self.call(message, writes=True), "updateZaak")

    def actualiseer_zaakstatus(self, zaak_identificatie: str, status: ZaakStatus) -> None:
        message = ActualiseerZaakstatus(
            self._stuurgegevens("Lk01"), zaak_identificatie=zaak_identificatie, wordt=status
        )
        self._expect_bevestiging(self.call(message, writes=True), "actualiseerZaakstatus")

    def geef_zaakdetails(self, zaak_identificatie: str) -> ZaakdetailsAntwoord | None:
        """The zaak with its status history, or None when the e-Suite does not know it."""
        message = GeefZaakdetails(
            self._stuurgegevens("Lv01"), zaak_identificatie=zaak_identificatie
        )
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

    @staticmethod
    def _expect_bevestiging(answer: Any, operation: str) -> None:
        if not isinstance(answer, Bevestiging):
            raise AmbiguousWriteError(
                f"onverwacht antwoord op {operation}: {type(answer).__name__}",
                system=SYSTEM,
                operation=operation,
            )

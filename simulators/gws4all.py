"""GWS4all as a *sender*: pushes StUF-ZKN ZDS 1.1 messages to an inbound URL, like the real one.

Why: in production GWS4all (Centric) pushes creeerZaak, actualiseerZaakstatus, updateZaak and
voegZaakdocumentToe to a "zaak/document component" (Ketenbrug's inbox). This driver replays a
synthetic scenario the same way: zender ``1900/GWS4all/Gebruiker``, ontvanger ``1900/CDR``,
``ZKN:`` namespace, a SOAPAction header per operation. It is only an HTTP client, so it does not
need Ketenbrug to exist: the tests aim it at a tiny capturing WSGI app.

The ways real senders hurt a receiver are options:

* ``duplicate_rate``: the same bytes (same referentienummer) are sent a second time;
* ``inject_malformed``: that many extra messages that are not XML, cut off, or schema-broken;
* ``unmapped_rate``: a status carries :data:`GWS4ALL_UNMAPPED_CODE`, a code no mapping knows;
* ``retries``: resend after a transport error, 502/503/504 or Fo02 (same bytes, same
  referentienummer);
* ``concurrency``: zaken are pushed in parallel, but the messages of one zaak stay in order,
  as GWS4all sends them.

Memory stays flat for any number of zaken: zaken are generated lazily and at most
``2 * concurrency`` of them are in flight.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import requests

from simulators.synthetic import GWS4ALL_UNMAPPED_CODE, SynthDocument, SyntheticData, SynthZaak
from stuf import (
    ActualiseerZaakstatus,
    CreeerZaak,
    Document,
    Systeem,
    UpdateZaak,
    VoegZaakdocumentToe,
    Zaak,
    ZaakStatus,
    ZdsVersion,
    build_message,
    new_stuurgegevens,
    soap_action_for,
)

__all__ = [
    "GWS4ALL_ONTVANGER",
    "GWS4ALL_ZENDER",
    "OutboundMessage",
    "PushReport",
    "messages_for_zaak",
    "push_scenario",
]

GWS4ALL_ZENDER = Systeem(organisatie="1900", applicatie="GWS4all", gebruiker="Gebruiker")
GWS4ALL_ONTVANGER = Systeem(organisatie="1900", applicatie="CDR")
_BERICHTCODE = re.compile(rb"(berichtcode>)Lk01(<)")
_MALFORMED_KINDS = ("not_xml", "truncated", "schema_broken")
_RETRY_STATUSES = frozenset({"error", "502", "503", "504"})


@dataclass(frozen=True)
class OutboundMessage:
    """One message as sent: ``key`` names its effect (``status:<zaak>:<code>:<volgnummer>``)."""

    key: str
    operation: str
    zaak_identificatie: str
    soap_action: str
    body: bytes = field(repr=False)


@dataclass
class PushReport:
    """What the driver sent and what came back. ``keys`` are the distinct effects sent."""

    sent: int = 0
    by_operation: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    malformed: int = 0
    unmapped: int = 0
    zaken: int = 0
    http_status: Counter[str] = field(default_factory=Counter)
    answers: Counter[str] = field(default_factory=Counter)
    transport_errors: int = 0
    retried: int = 0
    keys: list[str] = field(default_factory=list)
    malformed_keys: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (keys left out: they can be many)."""
        return {
            "sent": self.sent,
            "zaken": self.zaken,
            "by_operation": dict(self.by_operation),
            "duplicates": self.duplicates,
            "malformed": self.malformed,
            "unmapped": self.unmapped,
            "http_status": dict(self.http_status),
            "answers": dict(self.answers),
            "transport_errors": self.transport_errors,
            "retried": self.retried,
        }


def _sg(entiteittype: str) -> Any:
    return new_stuurgegevens("Lk01", GWS4ALL_ZENDER, GWS4ALL_ONTVANGER, entiteittype=entiteittype)


def _outbound(key: str, message: Any, zaak_id: str) -> OutboundMessage:
    body = build_message(message, ZdsVersion.V1_1)
    action = soap_action_for(message, ZdsVersion.V1_1)
    operation = action.rsplit("/", 1)[-1]
    return OutboundMessage(key, operation, zaak_id, action, body)


def _stuf_zaak(zaak: SynthZaak) -> Zaak:
    return Zaak(
        identificatie=zaak.identificatie,
        zaaktype_code=zaak.zaaktype_code,
        zaaktype_omschrijving=zaak.zaaktype_omschrijving,
        omschrijving=zaak.omschrijving,
        toelichting=zaak.toelichting,
        startdatum=zaak.startdatum,
        registratiedatum=zaak.registratiedatum,
        initiator_bsn=zaak.client.bsn,
    )


def _stuf_document(doc: SynthDocument) -> Document:
    return Document(
        identificatie=doc.identificatie,
        titel=doc.titel,
        zaak_identificatie=doc.zaak_identificatie,
        documenttype_omschrijving=doc.documenttype,
        bestandsnaam=doc.bestandsnaam,
        formaat=doc.formaat,
        creatiedatum=doc.creatiedatum,
        vertrouwelijkheid=doc.vertrouwelijkheid,
        auteur=doc.auteur,
        inhoud=doc.read_bytes(),
        content_type=doc.formaat,
    )


def messages_for_zaak(
    zaak: SynthZaak,
    *,
    include_documents: bool = True,
    unmapped: frozenset[int] = frozenset(),
) -> Iterator[OutboundMessage]:
    """The zaak's messages in GWS4all order: create, statuses with their letters, einddatum.

    ``unmapped`` holds volgnummers whose status code is replaced by the unknown code.
    """
    zid = zaak.identificatie
    yield _outbound(f"creeerZaak:{zid}", CreeerZaak(_sg("ZAK"), zaak=_stuf_zaak(zaak)), zid)
    letters = deque(zaak.documenten if include_documents else ())
    if letters:  # the aanvraagformulier arrives with the aanvraag
        yield _document_message(zid, letters.popleft())
    for status in zaak.statussen:
        code = GWS4ALL_UNMAPPED_CODE if status.volgnummer in unmapped else status.code
        new_status = ZaakStatus(
            zaak_identificatie=zid,
            statustype_code=code,
            statustype_volgnummer=status.volgnummer,
            datum_status_gezet=status.datum_status_gezet,
            zaaktype_code=zaak.zaaktype_code,
            statustype_omschrijving=status.omschrijving,
        )
        actualiseer = ActualiseerZaakstatus(_sg("ZAK"), zaak_identificatie=zid, wordt=new_status)
        yield _outbound(f"status:{zid}:{code}:{status.volgnummer}", actualiseer, zid)
        # the synthetic letters were made in status order, dated on their status
        while letters and letters[0].creatiedatum == status.datum_status_gezet.date():
            yield _document_message(zid, letters.popleft())
    while letters:
        yield _document_message(zid, letters.popleft())
    if zaak.einddatum is not None:
        was = Zaak(identificatie=zid, zaaktype_code=zaak.zaaktype_code)
        wordt = Zaak(identificatie=zid, zaaktype_code=zaak.zaaktype_code, einddatum=zaak.einddatum)
        update = UpdateZaak(_sg("ZAK"), was=was, wordt=wordt)
        yield _outbound(f"updateZaak:{zid}:einddatum", update, zid)


def _document_message(zid: str, doc: SynthDocument) -> OutboundMessage:
    message = VoegZaakdocumentToe(_sg("EDC"), document=_stuf_document(doc))
    return _outbound(f"document:{zid}:{doc.identificatie}", message, zid)


def _malformed(kind: str, template: OutboundMessage, nr: int) -> OutboundMessage:
    """A broken message: not XML at all, cut off mid-element, or valid XML breaking the schema."""
    if kind == "not_xml":
        body = b"ERROR 500: GWS4all uitvoer niet beschikbaar\n"
    elif kind == "truncated":
        body = template.body[: len(template.body) // 2]
    else:  # an unknown berichtcode: well-formed, parseable as XML, but not a valid StUF message
        body = _BERICHTCODE.sub(rb"\1Lk99\2", template.body, count=1)
    key = f"malformed:{nr}:{kind}"
    return OutboundMessage(
        key, template.operation, template.zaak_identificatie, template.soap_action, body
    )


class _Sender:
    """Posts messages and tallies the report; one ``requests.Session`` per thread."""

    def __init__(
        self,
        url: str,
        timeout: float,
        keep_keys: bool,
        retries: int = 0,
        backoff_s: float = 0.05,
        transport: dict[str, Any] | None = None,
    ) -> None:
        self.url = url
        self.transport = transport or {}
        self.timeout = timeout
        self.keep_keys = keep_keys
        self.retries = retries
        self.backoff_s = backoff_s
        self.report = PushReport()
        self._lock = threading.Lock()
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def _send_once(self, message: OutboundMessage) -> tuple[str, str]:
        headers = {
            "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": f'"{message.soap_action}"',
        }
        try:
            response = self._session().post(
                self.url,
                data=message.body,
                headers=headers,
                timeout=self.timeout,
                **self.transport,
            )
        except requests.RequestException:
            return "error", ""
        found = re.search(rb"berichtcode>\s*(\w{4})\s*<", response.content[:8192])
        return str(response.status_code), found.group(1).decode() if found else ""

    def post(self, message: OutboundMessage, *, duplicate: bool = False) -> None:
        """Send; resend the same bytes after a transport error, 502/503/504 or Fo02."""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
            status, answer = self._send_once(message)
            self._tally(message, status, answer, duplicate=duplicate, retry=attempt > 0)
            if status not in _RETRY_STATUSES and answer != "Fo02":
                return

    def _tally(
        self, message: OutboundMessage, status: str, answer: str, *, duplicate: bool, retry: bool
    ) -> None:
        with self._lock:
            report = self.report
            report.sent += 1
            report.by_operation[message.operation] += 1
            report.http_status[status] += 1
            if status == "error":
                report.transport_errors += 1
            if answer:
                report.answers[answer] += 1
            if retry:
                report.retried += 1
            elif duplicate:
                report.duplicates += 1
            elif message.key.startswith("malformed:"):
                report.malformed += 1
                report.malformed_keys.append(message.key)
            elif self.keep_keys:
                report.keys.append(message.key)


def push_scenario(
    url: str,
    data: SyntheticData | None = None,
    *,
    zaken: int = 10,
    start: int = 0,
    duplicate_rate: float = 0.0,
    concurrency: int = 1,
    inject_malformed: int = 0,
    unmapped_rate: float = 0.0,
    include_documents: bool = True,
    seed: int = 0,
    timeout: float = 10.0,
    keep_keys: bool = True,
    retries: int = 0,
    retry_backoff_s: float = 0.05,
    cert: tuple[str, str] | None = None,
    verify: str | bool = True,
    auth: tuple[str, str] | None = None,
) -> PushReport:
    """Push ``zaken`` synthetic zaken (from ``data``, default ``SyntheticData(seed)``) to ``url``.

    Decisions (which message is duplicated, where malformed ones go) come from ``seed``.
    ``retries``: resend the same bytes after a transport error, HTTP 502/503/504 or a Fo02, as
    GWS4all's own retry does (so a lost answer leads to a duplicate at the receiver).
    ``cert`` (client certificate and key paths, for mTLS), ``verify`` (the CA file of an
    HTTPS inbox) and ``auth`` (basic auth) go with every request, as ``requests`` takes them.
    """
    data = data or SyntheticData(seed, document_scale=0.05)
    rng = random.Random(seed)
    # which zaken carry a broken message after their first one (surplus goes to the first zaak)
    malformed_at = Counter(rng.sample(range(zaken), min(inject_malformed, zaken)) if zaken else [])
    malformed_at[0] += max(inject_malformed - zaken, 0)
    transport: dict[str, Any] = {"verify": verify}  # per request: a CA file wins over the env
    if cert is not None:
        transport["cert"] = cert
    if auth is not None:
        transport["auth"] = auth
    sender = _Sender(url, timeout, keep_keys, retries, retry_backoff_s, transport)
    plans: Iterator[tuple[SynthZaak, frozenset[int], list[bool], int]] = (
        _plan(zaak, rng, duplicate_rate, unmapped_rate, malformed_at[position])
        for position, zaak in enumerate(data.zaken(zaken, start=start))
    )

    def run(plan: tuple[SynthZaak, frozenset[int], list[bool], int]) -> None:
        zaak, unmapped, duplicate_flags, n_malformed = plan
        messages = messages_for_zaak(zaak, include_documents=include_documents, unmapped=unmapped)
        for i, message in enumerate(messages):
            sender.post(message)
            if i < len(duplicate_flags) and duplicate_flags[i]:
                sender.post(message, duplicate=True)
            if i == 0:
                for k in range(n_malformed):
                    kind = _MALFORMED_KINDS[(zaak.index + k) % len(_MALFORMED_KINDS)]
                    sender.post(_malformed(kind, message, zaak.index * 100 + k))
        with sender._lock:
            sender.report.zaken += 1
            sender.report.unmapped += len(unmapped)

    if concurrency <= 1:
        for plan in plans:
            run(plan)
        return sender.report
    slots = threading.BoundedSemaphore(concurrency * 2)  # zaken in flight: memory stays flat
    failures: list[BaseException] = []

    def done(future: Future[None]) -> None:
        if future.exception() is not None:
            failures.append(future.exception())  # type: ignore[arg-type]
        slots.release()

    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="gws4all") as pool:
        for plan in plans:
            slots.acquire()
            pool.submit(run, plan).add_done_callback(done)
    if failures:
        raise failures[0]
    return sender.report


def _plan(
    zaak: SynthZaak,
    rng: random.Random,
    duplicate_rate: float,
    unmapped_rate: float,
    n_malformed: int,
) -> tuple[SynthZaak, frozenset[int], list[bool], int]:
    """Seeded per-zaak decisions, drawn in zaak order so they do not depend on thread timing."""
    unmapped = frozenset(
        s.volgnummer for s in zaak.statussen if s.volgnummer > 1 and rng.random() < unmapped_rate
    )
    upper = 2 + len(zaak.statussen) + len(zaak.documenten)
    duplicates = [rng.random() < duplicate_rate for _ in range(upper)]
    return zaak, unmapped, duplicates, n_malformed

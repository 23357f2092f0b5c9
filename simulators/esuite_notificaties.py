"""The e-Suite's notificaties on loopback: an NRC (Notificaties API 1.0) inside the simulator.

Why: Ketenbrug takes the e-Suite's notificaties as its "changed since" for documents added in
the e-Suite, so a quiet night does not walk every zaak. To prove that, and to prove that the
weekly full walk still finds a document whose notificatie never came, the simulator publishes
like a real e-Suite and routes like a real notificatierouteringscomponent: asynchronously, with
retries, and with a switch that loses notificaties (an NRC outage).

Endpoints (under ``/notificaties/api/v1``, JSON, no authorisation checked, ``API-version``
1.0.0 on every answer):

===================================  ==============================================================
``POST /abonnement``                 ``{"callbackUrl", "auth", "kanalen": [{"naam", "filters"}]}``
                                     → 201 with the abonnement and its ``url`` (also ``Location``);
                                     invalid: 400 ``ValidatieFout`` with ``invalidParams``
``GET /abonnement``                  every abonnement (a plain JSON array, no pagination)
``GET /abonnement/{uuid}``           one abonnement, 404 when unknown
``DELETE /abonnement/{uuid}``        204, 404 when unknown
===================================  ==============================================================

Publishing: every time the :class:`~simulators.esuite_store.EsuiteStore` stores a document of a
zaak (voegZaakdocumentToe, whole or streamed: actie ``create``) or changes one
(updateZaakdocument, whole, streamed or metadata only: ``update``), one ``Message`` is published
on kanaal ``zaken`` (see :func:`zaakinformatieobject_message`). The store tells the NRC through
its ``document_listeners``, so every path that writes a zaak's document is covered. A document
without a zaak publishes nothing.

Routing: an abonnement receives a message when one of its kanalen is named like the message's
kanaal and every filter of that kanaal equals the kenmerk of the same name (a filter on a
kenmerk the message lacks does not match).

Delivery: a daemon thread takes deliveries from a queue (started on the first one, stopped with
the server), POSTs the message to ``callbackUrl`` with ``Authorization: <auth>`` and
``Content-Type: application/json`` (timeout 3 s, redirects not followed). A 2xx is delivered;
anything else (or no answer) is tried again after 0.05 s, doubling, at most 5 attempts, then
counted as failed. The SOAP call that stored the document only queues: it never waits for nor
fails on a delivery. One thread delivers in order, so a slow callback delays the ones after it.

Admin: ``GET /_admin/notificaties`` → ``{"abonnementen", "published", "delivered", "failed",
"pending", "dropped", "drop"}``; ``POST /_admin/notificaties`` with ``{"drop": true}`` loses every
notificatie published from then on (counted as published and dropped, never delivered) until
``{"drop": false}``. ``POST /_admin/reset`` (the e-Suite's) also clears abonnementen, counters
and the drop mode. In Python: ``server.notificaties`` (or ``server.app.notificaties``) is the
:class:`EsuiteNrc`; :meth:`EsuiteNrc.wait_delivered` waits until nothing is pending.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit
from wsgiref.types import StartResponse, WSGIEnvironment

import requests

from simulators.esuite_store import EsuiteStore, StoredDocument
from simulators.esuite_zgw import BRONORGANISATIE
from simulators.esuite_zgw_zaken import ZAKEN_PATH, ZAKEN_PREFIX, zaak_uuid, zaaktype_url
from simulators.faults import FaultDecision
from simulators.http import FAULT_KEY, json_response
from simulators.zgw_fout import zgw_fout
from stuf import NoValue, Zaak

__all__ = [
    "ABONNEMENT_PATH",
    "ADMIN_PATH",
    "KANAAL",
    "NRC_PREFIX",
    "Abonnement",
    "EsuiteNrc",
    "FilterGroup",
    "zaakinformatieobject_message",
]

log = logging.getLogger(__name__)

NRC_PREFIX = "/notificaties/api/v1"
ABONNEMENT_PATH = f"{NRC_PREFIX}/abonnement"
ADMIN_PATH = "/_admin/notificaties"
API_VERSION = "1.0.0"
#: The kanaal the Zaken API publishes on; the only one this e-Suite publishes on.
KANAAL = "zaken"
_RESOURCE = "zaakinformatieobject"
_ZIO_NAMESPACE = uuid.UUID("3c8f1e27-9b4d-4a6e-8f02-d5a7b61c4e93")
_MAX_CALLBACK_URL = 200
_MAX_TEXT = 1000


def zaakinformatieobject_message(
    base: str,
    actie: Literal["create", "update"],
    zaak: Zaak,
    document_identificatie: str,
    aanmaakdatum: datetime,
) -> dict[str, Any]:
    """The Notificaties API ``Message`` for a document linked to (or changed in) a zaak.

    ``resourceUrl`` names the zaakinformatieobject (stable per zaak and document, not served);
    ``hoofdObject`` is the zaak as the simulator's Zaken API serves it.
    """
    zio = uuid.uuid5(_ZIO_NAMESPACE, f"{zaak.identificatie}/{document_identificatie}")
    kenmerken = {"bronorganisatie": BRONORGANISATIE}
    code = zaak.zaaktype_code
    if code is not None and not isinstance(code, NoValue) and code:
        kenmerken["zaaktype"] = zaaktype_url(base, str(code))
    kenmerken["vertrouwelijkheidaanduiding"] = "openbaar"
    stamp = aanmaakdatum.astimezone(UTC).isoformat(timespec="milliseconds")
    return {
        "kanaal": KANAAL,
        "hoofdObject": f"{base}{ZAKEN_PATH}/{zaak_uuid(zaak.identificatie)}",
        "resource": _RESOURCE,
        "resourceUrl": f"{base}{ZAKEN_PREFIX}/zaakinformatieobjecten/{zio}",
        "actie": actie,
        "aanmaakdatum": stamp.replace("+00:00", "Z"),
        "kenmerken": kenmerken,
    }


@dataclass(frozen=True)
class FilterGroup:
    """One kanaal of an abonnement, with the kenmerken a message must have to be sent."""

    naam: str
    filters: Mapping[str, str] = field(default_factory=dict)

    def matches(self, kanaal: str, kenmerken: Mapping[str, str]) -> bool:
        return self.naam == kanaal and all(
            kenmerken.get(key) == value for key, value in self.filters.items()
        )


@dataclass(frozen=True)
class Abonnement:
    """A consumer's subscription: where to POST, with which Authorization, on which kanalen."""

    uuid: str
    callback_url: str
    auth: str
    kanalen: tuple[FilterGroup, ...]

    def wants(self, message: Mapping[str, Any]) -> bool:
        kenmerken = message.get("kenmerken") or {}
        return any(group.matches(message["kanaal"], kenmerken) for group in self.kanalen)

    def as_json(self, base: str) -> dict[str, Any]:
        return {
            "url": f"{base}{ABONNEMENT_PATH}/{self.uuid}",
            "callbackUrl": self.callback_url,
            "auth": self.auth,
            "kanalen": [{"naam": g.naam, "filters": dict(g.filters)} for g in self.kanalen],
        }


@dataclass(frozen=True)
class _Delivery:
    generation: int  # deliveries of before a reset are skipped and not counted
    abonnement: Abonnement
    body: bytes


class _Worker:
    """One delivery thread with its own queue and stop signal (a new one after a stop)."""

    def __init__(self, nrc: EsuiteNrc) -> None:
        self.queue: queue.Queue[_Delivery | None] = queue.Queue()
        self.stopping = threading.Event()
        self.thread = threading.Thread(
            target=nrc._deliver_all, args=(self,), name="e-Suite NRC", daemon=True
        )


class _Invalid(Exception):
    """A request body the real NRC refuses: 400 with these ``invalidParams``."""

    def __init__(self, params: list[dict[str, str]]) -> None:
        super().__init__(params[0]["reason"] if params else "invalid")
        self.params = params


class EsuiteNrc:
    """The NRC: abonnementen, publishing from the store, asynchronous delivery, counters.

    Also the WSGI app for :data:`NRC_PREFIX` and :data:`ADMIN_PATH`; :class:`EsuiteApp
    <simulators.esuite.EsuiteApp>` routes to it. The base URL of published messages comes from
    :meth:`bind` (the server's own URL); unbound, the Host of the last NRC request is used.
    """

    def __init__(
        self,
        store: EsuiteStore,
        *,
        max_attempts: int = 5,
        first_backoff_s: float = 0.05,
        timeout_s: float = 3.0,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.max_attempts = max_attempts
        self.first_backoff_s = first_backoff_s
        self.timeout_s = timeout_s
        #: How the callback's TLS certificate is checked (``requests``' ``verify``: a CA file
        #: for a callback behind a private CA, as the demo's inbox is).
        self.verify: bool | str = True
        self._base_url: Callable[[], str] | None = None
        self._seen_base: str | None = None
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._worker: _Worker | None = None
        self._generation = 0
        self.reset()
        store.document_listeners.append(self.document_stored)

    # --- Python API -------------------------------------------------------------------------

    def bind(self, base_url: Callable[[], str]) -> None:
        """Where the e-Suite lives (``lambda: server.url``): the base of hoofdObject & co."""
        self._base_url = base_url

    def reset(self) -> None:
        """No abonnementen, counters at zero, drop mode off; queued deliveries are forgotten."""
        with self._lock:
            self._abonnementen: dict[str, Abonnement] = {}
            self._generation += 1
            self.drop = False
            self.published = 0
            self.delivered = 0
            self.failed = 0
            self.dropped = 0
            self.pending = 0
            self._changed.notify_all()

    def subscribe(self, callback_url: str, auth: str, kanalen: Iterable[FilterGroup]) -> Abonnement:
        abonnement = Abonnement(str(uuid.uuid4()), callback_url, auth, tuple(kanalen))
        with self._lock:
            self._abonnementen[abonnement.uuid] = abonnement
        return abonnement

    def unsubscribe(self, key: str) -> bool:
        """Delete the abonnement; False when there is none with that uuid."""
        with self._lock:
            return self._abonnementen.pop(key, None) is not None

    def abonnementen(self) -> list[Abonnement]:
        with self._lock:
            return list(self._abonnementen.values())

    def set_drop(self, drop: bool) -> None:
        """Drop mode on: published notificaties are lost (an NRC outage)."""
        with self._lock:
            self.drop = drop

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "abonnementen": len(self._abonnementen),
                "published": self.published,
                "delivered": self.delivered,
                "failed": self.failed,
                "pending": self.pending,
                "dropped": self.dropped,
                "drop": self.drop,
            }

    def wait_delivered(self, timeout: float = 5.0) -> bool:
        """Wait until no delivery is pending (delivered or failed); False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: self.pending == 0, timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the delivery thread; deliveries still queued are abandoned (not counted)."""
        with self._lock:
            worker, self._worker = self._worker, None
        if worker is None:
            return
        worker.stopping.set()
        worker.queue.put(None)
        worker.thread.join(timeout)
        while True:
            try:
                left = worker.queue.get_nowait()
            except queue.Empty:
                break
            if left is not None:
                self._settle(left, None)

    # --- publishing -------------------------------------------------------------------------

    def document_stored(
        self, actie: Literal["create", "update"], stored: StoredDocument, zaak: Zaak
    ) -> None:
        """The store's listener: publish the zaakinformatieobject notificatie."""
        base = self._base()
        if base is None:
            log.info("e-Suite NRC: base URL unknown, notificatie not published")
            return
        now = datetime.now(UTC)
        self.publish(
            zaakinformatieobject_message(base, actie, zaak, stored.document.identificatie, now)
        )

    def publish(self, message: Mapping[str, Any]) -> None:
        """Route one message to every abonnement that wants it; never blocks on delivery."""
        body = json.dumps(message).encode()
        with self._lock:
            self.published += 1
            if self.drop:
                self.dropped += 1
                return
            deliveries = [
                _Delivery(self._generation, abonnement, body)
                for abonnement in self._abonnementen.values()
                if abonnement.wants(message)
            ]
            if not deliveries:
                return
            self.pending += len(deliveries)
            worker = self._worker
            if worker is None:
                worker = self._worker = _Worker(self)
                worker.thread.start()
        for delivery in deliveries:
            worker.queue.put(delivery)

    def _base(self) -> str | None:
        if self._base_url is not None:
            try:
                return self._base_url()
            except RuntimeError:  # the server is not started (a store seeded beforehand)
                pass
        return self._seen_base

    # --- delivery ---------------------------------------------------------------------------

    def _deliver_all(self, worker: _Worker) -> None:
        with requests.Session() as session:
            session.trust_env = False  # straight to the callback, never through a proxy
            while not worker.stopping.is_set():
                delivery = worker.queue.get()
                if delivery is None:
                    break
                if delivery.generation != self._generation:
                    continue  # from before a reset: already counted out
                try:
                    ok = self._deliver(session, delivery, worker.stopping)
                except Exception:  # pragma: no cover - a bug must not kill the thread
                    log.exception("e-Suite NRC: delivery failed unexpectedly")
                    ok = False
                self._settle(delivery, ok)

    def _deliver(
        self, session: requests.Session, delivery: _Delivery, stopping: threading.Event
    ) -> bool | None:
        """POST until a 2xx (True), attempts run out (False) or the NRC stops (None)."""
        abonnement = delivery.abonnement
        headers = {"Authorization": abonnement.auth, "Content-Type": "application/json"}
        delay = self.first_backoff_s
        for attempt in range(1, self.max_attempts + 1):
            try:
                response = session.post(
                    abonnement.callback_url,
                    data=delivery.body,
                    headers=headers,
                    timeout=self.timeout_s,
                    allow_redirects=False,
                    verify=self.verify,
                )
                if 200 <= response.status_code < 300:
                    return True
                reason = f"HTTP {response.status_code}"
            except requests.RequestException as exc:
                reason = type(exc).__name__
            log.info(
                "e-Suite NRC: delivery to %s attempt %d/%d: %s",
                abonnement.callback_url,
                attempt,
                self.max_attempts,
                reason,
            )
            if attempt < self.max_attempts:
                if stopping.wait(delay):
                    return None
                delay *= 2
        return False

    def _settle(self, delivery: _Delivery, ok: bool | None) -> None:
        """Count a delivery out of pending: delivered, failed, or (None) abandoned."""
        with self._lock:
            if delivery.generation != self._generation:
                return
            self.pending -= 1
            if ok is True:
                self.delivered += 1
            elif ok is False:
                self.failed += 1
            self._changed.notify_all()

    # --- HTTP -------------------------------------------------------------------------------

    @staticmethod
    def handles(path: str) -> bool:
        path = path.rstrip("/")
        return path in (ADMIN_PATH, NRC_PREFIX) or path.startswith(NRC_PREFIX + "/")

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "").rstrip("/")
        method = environ["REQUEST_METHOD"]
        if path == ADMIN_PATH:
            return self._admin(environ, start_response, method)
        base = _base_url(environ)
        self._seen_base = base
        decision: FaultDecision | None = environ.get(FAULT_KEY)
        if decision is not None and decision.variant == "fo02":
            return _problem(start_response, 500, "error", "Tijdelijke fout (gesimuleerd).")
        if decision is not None and decision.variant == "fo03":
            return _problem(start_response, 400, "invalid", "Verzoek geweigerd (gesimuleerd).")
        if path == ABONNEMENT_PATH:
            if method == "GET":
                return _json(start_response, [a.as_json(base) for a in self.abonnementen()])
            if method == "POST":
                return self._create(environ, start_response, base)
            return _problem(start_response, 405, "method_not_allowed", "Methode niet toegestaan.")
        if path.startswith(ABONNEMENT_PATH + "/") and "/" not in path[len(ABONNEMENT_PATH) + 1 :]:
            key = path[len(ABONNEMENT_PATH) + 1 :]
            if method == "DELETE":
                if not self.unsubscribe(key):
                    return _problem(start_response, 404, "not_found", "Niet gevonden.")
                start_response("204 No Content", [("API-version", API_VERSION)])
                return []
            if method == "GET":
                found = next((a for a in self.abonnementen() if a.uuid == key), None)
                if found is None:
                    return _problem(start_response, 404, "not_found", "Niet gevonden.")
                return _json(start_response, found.as_json(base))
            return _problem(start_response, 405, "method_not_allowed", "Methode niet toegestaan.")
        return _problem(start_response, 404, "not_found", "Niet gevonden.")

    def _create(
        self, environ: WSGIEnvironment, start_response: StartResponse, base: str
    ) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length > 0 else b""
        try:
            data = json.loads(raw)
        except ValueError:
            detail = "JSON parse error - de body is geen geldige JSON."
            return _problem(start_response, 400, "parse_error", detail)
        try:
            callback_url, auth, kanalen = _parse_abonnement(data)
        except _Invalid as exc:
            return _problem(start_response, 400, "invalid", "Ongeldige invoer.", exc.params)
        abonnement = self.subscribe(callback_url, auth, kanalen)
        answer = abonnement.as_json(base)
        return _json(start_response, answer, "201 Created", location=answer["url"])

    def _admin(
        self, environ: WSGIEnvironment, start_response: StartResponse, method: str
    ) -> list[bytes]:
        if method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            try:
                data = json.loads(environ["wsgi.input"].read(length) if length > 0 else b"{}")
            except ValueError as exc:
                return json_response(start_response, {"error": str(exc)}, "400 Bad Request")
            drop = data.get("drop") if isinstance(data, dict) else None
            if not isinstance(drop, bool):
                error = {"error": 'expected {"drop": true|false}'}
                return json_response(start_response, error, "400 Bad Request")
            self.set_drop(drop)
        elif method != "GET":
            start_response("405 Method Not Allowed", [("Allow", "GET, POST")])
            return [b""]
        return json_response(start_response, self.stats())


def _parse_abonnement(data: Any) -> tuple[str, str, list[FilterGroup]]:
    """(callbackUrl, auth, kanalen) of a request body; raises :class:`_Invalid` listing all."""
    if not isinstance(data, dict):
        reason = f"Ongeldige data. Verwacht een dictionary, kreeg {type(data).__name__}."
        raise _Invalid([_param("nonFieldErrors", "invalid", reason)])
    params: list[dict[str, str]] = []
    callback_url = _text(data, "callbackUrl", _MAX_CALLBACK_URL, params)
    if callback_url is not None:
        parts = urlsplit(callback_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            params.append(_param("callbackUrl", "invalid", "Voer een geldige URL in."))
    auth = _text(data, "auth", _MAX_TEXT, params)
    kanalen: list[FilterGroup] = []
    raw = data.get("kanalen")
    if "kanalen" not in data:
        params.append(_param("kanalen", "required", "Dit veld is vereist."))
    elif not isinstance(raw, list):
        params.append(_param("kanalen", "not_a_list", "Verwacht een lijst met items."))
    elif not raw:
        params.append(_param("kanalen", "empty", "Deze lijst mag niet leeg zijn."))
    else:
        for index, item in enumerate(raw):
            group = _filter_group(item, f"kanalen.{index}", params)
            if group is not None:
                kanalen.append(group)
    if params or callback_url is None or auth is None:
        raise _Invalid(params)
    return callback_url, auth, kanalen


def _filter_group(item: Any, name: str, params: list[dict[str, str]]) -> FilterGroup | None:
    if not isinstance(item, dict):
        params.append(_param(name, "invalid", "Ongeldige data. Verwacht een dictionary."))
        return None
    naam = _text(item, "naam", 50, params, prefix=f"{name}.")
    filters = item.get("filters")
    if filters is None:
        filters = {}
    valid = isinstance(filters, dict) and all(
        isinstance(value, str) and 0 < len(value) <= _MAX_TEXT for value in filters.values()
    )
    if not valid:
        reason = "Verwacht een object met kenmerken (niet-lege tekst) als waarde."
        params.append(_param(f"{name}.filters", "invalid", reason))
        return None
    return FilterGroup(naam, dict(filters)) if naam is not None else None


def _text(
    data: dict[str, Any],
    key: str,
    max_length: int,
    params: list[dict[str, str]],
    *,
    prefix: str = "",
) -> str | None:
    """The non-empty string ``data[key]``, or None with the reason added to ``params``."""
    name = prefix + key
    if key not in data or data[key] is None:
        params.append(_param(name, "required", "Dit veld is vereist."))
        return None
    value = data[key]
    if not isinstance(value, str):
        params.append(_param(name, "invalid", "Geen geldige tekst."))
        return None
    if not value.strip():
        params.append(_param(name, "blank", "Dit veld mag niet leeg zijn."))
        return None
    if len(value) > max_length:
        reason = f"Zorg ervoor dat dit veld niet meer dan {max_length} karakters bevat."
        params.append(_param(name, "max_length", reason))
        return None
    return value


def _param(name: str, code: str, reason: str) -> dict[str, str]:
    return {"name": name, "code": code, "reason": reason}


def _base_url(environ: WSGIEnvironment) -> str:
    host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}"


def _json(
    start_response: StartResponse,
    data: Any,
    status: str = "200 OK",
    *,
    location: str | None = None,
) -> list[bytes]:
    body = json.dumps(data).encode()
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
        ("API-version", API_VERSION),
    ]
    if location is not None:
        headers.append(("Location", location))
    start_response(status, headers)
    return [body]


def _problem(
    start_response: StartResponse,
    status: int,
    code: str,
    detail: str,
    invalid: list[dict[str, str]] | None = None,
) -> list[bytes]:
    """A ZGW ``Fout``, or a ``ValidatieFout`` when ``invalid`` lists the refused fields."""
    return zgw_fout(
        start_response,
        status,
        code,
        detail,
        invalid=invalid,
        headers=[("API-version", API_VERSION)],
        allow="GET, POST, DELETE",
    )

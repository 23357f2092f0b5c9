"""HTTP face of the inbox: a small ASGI app (Starlette) behind a guarded uvicorn (TLS, limits).

Its own process in production (``ketenbrug inbox serve``). Database work runs in the thread
pool, so many senders can push at once. A request body is spooled (in memory up to 1 MB, then
to a temporary file) and hashed as it arrives, never read whole: a pushed document of hundreds
of MB keeps memory flat. Past 1 MB the inbox starts decoding it while the rest still arrives
(:mod:`sync.inbox_spool`).

The door, in the order a push meets it: the sender is authenticated (client certificate, else
basic auth; 401/403), the Content-Type must be SOAP (415), the body must fit (413), the
SOAPAction, when given, must name the message's function (400), and the message's zender must
be one the sender may use (403). Only then does the inbox see the message. Every refusal is a
StUF Fo01 in a SOAP Fault and a log line without the body; any unexpected error is a Fo02 with
HTTP 503, which a sender retries. See :mod:`sync.inbox_door` and :mod:`sync.inbox_guard`.

One service for several municipalities (:mod:`sync.tenants`): the first path segment names the
tenant (``POST /deventer/``) and the push goes to that tenant's own :class:`Inbox` (its store,
blobs, numbering, questions). A path naming no served tenant is refused (404) and a sender
bound to another tenant is refused (403), before anything is read or stored. A
single-municipality inbox (only the default tenant) takes every path, as it always did.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import ssl
import tempfile
import threading
import time
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import IO, Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from adapters.esuite.client import SYSTEM as ESUITE
from adapters.gws4all.answers import KETENBRUG_APPLICATIE, UNKNOWN_SENDER
from privacy.masking import mask_text
from stuf import Fout, Systeem, ZdsVersion, build_fault, new_stuurgegevens
from stuf.operations import by_element
from sync.inbox import KETENBRUG_SYSTEEM, Digest, Inbox, InboxAnswer
from sync.inbox_door import Sender, SenderRegistry
from sync.inbox_guard import (
    PEER_SCOPE_KEY,
    DoorLimits,
    GuardedServer,
    guarded_config,
)
from sync.inbox_peek import peek_message
from sync.inbox_spool import GrowingSpool
from sync.notificaties import MAX_NOTIFICATIE_BYTES, NotificatieError, store_notificatie

__all__ = ["Door", "InboxServer", "TenantRoutes", "create_app"]

log = logging.getLogger(__name__)

SPOOL_IN_MEMORY = 1024 * 1024
#: Big pushes decoded while they arrive, at most this many at once (each holds a worker
#: thread for as long as its sender takes to send; the rest are decoded after their last byte).
OVERLAP_SLOTS = 4
#: SOAP 1.1 and 1.2. MTOM (multipart/related) is not supported by the codec: 415.
SOAP_MEDIA_TYPES = frozenset({"text/xml", "application/soap+xml"})


@dataclass(frozen=True)
class Door:
    """Who may push and within which limits.

    ``senders=None`` leaves the door open (no authentication): only for plain-HTTP tests and
    ``inbox serve --insecure-http``. ``allow_missing_content_type`` keeps old test clients
    working; a wrong Content-Type is always refused.
    """

    senders: SenderRegistry | None = None
    limits: DoorLimits = field(default_factory=DoorLimits)
    allow_missing_content_type: bool = False


class _Refused(Exception):
    """A push the door turns away: HTTP status, Fo code and a Dutch reason (no body in it)."""

    def __init__(
        self, status: int, code: str, reason: str, *, berichtcode: str = "Fo01", **headers: str
    ) -> None:
        super().__init__(reason)
        self.status = status
        self.code = code
        self.reason = mask_text(reason)
        self.berichtcode = berichtcode
        self.headers = headers


class TenantRoutes:
    """Which tenant's inbox a push is for: the first path segment names the tenant.

    Either the default tenant alone (it takes every path) or named tenants only: a default
    inbox next to named ones would take pushes meant for a tenant that is not served.
    """

    def __init__(self, inboxes: Inbox | Iterable[Inbox]) -> None:
        self.by_code: dict[str, Inbox] = {}
        for inbox in [inboxes] if isinstance(inboxes, Inbox) else inboxes:
            code = inbox.tenant.code
            if code in self.by_code:
                raise ValueError(f"two inboxes for tenant {code or '(default)'!r}")
            self.by_code[code] = inbox
        if not self.by_code:
            raise ValueError("no inbox to serve")
        if "" in self.by_code and len(self.by_code) > 1:
            raise ValueError("the default tenant cannot be served next to named tenants")
        self.single = self.by_code.get("")

    def inbox_for(self, path: str) -> Inbox | None:
        """The inbox ``path`` is for, or None when it names no tenant this service serves."""
        if self.single is not None:
            return self.single
        return self.by_code.get(path.lstrip("/").partition("/")[0])

    def systeem_for(self, path: str) -> Systeem:
        """Ketenbrug as zender of a refusal on ``path``: the tenant's, else no organisatie."""
        inbox = self.inbox_for(path)
        if inbox is not None:
            return inbox.systeem
        return Systeem(organisatie=None, applicatie=KETENBRUG_APPLICATIE)


def fault_response(refusal: _Refused, zender: Systeem = KETENBRUG_SYSTEEM) -> Response:
    fout = Fout(
        berichtcode=refusal.berichtcode,
        code=refusal.code,
        plek="server" if refusal.berichtcode == "Fo02" else "client",
        omschrijving=refusal.reason[:200],
        stuurgegevens=new_stuurgegevens(
            refusal.berichtcode, zender, UNKNOWN_SENDER, cross_refnummer="onbekend"
        ),
    )
    # Close after any refusal: the rest of a refused body is not worth reading (uvicorn would
    # drain it on a kept-alive connection, up to 768 MB from a client we just turned away).
    headers = {**refusal.headers, "Connection": "close"}
    return Response(
        build_fault(fout, ZdsVersion.V1_1),
        status_code=refusal.status,
        media_type="text/xml; charset=utf-8",
        headers=headers,
    )


def _unavailable(zender: Systeem = KETENBRUG_SYSTEEM) -> Response:
    return fault_response(
        _Refused(
            503,
            "StUF058",
            "de inbox kan het bericht nu niet verwerken; probeer het later opnieuw",
            berichtcode="Fo02",
            **{"Retry-After": "5"},
        ),
        zender,
    )


def _media_type(request: Request) -> tuple[str, dict[str, str]]:
    raw = request.headers.get("content-type", "")
    kind, _, rest = raw.partition(";")
    params = {}
    for part in rest.split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            params[name.lower()] = value.strip().strip('"')
    return kind.strip().lower(), params


def _soap_action(request: Request, params: dict[str, str]) -> str | None:
    """SOAP 1.1's SOAPAction header, or SOAP 1.2's ``action`` Content-Type parameter."""
    header = request.headers.get("soapaction")
    action = header if header is not None else params.get("action", "")
    return action.strip().strip('"').strip() or None


def _check_action(action: str | None, message_tag: str | None) -> None:
    """A SOAPAction must name an operation the message element can be (StUF: Fo01, 400)."""
    if action is None or message_tag is None:
        return
    operations = by_element(message_tag)
    if not operations:
        return  # no ZDS message at all: the inbox refuses it (and keeps it as a dead letter)
    if action not in {a for op in operations for a in (op.action_11, op.action_12)}:
        local = message_tag.rpartition("}")[2]
        raise _Refused(400, "StUF034", f"SOAPAction past niet bij het bericht ({local[:60]})")


def _check_zender(sender: Sender | None, spool: IO[bytes], action: str | None) -> None:
    """The message's zender must be one the authenticated sender may use (403)."""
    peek = peek_message(spool)
    spool.seek(0)
    _check_action(action, peek.message_tag)
    if sender is None:
        return  # open door (tests, --insecure-http without senders)
    if peek.zender_found:
        if not sender.may_send_as(peek.organisatie, peek.applicatie):
            raise _Refused(
                403, "StUF058", "zender in de stuurgegevens hoort niet bij deze afzender"
            )
    elif peek.well_formed:
        raise _Refused(403, "StUF058", "bericht zonder zender in de stuurgegevens")
    # Not readable before the zender: the inbox refuses it and keeps it as a dead letter.


def _tenant_inbox(routes: TenantRoutes, path: str, sender: Sender | None) -> Inbox:
    """The inbox the path names, if the sender may push there (404, 403): nothing read yet."""
    inbox = routes.inbox_for(path)
    if inbox is None:
        raise _Refused(
            404, "StUF058", "het pad noemt geen gemeente die deze inbox bedient (/<gemeente>/)"
        )
    if sender is not None and not sender.may_push_to(inbox.tenant.code):
        raise _Refused(403, "StUF058", "deze afzender mag niet naar deze gemeente sturen")
    return inbox


def create_app(inboxes: Inbox | Iterable[Inbox], door: Door | None = None) -> Starlette:
    """The inbox app for one tenant's inbox, or several tenants' (routed by path)."""
    routes = TenantRoutes(inboxes)
    door = door or Door()
    limits = door.limits

    async def authenticate(request: Request) -> Sender | None:
        if door.senders is None:
            return None
        peer = request.scope.get(PEER_SCOPE_KEY)
        authorization = request.headers.get("authorization")
        result = await run_in_threadpool(door.senders.authenticate, peer, authorization)
        if result.sender is None:
            headers = {"WWW-Authenticate": 'Basic realm="ketenbrug-inbox"'}
            raise _Refused(result.status, "StUF058", result.reason, **headers)
        return result.sender

    def check_headers(request: Request) -> str | None:
        kind, params = _media_type(request)
        if kind == "multipart/related":
            raise _Refused(415, "StUF055", "MTOM (multipart/related) wordt niet ondersteund")
        if kind not in SOAP_MEDIA_TYPES and not (kind == "" and door.allow_missing_content_type):
            raise _Refused(
                415, "StUF055", "Content-Type moet text/xml of application/soap+xml zijn"
            )
        length = request.headers.get("content-length")
        if length is not None and length.strip().isdigit() and int(length) > limits.max_body_bytes:
            raise _Refused(413, "StUF055", _too_big(limits))
        return _soap_action(request, params)

    def handle(
        inbox: Inbox, sender: Sender | None, spool: IO[bytes], digest: Digest, action: str | None
    ) -> InboxAnswer:
        _check_zender(sender, spool, action)
        return inbox.receive_file(spool, digest, action)

    def handle_growing(
        inbox: Inbox, sender: Sender | None, growing: GrowingSpool, action: str | None
    ) -> InboxAnswer:
        with growing.reader() as body:
            return handle(inbox, sender, body, growing.sha256, action)

    overlapping = 0  # pushes being decoded while they arrive (each holds a worker thread)

    def overlap_done(_worker: asyncio.Future[InboxAnswer]) -> None:
        nonlocal overlapping
        overlapping -= 1

    async def spool_and_handle(
        request: Request, inbox: Inbox, sender: Sender | None, action: str | None, spool: IO[bytes]
    ) -> InboxAnswer:
        """Spool and hash the body as it arrives, then let the inbox take it.

        A body past the in-memory spool is handed to the inbox at once (while there are
        fewer than OVERLAP_SLOTS such pushes), which decodes it as it arrives. It still
        answers only after the last byte, and stores nothing of a body that never completes.
        """
        nonlocal overlapping
        digest = hashlib.sha256()
        size = 0
        growing: GrowingSpool | None = None
        worker: asyncio.Future[InboxAnswer] | None = None
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limits.max_body_bytes:
                    raise _Refused(413, "StUF055", _too_big(limits))
                digest.update(chunk)
                spool.write(chunk)
                if growing is not None:
                    spool.flush()
                    growing.grew(size)
                elif size > SPOOL_IN_MEMORY and overlapping < OVERLAP_SLOTS:
                    spool.flush()
                    growing = GrowingSpool(spool.fileno(), size)
                    overlapping += 1
                    worker = asyncio.ensure_future(
                        run_in_threadpool(handle_growing, inbox, sender, growing, action)
                    )
                    worker.add_done_callback(overlap_done)
        except BaseException as error:
            if growing is not None and worker is not None:
                growing.abort(error)  # the worker stops reading and stores nothing
                with suppress(Exception):
                    await worker
            raise
        if growing is None or worker is None:
            spool.seek(0)
            return await run_in_threadpool(handle, inbox, sender, spool, digest.hexdigest(), action)
        growing.finish(digest.hexdigest())
        return await worker

    async def receive(request: Request) -> Response:
        started = time.monotonic()
        try:
            sender = await authenticate(request)
            inbox = _tenant_inbox(routes, request.url.path, sender)
            action = check_headers(request)
            with tempfile.SpooledTemporaryFile(
                max_size=SPOOL_IN_MEMORY, prefix="kb-inbox-"
            ) as spool:
                answer = await spool_and_handle(request, inbox, sender, action, spool)
        except _Refused as refusal:
            _log_refusal(request, refusal, started)
            return fault_response(refusal, routes.systeem_for(request.url.path))
        except ClientDisconnect:
            log.info("inbox: sender %s went away mid-push", _client(request))
            return Response(status_code=400)
        return Response(
            answer.body, status_code=answer.status, media_type="text/xml; charset=utf-8"
        )

    async def guarded(request: Request) -> Response:
        try:
            return await receive(request)
        except Exception as exc:  # never a bare 500: a Fo02 the sender retries
            log.error(
                "inbox: push from %s failed unexpectedly: %s: %s",
                _client(request),
                type(exc).__name__,
                mask_text(str(exc))[:300],
            )
            return _unavailable(routes.systeem_for(request.url.path))

    async def on_error(request: Request, exc: Exception) -> Response:
        log.error("inbox: unexpected %s outside the handler", type(exc).__name__)
        return _unavailable(routes.systeem_for(request.url.path))

    async def notificatie(request: Request) -> Response:
        """A ZGW notificatie from the e-Suite (sync.notificaties): stored, then 204."""
        started = time.monotonic()
        try:
            sender = await authenticate(request)
            inbox = _tenant_inbox(routes, request.url.path, sender)
            if sender is not None and not sender.notificaties:
                raise _Refused(403, "StUF058", "deze afzender mag geen notificaties sturen")
            body = bytearray()
            async for chunk in request.stream():
                body += chunk
                if len(body) > MAX_NOTIFICATIE_BYTES:
                    raise _Refused(413, "StUF055", "notificatie te groot")
            stored = await run_in_threadpool(store_notificatie, inbox.store, ESUITE, bytes(body))
        except _Refused as refusal:
            _log_refusal(request, refusal, started)
            return _problem(refusal.status, refusal.reason, refusal.headers)
        except NotificatieError as error:
            log.warning("inbox: notificatie van %s geweigerd: %s", _client(request), error)
            return _problem(400, str(error))
        except ClientDisconnect:
            return Response(status_code=400)
        except Exception as exc:  # the database away: the NRC delivers it again later
            log.error(
                "inbox: notificatie niet opgeslagen: %s: %s",
                type(exc).__name__,
                mask_text(str(exc))[:300],
            )
            return _problem(503, "notificatie nu niet op te slaan", {"Retry-After": "5"})
        log.info("inbox: notificatie %s opgeslagen", stored if stored else "(niet gebruikt)")
        return Response(status_code=204)

    async def health(_request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/notificaties", notificatie, methods=["POST"]),
            Route("/{tenant}/notificaties", notificatie, methods=["POST"]),
            Route("/{path:path}", guarded, methods=["POST"]),
        ],
        exception_handlers={Exception: on_error},
    )


def _problem(status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    """A refused notificatie, as the ZGW APIs answer (a problem object, never the body)."""
    return JSONResponse(
        {"status": status, "detail": mask_text(detail)[:200]},
        status_code=status,
        media_type="application/problem+json",
        headers={**(headers or {}), "Connection": "close"},
    )


def _too_big(limits: DoorLimits) -> str:
    return f"bericht groter dan {limits.max_body_bytes // (1024 * 1024)} MB"


def _client(request: Request) -> str:
    client = request.client
    return f"{client.host}:{client.port}" if client else "?"


def _log_refusal(request: Request, refusal: _Refused, started: float) -> None:
    """One line per refused push: who, why, what status; never the body, never a BSN."""
    log.warning(
        "inbox: push from %s refused (HTTP %d): %s [%.0f ms]",
        _client(request),
        refusal.status,
        refusal.reason,
        (time.monotonic() - started) * 1000,
    )


class InboxServer:
    """Runs the inbox app in a background thread (tests, demo): plain HTTP or TLS.

    Plain HTTP with an open door is what older tests use; pass ``tls=`` (a server context, see
    :func:`sync.inbox_guard.server_tls_context`) and a ``door`` with senders for the real thing.
    Several tenants' inboxes are served under ``url + "<code>/"``.
    """

    def __init__(
        self,
        inbox: Inbox | Iterable[Inbox],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        door: Door | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        if door is None:
            door = Door(allow_missing_content_type=True)
        config = guarded_config(
            create_app(inbox, door), host=host, port=port, limits=door.limits, tls=tls
        )
        self.tls = tls
        self.server = GuardedServer(config)
        self.thread = threading.Thread(target=self.server.run, name="ketenbrug-inbox", daemon=True)

    @property
    def guard(self) -> Any:
        return self.server.guard

    @property
    def url(self) -> str:
        sockets = [s for server in self.server.servers for s in server.sockets]
        host, port = sockets[0].getsockname()[:2]
        return f"{'https' if self.tls else 'http'}://{host}:{port}/"

    def start(self) -> InboxServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("inbox server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        with suppress(RuntimeError):
            self.thread.join(timeout=10)

    def __enter__(self) -> InboxServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

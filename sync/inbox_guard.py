"""The inbox's connection guard: TLS handshakes, read timeouts and a connection cap for uvicorn.

Why not plain uvicorn: it never times out a connection that says nothing (its keep-alive timer
starts after the first response), a header sent one byte at a time resets that timer, and with
``ssl=`` a client that never starts its TLS handshake is held by asyncio for 60 s where no
server code sees it. A slowloris of 20,000 such connections used every file descriptor and
made 59 of 85 normal pushes fail. ``limit_concurrency`` does not help: it answers 503 to the
real senders too.

So :class:`GuardedH11Protocol` (uvicorn's h11 protocol, subclassed) does the TLS handshake
itself (``loop.start_tls``) so that every accepted socket is counted from its first moment,
and :class:`GuardedServer` sweeps them twice a second:

* a connection must complete its TLS handshake and request headers within ``header_timeout_s``
  of being accepted (or of its previous response, on a kept-alive connection);
* a request body must keep arriving: no gap longer than ``body_timeout_s``, and on average at
  least ``body_min_rate`` bytes/s once it has taken longer than ``body_timeout_s``;
* at most ``max_connections`` are open: a new one first evicts the oldest connection that is
  still idle (no request yet), and is itself dropped only when every slot is busy.

A request being processed, or an answer being written, is never cut. The process's
``RLIMIT_NOFILE`` soft limit is raised so the cap, not the descriptor table, is the limit.
"""

from __future__ import annotations

import asyncio
import logging
import os
import resource
import socket
import ssl
import struct
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from sync.inbox_door import PeerCertificate

__all__ = [
    "PEER_SCOPE_KEY",
    "DoorLimits",
    "GuardedH11Protocol",
    "GuardedServer",
    "guarded_config",
    "raise_nofile_limit",
    "server_tls_context",
]

log = logging.getLogger(__name__)

#: Where the verified client certificate (or None) is put in the ASGI scope.
PEER_SCOPE_KEY = "ketenbrug.peer_certificate"
_SWEEP_EVERY_TICKS = 5  # uvicorn ticks every 0.1 s
_BACKLOG = 2048
#: Offset of ``tcpi_bytes_received`` in Linux's ``struct tcp_info`` (since 4.1).
_TCPI_BYTES_RECEIVED = 128


@dataclass(frozen=True)
class DoorLimits:
    """Limits of the inbox's door; every one configurable (``KETENBRUG_INBOX_*``)."""

    #: A 500 MB document is 667 MB of base64: the default leaves room for its envelope.
    max_body_bytes: int = 768 * 1024 * 1024
    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0
    body_min_rate: int = 1024
    max_connections: int = 1000
    max_header_bytes: int = 32 * 1024
    keep_alive_s: float = 5.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DoorLimits:
        source = os.environ if env is None else env
        default = cls()

        def get(name: str, value: float) -> float:
            raw = source.get(f"KETENBRUG_INBOX_{name}")
            return float(raw) if raw else value

        return cls(
            max_body_bytes=int(get("MAX_BODY_MB", default.max_body_bytes / 2**20) * 2**20),
            header_timeout_s=get("HEADER_TIMEOUT_S", default.header_timeout_s),
            body_timeout_s=get("BODY_TIMEOUT_S", default.body_timeout_s),
            body_min_rate=int(get("BODY_MIN_RATE", default.body_min_rate)),
            max_connections=int(get("MAX_CONNECTIONS", default.max_connections)),
            max_header_bytes=int(get("MAX_HEADER_BYTES", default.max_header_bytes)),
            keep_alive_s=get("KEEP_ALIVE_S", default.keep_alive_s),
        )


def server_tls_context(
    cert: str | Path, key: str | Path, client_ca: str | Path | None
) -> ssl.SSLContext:
    """TLS 1.2+; a client certificate is asked for and, when shown, verified against
    ``client_ca`` (optional at the TLS level so that a basic-auth sender gets a 401 with a Fo,
    not a handshake failure; the door refuses a push without one of the two)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(cert), str(key))
    if client_ca is not None:
        context.load_verify_locations(cafile=str(client_ca))
        context.verify_mode = ssl.CERT_OPTIONAL
    return context


def raise_nofile_limit(wanted: int) -> int:
    """Raise the soft ``RLIMIT_NOFILE`` towards ``wanted`` (never above the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def _bytes_received(transport: asyncio.BaseTransport | None) -> int:
    """Bytes the peer sent on this TCP connection, from the kernel (Linux ``TCP_INFO``), also
    those not read yet; 0 when unknown."""
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is None or not hasattr(socket, "TCP_INFO"):
        return 0
    try:
        raw = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    except OSError:
        return 0
    if len(raw) < _TCPI_BYTES_RECEIVED + 8:
        return 0
    return int(struct.unpack_from("Q", raw, _TCPI_BYTES_RECEIVED)[0])


class _Guard:
    """The connections of one server, oldest first, and the limits they are held to."""

    def __init__(self, limits: DoorLimits, tls: ssl.SSLContext | None) -> None:
        self.limits = limits
        self.tls = tls
        self.connections: dict[GuardedH11Protocol, None] = {}  # insertion-ordered
        self.evicted = 0
        self.timed_out = 0
        self.refused = 0
        self._last_warning = 0.0

    def admit(self, protocol: GuardedH11Protocol) -> bool:
        if len(self.connections) >= self.limits.max_connections:
            victim = self._victim()
            if victim is None:
                self.refused += 1
                self._warn("inbox: all %d connections busy, a new one refused")
                return False
            self.evicted += 1
            self._warn("inbox: %d connections open, idle ones evicted")
            victim.cut()
        self.connections[protocol] = None
        return True

    def _victim(self) -> GuardedH11Protocol | None:
        """The oldest idle connection that never sent a byte, else the oldest idle one.

        A real sender's TLS ClientHello (or request line) is usually in the socket before we
        accept it, so it survives a flood of connections that say nothing.
        """
        fallback = None
        for connection in self.connections:
            if not connection.idle():
                continue
            if not connection.has_spoken():
                return connection
            if fallback is None:
                fallback = connection
        return fallback

    def forget(self, protocol: GuardedH11Protocol) -> None:
        self.connections.pop(protocol, None)

    def sweep(self) -> None:
        now = time.monotonic()
        late = [c for c in self.connections if c.too_slow(now)]
        for connection in late:
            connection.cut()
        if late:
            self.timed_out += len(late)
            self._warn(f"inbox: {len(late)} too slow connection(s) cut (of %d open)")

    def _warn(self, message: str) -> None:
        now = time.monotonic()
        if now - self._last_warning > 5:  # a flood must not become a flood of log lines
            self._last_warning = now
            log.warning(message, len(self.connections))


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with the handshake, timeouts and cap of :class:`_Guard`."""

    def __init__(self, config: uvicorn.Config, server_state: Any, app_state: Any, **kw: Any):
        super().__init__(config, server_state, app_state, **kw)
        guard = getattr(config, "ketenbrug_guard", None)
        assert isinstance(guard, _Guard), "use guarded_config()"
        self.guard = guard
        self.raw: asyncio.Transport | None = None
        self.ready = False
        self.closed = False
        self.phase_start = time.monotonic()
        self.body_start: float | None = None
        self.body_last = 0.0
        self.body_bytes = 0
        self.handshake: asyncio.Task[None] | None = None
        # asyncio's TLS layer may pass on the first request in the same loop step that ends
        # the handshake, before start_tls() has returned: kept here until then.
        self.early: list[bytes] = []
        self.spoke = False

    # -- connection life ------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.raw = transport
        if not self.guard.admit(self):
            self.closed = True
            transport.abort()
            return
        self.connections.add(self)  # uvicorn's shutdown reaches it from now on
        if self.guard.tls is None:
            self._ready(transport)
            return
        transport.pause_reading()  # not one byte reaches h11 before the handshake is done
        self.handshake = self.loop.create_task(self._tls(transport, self.guard.tls))

    async def _tls(self, transport: asyncio.Transport, context: ssl.SSLContext) -> None:
        try:
            secure = await self.loop.start_tls(
                transport,
                self,
                context,
                server_side=True,
                ssl_handshake_timeout=self.guard.limits.header_timeout_s,
            )
        except (OSError, ssl.SSLError, TimeoutError, asyncio.CancelledError, RuntimeError) as exc:
            log.debug("inbox: TLS handshake failed: %s", type(exc).__name__)
            self._gone()
            transport.abort()
            return
        if secure is None or self.closed:
            self._gone()
            transport.abort()
            return
        self._ready(secure)

    def _ready(self, transport: asyncio.Transport) -> None:
        ssl_object = transport.get_extra_info("ssl_object")
        peer = None
        if ssl_object is not None:
            peer = PeerCertificate.from_ssl(ssl_object.getpeercert(True), ssl_object.getpeercert())
        inner = self.app

        async def app(scope: Any, receive: Callable[[], Awaitable[Any]], send: Any) -> None:
            scope[PEER_SCOPE_KEY] = peer
            await inner(scope, receive, send)

        self.app = app
        self.ready = True
        self.phase_start = time.monotonic()
        super().connection_made(transport)
        early, self.early = self.early, []
        for data in early:
            self.data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.ready:  # lost during the TLS handshake: the handshake task cleans up
            self._gone()
            return
        self._gone()
        super().connection_lost(exc)

    def _gone(self) -> None:
        self.closed = True
        self.guard.forget(self)
        self.connections.discard(self)

    def cut(self) -> None:
        """Drop the connection now (evicted, or too slow)."""
        self._gone()
        if self.handshake is not None and not self.handshake.done():
            self.handshake.cancel()
        transport = self.transport if self.ready else self.raw
        if transport is not None:
            transport.abort()

    def shutdown(self) -> None:
        if not self.ready:
            self.cut()
            return
        super().shutdown()

    # -- progress -------------------------------------------------------------------------
    def has_spoken(self) -> bool:
        """Has the peer ever sent a byte? (Kept once true; asked of the kernel until then.)"""
        if not self.spoke and (self.ready or _bytes_received(self.raw)):
            self.spoke = True
        return self.spoke

    def data_received(self, data: bytes) -> None:
        self.spoke = True
        if not self.ready:
            self.early.append(data)
            return
        if self.body_start is not None:
            self.body_last = time.monotonic()
            self.body_bytes += len(data)
        super().data_received(data)

    def handle_events(self) -> None:
        super().handle_events()
        if self.body_start is None and self.conn.their_state is h11.SEND_BODY:
            self.body_start = self.body_last = time.monotonic()
            self.body_bytes = 0

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self.body_start = None
        self.phase_start = time.monotonic()

    def _waiting_for_request(self) -> bool:
        return self.conn.their_state is h11.IDLE and (
            self.cycle is None or self.cycle.response_complete
        )

    def idle(self) -> bool:
        """No request in progress: still in the handshake, or waiting for headers."""
        return not self.ready or self._waiting_for_request()

    def too_slow(self, now: float) -> bool:
        limits = self.guard.limits
        if self.idle():
            return now - self.phase_start > limits.header_timeout_s
        if self.conn.their_state is not h11.SEND_BODY or self.body_start is None:
            return False  # the request is in: the app is working or answering
        if self.flow is not None and self.flow.read_paused:
            self.body_last = now  # we are not reading (the app is busy): not the sender's fault
            return False
        if now - self.body_last > limits.body_timeout_s:
            return True
        took = now - self.body_start
        return took > limits.body_timeout_s and self.body_bytes < limits.body_min_rate * took


class GuardedServer(uvicorn.Server):
    """uvicorn's server with the guard's sweep on its tick and the descriptor limit raised."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        guard = getattr(config, "ketenbrug_guard", None)
        assert isinstance(guard, _Guard), "use guarded_config()"
        self.guard = guard

    async def startup(self, sockets: list[Any] | None = None) -> None:
        # asyncio accepts up to a backlog of sockets in one go before the evicted ones are
        # closed (on the next loop step): room for the cap, two backlogs and the rest.
        raise_nofile_limit(self.guard.limits.max_connections + 2 * _BACKLOG + 1024)
        await super().startup(sockets=sockets)

    async def on_tick(self, counter: int) -> bool:
        if counter % _SWEEP_EVERY_TICKS == 0:
            self.guard.sweep()
        return await super().on_tick(counter)


def guarded_config(
    app: Any,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    limits: DoorLimits | None = None,
    tls: ssl.SSLContext | None = None,
    log_level: str = "warning",
) -> uvicorn.Config:
    """A uvicorn config running ``app`` behind the guard (serve it with :class:`GuardedServer`)."""
    limits = limits or DoorLimits()
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        http=GuardedH11Protocol,
        loop="asyncio",
        lifespan="off",
        log_level=log_level,
        access_log=False,
        timeout_keep_alive=int(max(limits.keep_alive_s, 1)),
        h11_max_incomplete_event_size=limits.max_header_bytes,
        backlog=_BACKLOG,
    )
    config.ketenbrug_guard = _Guard(limits, tls)  # type: ignore[attr-defined]
    return config

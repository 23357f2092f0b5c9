"""A small threaded WSGI server for the HTTP simulators, with fault injection at the socket.

Why not just ``wsgiref.simple_server``: the interesting faults live below WSGI. A dropped
connection, an answer that never comes, or a request that *was* processed but whose answer got
lost can only be produced by the request handler that owns the socket. So the handler asks the
:class:`~simulators.faults.FaultInjector` per request and applies:

* latency (sleep before handling),
* ``http_503`` (not processed), ``reset`` (RST, not processed), ``timeout`` (hangs ``hang_s``, then
  RST, not processed), ``lost_response`` (processed, then RST),
* ``duplicate`` (the app runs twice on the same request; the client sees the first answer).

Protocol faults (a StUF Fo02/Fo03, a schema-invalid answer) are the app's business: the decision
is handed over in ``environ["ketenbrug.fault"]`` and the app applies the variants it declared in
``transient_variants``/``permanent_variants``.

HTTPS with client certificates (SSD, Suwinet) is :class:`simulators.tls.TlsSimulatorServer`, a
subclass that wraps the accepted sockets; the handler here then adds ``HTTPS`` and the client
certificate's CN (``SSL_CLIENT_S_DN_CN``) to the WSGI environ.

Every server has ``GET``/``POST /_admin/faults`` (read or set the fault config at runtime, with the
injected counts); ``/_admin/*`` requests are never faulted. Servers bind loopback only.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import socket
import ssl
import struct
import threading
from collections.abc import Iterable, Iterator
from socketserver import ThreadingMixIn
from types import TracebackType
from typing import IO, Any, Protocol, cast
from wsgiref.headers import Headers
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from simulators.faults import (
    HTTP_TRANSIENT_VARIANTS,
    FaultConfig,
    FaultDecision,
    FaultInjector,
)

__all__ = ["FAULT_KEY", "LOOPBACK", "FaultAwareApp", "SimulatorServer", "json_response"]

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
_SOCKET_VARIANTS = ("http_503", "reset", "timeout", "lost_response")
FAULT_KEY = "ketenbrug.fault"


class FaultAwareApp(Protocol):
    """A WSGI app that applies protocol-level faults itself (optional attributes)."""

    transient_variants: tuple[str, ...]
    permanent_variants: tuple[str, ...]

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]: ...


def json_response(start_response: StartResponse, data: Any, status: str = "200 OK") -> list[bytes]:
    """A JSON answer; shared by the admin endpoints of every simulator."""
    body = json.dumps(data, indent=2, default=str).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


#: How long an idle kept-alive connection is held open (a real e-Suite closes them too).
KEEP_ALIVE_IDLE_S = 30.0


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    simulator: SimulatorServer

    def server_activate(self) -> None:
        super().server_activate()
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that fails the TLS handshake or hangs up is routine here: log, no traceback."""
        log.debug("%s: request from %s failed", self.simulator.name, client_address, exc_info=True)

    def close_connections(self) -> None:
        """Wake every handler waiting on a kept-alive connection, so it ends (server stop)."""
        with self.connections_lock:
            for connection in self.connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)


class _AnswerHandler(ServerHandler):
    """wsgiref's handler speaking HTTP/1.1.

    An answer without a length, or after a body the app left unread, says ``Connection: close``
    and closes: the client must not send its next request on it.
    """

    http_version = "1.1"
    request_handler: _Handler
    headers: Headers  # set by wsgiref before cleanup_headers() runs

    def cleanup_headers(self) -> None:
        super().cleanup_headers()
        unread = isinstance(self.stdin, _Body) and self.stdin.remaining > 0
        if unread or "Content-Length" not in self.headers or self.request_handler.close_connection:
            self.headers["Connection"] = "close"
            self.request_handler.close_connection = True


class _Body:
    """A request's body as ``wsgi.input``: never reads past it into the next request."""

    def __init__(self, stream: IO[bytes], length: int) -> None:
        self._stream = stream
        self.remaining = length

    def read(self, size: int = -1) -> bytes:
        size = self.remaining if size < 0 else min(size, self.remaining)
        data = self._stream.read(size) if size else b""
        self.remaining -= len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        size = self.remaining if size < 0 else min(size, self.remaining)
        data = self._stream.readline(size) if size else b""
        self.remaining -= len(data)
        return data

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")


class _Handler(WSGIRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    timeout = KEEP_ALIVE_IDLE_S
    # wsgiref writes the head and the body apart: with Nagle on, a kept-alive answer's body
    # waits for the client's delayed ACK (40 ms on Linux) instead of going out at once.
    disable_nagle_algorithm = True
    #: The call this handler serves now; None for admin requests.
    _call: _Call | None = None

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.server.simulator.name, format % args)

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)
            self.server.simulator.connections_accepted += 1

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError):  # a reset connection may refuse the last flush
            super().finish()

    def handle(self) -> None:
        """Requests on one connection (HTTP/1.1 keep-alive) until either side closes it.

        Why keep-alive: real e-Suites keep connections open, and a TCP connect per call made a
        simulated e-Suite cost the client more CPU than the real one would (issue 18).
        """
        self.close_connection = True
        with contextlib.suppress(TimeoutError, ConnectionError):
            self._handle_one()
            while not self.close_connection and not self.server.simulator.stopping.is_set():
                self._handle_one()

    def _handle_one(self) -> None:
        """One request, with the injector's decision applied."""
        self._call = None
        self.raw_requestline = self.rfile.readline(65537)
        if not self.raw_requestline:
            self.close_connection = True
            return
        if len(self.raw_requestline) > 65536 or not self.parse_request():
            self.close_connection = True
            return
        if self.headers.get("Transfer-Encoding"):  # the apps read a length, nothing else
            self.close_connection = True
        sim = self.server.simulator
        environ = self.get_environ()
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_admin/"):  # inspection and control are never faulted
            self._run(sim.admin_app if path.startswith("/_admin/faults") else sim.app, environ)
        else:
            self._call = sim.call_started()
            try:
                self._handle_faulted(sim, environ)
            finally:
                self._call.end()

    def _handle_faulted(self, sim: SimulatorServer, environ: WSGIEnvironment) -> None:
        decision = sim.decide(environ)
        if decision.latency_ms and sim.stopping.wait(decision.latency_ms / 1000):
            return self._reset()
        if decision.variant in ("reset", "timeout"):
            if decision.variant == "timeout":
                sim.stopping.wait(sim.faults.config.hang_s)
            return self._reset()
        if decision.variant == "http_503":
            self._read_body(environ)  # unread bytes would turn our close into an RST
            return self._run(_unavailable, environ)
        environ[FAULT_KEY] = decision
        if decision.variant == "lost_response":
            _drain(sim.app, _with_body(environ, self._read_body(environ)))
            return self._reset()
        if decision.duplicate:  # answer of the first run, effect of both, before replying
            body = self._read_body(environ)
            first = _capture(sim.app, _with_body(environ, body))
            _drain(sim.app, _with_body(environ, body))
            return self._run(first, _with_body(environ, body))
        self._run(sim.app, environ)

    def _run(self, app: WSGIApplication, environ: WSGIEnvironment) -> None:
        handler = _AnswerHandler(
            environ["wsgi.input"],
            cast(IO[bytes], self.wfile),
            self.get_stderr(),
            environ,
            multithread=True,
        )
        handler.request_handler = self
        if self._call is not None:  # the call ends when its answer is ready, before it is sent
            app = _ending(app, self._call)
        handler.run(app)

    def get_environ(self) -> WSGIEnvironment:
        environ = super().get_environ()
        environ["wsgi.input"] = _Body(
            cast(IO[bytes], self.rfile), int(environ.get("CONTENT_LENGTH") or 0)
        )
        if isinstance(self.request, ssl.SSLSocket):
            environ["HTTPS"] = "on"
            environ["wsgi.url_scheme"] = "https"
            environ["SSL_CLIENT_S_DN_CN"] = _peer_common_name(self.request)
        return environ

    def _read_body(self, environ: WSGIEnvironment) -> bytes:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        return environ["wsgi.input"].read(length) if length > 0 else b""

    def _reset(self) -> None:
        """Close with RST: the client sees 'connection reset by peer', no HTTP answer at all."""
        self.close_connection = True
        with contextlib.suppress(OSError):  # already gone is fine too
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _peer_common_name(sock: ssl.SSLSocket) -> str:
    cert: dict[str, Any] = dict(sock.getpeercert() or {})
    for rdn in cert.get("subject", ()):
        for attribute in rdn:
            if attribute[0] == "commonName":
                return str(attribute[1])
    return ""


def _with_body(environ: WSGIEnvironment, body: bytes) -> WSGIEnvironment:
    copy = dict(environ)
    copy["wsgi.input"] = io.BytesIO(body)
    copy["CONTENT_LENGTH"] = str(len(body))
    return copy


def _drain(app: WSGIApplication, environ: WSGIEnvironment) -> None:
    """Run the app for its side effects only (duplicate processing, lost answers)."""
    result = app(environ, lambda status, headers, exc_info=None: lambda data: None)
    try:
        for _ in result:
            pass
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()


def _capture(app: WSGIApplication, environ: WSGIEnvironment) -> WSGIApplication:
    """Run the app now; return a WSGI app that replays its answer later."""
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured["status"], captured["headers"] = status, headers
        return lambda data: None

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()

    def replay(environ: WSGIEnvironment, start: StartResponse) -> list[bytes]:
        start(captured["status"], captured["headers"])
        return [body]

    return replay


def _unavailable(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
    body = b"Service Unavailable (injected by simulator)\n"
    start_response(
        "503 Service Unavailable",
        [("Content-Type", "text/plain"), ("Retry-After", "1"), ("Content-Length", str(len(body)))],
    )
    return [body]


class _Call:
    """One call being handled; ``end`` counts it out once.

    It ends when its answer is ready, before the answer is written: a client that sends its
    next call the moment it has the answer must not find this one still counted.
    """

    def __init__(self, server: SimulatorServer) -> None:
        self._server = server
        self._ended = False

    def end(self) -> None:
        if not self._ended:
            self._ended = True
            self._server._call_ended()


def _ending(app: WSGIApplication, call: _Call) -> WSGIApplication:
    def run(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        answer = list(app(environ, start_response))
        call.end()
        return answer

    return run


class SimulatorServer:
    """A WSGI app served on loopback in a background thread.

    ``port=0`` picks a free port (tests); the demo passes fixed 18xxx ports. Use as a context
    manager or call ``start()``/``stop()``. ``url`` has no trailing slash.
    """

    def __init__(
        self,
        app: WSGIApplication,
        *,
        port: int = 0,
        name: str = "simulator",
        faults: FaultInjector | FaultConfig | None = None,
    ) -> None:
        self.app = app
        self.name = name
        self.faults = faults if isinstance(faults, FaultInjector) else FaultInjector(faults)
        self.stopping = threading.Event()
        self._requested_port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        #: Requests being handled now, and the most at once since start (admin ones not
        #: counted): a benchmark shows with it that a pool's limit on parallel calls held.
        self.busy = 0
        self.peak_busy = 0
        #: TCP connections accepted since start: with keep-alive, fewer than calls.
        self.connections_accepted = 0
        self._busy_lock = threading.Lock()

    def call_started(self) -> _Call:
        with self._busy_lock:
            self.busy += 1
            self.peak_busy = max(self.peak_busy, self.busy)
        return _Call(self)

    def _call_ended(self) -> None:
        with self._busy_lock:
            self.busy -= 1

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"{self.name} is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> SimulatorServer:
        if self._server is not None:
            return self
        self.stopping.clear()
        server = _Server((LOOPBACK, self._requested_port), _Handler)
        server.simulator = self
        server.set_app(self.app)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name=self.name, daemon=True
        )
        self._thread.start()
        log.info("%s listening on %s", self.name, self.url)
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self.stopping.set()  # wakes hanging "timeout" answers and latency sleeps
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def decide(self, environ: WSGIEnvironment) -> FaultDecision:
        """Ask the injector, offering the socket variants plus what the app can apply."""
        app_transient = tuple(getattr(self.app, "transient_variants", ()))
        app_permanent = tuple(getattr(self.app, "permanent_variants", ()))
        transient = tuple(v for v in HTTP_TRANSIENT_VARIANTS if v in _SOCKET_VARIANTS)
        operation = environ.get("HTTP_SOAPACTION", "").strip('"').rsplit("/", 1)[-1]
        return self.faults.decide(
            operation or environ.get("PATH_INFO", ""),
            transient_variants=transient + app_transient,
            permanent_variants=app_permanent,
        )

    def admin_app(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        """``GET /_admin/faults``: config and counts; ``POST``: set a new config (JSON)."""
        if environ["REQUEST_METHOD"] == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            try:
                config = FaultConfig.from_json(environ["wsgi.input"].read(length))
            except (ValueError, TypeError) as exc:
                return json_response(start_response, {"error": str(exc)}, "400 Bad Request")
            self.faults.configure(config)
            with self._busy_lock:  # a new config starts a new count, of calls at once too
                self.peak_busy = self.busy
        return json_response(
            start_response,
            {
                "config": self.faults.config.to_dict(),
                "counts": self.faults.counts(),
                "busy": {"now": self.busy, "peak": self.peak_busy},
            },
        )

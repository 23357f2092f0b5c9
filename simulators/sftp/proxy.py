"""A small threaded TCP proxy that can break SFTP connections on purpose.

Why a proxy rather than killing sshd: the interesting fault for the file adapters is a
connection that dies *mid-transfer* (a half-written upload, a download that stops after N bytes),
while the server itself stays healthy and the next attempt succeeds. Sitting between client and
sshd, the proxy can cut a connection after an exact number of bytes, refuse a share of new
connections, or let a :class:`~simulators.faults.FaultInjector` decide per connection.

The cut is abrupt (``SO_LINGER 0``: a TCP RST), the way a firewall or a crashed peer ends it, so
the client sees ``EOFError`` / ``SSHException`` / ``OSError`` rather than a polite close.
"""

from __future__ import annotations

import contextlib
import logging
import random
import selectors
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Literal, Self

if TYPE_CHECKING:
    from simulators.faults import FaultInjector

__all__ = ["ConnectionPlan", "ProxyStats", "TcpProxy"]

log = logging.getLogger(__name__)

Direction = Literal["both", "down", "up"]


@dataclass(frozen=True)
class ConnectionPlan:
    """What the proxy does with one accepted connection."""

    refuse: bool = False  # close at once, before a byte reaches sshd
    cut_after_bytes: int | None = None  # RST once this many bytes were forwarded
    latency_ms: int = 0  # delay before connecting upstream


@dataclass
class ProxyStats:
    connections: int = 0
    refused: int = 0
    cut: int = 0
    bytes_up: int = 0  # client -> server
    bytes_down: int = 0  # server -> client


def _reset(sock: socket.socket) -> None:
    """Close with RST instead of FIN: the peer learns of it at its next read or write."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


class TcpProxy:
    """Forward ``127.0.0.1:<port>`` to ``target_host:target_port`` with fault knobs.

    Knobs (mutable at runtime, read per new connection):

    * ``cut_after_bytes``: cut every connection after this many forwarded bytes, counted in
      ``cut_direction`` (``"down"``: server to client, the download case; ``"up"``: uploads;
      ``"both"``). The SSH handshake itself costs a few KiB, so pick a value above that to cut
      mid-transfer rather than mid-handshake.
    * ``drop_rate``: share of new connections closed at once (seeded ``random.Random``).
    * ``faults``: a :class:`FaultInjector`; a transient ``disconnect`` decision cuts that
      connection after ``fault_cut_after_bytes`` (or a seeded random count in
      ``fault_cut_range``), its latency delays the connect.
    * ``plan``: a callable ``(connection_index) -> ConnectionPlan`` overriding all of the above.
    """

    def __init__(
        self,
        target_host: str,
        target_port: int,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        cut_after_bytes: int | None = None,
        cut_direction: Direction = "down",
        drop_rate: float = 0.0,
        seed: int = 0,
        faults: FaultInjector | None = None,
        fault_cut_after_bytes: int | None = None,
        fault_cut_range: tuple[int, int] = (8_192, 262_144),
    ) -> None:
        if host not in ("127.0.0.1", "::1"):
            raise ValueError("the proxy listens on loopback only")
        self.target = (target_host, target_port)
        self.host = host
        self._requested_port = port
        self.port = port
        self.cut_after_bytes = cut_after_bytes
        self.cut_direction: Direction = cut_direction
        self.drop_rate = drop_rate
        self.faults = faults
        self.fault_cut_after_bytes = fault_cut_after_bytes
        self.fault_cut_range = fault_cut_range
        self.plan: Callable[[int], ConnectionPlan] | None = None
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.stats = ProxyStats()
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._open: set[socket.socket] = set()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> Self:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self._requested_port))
        listener.listen(64)
        listener.settimeout(0.2)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._stopping.clear()
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name=f"tcp-proxy-{self.port}", daemon=True
        )
        self._accept_thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.close()
        if self._accept_thread is not None:
            self._accept_thread.join(timeout=2)
        with self._lock:
            open_socks = list(self._open)
            self._open.clear()
        for sock in open_socks:
            _reset(sock)

    def cut_all(self) -> int:
        """Cut every open connection now (a network outage); returns how many were cut."""
        with self._lock:
            open_socks = list(self._open)
            self._open.clear()
        for sock in open_socks:
            _reset(sock)
        return len(open_socks) // 2

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ planning
    def _plan_for(self, index: int) -> ConnectionPlan:
        if self.plan is not None:
            return self.plan(index)
        with self._lock:
            refuse = self.drop_rate > 0 and self._rng.random() < self.drop_rate
            fault_cut = self._rng.randint(*self.fault_cut_range)
        cut = self.cut_after_bytes
        latency = 0
        if self.faults is not None:
            decision = self.faults.decide(
                "sftp_connection", transient_variants=("disconnect",), permanent_variants=()
            )
            latency = decision.latency_ms
            if decision.is_transient:
                cut = self.fault_cut_after_bytes or fault_cut
        return ConnectionPlan(refuse=refuse, cut_after_bytes=cut, latency_ms=latency)

    # ------------------------------------------------------------------ forwarding
    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                index = self.stats.connections
                self.stats.connections += 1
            threading.Thread(
                target=self._serve,
                args=(client, index),
                name=f"tcp-proxy-conn-{index}",
                daemon=True,
            ).start()

    def _serve(self, client: socket.socket, index: int) -> None:
        plan = self._plan_for(index)
        if plan.refuse:
            with self._lock:
                self.stats.refused += 1
            _reset(client)
            return
        if plan.latency_ms:
            time.sleep(plan.latency_ms / 1000)
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            _reset(client)
            return
        upstream.settimeout(None)
        client.settimeout(None)
        with self._lock:
            self._open.update((client, upstream))
        try:
            self._pump(client, upstream, plan.cut_after_bytes)
        finally:
            with self._lock:
                self._open.discard(client)
                self._open.discard(upstream)
            for sock in (client, upstream):
                with contextlib.suppress(OSError):
                    sock.close()

    def _pump(self, client: socket.socket, upstream: socket.socket, cut_after: int | None) -> None:
        """Forward both ways in one thread with a selector; cut once the budget is spent."""
        counted = 0
        peers = {client: upstream, upstream: client}
        with selectors.DefaultSelector() as selector:
            selector.register(client, selectors.EVENT_READ)
            selector.register(upstream, selectors.EVENT_READ)
            while not self._stopping.is_set():
                for key, _ in selector.select(timeout=0.2):
                    source: socket.socket = key.fileobj  # type: ignore[assignment]
                    try:
                        data = source.recv(65_536)
                    except OSError:
                        return
                    if not data:
                        return
                    down = source is upstream
                    if cut_after is not None and self._counts(down):
                        allowed = cut_after - counted
                        if len(data) >= allowed:
                            # forward exactly up to the budget, then break the line
                            with contextlib.suppress(OSError):
                                peers[source].sendall(data[: max(allowed, 0)])
                            with self._lock:
                                self.stats.cut += 1
                            log.info(
                                "proxy %s: cut connection after %d bytes", self.port, cut_after
                            )
                            _reset(client)
                            _reset(upstream)
                            return
                        counted += len(data)
                    try:
                        peers[source].sendall(data)
                    except OSError:
                        return
                    with self._lock:
                        if down:
                            self.stats.bytes_down += len(data)
                        else:
                            self.stats.bytes_up += len(data)

    def _counts(self, down: bool) -> bool:
        return self.cut_direction == "both" or (self.cut_direction == "down") == down

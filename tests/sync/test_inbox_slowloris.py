"""The inbox's door under slow and idle clients: header, handshake and body timeouts, the
connection cap, and a slowloris that must not make one normal push fail (issue 11, item 11).

``KETENBRUG_SLOWLORIS_CONNECTIONS`` sets the idle connections of the slowloris test (2,000 by
default, to keep CI lean; ``bench/slowloris.py`` runs the full 20,000).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import resource
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from simulators.tls import SimulatorPki
from simulators.tls_testing import simulator_pki  # noqa: F401  (session CA)
from sync.inbox import Inbox
from sync.inbox_app import Door, InboxServer
from sync.inbox_guard import DoorLimits, raise_nofile_limit
from sync.store.db import Store
from tests.sync.messages import status

REPO = Path(__file__).resolve().parents[2]
IDLE = int(os.environ.get("KETENBRUG_SLOWLORIS_CONNECTIONS", "2000"))
PUSHES = 85


@pytest.fixture
def quick_door(tmp_path: Path) -> Iterator[InboxServer]:
    """A plain-HTTP inbox with short timeouts and a small cap."""
    store = Store(f"sqlite:///{tmp_path / 'state.db'}")
    store.migrate()
    limits = DoorLimits(header_timeout_s=0.6, body_timeout_s=0.6, max_connections=20)
    door = Door(limits=limits, allow_missing_content_type=True)
    with InboxServer(Inbox(store), door=door) as server:
        yield server
    store.dispose()


def _port(server: InboxServer) -> int:
    return int(server.url.rstrip("/").rsplit(":", 1)[1])


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    """True when the server closes ``sock`` (EOF or reset) within ``seconds``."""
    sock.settimeout(seconds)
    try:
        return sock.recv(1024) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_a_connection_that_never_speaks_is_closed(quick_door: InboxServer) -> None:
    with socket.create_connection(("127.0.0.1", _port(quick_door))) as idle:
        started = time.monotonic()
        assert _closed_within(idle, 5), "an idle connection is held forever"
        assert time.monotonic() - started < 3


def test_headers_sent_one_byte_at_a_time_are_cut(quick_door: InboxServer) -> None:
    request = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nX-Slow: " + b"a" * 200
    with socket.create_connection(("127.0.0.1", _port(quick_door))) as slow:
        started = time.monotonic()
        with pytest.raises(OSError):  # broken pipe / reset once the server cut it
            for byte in request:
                slow.sendall(bytes([byte]))
                time.sleep(0.05)
                if _closed_within(slow, 0.001):
                    raise BrokenPipeError
        assert time.monotonic() - started < 4


def test_a_body_that_stalls_is_cut(quick_door: InboxServer) -> None:
    head = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: 1000\r\n\r\n"
    with socket.create_connection(("127.0.0.1", _port(quick_door))) as stalled:
        stalled.sendall(head + b"<soapenv:")
        assert _closed_within(stalled, 5), "a stalled body is waited for forever"


def test_a_tls_connection_that_never_starts_its_handshake_is_closed(
    tmp_path: Path,
    simulator_pki: SimulatorPki,  # noqa: F811
) -> None:
    from sync.inbox_guard import server_tls_context

    store = Store(f"sqlite:///{tmp_path / 'state.db'}")
    store.migrate()
    tls = server_tls_context(simulator_pki.server.cert, simulator_pki.server.key, None)
    door = Door(limits=DoorLimits(header_timeout_s=0.6))
    with InboxServer(Inbox(store), door=door, tls=tls) as server:
        with socket.create_connection(("127.0.0.1", _port(server))) as idle:
            assert _closed_within(idle, 5)
        # and one that shook hands but sends no request
        context = ssl.create_default_context(cafile=str(simulator_pki.ca_file))
        raw = socket.create_connection(("127.0.0.1", _port(server)))
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as quiet:
            started = time.monotonic()
            with contextlib.suppress(ConnectionResetError, ssl.SSLError):
                assert quiet.recv(1) == b""
            assert time.monotonic() - started < 3
    store.dispose()


def test_over_the_cap_the_oldest_idle_connection_makes_room(quick_door: InboxServer) -> None:
    port = _port(quick_door)
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
    try:
        time.sleep(0.2)
        newest = socket.create_connection(("127.0.0.1", port))
        assert _closed_within(idle[0], 2), "the oldest idle connection is evicted"
        response = requests.post(quick_door.url, data=status("1900Z-1", "X", 1, 1), timeout=10)
        assert response.status_code == 200
        newest.close()
    finally:
        for sock in idle:
            sock.close()


# -- the slowloris -----------------------------------------------------------------------------

_SERVER = r"""
import json, resource, sys
from pathlib import Path
from sync.blobs import BlobStore
from sync.inbox import Inbox
from sync.inbox_app import Door, InboxServer
from sync.inbox_door import load_senders
from sync.inbox_guard import server_tls_context
from sync.store.db import Store
home, pki = Path(sys.argv[1]), Path(sys.argv[2])
# the usual default soft limit of a shell or a systemd service
resource.setrlimit(resource.RLIMIT_NOFILE, (1024, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
store = Store(f"sqlite:///{home / 'state.db'}")
store.migrate()
door = Door(senders=load_senders(home / "senders.json"))
tls = server_tls_context(pki / "server.pem", pki / "server.key", pki / "ca.pem")
with InboxServer(Inbox(store, blobs=BlobStore(home / "blobs")), door=door, tls=tls) as server:
    print(server.url, flush=True)
    sys.stdin.readline()
    guard = server.guard
    print(json.dumps({"evicted": guard.evicted, "timed_out": guard.timed_out}), flush=True)
"""


def _senders(home: Path, pki: SimulatorPki) -> None:
    pair = pki.issue("slowloris-sender")
    der = x509.load_pem_x509_certificate(pair.cert.read_bytes()).public_bytes(Encoding.DER)
    sender = {
        "name": "gws4all",
        "zender": [{"organisatie": "1900", "applicatie": "GWS4all"}],
        "certificate_sha256": hashlib.sha256(der).hexdigest(),
    }
    (home / "senders.json").write_text(json.dumps({"senders": [sender]}))


def test_a_slowloris_makes_no_normal_push_fail(
    tmp_path: Path,
    simulator_pki: SimulatorPki,  # noqa: F811
) -> None:
    _senders(tmp_path, simulator_pki)
    raise_nofile_limit(IDLE + 1024)  # this process holds the attacker's side
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(tmp_path), str(simulator_pki.directory)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    idle: list[socket.socket] = []
    try:
        assert server.stdout is not None and server.stdin is not None
        url = server.stdout.readline().strip()
        port = int(url.rstrip("/").rsplit(":", 1)[1])
        for _ in range(IDLE):  # TCP only: never a TLS ClientHello, never a header
            sock = socket.socket()
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", port))
            idle.append(sock)
        time.sleep(1.0)  # let the server accept them all

        pair = simulator_pki.directory / "slowloris-sender"

        def push(n: int) -> int:
            body = status(f"1900Z-{n}", "GWS-AV-03", 3, 1 + n % 28)
            try:
                response = requests.post(
                    url,
                    data=body,
                    headers={"Content-Type": "text/xml"},
                    cert=(f"{pair}.pem", f"{pair}.key"),
                    verify=str(simulator_pki.ca_file),
                    timeout=30,
                )
            except requests.RequestException:
                return 0
            return response.status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            codes = list(pool.map(push, range(PUSHES)))
        server.stdin.write("done\n")
        server.stdin.flush()
        stats = json.loads(server.stdout.readline())
    finally:
        for sock in idle:
            sock.close()
        server.terminate()
        server.wait(timeout=30)
    failed = sum(code != 200 for code in codes)
    assert failed == 0, f"{failed} of {PUSHES} pushes failed under {IDLE} idle connections"
    assert stats["evicted"] + stats["timed_out"] >= IDLE - 1000
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= IDLE

"""The threaded WSGI harness: lifecycle, loopback only, and faults applied at the socket."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from simulators.faults import FaultConfig
from simulators.http import SimulatorServer
from simulators.testing import CapturingApp


@pytest.fixture
def capture() -> Iterator[tuple[SimulatorServer, CapturingApp]]:
    app = CapturingApp(reply=b"ok", content_type="text/plain")
    with SimulatorServer(app, name="capture") as server:
        yield server, app


def _post(server: SimulatorServer, timeout: float = 5.0) -> requests.Response:
    return requests.post(server.url + "/x", data=b"payload", timeout=timeout)


def test_lifecycle_and_loopback_only() -> None:
    server = SimulatorServer(CapturingApp())
    with pytest.raises(RuntimeError):
        _ = server.url
    with server:
        assert server.running
        url = server.url
        assert url.startswith("http://127.0.0.1:") and server.port > 0
        assert server._server is not None and server._server.server_address[0] == "127.0.0.1"
        assert requests.post(url, data=b"x", timeout=5).status_code == 200
    assert not server.running
    with pytest.raises(requests.ConnectionError):
        requests.post(url, data=b"x", timeout=1)


def test_fixed_port_and_restart() -> None:
    with SimulatorServer(CapturingApp()) as first:
        port = first.port
    with SimulatorServer(CapturingApp(), port=port) as second:  # reuse after stop
        assert second.port == port


def test_http_503_is_not_processed(capture: tuple[SimulatorServer, CapturingApp]) -> None:
    server, app = capture
    server.faults.configure(FaultConfig(transient_rate=1.0, transient_variants=("http_503",)))
    response = _post(server)
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert app.requests == []
    assert server.faults.counts()["transient:http_503"] == 1


def test_reset_closes_without_answer(capture: tuple[SimulatorServer, CapturingApp]) -> None:
    server, app = capture
    server.faults.configure(FaultConfig(transient_rate=1.0, transient_variants=("reset",)))
    with pytest.raises(requests.ConnectionError):
        _post(server)
    assert app.requests == []


def test_timeout_hangs_then_drops(capture: tuple[SimulatorServer, CapturingApp]) -> None:
    server, app = capture
    config = FaultConfig(transient_rate=1.0, transient_variants=("timeout",), hang_s=3)
    server.faults.configure(config)
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        _post(server, timeout=0.3)
    assert time.monotonic() - started < 2
    assert app.requests == []


def test_lost_response_processes_then_drops(capture: tuple[SimulatorServer, CapturingApp]) -> None:
    server, app = capture
    server.faults.configure(FaultConfig(transient_rate=1.0, transient_variants=("lost_response",)))
    with pytest.raises(requests.ConnectionError):
        _post(server)
    assert [r.body for r in app.requests] == [b"payload"]  # the effect happened anyway


def test_duplicate_processes_twice_answers_once(
    capture: tuple[SimulatorServer, CapturingApp],
) -> None:
    server, app = capture
    server.faults.configure(FaultConfig(duplicate_rate=1.0))
    assert _post(server).text == "ok"
    assert [r.body for r in app.requests] == [b"payload", b"payload"]
    assert server.faults.counts()["duplicate"] == 1


def test_latency(capture: tuple[SimulatorServer, CapturingApp]) -> None:
    server, _app = capture
    server.faults.configure(FaultConfig(latency_ms=150))
    started = time.monotonic()
    assert _post(server).status_code == 200
    assert time.monotonic() - started >= 0.14


def test_admin_faults_endpoint(capture: tuple[SimulatorServer, CapturingApp]) -> None:
    server, app = capture
    answer = requests.post(
        server.url + "/_admin/faults",
        json={"transient_rate": 1.0, "transient_variants": ["http_503"], "seed": 4},
        timeout=5,
    ).json()
    assert answer["config"]["transient_rate"] == 1.0
    assert _post(server).status_code == 503
    state = requests.get(server.url + "/_admin/faults", timeout=5).json()  # never faulted
    assert state["counts"]["transient"] == 1
    bad = requests.post(server.url + "/_admin/faults", json={"bogus": 1}, timeout=5)
    assert bad.status_code == 400 and "bogus" in bad.json()["error"]
    requests.post(server.url + "/_admin/faults", json={}, timeout=5)
    assert _post(server).status_code == 200 and len(app.requests) == 1


def test_seeded_rate_over_http(capture: tuple[SimulatorServer, CapturingApp]) -> None:
    server, app = capture
    server.faults.configure(
        FaultConfig(transient_rate=0.25, seed=21, transient_variants=("http_503",))
    )
    statuses = [_post(server).status_code for _ in range(200)]
    injected = server.faults.counts()["transient"]
    assert statuses.count(503) == injected
    assert len(app.requests) == 200 - injected
    assert 30 < injected < 70


def test_stop_is_prompt_while_a_request_hangs() -> None:
    server = SimulatorServer(CapturingApp())
    server.faults.configure(
        FaultConfig(transient_rate=1.0, transient_variants=("timeout",), hang_s=30)
    )
    server.start()
    try:
        with pytest.raises(requests.Timeout):
            _post(server, timeout=0.2)
    finally:
        started = time.monotonic()
        server.stop()
    assert time.monotonic() - started < 3


def test_admin_paths_are_never_faulted() -> None:
    from simulators.esuite import make_esuite_server

    with make_esuite_server(faults=FaultConfig(transient_rate=1.0, latency_ms=0)) as server:
        for _ in range(5):
            assert requests.get(server.url + "/_admin/state", timeout=5).status_code == 200
        assert server.faults.counts().get("calls", 0) == 0


def test_peak_of_calls_at_once_is_counted(capture: tuple[SimulatorServer, CapturingApp]) -> None:
    """Three calls held by latency overlap for sure: the peak is 3, and back to 0 after."""
    server, _app = capture
    server.faults.configure(FaultConfig(latency_ms=400))
    threads = [threading.Thread(target=_post, args=(server,)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    busy = requests.get(server.url + "/_admin/faults", timeout=5).json()["busy"]
    assert busy == {"now": 0, "peak": 3}


def test_calls_one_after_the_other_are_never_counted_at_once(
    capture: tuple[SimulatorServer, CapturingApp],
) -> None:
    """A call is counted out when its answer is ready, before it is written: the next call
    of a client that waits for each answer never overlaps it."""
    server, _app = capture
    for _ in range(30):
        assert _post(server).status_code == 200
    busy = requests.get(server.url + "/_admin/faults", timeout=5).json()["busy"]
    assert busy == {"now": 0, "peak": 1}


# ------------------------------------------------------------------ keep-alive (HTTP/1.1)
def _streamed(environ: dict[str, object], start_response: Any) -> Iterator[bytes]:
    """An answer in two blocks and no length: only closing the connection can frame it."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"first "
    yield b"second"


def test_calls_on_one_session_share_one_connection(
    capture: tuple[SimulatorServer, CapturingApp],
) -> None:
    server, app = capture
    with requests.Session() as session:
        answers = [session.post(server.url + "/x", data=b"%d" % n, timeout=5) for n in range(5)]
    assert [a.status_code for a in answers] == [200] * 5
    assert [a.content for a in answers] == [b"ok"] * 5
    assert [r.body for r in app.requests] == [b"0", b"1", b"2", b"3", b"4"]
    assert server.connections_accepted == 1


def test_a_body_the_app_left_unread_closes_the_connection() -> None:
    def reads_nothing(environ: dict[str, object], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    with SimulatorServer(reads_nothing) as server, requests.Session() as session:
        first = session.post(server.url + "/x", data=b"GET /_admin/faults HTTP/1.1\r\n\r\n")
        second = session.post(server.url + "/x", data=b"y", timeout=5)
        assert (first.headers["Connection"], first.content, second.content) == (
            "close",
            b"ok",
            b"ok",
        )
        assert server.connections_accepted == 2  # the unread bytes were never taken for a request


def test_an_answer_without_length_is_framed_by_closing() -> None:
    with SimulatorServer(_streamed) as server, requests.Session() as session:
        first = session.get(server.url + "/x", timeout=5)
        second = session.get(server.url + "/x", timeout=5)
        assert first.content == second.content == b"first second"
        assert first.headers["Connection"] == "close"
        assert server.connections_accepted == 2


def test_stop_ends_the_handlers_of_idle_kept_alive_connections() -> None:
    before = threading.active_count()
    server = SimulatorServer(CapturingApp()).start()
    sessions = [requests.Session() for _ in range(3)]
    for session in sessions:
        assert session.post(server.url + "/x", data=b"x", timeout=5).status_code == 200
    assert server.connections_accepted == 3
    began = time.monotonic()
    server.stop()
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert threading.active_count() == before, "a kept-alive handler outlived the server"
    assert time.monotonic() - began < 3
    for session in sessions:
        session.close()


def test_kept_alive_answers_are_not_held_back_by_nagle(
    capture: tuple[SimulatorServer, CapturingApp],
) -> None:
    """Head and body leave in separate writes; without TCP_NODELAY the body of an answer on a
    kept-alive connection waits for the client's delayed ACK (40 ms) on every call."""
    server, _ = capture
    with requests.Session() as session:
        assert session.post(server.url + "/x", data=b"x", timeout=5).status_code == 200
        assert server._server is not None
        with server._server.connections_lock:
            (connection,) = server._server.connections
            assert connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)

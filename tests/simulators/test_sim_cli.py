"""``simulators up``, the registry's port plan, and the ``gws4all-push`` command."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Mapping

import pytest
import requests

from simulators import cli
from simulators.http import SimulatorServer
from simulators.registry import (
    DEFAULT_PORTS,
    REGISTRY,
    SimulatorSpec,
    Startable,
    port_for,
    register,
)
from simulators.testing import CapturingApp


def test_port_plan() -> None:
    assert REGISTRY["esuite"].default_port == 18101
    assert all(18000 <= port < 19000 for port in DEFAULT_PORTS.values())
    assert len(set(DEFAULT_PORTS.values())) == len(DEFAULT_PORTS)


def test_forbidden_ports_are_refused() -> None:
    for port in (8080, 5432, 80):
        with pytest.raises(ValueError):
            register(SimulatorSpec("bad", port, "nope", REGISTRY["esuite"].factory))
    assert "bad" not in REGISTRY


def test_port_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    assert port_for("esuite") == 18101
    monkeypatch.setenv("KETENBRUG_SIM_PORT_ESUITE", "18999")
    assert port_for("esuite") == 18999
    assert port_for("esuite", {"esuite": 0}) == 0


def test_up_serves_until_stopped() -> None:
    stop = threading.Event()
    ready = threading.Event()
    seen: dict[str, str] = {}
    out = io.StringIO()

    def on_ready(started: Mapping[str, Startable]) -> None:
        seen.update({name: sim.url for name, sim in started.items()})
        ready.set()

    thread = threading.Thread(
        target=cli.run_simulators_up,
        args=(["--only", "esuite", "--port", "esuite=0", "--faults", '{"seed": 3}'],),
        kwargs={"stop": stop, "ready": on_ready, "out": out},
    )
    thread.start()
    try:
        assert ready.wait(10)
        state = requests.get(seen["esuite"] + "/_admin/state", timeout=5).json()
        assert state["counts"]["zaken"] == 0
        faults = requests.get(seen["esuite"] + "/_admin/faults", timeout=5).json()
        assert faults["config"]["seed"] == 3
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    printed = out.getvalue()
    assert seen["esuite"] in printed and "stopped" in printed
    with pytest.raises(requests.ConnectionError):
        requests.get(seen["esuite"] + "/_admin/state", timeout=2)


def test_up_reports_a_busy_port(capsys: pytest.CaptureFixture[str]) -> None:
    with SimulatorServer(CapturingApp()) as busy:
        code = cli.run_simulators_up(["--only", "esuite", "--port", f"esuite={busy.port}"])
    assert code == 1
    assert "cannot start" in capsys.readouterr().err


def test_up_rejects_unknown_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run_simulators_up(["--only", "nope"]) == 1
    assert "unknown simulator" in capsys.readouterr().err


def test_gws4all_push_command() -> None:
    app = CapturingApp()
    out = io.StringIO()
    with SimulatorServer(app) as inbox:
        code = cli.run_gws4all_push(
            ["--url", inbox.url, "--zaken", "3", "--seed", "2", "--no-documents"], out=out
        )
    report = json.loads(out.getvalue())
    assert code == 0
    assert report["sent"] == len(app.requests) and report["zaken"] == 3


def test_main_dispatch(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    assert "usage" in capsys.readouterr().err

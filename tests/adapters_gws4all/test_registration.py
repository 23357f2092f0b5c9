"""GWS4all's registration: the doorgifte's target with its own Connection, while the zaken and
documenten flows (GWS4all pushes into the inbox) still need no GWS4all Connection at all."""

from __future__ import annotations

import json

import pytest

from adapters import registry
from adapters.gws4all.outbound_target import Gws4allTarget
from adapters.registry import TargetContext
from simulators.testing import Gws4allBackofficeHandle

pytest.importorskip("airflow.sdk")

CONN = "AIRFLOW_CONN_KETENBRUG_GWS4ALL_STUF"


def _connection(port: int) -> str:
    extra = {"path": "/stuf/zkn", "gemeentecode": "1900", "timeout_s": 2}
    return json.dumps({"conn_type": "http", "host": "127.0.0.1", "port": port, "extra": extra})


def test_gws4all_is_the_doorgiftes_target_and_no_target_of_zaken_or_documenten() -> None:
    gws4all = registry.get("gws4all")
    assert gws4all.conn_id == "ketenbrug_gws4all_stuf"
    assert gws4all.hook_class().default_conn_name == gws4all.conn_id
    assert [r.system for r in registry.targets_for("doorgifte")] == ["gws4all"]
    # the doorgifte DAG's tasks run in pool "gws4all": the registry agrees
    assert registry.flow_pool("doorgifte") == "gws4all"
    for flow in ("zaken", "documenten"):
        assert "gws4all" not in {r.system for r in registry.targets_for(flow)}
        assert registry.get("gws4all").source_spec(flow).kind == "inbox"


def test_the_zaken_and_documenten_tasks_read_no_gws4all_connection() -> None:
    """A task reads the Connections of the flow's targets and of its cursor sources only
    (dags/_flow.py); GWS4all is neither, so a deployment without its StUF Connection runs
    those flows as before."""
    for flow in ("zaken", "documenten"):
        read = {r.system for r in registry.targets_for(flow)}
        read |= {r.system for r, _spec in registry.cursor_sources(flow)}
        assert "gws4all" not in read, flow


def test_the_factory_builds_the_target_from_the_connection(
    gws4all_backoffice: Gws4allBackofficeHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    gws4all = registry.get("gws4all")
    monkeypatch.setenv(CONN, _connection(int(gws4all_backoffice.server.port)))
    built = registry.load(gws4all.targets["doorgifte"])(
        gws4all.config(), TargetContext(settings=None)
    )
    try:
        assert isinstance(built.target, Gws4allTarget)
        port = gws4all_backoffice.server.port
        assert built.target.client.config.url == f"http://127.0.0.1:{port}/stuf/zkn"
    finally:
        for close in built.closers:
            close()


def test_the_connection_test_asks_without_writing(
    gws4all_backoffice: Gws4allBackofficeHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CONN, _connection(int(gws4all_backoffice.server.port)))
    ok, message = registry.get("gws4all").hook_class()().test_connection()
    assert ok, message
    state = gws4all_backoffice.server.snapshot()
    assert state["calls"] == {"geefZaakdetails": 1}
    assert state["zaken"] == {} and state["received"]["zaken"] == {}

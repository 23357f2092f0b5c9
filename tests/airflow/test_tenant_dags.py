"""Several municipalities on one Airflow: every DAG file builds one DAG per tenant (issue #12).

With ``KETENBRUG_TENANTS`` naming Deventer and Raalte, a real DagBag holds each flow's DAG once
per municipality, each publishing and scheduled on its own Assets (Deventer's documenten after
Deventer's zaken only), tagged with its code, its tasks in the pools of the systems they talk
to: pools are per system and shared, so a system's limit holds across municipalities.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from adapters import registry
from sync.airflow_local import DAGS_FOLDER, POOLS
from sync.tenants import Tenant
from tests.airflow.dagbag import probe_dagbag

pytestmark = pytest.mark.airflow

CODES = ("deventer", "raalte")
FLOWS = (
    "zaken",
    "documenten",
    "archief_reconciliatie",
    "betaalspecificaties",
    "onderhoud",
    "suwinet",
    "doorgifte",
)
TENANTS = [
    {"code": "deventer", "naam": "Gemeente Deventer", "gemeentecode": "0150"},
    {"code": "raalte", "naam": "Gemeente Raalte", "gemeentecode": "0177"},
]

_PROBE = """
import json
from airflow.dag_processing.dagbag import DagBag
bag = DagBag({folder!r})
condition = lambda d: getattr(d.timetable, "asset_condition", None)
print(json.dumps({{
    "errors": {{k: str(v) for k, v in bag.import_errors.items()}},
    "dags": {{
        dag_id: {{
            "tags": sorted(d.tags),
            "schedule": sorted(a.uri for a in getattr(condition(d), "objects", [])),
            "outlets": sorted(o.uri for t in d.tasks for o in t.outlets),
            "pools": {{t.task_id: t.pool for t in d.tasks}},
        }}
        for dag_id, d in bag.dags.items()
    }},
}}))
"""


@pytest.fixture(scope="module")
def bag(airflow_home: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One DagBag, loaded by Airflow in a child process, with two tenants configured."""
    tenants = tmp_path_factory.mktemp("tenants") / "tenants.json"
    tenants.write_text(json.dumps(TENANTS), encoding="utf-8")
    return dict(probe_dagbag(airflow_home, _PROBE, KETENBRUG_TENANTS=str(tenants)))


def test_every_flow_has_one_dag_per_tenant_and_no_import_errors(bag: dict[str, Any]) -> None:
    assert bag["errors"] == {}
    expected = {f"ketenbrug_{flow}_{code}" for flow in FLOWS for code in CODES}
    assert set(bag["dags"]) == expected  # and no DAG of the default tenant beside them
    for dag_id, dag in bag["dags"].items():
        code = dag_id.rsplit("_", 1)[1]
        assert "ketenbrug" in dag["tags"] and code in dag["tags"], dag_id


def test_each_tenants_documenten_runs_after_its_own_zaken_only(bag: dict[str, Any]) -> None:
    for code in CODES:
        zaken = bag["dags"][f"ketenbrug_zaken_{code}"]
        documenten = bag["dags"][f"ketenbrug_documenten_{code}"]
        assert zaken["outlets"] == [f"ketenbrug://zaken/{code}"]
        assert documenten["schedule"] == [f"ketenbrug://zaken/{code}"]
        assert documenten["outlets"] == [f"ketenbrug://documenten/{code}"]
        suwinet = bag["dags"][f"ketenbrug_suwinet_{code}"]
        assert suwinet["schedule"] == [f"ketenbrug://zaken/{code}"]
        archief = bag["dags"][f"ketenbrug_archief_reconciliatie_{code}"]
        assert archief["outlets"] == [f"ketenbrug://archief/{code}"]


def test_tasks_share_the_system_pools_across_tenants(bag: dict[str, Any]) -> None:
    dags = bag["dags"]
    for flow in FLOWS:
        deventer, raalte = (dags[f"ketenbrug_{flow}_{code}"]["pools"] for code in CODES)
        assert deventer == raalte, flow  # one pool per system, not one per municipality
        assert set(deventer.values()) <= {*POOLS, "default_pool"}, flow
    zaken = dags["ketenbrug_zaken_raalte"]["pools"]
    documenten = dags["ketenbrug_documenten_raalte"]["pools"]
    assert zaken["deliver_allegro"] == documenten["deliver_allegro"] == "allegro"
    assert documenten["deliver_gws4all"] == registry.flow_pool("documenten")
    assert zaken["deliver_gws4all"] == registry.flow_pool("zaken") == "esuite"
    assert dags["ketenbrug_archief_reconciliatie_raalte"]["pools"]["reconcile"] == "mylex"
    assert dags["ketenbrug_betaalspecificaties_raalte"]["pools"]["specificaties"] == "esuite"


def test_a_task_reads_its_tenants_own_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """``_tenants.config``: Raalte's task reads ``ketenbrug_mylex_raalte``, never the default."""
    monkeypatch.syspath_prepend(str(DAGS_FOLDER))
    from _tenants import config

    line = (
        "[127.0.0.1]:2222 ssh-ed25519 "
        "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
    )
    for conn_id, root, naam in (
        ("ketenbrug_mylex", "mylex", "Gemeente Enschede"),
        ("ketenbrug_mylex_raalte", "raalte", "Gemeente Raalte"),
    ):
        extra = {
            "private_key_path": "/k",
            "known_hosts_line": line,
            "root_dir": root,
            "archiefvormer": {"naam": naam, "code": "gm0177"},
        }
        connection = {"conn_type": "sftp", "host": "127.0.0.1", "port": 2222, "login": "ketenbrug"}
        monkeypatch.setenv(
            f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({**connection, "extra": extra})
        )
    raalte = Tenant(code="raalte", naam="Gemeente Raalte", gemeentecode="0177")
    mylex = config(registry.get("mylex"), raalte)
    assert (mylex.root_dir, mylex.archiefvormer.naam) == ("raalte", "Gemeente Raalte")

"""Every task runs in the pool of a system it talks to, taken from the adapter registry.

Before the registry the documenten DAG ran its Allegro, e-Suite, Xtendis and MyLex work in
one ``documenten`` pool, so Allegro's one-slot limit did not hold for its document exports.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters import registry
from sync.airflow_local import POOLS
from tests.airflow.dagbag import probe_dagbag

pytestmark = pytest.mark.airflow

_PROBE = """
import json
from airflow.dag_processing.dagbag import DagBag
bag = DagBag({folder!r})
print(json.dumps({{
    dag_id: {{t.task_id: t.pool for t in bag.dags[dag_id].tasks}}
    for dag_id in ("ketenbrug_zaken", "ketenbrug_documenten", "ketenbrug_archief_reconciliatie")
}}))
"""


@pytest.fixture(scope="module")
def pools_by_task(airflow_home: Path) -> dict[str, dict[str, str]]:
    return dict(probe_dagbag(airflow_home, _PROBE))


def test_allegro_work_runs_in_allegros_one_slot_pool(
    pools_by_task: dict[str, dict[str, str]],
) -> None:
    assert pools_by_task["ketenbrug_documenten"]["deliver_allegro"] == "allegro"
    assert pools_by_task["ketenbrug_zaken"]["deliver_allegro"] == "allegro"
    assert POOLS["allegro"][0] == 1


def test_documenten_tasks_run_in_the_scarcest_target_pool_not_a_shared_one(
    pools_by_task: dict[str, dict[str, str]],
) -> None:
    documenten = pools_by_task["ketenbrug_documenten"]
    assert "documenten" not in documenten.values()
    scarcest = min(
        (registry.get(s) for s in ("esuite", "xtendis", "mylex")), key=lambda r: r.pool.slots
    )
    for task_id in ("resend_requested", "deliver_gws4all", "deliver_esuite"):
        assert POOLS[documenten[task_id]][0] == scarcest.pool.slots, task_id
        assert documenten[task_id] in {"xtendis", "mylex"}, task_id
    assert pools_by_task["ketenbrug_zaken"]["deliver_gws4all"] == "esuite"


def test_the_reconciliation_runs_in_mylexs_pool(
    pools_by_task: dict[str, dict[str, str]],
) -> None:
    assert pools_by_task["ketenbrug_archief_reconciliatie"]["reconcile"] == "mylex"


def test_every_task_pool_exists(pools_by_task: dict[str, dict[str, str]]) -> None:
    used = {pool for tasks in pools_by_task.values() for pool in tasks.values()}
    assert used <= {*POOLS, "default_pool"}

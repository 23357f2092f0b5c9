"""The demo's DAG runs leave task logs that Airflow's UI opens, with Ketenbrug's lines readable.

The demo's path (``demo.run.demo_airflow`` + ``run_dag`` inside ``execution_api()``) runs a
small zaken flow; the task log of a partition then exists under the Airflow home's log folder
with Ketenbrug's per-partition counts and without framework noise at INFO (httpx logs every
request at INFO), and the api-server serves it through the task-instance log endpoint, as the
UI asks for it. ``airflow dags test`` without the executor leaves no such file.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from demo.airflow import LocalAirflow
from demo.run import demo_airflow, run_dag
from demo.ui import DEMO_USERS
from simulators.gws4all import push_scenario
from tests.airflow.conftest import ChainRig

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

DAG = "ketenbrug_zaken"
TASK = "deliver_gws4all"
#: sync/tasks/flow.py's line per partition: its batches and counts.
COUNTS = re.compile(r"zaken partitie (\d+): \d+ werkpakket\(ten\), (\d+) gelezen, \d+ afgeleverd")
#: What the framework logs at INFO (the first task migrates the state store with alembic).
NOISE = ('"logger":"alembic', '"logger":"httpx', '"logger":"sqlalchemy', "HTTP Request:")


def test_a_demo_run_leaves_task_logs_the_api_server_serves(
    rig: ChainRig, tmp_path: Path, airflow_home: Path
) -> None:
    pushed = push_scenario(rig.inbox.url, zaken=4, include_documents=False, seed=11)
    demo = demo_airflow(tmp_path, rig.store.url)
    # The demo's settings on the session's (already migrated) Airflow home and the rig's state.
    airflow = LocalAirflow(airflow_home, {**rig.airflow().extra_env, **demo.extra_env})

    with airflow.execution_api() as url:
        result = run_dag(airflow, DAG)
        assert result.state == "success", result.log_path.read_text()[-3000:]
        login = httpx.post(
            f"{url}/auth/token",
            json={"username": "beheerder", "password": DEMO_USERS["beheerder"][1]},
            timeout=30,
        )
        assert login.status_code == 201, login.text
        api = httpx.Client(
            base_url=f"{url}/api/v2",
            headers={"Authorization": f"Bearer {login.json()['access_token']}"},
            timeout=30,
        )
        runs = api.get(f"/dags/{DAG}/dagRuns", params={"order_by": "-run_after", "limit": 1})
        run_id = runs.json()["dag_runs"][0]["dag_run_id"]

        run_logs = airflow_home / "logs" / f"dag_id={DAG}" / f"run_id={run_id}"
        texts = {str(f.relative_to(run_logs)): f.read_text() for f in run_logs.rglob("*.log")}
        assert any(name.startswith("task_id=resend_requested/") for name in texts), texts
        counts = {int(m[1]): int(m[2]) for text in texts.values() for m in COUNTS.finditer(text)}
        assert sum(counts.values()) == pushed.sent, counts  # every partition logged its counts
        partition = next(p for p, read in counts.items() if read)
        served = api.get(
            f"/dags/{DAG}/dagRuns/{run_id}/taskInstances/{TASK}/logs/1",
            params={"map_index": partition},
            headers={"Accept": "application/json"},
        )

    noise = [name for name, text in texts.items() if any(n in text for n in NOISE)]
    assert noise == [], "framework loggers at INFO in the task logs"
    assert served.status_code == 200, served.text
    assert (
        f"zaken partitie {partition}: 1 werkpakket(ten), {counts[partition]} gelezen" in served.text
    )
    assert "Could not read served logs" not in served.text

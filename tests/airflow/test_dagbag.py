"""Every file in dags/ imports into a real Airflow DagBag with zero errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from demo.airflow import LocalAirflow
from sync.airflow_local import DAGS_FOLDER

pytestmark = pytest.mark.airflow

_PROBE = """
import json
from airflow.dag_processing.dagbag import DagBag
bag = DagBag({folder!r})
print(json.dumps({{
    "errors": {{k: str(v) for k, v in bag.import_errors.items()}},
    "dags": sorted(bag.dags),
    "files": sorted({{d.fileloc for d in bag.dags.values()}}),
    "pools": sorted({{t.pool for d in bag.dags.values() for t in d.tasks}}),
    "retries": sorted({{t.retries for d in bag.dags.values() for t in d.tasks}}),
}}))
"""


def test_every_dag_file_imports_without_errors(airflow_home: Path) -> None:
    env = LocalAirflow(airflow_home).env()
    completed = subprocess.run(
        [sys.executable, "-c", _PROBE.format(folder=str(DAGS_FOLDER))],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["errors"] == {}
    dag_files = {str(p) for p in DAGS_FOLDER.glob("*.py") if not p.name.startswith("_")}
    assert set(result["files"]) == dag_files, "a file in dags/ defines no DAG"
    assert {
        "ketenbrug_zaken",
        "ketenbrug_documenten",
        "ketenbrug_archief_reconciliatie",
        "ketenbrug_onderhoud",
    } <= set(result["dags"])
    assert {"esuite", "allegro", "mylex"} <= set(result["pools"])  # pools per system
    assert min(result["retries"]) >= 1, "every task retries transient faults"

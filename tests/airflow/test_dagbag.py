"""Every file in dags/ imports into a real Airflow DagBag with zero errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.airflow_local import DAGS_FOLDER
from tests.airflow.dagbag import probe_dagbag

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
    result = probe_dagbag(airflow_home, _PROBE)
    assert result["errors"] == {}
    dag_files = {str(p) for p in DAGS_FOLDER.glob("*.py") if not p.name.startswith("_")}
    assert set(result["files"]) == dag_files, "a file in dags/ defines no DAG"
    assert {
        "ketenbrug_zaken",
        "ketenbrug_documenten",
        "ketenbrug_archief_reconciliatie",
        "ketenbrug_onderhoud",
        "ketenbrug_betaalspecificaties",
        "ketenbrug_suwinet",
        "ketenbrug_doorgifte",
    } <= set(result["dags"])
    assert {"esuite", "allegro", "mylex"} <= set(result["pools"])  # pools per system
    assert min(result["retries"]) >= 1, "every task retries transient faults"

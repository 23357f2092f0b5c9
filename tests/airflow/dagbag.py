"""Load the real DagBag of ``dags/`` in a child process and return what a probe prints.

Why a child: Airflow's settings are read at import, so each probe gets the test's Airflow home
(``LocalAirflow(airflow_home).env()``) and any extra environment (``KETENBRUG_TENANTS``) fresh.
The probe script prints one JSON line last; ``{folder}`` in it is the DAGs folder.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from demo.airflow import LocalAirflow
from sync.airflow_local import DAGS_FOLDER

__all__ = ["probe_dagbag"]


def probe_dagbag(airflow_home: Path, probe: str, **extra_env: str) -> Any:
    """Run ``probe`` (formatted with ``folder``) against the DAGs folder; its last JSON line."""
    completed = subprocess.run(
        [sys.executable, "-c", probe.format(folder=str(DAGS_FOLDER))],
        env=LocalAirflow(airflow_home, extra_env=extra_env).env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])

"""Run Airflow for real on this machine: its own home, metadata database, pools and DAG tests.

Used by the demo and the tests. It drives the ``airflow`` command in a child process (so a
crash test can kill it), and imports nothing of Airflow itself.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["DAGS_FOLDER", "POOLS", "DagRunResult", "LocalAirflow", "connection_env"]

DAGS_FOLDER = Path(__file__).resolve().parent.parent / "dags"
PLUGINS_FOLDER = Path(__file__).resolve().parent.parent / "plugins"

#: One pool per legacy system: caps parallel calls to it across all DAGs.
POOLS: dict[str, tuple[int, str]] = {
    "esuite": (4, "e-Suite ZDS 1.2: parallelle aanroepen"),
    "gws4all": (2, "GWS4all SSD-services: parallelle aanroepen"),
    "allegro": (1, "Allegro SFTP: één sessie tegelijk"),
    "xtendis": (2, "Xtendis hot folder"),
    "suwinet": (2, "Suwinet-Inkijk: parallelle bevragingen"),
    "mylex": (2, "MyLex oud archief"),
    "documenten": (2, "Documenten: taken die e-Suite, Xtendis en MyLex tegelijk beschrijven"),
}

_STATE = re.compile(r"DagRun Finished: dag_id=(\S+),.*?state=(\w+)")


def connection_env(conn_id: str, connection: Mapping[str, object]) -> dict[str, str]:
    """``AIRFLOW_CONN_<ID>`` in Airflow's JSON form: how tests and the demo pass Connections."""
    return {f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(connection)}


@dataclass(frozen=True)
class DagRunResult:
    dag_id: str
    state: str
    returncode: int
    log_path: Path


@dataclass
class LocalAirflow:
    """An Airflow installation in ``home``, with Ketenbrug's DAG folder and pools."""

    home: Path
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "AIRFLOW_HOME": str(self.home),
                "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
                "AIRFLOW__CORE__PLUGINS_FOLDER": str(PLUGINS_FOLDER),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.home / 'airflow.db'}",
                "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.home / "logs"),
                "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            }
        )
        env.update(self.extra_env)
        return env

    def airflow(self, *args: str, log_name: str | None = None, timeout: float = 900) -> int:
        """Run one ``airflow`` command; its output goes to a log file under ``home``."""
        self.home.mkdir(parents=True, exist_ok=True)
        log_path = self.home / (log_name or f"airflow-{args[0]}.log")
        command = [str(Path(sys.executable).parent / "airflow"), *args]
        with log_path.open("ab") as log:
            completed = subprocess.run(
                command, env=self.env(), stdout=log, stderr=subprocess.STDOUT, timeout=timeout
            )
        return completed.returncode

    def prepare(self) -> None:
        """Metadata database and pools; safe to run again."""
        if self.airflow("db", "migrate") != 0:
            raise RuntimeError(f"airflow db migrate failed, see {self.home}/airflow-db.log")
        for name, (slots, description) in POOLS.items():
            if self.airflow("pools", "set", name, str(slots), description) != 0:
                raise RuntimeError(f"airflow pools set {name} failed")

    def start_dag_test(
        self, dag_id: str, *, log_name: str | None = None
    ) -> subprocess.Popen[bytes]:
        """Start ``airflow dags test`` without waiting: for tests that kill it from outside."""
        self.home.mkdir(parents=True, exist_ok=True)
        log = (self.home / (log_name or f"dagrun-{dag_id}.log")).open("ab")
        command = [str(Path(sys.executable).parent / "airflow"), "dags", "test", dag_id]
        return subprocess.Popen(command, env=self.env(), stdout=log, stderr=subprocess.STDOUT)

    def test_dag(self, dag_id: str, *, log_name: str | None = None) -> DagRunResult:
        """One real DAG run in-process of a child ``airflow dags test`` (tasks really execute)."""
        name = log_name or f"dagrun-{dag_id}.log"
        log_path = self.home / name
        start = log_path.stat().st_size if log_path.exists() else 0
        returncode = self.airflow("dags", "test", dag_id, log_name=name)
        with log_path.open("rb") as handle:
            handle.seek(start)
            text = handle.read().decode("utf-8", "replace")
        states = [state for dag, state in _STATE.findall(text) if dag == dag_id]
        return DagRunResult(dag_id, states[-1] if states else "unknown", returncode, log_path)

"""The demo's Connections live in Airflow's metadata database: beheer sees and tests them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from demo.airflow import LocalAirflow
from demo.run import _connections_in_airflow, esuite_connection, sftp_connection

pytestmark = pytest.mark.airflow


def test_the_demo_imports_its_connections_into_the_metadata_database(airflow_home: Path) -> None:
    airflow = LocalAirflow(airflow_home)
    ssh = ("127.0.0.1", 2222, "demo", "/keys/id", "[127.0.0.1]:2222 ssh-ed25519 AAAA")
    connections = {
        "ketenbrug_esuite": esuite_connection("http://127.0.0.1:18001/zds"),
        "ketenbrug_mylex": sftp_connection(*ssh, root_dir="mylex"),
    }
    _connections_in_airflow(airflow, connections)
    connections["ketenbrug_esuite"] = esuite_connection("http://127.0.0.1:18002/zds")
    _connections_in_airflow(airflow, connections)  # a new demo replaces them
    stored = {}
    for conn_id in connections:
        shown = subprocess.run(
            [
                str(Path(sys.executable).parent / "airflow"),
                "connections",
                "get",
                conn_id,
                "-o",
                "json",
            ],
            env=airflow.env(),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        [stored[conn_id]] = json.loads(shown[shown.index("[") :])
    assert str(stored["ketenbrug_esuite"]["port"]) == "18002"
    assert stored["ketenbrug_mylex"]["extra_dejson"]["root_dir"] == "mylex"
    assert (airflow_home / "connections.json").stat().st_mode & 0o077 == 0

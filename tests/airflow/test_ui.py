"""``./run ui``: Airflow's api-server, scheduler and dag-processor on the demo's state.

Started as a user would (the command, in a subprocess, on a free port), logged in over HTTP
with the printed demo login; a real run of the nightly purge goes through the scheduler, its
task log opens through the API (with Ketenbrug's own line) and the run carries a Dutch note;
Ctrl-C (SIGINT) stops every process it started.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from demo.ui import DEMO_USERS

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

DAG = "ketenbrug_onderhoud"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _airflow_pids(home: Path) -> set[int]:
    """Live processes whose AIRFLOW_HOME is this test's (the ones ``ui`` started)."""
    marker = f"AIRFLOW_HOME={home / 'airflow'}".encode()
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.add(int(entry.name))
            except OSError:
                pass
    return found


def _wait_for(check, what: str, timeout: float = 240):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(1)
    raise AssertionError(f"not within {timeout} s: {what}")


def test_ui_starts_serves_the_plugin_runs_a_dag_with_logs_and_a_note_and_stops_on_ctrl_c(
    tmp_path: Path,
) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "KETENBRUG_DEMO_HOME": str(tmp_path)}
    env.pop("KETENBRUG_DATABASE_URL", None)
    out = tmp_path / "ui.out"
    with out.open("wb") as sink:
        ui = subprocess.Popen(
            [sys.executable, "-m", "demo", "ui", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for(lambda: "Stoppen: Ctrl-C" in out.read_text() or ui.poll() is not None, "start")
        printed = out.read_text()
        assert ui.poll() is None, printed
        assert f"{url}/beheer/" in printed
        for name, (_, password) in DEMO_USERS.items():
            assert f"{name} / {password}" in printed

        login = httpx.post(
            f"{url}/auth/token",
            json={"username": "beheerder", "password": DEMO_USERS["beheerder"][1]},
            timeout=30,
        )
        assert login.status_code == 201, login.text
        token = login.json()["access_token"]
        page = httpx.get(f"{url}/beheer/", cookies={"_token": token}, timeout=30)
        assert page.status_code == 200 and "beheerder" in page.text
        assert httpx.get(f"{url}/beheer/", timeout=30).status_code == 401

        api = httpx.Client(
            base_url=f"{url}/api/v2", headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        _wait_for(lambda: api.get(f"/dags/{DAG}").status_code == 200, "DAG parsed")
        assert "opruimen (AVG)" in api.get(f"/dags/{DAG}/details").json()["doc_md"]
        assert api.patch(f"/dags/{DAG}", json={"is_paused": False}).status_code == 200
        run = api.post(f"/dags/{DAG}/dagRuns", json={"logical_date": None})
        assert run.status_code == 200, run.text
        run_id = run.json()["dag_run_id"]

        def finished() -> dict | None:
            state = api.get(f"/dags/{DAG}/dagRuns/{run_id}").json()
            return state if state["state"] in ("success", "failed") else None

        dag_run = _wait_for(finished, "the purge run")
        assert dag_run["state"] == "success", dag_run
        log = api.get(
            f"/dags/{DAG}/dagRuns/{run_id}/taskInstances/purge_payloads/logs/1",
            headers={"Accept": "application/json"},
        )
        assert log.status_code == 200, log.text
        assert "Could not read served logs" not in log.text
        assert "opgeschoond (ouder dan 30 dagen)" in log.text
        note = _wait_for(lambda: api.get(f"/dags/{DAG}/dagRuns/{run_id}").json()["note"], "note")
        assert note.startswith("**Klaar**") and "laatste opschoning (AVG): " in note
        assert _airflow_pids(tmp_path), "the processes carry this AIRFLOW_HOME"
    finally:
        ui.send_signal(signal.SIGINT)
        returncode = ui.wait(timeout=90)
    assert returncode == 0, out.read_text()[-2000:]
    assert out.read_text().rstrip().endswith("gestopt")
    _wait_for(lambda: not _airflow_pids(tmp_path), "no Airflow process left", timeout=30)

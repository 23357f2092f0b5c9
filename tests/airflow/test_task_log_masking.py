"""A BSN logged inside an Airflow task reaches no task log: the DAG files install the masking.

A probe DAG beside a copy of the real DAG files logs a BSN from a task, the way a bug in an
adapter would; the real files are imported first, as the DAG folder does in a task process.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from demo.airflow import LocalAirflow
from sync.airflow_local import DAGS_FOLDER

BSN = "111222333"

PROBE = """
import logging

import onderhoud  # noqa: F401  (a real DAG file, imported as the DAG folder imports it)
import pendulum
from airflow.sdk import dag, task


@dag(dag_id="privacy_probe", schedule=None, start_date=pendulum.datetime(2026, 1, 1))
def privacy_probe():
    @task
    def leak():
        logging.getLogger("adapters.probe").warning("klant %s niet gevonden", "111222333")
        logging.getLogger("sync.probe").warning("klant 111 222 333 niet gevonden")

    leak()


privacy_probe()
"""


def test_a_bsn_logged_in_a_task_is_masked_in_the_task_log(
    tmp_path: Path, airflow_home: Path
) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    shutil.copy(DAGS_FOLDER / "onderhoud.py", dags / "onderhoud.py")
    for helper in [*DAGS_FOLDER.glob("_*.py"), DAGS_FOLDER / ".airflowignore"]:
        shutil.copy(helper, dags / helper.name)  # what the DAG files import beside them
    (dags / "privacy_probe.py").write_text(PROBE)
    airflow = LocalAirflow(
        airflow_home,
        extra_env={"AIRFLOW__CORE__DAGS_FOLDER": str(dags), "KETENBRUG_HOME": str(tmp_path)},
    )
    result = airflow.test_dag("privacy_probe", log_name="dagrun-privacy-probe.log")
    assert result.state == "success", result.log_path.read_text()[-3000:]
    logs = [result.log_path, *Path(airflow_home, "logs").rglob("*")]
    text = "".join(p.read_text(errors="ignore") for p in logs if p.is_file())
    assert text.count("niet gevonden") >= 2  # the lines were logged
    assert BSN not in text and "111 222 333" not in text
    assert "*****2333" in text

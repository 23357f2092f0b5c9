"""The Suwinet-verrijking DAG really run through Airflow (``airflow dags test``): the
Suwinet-Inkijk simulator over real mTLS, the e-Suite simulator, Connections from the env."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from demo.airflow import LocalAirflow
from demo.run import esuite_connection
from simulators.tls_testing import SoapSimHandle
from stuf import Zaak
from sync.airflow_local import connection_env
from sync.doelbinding import queries_about
from sync.identity import IdentityMap
from sync.store.models import DoelbindingEntry
from tests.airflow.conftest import ChainRig
from tests.airflow.mtls import (
    SECRET,
    mtls_connection,
    simulator_pki,
    suwinet,
    suwinet_simulator,
)

__all__ = ["simulator_pki", "suwinet", "suwinet_simulator"]

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

DAG_ID = "ketenbrug_suwinet"
BIJSTAND = "B1026"  # in mappings/suwinet_verrijking.csv
AANVRAAG = date(2024, 12, 15)


def task_states(airflow_home: Path, dag_id: str) -> dict[str, str]:
    """The task states of the DAG's latest run, from Airflow's own metadata database."""
    with sqlite3.connect(airflow_home / "airflow.db") as db:
        rows = db.execute(
            "SELECT task_id, state FROM task_instance WHERE dag_id = ? AND run_id = "
            "(SELECT run_id FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1)",
            (dag_id, dag_id),
        ).fetchall()
    return dict(rows)


def known_zaak(rig: ChainRig, zaak: str, zaaktype: str, bsn: str, day: date) -> str:
    """A zaak in the e-Suite simulator with ``bsn`` as initiator, as the zaken flow leaves it
    (known in the identity map)."""
    rig.esuite.app.store.create_zaak(  # type: ignore[attr-defined]
        Zaak(zaak, zaaktype, startdatum=day, registratiedatum=day, initiator_bsn=bsn)
    )
    with rig.store.session() as session:
        IdentityMap(session).register("zaak", "esuite", zaak)
    return zaak


def _zaak(rig: ChainRig, suwinet: SoapSimHandle, index: int) -> str:
    """A bijstandsaanvraag of synthetic client ``index``."""
    return known_zaak(
        rig, f"0153ESUITE{7_000_000 + index}", BIJSTAND, suwinet.known_bsn(index), AANVRAAG
    )


def _airflow(rig: ChainRig, suwinet: SoapSimHandle, *, linked: bool = True) -> LocalAirflow:
    ssd = {"conn_type": "http", "host": "127.0.0.1", "password": SECRET}  # only its key is read
    connections = {
        **connection_env("ketenbrug_ssd", ssd),
        **connection_env("ketenbrug_esuite", esuite_connection(rig.esuite.url)),
    }
    if linked:
        connections |= connection_env(
            "ketenbrug_suwinet", mtls_connection(suwinet, "/suwibroker/soap")
        )
    return rig.airflow(**connections)


def _calls(suwinet: SoapSimHandle) -> int:
    return sum(suwinet.state()["counts"].values())


def _suwinet_documents(rig: ChainRig, zaak: str) -> list[object]:
    documents = rig.esuite.app.store.documents_of(zaak)  # type: ignore[attr-defined]
    return [d for d in documents if d.document.titel == "Suwinet-gegevens bij de aanvraag"]


def test_a_new_aanvraag_gets_one_suwinet_document_and_a_rerun_asks_nothing(
    rig: ChainRig, suwinet: SoapSimHandle
) -> None:
    index = 3
    zaak = _zaak(rig, suwinet, index)
    airflow = _airflow(rig, suwinet)

    result = airflow.test_dag(DAG_ID)
    assert (result.returncode, result.state) == (0, "success"), result.log_path.read_text()[-3000:]
    assert task_states(rig.airflow_home, DAG_ID) == {
        "resend_requested": "success",
        "verrijken": "success",
    }
    assert len(_suwinet_documents(rig, zaak)) == 1
    asked = _calls(suwinet)
    assert asked == 2, "BRP and UWV, once each"

    again = airflow.test_dag(DAG_ID)
    assert again.state == "success", again.log_path.read_text()[-3000:]
    assert _calls(suwinet) == asked, "a second run asks Suwinet nothing"
    assert len(rig.esuite.app.store.documents_of(zaak)) == 1  # type: ignore[attr-defined]

    bsn = suwinet.known_bsn(index)
    queries = queries_about(rig.store, bsn, SECRET)
    assert len(queries) == 2 * asked and {q.zaak for q in queries} == {zaak}
    with rig.store.session() as session:
        assert len(session.scalars(select(DoelbindingEntry)).all()) == 2 * asked

    assert "suwinet-verrijking: 1 zaken bekeken" in result.log_path.read_text(), (
        "the run's log holds the task log lines"
    )
    logs = [result.log_path, *Path(rig.airflow_home, "logs").rglob("*")]
    for log in (p for p in logs if p.is_file()):
        assert bsn not in log.read_text(errors="ignore"), f"BSN in {log.name}"


def test_without_the_suwinet_connection_the_tasks_are_skipped_and_the_run_succeeds(
    rig: ChainRig, suwinet: SoapSimHandle
) -> None:
    zaak = _zaak(rig, suwinet, 4)

    result = _airflow(rig, suwinet, linked=False).test_dag(DAG_ID)

    assert (result.returncode, result.state) == (0, "success"), result.log_path.read_text()[-3000:]
    assert task_states(rig.airflow_home, DAG_ID) == {
        "resend_requested": "skipped",
        "verrijken": "skipped",
    }
    assert _calls(suwinet) == 0
    assert rig.esuite.app.store.documents_of(zaak) == []  # type: ignore[attr-defined]

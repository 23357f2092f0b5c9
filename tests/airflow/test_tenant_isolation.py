"""Several municipalities on one Airflow: nothing of one reaches another's systems.

Deventer and Raalte share one Ketenbrug (``KETENBRUG_TENANTS``) and have an e-Suite each. Each
municipality's GWS4all pushes into its own inbox; each runs its own zaken DAG, which reads its
own Connection (``ketenbrug_esuite_<code>``) and its own state store. After both runs each
e-Suite holds its own municipality's zaken and none of the other's, and each state store knows
only its own messages and deliveries.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from demo.airflow import LocalAirflow
from demo.run import esuite_connection
from simulators.esuite import make_esuite_server
from simulators.http import SimulatorServer
from sync.airflow_local import connection_env
from sync.blobs import BlobStore
from sync.config import load_settings
from sync.inbox import Inbox
from sync.store.db import open_store
from sync.store.models import InboxMessage, LedgerEntry
from tests.sync.messages import creeer_zaak

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

TENANTS = [
    {"code": "deventer", "naam": "Gemeente Deventer", "gemeentecode": "0150"},
    {"code": "raalte", "naam": "Gemeente Raalte", "gemeentecode": "0177"},
]
ZAKEN = {"deventer": ["0150Z-1", "0150Z-2", "0150Z-3"], "raalte": ["0177Z-1", "0177Z-2"]}


@pytest.fixture
def esuites() -> Iterator[dict[str, SimulatorServer]]:
    with make_esuite_server() as deventer, make_esuite_server() as raalte:
        yield {"deventer": deventer, "raalte": raalte}


def test_each_municipality_s_zaken_reach_its_own_esuite_only(
    tmp_path: Path, airflow_home: Path, esuites: dict[str, SimulatorServer]
) -> None:
    tenants_file = tmp_path / "tenants.json"
    tenants_file.write_text(json.dumps(TENANTS))
    env = {
        "KETENBRUG_TENANTS": str(tenants_file),
        "KETENBRUG_HOME": str(tmp_path / "home"),
        "KETENBRUG_PARTITIONS": "2",
    }
    for code, zaken in ZAKEN.items():
        settings = load_settings(env, tenant=code)
        store = open_store(settings)
        inbox = Inbox(store, blobs=BlobStore(settings.home / "blobs"), tenant=settings.tenant)
        for zaak in zaken:
            assert inbox.receive(creeer_zaak(zaak), "creeerZaak").status == 200
        store.dispose()

    for code in ZAKEN:
        env.update(connection_env(f"ketenbrug_esuite_{code}", esuite_connection(esuites[code].url)))
    airflow = LocalAirflow(airflow_home, extra_env=env)

    result = airflow.test_dag("ketenbrug_zaken_deventer")
    assert result.state == "success", result.log_path.read_text()[-3000:]
    assert _zaken(esuites["deventer"]) == set(ZAKEN["deventer"])
    assert _zaken(esuites["raalte"]) == set(), "Deventer's run wrote nothing to Raalte"

    result = airflow.test_dag("ketenbrug_zaken_raalte")
    assert result.state == "success", result.log_path.read_text()[-3000:]
    assert _zaken(esuites["raalte"]) == set(ZAKEN["raalte"])
    assert _zaken(esuites["deventer"]) == set(ZAKEN["deventer"]), "nor Raalte's to Deventer"

    for code, zaken in ZAKEN.items():
        store = open_store(load_settings(env, tenant=code))
        with store.session() as session:
            assert session.scalar(select(func.count()).select_from(InboxMessage)) == len(zaken)
            keys = set(session.scalars(select(LedgerEntry.target_key)))
        store.dispose()
        assert keys == set(zaken), f"{code}'s ledger holds its own zaken only"


def _zaken(esuite: SimulatorServer) -> set[str]:
    return set(esuite.app.store.snapshot()["zaken"])  # type: ignore[attr-defined]

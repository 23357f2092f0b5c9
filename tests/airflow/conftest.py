"""Airflow, really run: a migrated Airflow home shared by the module, fresh state per test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from demo.airflow import LocalAirflow
from demo.run import esuite_connection
from simulators.esuite import make_esuite_server
from simulators.faults import FaultConfig
from simulators.http import SimulatorServer
from sync.airflow_local import connection_env
from sync.blobs import BlobStore
from sync.inbox import Inbox
from sync.inbox_app import InboxServer
from sync.store.db import Store


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One Airflow metadata database (migrated, pools set) for the whole session."""
    home = tmp_path_factory.mktemp("airflow")
    LocalAirflow(home).prepare()
    return home


@dataclass
class ChainRig:
    """Everything one zaken-flow run needs: state store, inbox, e-Suite and Airflow."""

    store: Store
    inbox: InboxServer
    esuite: SimulatorServer
    home: Path
    airflow_home: Path

    def airflow(self, **extra_env: str) -> LocalAirflow:
        env = {
            "KETENBRUG_HOME": str(self.home),
            "KETENBRUG_DATABASE_URL": self.store.url,
            "KETENBRUG_BATCH_SIZE": "50",
            **connection_env("ketenbrug_esuite", esuite_connection(self.esuite.url)),
            **extra_env,
        }
        return LocalAirflow(self.airflow_home, extra_env=env)

    def esuite_counts(self) -> dict[str, object]:
        return dict(self.esuite.app.store.counts())  # type: ignore[attr-defined]


def make_rig(
    tmp_path: Path, airflow_home: Path, faults: FaultConfig | None = None
) -> Iterator[ChainRig]:
    store = Store(f"sqlite:///{tmp_path / 'state.db'}")
    store.migrate()
    with (
        make_esuite_server(faults=faults) as esuite,
        InboxServer(Inbox(store, blobs=BlobStore(tmp_path / "blobs"))) as inbox,
    ):
        yield ChainRig(store, inbox, esuite, tmp_path, airflow_home)
    store.dispose()


@pytest.fixture
def rig(tmp_path: Path, airflow_home: Path) -> Iterator[ChainRig]:
    yield from make_rig(tmp_path, airflow_home)

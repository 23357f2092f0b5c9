"""Shared fixtures: a fresh state store per test, on SQLite and (marked) on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from simulators.sftp.testing import (  # noqa: F401  (shared fixtures: the real sshd)
    sftp_area,
    sftp_connect,
    sshd_server,
    tcp_proxy,
)
from sync.store.db import Store

DEFAULT_PG_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
THROWAWAY_PG = Path(__file__).resolve().parents[1] / "scripts" / "throwaway-postgres.sh"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first, each group in its own order.

    Why: CI runs the suite on two workers (pytest-xdist, ``--dist worksteal``), which split
    the list in two and let an idle worker take half of the other's queue. Minutes-long
    Airflow runs at the end would leave one worker running them alone while the other idles.
    """
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def _pg_usable(url: str) -> bool:
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """The test PostgreSQL: KETENBRUG_TEST_PG_URL, else the one on 5432, else a throwaway cluster.

    ``./run test`` already sets KETENBRUG_TEST_PG_URL (starting a throwaway cluster itself when
    needed); this covers pytest run on its own. KETENBRUG_TEST_PG_THROWAWAY=1 forces the cluster.
    Never a skip: a machine without PostgreSQL gets one.
    """
    if os.environ.get("KETENBRUG_TEST_PG_URL"):
        yield os.environ["KETENBRUG_TEST_PG_URL"]
        return
    if not os.environ.get("KETENBRUG_TEST_PG_THROWAWAY") and _pg_usable(DEFAULT_PG_URL):
        yield DEFAULT_PG_URL
        return
    folder = tempfile.mkdtemp(prefix="ketenbrug-pg-", dir="/tmp")  # reachable by user postgres
    started = subprocess.run(
        ["bash", str(THROWAWAY_PG), "start", folder], capture_output=True, text=True, check=False
    )
    try:
        if started.returncode != 0:
            pytest.fail(f"no PostgreSQL for the tests: {started.stderr.strip()}")
        url = started.stdout.strip().splitlines()[-1]
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("KETENBRUG_TEST_PG_URL", url)  # for tests that start subprocesses
            yield url
    finally:
        subprocess.run(["bash", str(THROWAWAY_PG), "stop", folder], check=False)


def _pg_store(url: str) -> Iterator[Store]:
    """A throwaway schema in the test database, dropped afterwards."""
    schema = f"kb_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # pragma: no cover - a broken machine, not a skip
        pytest.fail(f"PostgreSQL at {url} not usable: {exc}")
    store = Store(f"{url}?options=-csearch_path%3D{schema}")
    store.migrate()
    try:
        yield store
    finally:
        store.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The state store, migrated, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        sqlite_store = Store(f"sqlite:///{tmp_path / 'state.db'}")
        sqlite_store.migrate()
        yield sqlite_store
        sqlite_store.dispose()
    else:
        yield from _pg_store(request.getfixturevalue("pg_url"))


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    sqlite_store = Store(f"sqlite:///{tmp_path / 'state.db'}")
    sqlite_store.migrate()
    yield sqlite_store
    sqlite_store.dispose()

"""Shared fixtures: a fresh state store per test, on SQLite and (marked) on PostgreSQL."""

from __future__ import annotations

import os
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

PG_URL = os.environ.get(
    "KETENBRUG_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
)


def _pg_store() -> Iterator[Store]:
    """A throwaway schema in the test database, dropped afterwards."""
    schema = f"kb_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # pragma: no cover - a broken machine, not a skip
        pytest.fail(f"PostgreSQL at {PG_URL} not usable: {exc}")
    store = Store(f"{PG_URL}?options=-csearch_path%3D{schema}")
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
        yield from _pg_store()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    sqlite_store = Store(f"sqlite:///{tmp_path / 'state.db'}")
    sqlite_store.migrate()
    yield sqlite_store
    sqlite_store.dispose()

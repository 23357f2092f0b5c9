"""The beheer app under test: a fake Airflow login by header, mounted under /beheer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.requests import Request

from sync.beheer import AuthRefused, BeheerConfig, Beheerder, create_app
from sync.store.db import Store
from tests.beheer.seed import mappings_copy

SECRET = b"test-secret"
BSN_KEY = b"test-bsn-key"


async def header_login(request: Request) -> Beheerder:
    """``X-Test-User: name:operate|view``; no header is not logged in, ``none`` a refused role."""
    value = request.headers.get("x-test-user")
    if not value:
        raise AuthRefused(401, "Log in bij Airflow om Ketenbrug beheer te gebruiken.")
    name, _, role = value.partition(":")
    if role == "none":
        raise AuthRefused(403, "Uw Airflow-rol geeft geen toegang tot Ketenbrug beheer.")
    return Beheerder(name=name, may_operate=role == "operate")


def make_client(store: Store, mappings: Path | None) -> TestClient:
    config = BeheerConfig(
        store=lambda: store,
        authenticate=header_login,
        secret=SECRET,
        bsn_key=BSN_KEY,
        mappings_dir=mappings,
    )
    host = FastAPI()
    host.mount("/beheer", create_app(config))
    return TestClient(host, follow_redirects=False)


@pytest.fixture
def mappings_dir(tmp_path: Path) -> Path:
    return mappings_copy(tmp_path / "mappings")


@pytest.fixture
def client(sqlite_store: Store, mappings_dir: Path) -> Iterator[TestClient]:
    with make_client(sqlite_store, mappings_dir) as test_client:
        yield test_client

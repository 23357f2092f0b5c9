"""Fixtures for the ZGW adapter's tests: its simulator on loopback, a config, a target."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.zgw.config import ZgwConfig
from adapters.zgw.target import ZgwTarget
from simulators.zgw import BRONORGANISATIE, CLIENT_ID, SECRET, ZgwServer, make_zgw_server


@pytest.fixture
def zgw() -> Iterator[ZgwServer]:
    """The ZGW simulator, fresh per test."""
    with make_zgw_server() as server:
        yield server  # type: ignore[misc]


def zgw_config(server: ZgwServer, *, secret: str = SECRET) -> ZgwConfig:
    return ZgwConfig(
        zaken_url=f"{server.url}/zaken/api/v1",
        documenten_url=f"{server.url}/documenten/api/v1",
        catalogi_url=f"{server.url}/catalogi/api/v1",
        client_id=CLIENT_ID,
        secret=secret,
        bronorganisatie=BRONORGANISATIE,
        verantwoordelijke_organisatie=BRONORGANISATIE,
        timeout_s=5,
    )


@pytest.fixture
def target(zgw: ZgwServer) -> Iterator[ZgwTarget]:
    built = ZgwTarget(zgw_config(zgw))
    yield built
    built.close()


def blob(folder: Path, data: bytes, name: str = "blob.pdf") -> dict[str, Any]:
    """A document's ``content`` part for ``data`` written under ``folder``."""
    path = folder / name
    path.write_bytes(data)
    return {"path": str(path), "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}

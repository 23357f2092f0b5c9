"""Fixtures for the question tests: the e-Suite simulator, an inbox that answers questions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.esuite.client import EsuiteClient
from adapters.esuite.config import EsuiteConfig
from mappings.tables import load_tables
from simulators.testing import SimulatorHandle, esuite, esuite_simulator  # noqa: F401
from stuf import Systeem
from sync.blobs import BlobStore
from sync.inbox import Inbox
from sync.store.db import Store
from sync.vragen import Vragen

BUDGET_S = 2.0


def make_vragen(store: Store, url: str, blob_root: Path, budget_s: float = BUDGET_S) -> Vragen:
    config = EsuiteConfig(
        url=url,
        zender=Systeem(organisatie="1900", applicatie="Ketenbrug"),
        ontvanger=Systeem(organisatie="0153", applicatie="e-Suite"),
        timeout_s=budget_s,
    )
    return Vragen(
        store, EsuiteClient(config), mappings=load_tables(), budget_s=budget_s, blob_root=blob_root
    )


@pytest.fixture
def vragen(store: Store, esuite: SimulatorHandle, tmp_path: Path) -> Iterator[Vragen]:  # noqa: F811
    answerer = make_vragen(store, esuite.url + "/zds", tmp_path / "blobs")
    yield answerer
    answerer.close()


@pytest.fixture
def inbox(store: Store, vragen: Vragen, tmp_path: Path) -> Inbox:
    return Inbox(store, blobs=BlobStore(tmp_path / "blobs"), questions=vragen.answer)

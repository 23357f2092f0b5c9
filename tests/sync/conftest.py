"""Fixtures the sync tests share: an e-Suite simulator and a mappings folder beheer may edit."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from mappings.tables import DEFAULT_DIR
from simulators.esuite import make_esuite_server
from simulators.http import SimulatorServer


@pytest.fixture
def esuite() -> Iterator[SimulatorServer]:
    """The e-Suite simulator (ZDS 1.2 over HTTP on loopback), fresh per test."""
    with make_esuite_server() as server:
        yield server


@pytest.fixture
def mappings_dir(tmp_path: Path) -> Path:
    """A copy of the shipped mapping tables (KETENBRUG_MAPPINGS_DIR) a test may add rows to."""
    folder = tmp_path / "mappings"
    folder.mkdir()
    for csv in DEFAULT_DIR.glob("*.csv"):
        shutil.copy(csv, folder / csv.name)
    return folder

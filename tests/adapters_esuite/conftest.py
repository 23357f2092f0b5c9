"""Fixtures for the e-Suite document tests: the real e-Suite simulator on loopback (ZDS + ZGW),
a config and target pointing at it, a zaak to hang documents on, and blobs on disk."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from adapters.base import Operation
from adapters.document import VOEG_ZAAKDOCUMENT_TOE
from adapters.esuite.archive import EsuiteArchive
from adapters.esuite.client import EsuiteClient
from adapters.esuite.config import EsuiteConfig
from adapters.esuite.document_target import EsuiteDocumentTarget
from simulators.testing import SimulatorHandle, esuite, esuite_simulator
from stuf import Systeem, Zaak

__all__ = ["esuite", "esuite_simulator"]  # the simulator fixtures, used by the tests here

ZAAK_ID = "0153ESUITE2000001"
KETENBRUG = Systeem("0153", "KETENBRUG")
ESUITE = Systeem("0153", "ESUITE")


def make_config(esuite: SimulatorHandle, **changes: Any) -> EsuiteConfig:
    settings: dict[str, Any] = {
        "url": f"{esuite.url}/zds",
        "zender": KETENBRUG,
        "ontvanger": ESUITE,
        "timeout_s": 5.0,
    }
    settings.update(changes)
    return EsuiteConfig(**settings)


def document_data(identificatie: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "identificatie": identificatie,
        "titel": "Beschikking levensonderhoud",
        "zaak_identificatie": ZAAK_ID,
        "documenttype": "Beschikking",
        "bestandsnaam": f"{identificatie}.pdf",
        "formaat": "application/pdf",
        "creatiedatum": "2025-03-04",
        "vertrouwelijkheid": "vertrouwelijk",
        "auteur": "Ketenbrug",
        "taal": "nld",
    }
    data.update(changes)
    return data


def operation(identificatie: str, path: Path, sha256: str, size: int, **doc: Any) -> Operation:
    """The operation the flow builds for delivering one document."""
    return Operation(
        target_system="esuite",
        name=VOEG_ZAAKDOCUMENT_TOE,
        ledger_key=f"doc:{identificatie}",
        target_key=identificatie,
        data={
            "document": document_data(identificatie, **doc),
            "content": {"path": str(path), "sha256": sha256, "size": size},
        },
    )


def write_blob(path: Path, content: bytes) -> tuple[Path, str]:
    path.write_bytes(content)
    return path, hashlib.sha256(content).hexdigest()


def write_big_blob(path: Path, size: int) -> str:
    """``size`` pseudo-random bytes written 1 MiB at a time; returns the sha256."""
    digest = hashlib.sha256()
    block = os.urandom(1 << 20)
    with path.open("wb") as out:
        written = 0
        while written < size:
            piece = block[: min(len(block), size - written)]
            piece = written.to_bytes(8, "big") + piece[8:] if len(piece) > 8 else piece
            digest.update(piece)
            out.write(piece)
            written += len(piece)
    return digest.hexdigest()


@pytest.fixture
def zaak(esuite: SimulatorHandle) -> str:
    """A zaak in the e-Suite to add documents to."""
    day = date(2025, 3, 3)
    esuite.store.create_zaak(Zaak(ZAAK_ID, "PW-LO-AANV", startdatum=day, registratiedatum=day))
    return ZAAK_ID


@pytest.fixture
def config(esuite: SimulatorHandle) -> EsuiteConfig:
    return make_config(esuite)


@pytest.fixture
def target(config: EsuiteConfig) -> Iterator[EsuiteDocumentTarget]:
    client = EsuiteClient(config)
    yield EsuiteDocumentTarget(client, retry_delay_s=0)
    client.close()


@pytest.fixture
def archive(config: EsuiteConfig) -> Iterator[EsuiteArchive]:
    archive = EsuiteArchive(config, page_wait_s=0.0)
    yield archive
    archive.close()


@pytest.fixture
def blob(tmp_path: Path) -> Callable[[bytes], tuple[Path, str]]:
    """``blob(content)``: the content in a file of this test; returns (path, sha256)."""
    counter = iter(range(1_000_000))

    def make(content: bytes) -> tuple[Path, str]:
        return write_blob(tmp_path / f"blob-{next(counter)}.bin", content)

    return make

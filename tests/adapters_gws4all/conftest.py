"""Fixtures for the doorgifte adapter: the GWS4all backoffice simulator on loopback, a client
and target pointing at it (recording what they send), a zaak and blobs on disk."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests

from adapters.base import Operation
from adapters.gws4all.outbound import Gws4allClient
from adapters.gws4all.outbound_config import Gws4allOutboundConfig
from adapters.gws4all.outbound_target import Gws4allTarget, document_operation, zaak_operation
from simulators.testing import (
    Gws4allBackofficeHandle,
    gws4all_backoffice,
    gws4all_backoffice_simulator,
)
from stuf import Zaak

__all__ = ["gws4all_backoffice", "gws4all_backoffice_simulator"]  # fixtures used by the tests

BSN = "111222333"
ZAAK_ID = "0153ESUITE1000077"
MB = 1 << 20
#: The ``blob`` fixture: ``blob(content)`` writes a file of the test, returns (path, sha256).
Blob = Callable[[bytes], tuple[Path, str]]


class _Head:
    """A streamed body that keeps a copy of its first bytes (enough for the stuurgegevens)."""

    def __init__(self, body: Any, keep: list[bytes]) -> None:
        self.body = body
        self.keep = keep

    def __len__(self) -> int:
        return len(self.body)

    def read(self, size: int = -1, /) -> bytes:
        data: bytes = self.body.read(size)
        if sum(map(len, self.keep)) < 8192:
            self.keep.append(data[:8192])
        return data


class RecordingSession(requests.Session):
    """Keeps (SOAPAction, first bytes of the body) of every POST; bodies are sent unchanged."""

    def __init__(self) -> None:
        super().__init__()
        self.trust_env = False
        self.sent: list[tuple[str, bytes]] = []

    def post(self, url: Any, data: Any = None, json: Any = None, **kwargs: Any) -> Any:
        action = str(kwargs.get("headers", {}).get("SOAPAction", "")).strip('"')
        if isinstance(data, bytes):
            self.sent.append((action, data))
            return super().post(url, data=data, json=json, **kwargs)
        keep: list[bytes] = []
        try:
            return super().post(url, data=_Head(data, keep), json=json, **kwargs)
        finally:
            self.sent.append((action, b"".join(keep)))


def make_config(backoffice: Gws4allBackofficeHandle, **changes: Any) -> Gws4allOutboundConfig:
    settings: dict[str, Any] = {"url": f"{backoffice.url}/stuf", "timeout_s": 5.0}
    settings.update(changes)
    return Gws4allOutboundConfig(**settings)


def new_zaak(identificatie: str = ZAAK_ID) -> Zaak:
    day = date(2026, 11, 30)
    return Zaak(
        identificatie=identificatie,
        zaaktype_code="PW-LO-AANV",
        omschrijving="Aanvraag levensonderhoud",
        startdatum=day,
        registratiedatum=day,
        initiator_bsn=BSN,
    )


def document_fields(identificatie: str, zaak_id: str = ZAAK_ID) -> dict[str, Any]:
    return {
        "identificatie": identificatie,
        "titel": "Aanvraagformulier",
        "zaak_identificatie": zaak_id,
        "documenttype": "Aanvraagformulier",
        "bestandsnaam": f"{identificatie}.pdf",
        "formaat": "application/pdf",
        "creatiedatum": "2026-11-30",
        "vertrouwelijkheid": "vertrouwelijk",
        "auteur": "e-Suite",
        "taal": "nld",
    }


def doc_operation(identificatie: str, path: Path, sha256: str, size: int) -> Operation:
    content = {"path": str(path), "sha256": sha256, "size": size}
    return document_operation(document_fields(identificatie), content)


def write_big_blob(path: Path, size: int) -> str:
    """``size`` pseudo-random bytes written 1 MiB at a time; returns the sha256."""
    digest = hashlib.sha256()
    block = os.urandom(MB)
    with path.open("wb") as out:
        written = 0
        while written < size:
            piece = written.to_bytes(8, "big") + block[8 : min(MB, size - written)]
            digest.update(piece)
            out.write(piece)
            written += len(piece)
    return digest.hexdigest()


@pytest.fixture
def session() -> Iterator[RecordingSession]:
    recording = RecordingSession()
    yield recording
    recording.close()


@pytest.fixture
def client(gws4all_backoffice: Gws4allBackofficeHandle, session: RecordingSession) -> Gws4allClient:
    return Gws4allClient(make_config(gws4all_backoffice), session=session)


@pytest.fixture
def target(client: Gws4allClient) -> Gws4allTarget:
    return Gws4allTarget(client)


@pytest.fixture
def zaak_op() -> Operation:
    return zaak_operation(new_zaak())


@pytest.fixture
def blob(tmp_path: Path) -> Blob:
    """``blob(content)``: the content in a file of this test; returns (path, sha256)."""
    counter = iter(range(1_000_000))

    def make(content: bytes) -> tuple[Path, str]:
        path = tmp_path / f"blob-{next(counter)}.pdf"
        path.write_bytes(content)
        return path, hashlib.sha256(content).hexdigest()

    return make

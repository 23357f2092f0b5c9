"""Fixtures for the betaalspecificaties flow: the SSD simulator over real mTLS (test CA), the
e-Suite simulator, zaken of the routed zaaktype with their clients, and the runner's clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from adapters.esuite.client import EsuiteClient
from adapters.esuite.config import EsuiteConfig
from adapters.esuite.document_target import EsuiteDocumentTarget
from adapters.ssd.client import SsdClient
from adapters.ssd.config import SsdConfig
from simulators.testing import SimulatorHandle, esuite, esuite_simulator
from simulators.tls_testing import SoapSimHandle, simulator_pki, ssd, ssd_simulator
from stuf import Systeem, Zaak
from sync.config import Settings
from sync.engine import RetryPolicy
from sync.identity import IdentityMap
from sync.store.db import Store

__all__ = ["esuite", "esuite_simulator", "simulator_pki", "ssd", "ssd_simulator"]

SECRET = "test-geheim-voor-hmac"
FAST = RetryPolicy(attempts=3, wait_base_s=0.01, wait_max_s=0.05)


def ssd_config(ssd: SoapSimHandle, **changes: Any) -> SsdConfig:
    cert, key = ssd.pki.client.as_requests_cert
    settings: dict[str, Any] = {
        "url": ssd.url + "/SSD/UitkeringsSpecificatieClient-v0600",
        "client_cert": cert,
        "client_key": key,
        "verify": str(ssd.pki.ca_file),
        "timeout_s": 10.0,
    }
    settings.update(changes)
    return SsdConfig(**settings)


@pytest.fixture
def ssd_client(ssd: SoapSimHandle) -> Iterator[SsdClient]:
    client = SsdClient(ssd_config(ssd))
    yield client
    client.close()


@pytest.fixture
def esuite_target(esuite: SimulatorHandle) -> Iterator[EsuiteDocumentTarget]:
    config = EsuiteConfig(
        url=f"{esuite.url}/zds",
        zender=Systeem("0153", "KETENBRUG"),
        ontvanger=Systeem("0153", "ESUITE"),
        timeout_s=5.0,
    )
    client = EsuiteClient(config)
    yield EsuiteDocumentTarget(client, retry_delay_s=0)
    client.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", database_url="sqlite://")


@pytest.fixture
def make_zaken(
    esuite: SimulatorHandle, ssd: SoapSimHandle, store: Store
) -> Callable[..., list[str]]:
    """``make_zaken(indexes, zaaktype)``: per synthetic client a zaak in the e-Suite, with that
    client as initiator, known in the identity map (as the zaken flow leaves it)."""

    def make(indexes: list[int], zaaktype: str = "B1026") -> list[str]:
        day = date(2024, 1, 15)
        made = []
        with store.session() as session:
            identity = IdentityMap(session)
            for index in indexes:
                zaak = f"0153ESUITE{9_000_000 + index}"
                esuite.store.create_zaak(
                    Zaak(
                        zaak,
                        zaaktype,
                        startdatum=day,
                        registratiedatum=day,
                        initiator_bsn=ssd.data.client(index).bsn,
                    )
                )
                identity.register("zaak", "esuite", zaak)
                made.append(zaak)
        return made

    return make

"""Fixtures for the suwinet-verrijking flow: the Suwinet simulator over real mTLS (test CA), the
e-Suite simulator, and zaken of a zaaktype with a synthetic client as initiator."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest

from adapters.esuite.document_target import EsuiteDocumentTarget
from adapters.suwinet.client import SuwinetClient
from adapters.suwinet.config import SuwinetConfig
from simulators.suwinet_data import uwv_income
from simulators.testing import SimulatorHandle, esuite, esuite_simulator
from simulators.tls_testing import SoapSimHandle, simulator_pki, suwinet, suwinet_simulator
from stuf import Zaak
from sync.config import Settings
from sync.engine import RetryPolicy
from sync.identity import IdentityMap
from sync.store.db import Store
from sync.suwinet import run_suwinet, run_suwinet_resends
from tests.flows_betaal.conftest import esuite_target, settings

__all__ = [
    "esuite",
    "esuite_simulator",
    "esuite_target",
    "settings",
    "simulator_pki",
    "suwinet",
    "suwinet_simulator",
]

SECRET = "test-geheim-voor-hmac"
FAST = RetryPolicy(attempts=3, wait_base_s=0.01, wait_max_s=0.05)
#: The aanvraag date: Suwinet is asked for the twelve months before it.
AANVRAAG = date(2024, 12, 15)
BIJSTAND = "B1026"


def with_income(data: Any, *, wanted: bool) -> int:
    """A synthetic client with (or without) UWV income in the asked period."""
    for index in range(200):
        income = uwv_income(data.client(index))
        if (income is not None and income[3] <= AANVRAAG) == wanted:
            return index
    raise AssertionError("no such client in the synthetic data")


@pytest.fixture
def suwinet_client(suwinet: SoapSimHandle) -> Iterator[SuwinetClient]:
    cert, key = suwinet.pki.client.as_requests_cert
    client = SuwinetClient(
        SuwinetConfig(
            url=suwinet.url + "/suwibroker/soap",
            client_cert=cert,
            client_key=key,
            verify=str(suwinet.pki.ca_file),
            timeout_s=10.0,
        )
    )
    yield client
    client.close()


@pytest.fixture
def make_zaak(esuite: SimulatorHandle, suwinet: SoapSimHandle, store: Store) -> Callable[..., str]:
    """``make_zaak(index, zaaktype)``: a zaak in the e-Suite with synthetic client ``index`` as
    initiator, known in the identity map (as the zaken flow leaves it)."""

    esuite.store.keep_content = True

    def make(index: int, zaaktype: str = BIJSTAND) -> str:
        zaak = f"0153ESUITE{8_000_000 + index}"
        esuite.store.create_zaak(
            Zaak(
                zaak,
                zaaktype,
                startdatum=AANVRAAG,
                registratiedatum=AANVRAAG,
                initiator_bsn=suwinet.data.client(index).bsn,
            )
        )
        with store.session() as session:
            IdentityMap(session).register("zaak", "esuite", zaak)
        return zaak

    return make


@pytest.fixture
def run(
    suwinet_client: SuwinetClient,
    esuite_target: EsuiteDocumentTarget,
    store: Store,
    settings: Settings,
) -> Callable[..., dict[str, object]]:
    """``run()`` the task, ``run(resends=True)`` the resend task, against the simulators."""

    def call(*, resends: bool = False, **extra: Any) -> dict[str, object]:
        task = run_suwinet_resends if resends else run_suwinet
        return task(
            **extra,
            suwinet=suwinet_client,
            zaaksysteem=esuite_target,
            lezer=esuite_target.client,
            secret=SECRET,
            settings=settings,
            store=store,
            retry=FAST,
        )

    return call

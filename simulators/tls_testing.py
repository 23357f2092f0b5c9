"""pytest fixtures for the HTTPS simulators (GWS4all SSD, Suwinet) and their test PKI.

Import them into a conftest::

    from simulators.tls_testing import simulator_pki, ssd, ssd_simulator, suwinet, suwinet_simulator

``simulator_pki`` is one throwaway CA per session (RSA keys take a moment to make).
``ssd_simulator``/``suwinet_simulator`` are one started server each for the session (seed 0,
1,000 clients); ``ssd``/``suwinet`` hand them out per test with quiet faults and an empty audit
trail. Use :meth:`SoapSimHandle.requests_kwargs` per request: ``requests`` lets the environment's
``REQUESTS_CA_BUNDLE`` override ``Session.verify`` (psf/requests#3829), per-request ``verify``
always wins.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from simulators.faults import FaultConfig
from simulators.ssd import SCHEMA_DIR as SSD_SCHEMAS
from simulators.ssd import SsdApp, make_ssd_server
from simulators.suwinet import SCHEMA_DIR as SUWINET_SCHEMAS
from simulators.suwinet import SuwinetApp, make_suwinet_server
from simulators.synthetic import SyntheticData
from simulators.tls import CertPair, SimulatorPki, TlsSimulatorServer

__all__ = [
    "SoapSimHandle",
    "simulator_pki",
    "ssd",
    "ssd_simulator",
    "suwinet",
    "suwinet_simulator",
]

CLIENT_COUNT = 1_000


@dataclass
class SoapSimHandle:
    """A running HTTPS SOAP simulator as a test sees it."""

    server: TlsSimulatorServer
    pki: SimulatorPki
    data: SyntheticData
    schema_dir: Path

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def app(self) -> SsdApp | SuwinetApp:
        app = self.server.app
        assert isinstance(app, SsdApp | SuwinetApp)
        return app

    def requests_kwargs(self, client: CertPair | None = None) -> dict[str, Any]:
        """``cert=``/``verify=`` for ``requests`` with the session's client certificate."""
        return self.pki.requests_kwargs(client)

    def post(self, path: str, body: bytes, **kwargs: Any) -> requests.Response:
        """POST a SOAP 1.1 envelope with the default client certificate."""
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}
        return requests.post(
            self.url + path,
            data=body,
            headers=headers,
            timeout=kwargs.pop("timeout", 10),
            **{**self.requests_kwargs(), **kwargs},
        )

    def known_bsn(self, index: int = 0) -> str:
        """The BSN of synthetic client ``index`` (one the simulator knows)."""
        return self.data.client(index).bsn

    def set_faults(self, config: FaultConfig | None = None, **settings: Any) -> None:
        self.server.faults.configure(config or FaultConfig.from_dict(settings))

    def state(self) -> dict[str, Any]:
        return self.app.state()

    def reset(self) -> None:
        self.server.faults.configure(FaultConfig())
        self.app.reset()


@pytest.fixture(scope="session")
def simulator_pki(tmp_path_factory: pytest.TempPathFactory) -> SimulatorPki:
    """A test CA with a loopback server certificate and a ``client`` certificate."""
    return SimulatorPki.create(tmp_path_factory.mktemp("simulator-pki"))


@pytest.fixture(scope="session")
def ssd_simulator(simulator_pki: SimulatorPki) -> Iterator[SoapSimHandle]:
    """One GWS4all SSD simulator (mTLS, seed 0, 1,000 clients) for the test session."""
    data = SyntheticData(0)
    with make_ssd_server(tls=simulator_pki, data=data, client_count=CLIENT_COUNT) as server:
        assert isinstance(server, TlsSimulatorServer)
        yield SoapSimHandle(server, simulator_pki, data, SSD_SCHEMAS)


@pytest.fixture
def ssd(ssd_simulator: SoapSimHandle) -> Iterator[SoapSimHandle]:
    """The session's SSD simulator without faults and with an empty audit trail."""
    ssd_simulator.reset()
    yield ssd_simulator
    ssd_simulator.reset()


@pytest.fixture(scope="session")
def suwinet_simulator(simulator_pki: SimulatorPki) -> Iterator[SoapSimHandle]:
    """One Suwinet-Inkijk simulator (mTLS, seed 0, 1,000 clients) for the test session."""
    data = SyntheticData(0)
    with make_suwinet_server(tls=simulator_pki, data=data, client_count=CLIENT_COUNT) as server:
        assert isinstance(server, TlsSimulatorServer)
        yield SoapSimHandle(server, simulator_pki, data, SUWINET_SCHEMAS)


@pytest.fixture
def suwinet(suwinet_simulator: SoapSimHandle) -> Iterator[SoapSimHandle]:
    """The session's Suwinet simulator without faults and with an empty audit trail."""
    suwinet_simulator.reset()
    yield suwinet_simulator
    suwinet_simulator.reset()

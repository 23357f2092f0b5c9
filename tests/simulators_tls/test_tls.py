"""The test PKI and mutual TLS: no certificate, or one from another CA, never gets an answer."""

from __future__ import annotations

import ssl
import stat
import time
from pathlib import Path

import pytest
import requests

from simulators.tls import SimulatorPki
from simulators.tls_testing import SoapSimHandle
from tests.simulators_tls.envelopes import brp


def test_pki_files_and_key_permissions(simulator_pki: SimulatorPki) -> None:
    folder = simulator_pki.directory
    for name in ("ca.pem", "ca.key", "server.pem", "server.key", "client.pem", "client.key"):
        assert (folder / name).is_file(), name
    for key in folder.glob("*.key"):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key.name


def test_server_context_requires_client_certificate(simulator_pki: SimulatorPki) -> None:
    context = simulator_pki.server_context()
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2


def test_load_or_create_reuses_an_existing_ca(tmp_path: Path) -> None:
    first = SimulatorPki.create(tmp_path)
    again = SimulatorPki.load_or_create(tmp_path)
    assert again.ca_file.read_bytes() == first.ca_file.read_bytes()


def test_valid_client_certificate_is_served(suwinet: SoapSimHandle) -> None:
    response = suwinet.post("/suwibroker/soap/BRPDossierPersoonGSD-v0200", brp(suwinet.known_bsn()))
    assert response.status_code == 200
    assert suwinet.state()["calls"][-1]["client_cn"] == "Ketenbrug client"


def test_client_without_certificate_is_refused_at_handshake(suwinet: SoapSimHandle) -> None:
    before = suwinet.server.refused
    with pytest.raises(requests.exceptions.SSLError):
        requests.post(
            suwinet.url + "/suwibroker/soap/BRPDossierPersoonGSD-v0200",
            data=brp(suwinet.known_bsn()),
            verify=str(suwinet.pki.ca_file),
            timeout=5,
        )
    assert suwinet.state()["calls"] == []  # the app never saw the request
    deadline = time.monotonic() + 2  # the server thread counts just after the client gave up
    while suwinet.server.refused == before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert suwinet.server.refused == before + 1


def test_certificate_from_another_ca_is_refused(suwinet: SoapSimHandle, tmp_path: Path) -> None:
    stranger = SimulatorPki.create(tmp_path / "other-ca")
    with pytest.raises(requests.exceptions.SSLError):
        requests.post(
            suwinet.url + "/suwibroker/soap/BRPDossierPersoonGSD-v0200",
            data=brp(suwinet.known_bsn()),
            cert=stranger.client.as_requests_cert,
            verify=str(suwinet.pki.ca_file),
            timeout=5,
        )
    assert suwinet.state()["calls"] == []


def test_extra_client_certificate_from_our_ca_is_accepted(suwinet: SoapSimHandle) -> None:
    beheer = suwinet.pki.issue("beheer")
    response = requests.post(
        suwinet.url + "/suwibroker/soap/BRPDossierPersoonGSD-v0200",
        data=brp(suwinet.known_bsn()),
        timeout=5,
        **suwinet.requests_kwargs(beheer),
    )
    assert response.status_code == 200
    assert suwinet.state()["calls"][-1]["client_cn"] == "Ketenbrug beheer"


def test_client_refuses_a_server_it_does_not_trust(ssd: SoapSimHandle, tmp_path: Path) -> None:
    stranger = SimulatorPki.create(tmp_path / "other-ca")
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(
            ssd.url + "/_admin/state",
            cert=ssd.pki.client.as_requests_cert,
            verify=str(stranger.ca_file),
            timeout=5,
        )

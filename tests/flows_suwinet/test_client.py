"""The Suwinet client's errors, by what beheer can do about them (real mTLS, the simulator)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.errors import ConfigError
from adapters.suwinet.client import SuwinetClient, SuwinetFwiError, SuwinetRejectedError
from adapters.suwinet.config import SuwinetConfig
from simulators.tls import SimulatorPki
from simulators.tls_testing import SoapSimHandle


def _client(suwinet: SoapSimHandle, verify: str) -> SuwinetClient:
    cert, key = suwinet.pki.client.as_requests_cert
    return SuwinetClient(
        SuwinetConfig(
            url=suwinet.url + "/suwibroker/soap", client_cert=cert, client_key=key, verify=verify
        )
    )


@pytest.fixture
def client(suwinet: SoapSimHandle) -> Iterator[SuwinetClient]:
    made = _client(suwinet, str(suwinet.pki.ca_file))
    yield made
    made.close()


def test_a_soap_fault_with_fwi_detail_is_an_fwi_error_with_code(
    suwinet: SoapSimHandle, client: SuwinetClient
) -> None:
    suwinet.set_faults(permanent_rate=1.0, permanent_variants=("soap_fault",))
    with pytest.raises(SuwinetFwiError) as caught:
        client.persoon(suwinet.known_bsn(3))
    assert caught.value.code == "FWI0001" and caught.value.reason == "suwinet_fwi"


def test_an_unreadable_answer_is_rejected_without_the_bsn(
    suwinet: SoapSimHandle, client: SuwinetClient
) -> None:
    suwinet.set_faults(permanent_rate=1.0, permanent_variants=("schema_invalid",))
    with pytest.raises(SuwinetRejectedError) as caught:
        client.persoon(suwinet.known_bsn(3))
    assert "ketenbrug_suwinet" in str(caught.value)
    assert suwinet.known_bsn(3) not in str(caught.value)


def test_a_server_certificate_of_another_ca_names_the_connection(
    suwinet: SoapSimHandle, tmp_path: Path
) -> None:
    other = SimulatorPki.create(tmp_path / "other-ca")
    made = _client(suwinet, str(other.ca_file))
    with pytest.raises(ConfigError, match=r"Connection ketenbrug_suwinet: .*wrong CA"):
        made.persoon(suwinet.known_bsn(3))
    made.close()
    assert suwinet.state()["counts"] == {}

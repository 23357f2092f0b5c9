"""The mTLS registers (Suwinet-Inkijk, GWS4all SSD) as Airflow Connections, for the DAG tests.

Re-exports the session simulators and their test CA (``simulators.tls_testing``) so a test
module imports its fixtures from here, and builds the Connection a register's hook reads.
"""

from __future__ import annotations

from simulators.tls_testing import (
    SoapSimHandle,
    simulator_pki,
    ssd,
    ssd_simulator,
    suwinet,
    suwinet_simulator,
)

__all__ = [
    "SECRET",
    "mtls_connection",
    "simulator_pki",
    "ssd",
    "ssd_simulator",
    "suwinet",
    "suwinet_simulator",
]

#: The pseudonymisation key: the password of ``ketenbrug_ssd`` (at least 16 characters).
SECRET = "airflow-test-geheim-voor-hmac"


def mtls_connection(handle: SoapSimHandle, path: str, **extra: object) -> dict[str, object]:
    """The Connection (JSON form) of an mTLS simulator: the test CA, the client certificate."""
    host, _, port = handle.url.removeprefix("https://").partition(":")
    cert, key = handle.pki.client.as_requests_cert
    return {
        "conn_type": "http",
        "host": host,
        "port": int(port),
        "password": SECRET,
        "extra": {
            "path": path,
            "client_cert": cert,
            "client_key": key,
            "verify": str(handle.pki.ca_file),
            "timeout_s": 10,
            **extra,
        },
    }

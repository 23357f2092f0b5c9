"""The certificate verdicts the SSD and Suwinet clients share (adapters/soap_mtls.py)."""

from __future__ import annotations

import pytest

from adapters.soap_mtls import WRONG_CA, tls_problem


@pytest.mark.parametrize(
    ("message", "verdict"),
    [
        ("[SSL: CERTIFICATE_VERIFY_FAILED] certificate has expired", "certificaat verlopen"),
        ("certificate is not yet valid (_ssl.c:1006)", "certificaat nog niet geldig"),
        ("Hostname mismatch, certificate is not valid for 'x'".lower(), "servernaam past niet"),
        ("tlsv1 alert unknown ca (_ssl.c:2580)", WRONG_CA),
        ("self-signed certificate in certificate chain", WRONG_CA),
        ("unable to get local issuer certificate", WRONG_CA),
        ("sslv3 alert bad certificate", "ons clientcertificaat geweigerd"),
    ],
)
def test_each_certificate_problem_gets_its_one_line_verdict(message: str, verdict: str) -> None:
    found = tls_problem(message)
    assert found is not None and found.startswith(verdict)


def test_a_broken_line_is_no_certificate_problem_and_a_register_may_add_its_own() -> None:
    assert tls_problem("connection reset by peer") is None
    assert tls_problem("certificate signature failure") is None
    assert tls_problem("certificate signature failure", [("signature failure", "x")]) == "x"

"""The certificate verdicts the SSD and Suwinet clients share (adapters/soap_mtls.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from adapters.soap_mtls import WRONG_CA, expiry_warning, expiry_warnings, tls_problem
from adapters.ssd.config import SsdConfig
from sync.drain import start_run
from sync.notify import run_story
from sync.store.db import Store
from sync.summary import flow_report, format_report


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


def _certificate(directory: Path, *, expires_in: dt.timedelta) -> Path:
    """A self-signed client certificate that expires ``expires_in`` from now."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ketenbrug-test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=400))
        .not_valid_after(now + expires_in)
        .sign(key, hashes.SHA256())
    )
    path = directory / f"client-{expires_in.days}.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def _config(cert: Path | str) -> SsdConfig:
    return SsdConfig(url="https://ssd.example/", client_cert=str(cert), client_key="key.pem")


def test_a_certificate_expiring_within_30_days_is_named_with_its_connection_and_date(
    tmp_path: Path,
) -> None:
    soon = _certificate(tmp_path, expires_in=dt.timedelta(days=12, hours=1))
    warning = expiry_warning(_config(soon))
    assert warning is not None
    assert warning.startswith("Connection ketenbrug_ssd: clientcertificaat verloopt op ")
    assert "over 12 dag(en)" in warning


def test_a_certificate_good_for_longer_than_30_days_gives_no_warning(tmp_path: Path) -> None:
    assert expiry_warning(_config(_certificate(tmp_path, expires_in=dt.timedelta(days=31)))) is None


def test_an_expired_or_unreadable_certificate_is_named_too(tmp_path: Path) -> None:
    expired = _certificate(tmp_path, expires_in=dt.timedelta(days=-3))
    assert "is verlopen op" in str(expiry_warning(_config(expired)))
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("geen certificaat")
    assert "niet te lezen" in str(expiry_warning(_config(garbage)))
    assert "niet te lezen" in str(expiry_warning(_config(tmp_path / "missing.pem")))


def test_the_warning_reaches_the_run_note_and_the_summary_of_the_newest_run(
    tmp_path: Path, store: Store
) -> None:
    soon = expiry_warnings([_config(_certificate(tmp_path, expires_in=dt.timedelta(days=5)))])
    start_run(store, "gws4all", "airflow:oud", flow="betaalspecificaties", warnings=soon)
    assert (
        "**let op**: Connection ketenbrug_ssd"
        in run_story(store, "betaalspecificaties", "oud").note()
    )
    report = flow_report(store, "betaalspecificaties")
    assert "  let op: Connection ketenbrug_ssd" in format_report("betaalspecificaties", report)

    start_run(store, "gws4all", "airflow:nieuw", flow="betaalspecificaties")
    assert "let op" not in run_story(store, "betaalspecificaties", "nieuw").note()
    renewed = format_report("betaalspecificaties", flow_report(store, "betaalspecificaties"))
    assert "let op" not in renewed, "a renewed certificate: the old warning is no news"

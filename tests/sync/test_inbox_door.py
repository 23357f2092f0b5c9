"""The inbox's door: TLS, mTLS per sender, basic auth, the zender check, Content-Type,
SOAPAction, body size and a Fo02/503 for anything unexpected (issue 11, items 10 and 11)."""

from __future__ import annotations

import hashlib
import json
import logging
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import func, select

from simulators.gws4all import push_scenario
from simulators.tls import CertPair, SimulatorPki
from simulators.tls_testing import simulator_pki  # noqa: F401  (session CA)
from stuf import Fout, Systeem, parse_message
from sync.blobs import BlobStore
from sync.inbox import Inbox
from sync.inbox_app import Door, InboxServer
from sync.inbox_door import hash_password, load_senders
from sync.inbox_guard import DoorLimits, server_tls_context
from sync.store.db import Store
from sync.store.models import InboxMessage
from tests.sync import messages
from tests.sync.messages import BSN, creeer_zaak

PASSWORD = "correct-horse-battery-staple"
ACTION_CREEER = "http://www.egem.nl/StUF/sector/zkn/0310/creeerZaak_Lk01"
ACTION_DOCUMENT = "http://www.egem.nl/StUF/sector/zkn/0310/voegZaakdocumentToe_Lk01"
XML = {"Content-Type": "text/xml; charset=utf-8"}


def fingerprint(pair: CertPair) -> str:
    cert = x509.load_pem_x509_certificate(pair.cert.read_bytes())
    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()


@pytest.fixture(scope="module")
def certs(simulator_pki: SimulatorPki) -> dict[str, CertPair]:  # noqa: F811
    return {name: simulator_pki.issue(name) for name in ("gws4all", "stranger", "cnsender")}


@pytest.fixture(scope="module")
def senders_file(tmp_path_factory: pytest.TempPathFactory, certs: dict[str, CertPair]) -> Path:
    gws = {"organisatie": "1900", "applicatie": "GWS4all"}
    senders = [
        {"name": "gws4all", "zender": [gws], "certificate_sha256": fingerprint(certs["gws4all"])},
        {"name": "by-cn", "zender": [gws], "certificate_cn": "Ketenbrug cnsender"},
        {
            "name": "legacy",
            "zender": [{"organisatie": "1900", "applicatie": "LEGACY"}],
            "username": "legacy",
            "password_hash": hash_password(PASSWORD),
        },
    ]
    path = tmp_path_factory.mktemp("door") / "senders.json"
    path.write_text(json.dumps({"senders": senders}))
    return path


class Rig:
    def __init__(self, server: InboxServer, store: Store, pki: SimulatorPki) -> None:
        self.server, self.store, self.pki = server, store, pki

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def port(self) -> int:
        return int(self.url.rstrip("/").rsplit(":", 1)[1])

    def post(self, body: bytes, *, cert: CertPair | None = None, **kwargs: Any) -> Any:
        kwargs.setdefault("headers", XML)
        if cert is not None:
            kwargs["cert"] = cert.as_requests_cert
        return requests.post(
            self.url, data=body, verify=str(self.pki.ca_file), timeout=20, **kwargs
        )

    def stored(self) -> int:
        with self.store.session() as session:
            return session.scalar(select(func.count(InboxMessage.id))) or 0


def make_rig(
    tmp_path: Path, pki: SimulatorPki, senders_file: Path, limits: DoorLimits, inbox: Any = None
) -> Iterator[Rig]:
    store = Store(f"sqlite:///{tmp_path / 'state.db'}")
    store.migrate()
    inbox = inbox or Inbox(store, blobs=BlobStore(tmp_path / "blobs"))
    door = Door(senders=load_senders(senders_file), limits=limits)
    tls = server_tls_context(pki.server.cert, pki.server.key, pki.ca_file)
    with InboxServer(inbox, door=door, tls=tls) as server:
        yield Rig(server, store, pki)
    store.dispose()


@pytest.fixture
def rig(tmp_path: Path, simulator_pki: SimulatorPki, senders_file: Path) -> Iterator[Rig]:  # noqa: F811
    yield from make_rig(tmp_path, simulator_pki, senders_file, DoorLimits(max_body_bytes=1 << 20))


def fout(response: requests.Response) -> Fout:
    assert response.headers["content-type"].startswith("text/xml")
    answer = parse_message(response.content)
    assert isinstance(answer, Fout), answer
    return answer


# -- authentication ----------------------------------------------------------------------------


def test_the_configured_client_certificate_pushes(rig: Rig, certs: dict[str, CertPair]) -> None:
    response = rig.post(creeer_zaak("1900Z-1"), cert=certs["gws4all"])
    assert response.status_code == 200, response.text
    assert b"Bv03" in response.content
    assert rig.stored() == 1


def test_a_certificate_known_by_its_common_name_pushes(
    rig: Rig, certs: dict[str, CertPair]
) -> None:
    assert rig.post(creeer_zaak("1900Z-1"), cert=certs["cnsender"]).status_code == 200


def test_no_credentials_is_401_with_a_fo_and_a_log_line_without_the_body(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        response = rig.post(creeer_zaak("1900Z-1"))
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Basic")
    assert fout(response).berichtcode == "Fo01"
    assert rig.stored() == 0
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refused) == 1 and "401" in refused[0]
    assert BSN not in caplog.text and "1900Z-1" not in caplog.text


def test_a_certificate_of_our_ca_that_no_sender_claims_is_403(
    rig: Rig, certs: dict[str, CertPair]
) -> None:
    response = rig.post(creeer_zaak("1900Z-1"), cert=certs["stranger"])
    assert response.status_code == 403
    assert fout(response).berichtcode == "Fo01"
    assert rig.stored() == 0


def test_a_certificate_of_another_ca_fails_the_handshake(rig: Rig, tmp_path: Path) -> None:
    other = SimulatorPki.create(tmp_path / "other-ca")
    # TLS 1.3: the client may learn it only when the server drops the connection after
    # the handshake (ConnectionError); TLS 1.2: in the handshake (SSLError, a subclass)
    with pytest.raises(requests.exceptions.ConnectionError):
        rig.post(creeer_zaak("1900Z-1"), cert=other.client)
    assert rig.stored() == 0


def test_plain_http_to_the_tls_port_gets_no_answer(rig: Rig) -> None:
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(
            rig.url.replace("https", "http"), data=creeer_zaak("1900Z-1"), headers=XML, timeout=5
        )
    assert rig.stored() == 0


def test_basic_auth_over_tls(rig: Rig) -> None:
    legacy = Systeem(organisatie="1900", applicatie="LEGACY")
    body = creeer_zaak("1900Z-1").replace(b"GWS4all", legacy.applicatie.encode(), 1)
    assert rig.post(body, auth=("legacy", PASSWORD)).status_code == 200
    assert rig.post(body, auth=("legacy", PASSWORD + "x")).status_code == 401
    assert rig.post(body, auth=("nobody", PASSWORD)).status_code == 401
    assert rig.stored() == 1


# -- the zender must be the sender's -----------------------------------------------------------


def test_a_zender_the_sender_may_not_use_is_403_and_not_stored(
    rig: Rig, certs: dict[str, CertPair]
) -> None:
    spoofed = creeer_zaak("1900Z-1").replace(b">GWS4all<", b">LEGACY<", 1)
    response = rig.post(spoofed, cert=certs["gws4all"])
    assert response.status_code == 403
    assert "zender" in fout(response).omschrijving
    # and the other way round: the basic-auth sender may not pose as GWS4all
    assert rig.post(creeer_zaak("1900Z-2"), auth=("legacy", PASSWORD)).status_code == 403
    assert rig.stored() == 0


def test_the_zender_is_checked_behind_a_large_soap_header(
    rig: Rig, certs: dict[str, CertPair]
) -> None:
    padding = b"<soapenv:Header><x>" + b"p" * 200_000 + b"</x></soapenv:Header>"
    spoofed = creeer_zaak("1900Z-1").replace(b">GWS4all<", b">LEGACY<", 1)
    padded = spoofed.replace(b"<soapenv:Body>", padding + b"<soapenv:Body>", 1)
    assert rig.post(padded, cert=certs["gws4all"]).status_code == 403
    assert rig.stored() == 0


def test_a_broken_message_of_a_known_sender_is_still_kept_as_a_dead_letter(
    rig: Rig, certs: dict[str, CertPair]
) -> None:
    response = rig.post(b"<zakLk01><stuurgegevens>", cert=certs["gws4all"])
    assert response.status_code == 500  # the inbox's own Fo01 for a message it cannot read
    assert rig.stored() == 1


# -- Content-Type, SOAPAction, size ------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type", ["application/json", "multipart/related; type=application/xop+xml", None]
)
def test_a_content_type_that_is_not_soap_is_415(
    rig: Rig, certs: dict[str, CertPair], content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = rig.post(creeer_zaak("1900Z-1"), cert=certs["gws4all"], headers=headers)
    assert response.status_code == 415
    assert fout(response).berichtcode == "Fo01"
    assert rig.stored() == 0


def test_soap12_content_type_is_accepted(rig: Rig, certs: dict[str, CertPair]) -> None:
    headers = {"Content-Type": f'application/soap+xml; charset=utf-8; action="{ACTION_CREEER}"'}
    response = rig.post(creeer_zaak("1900Z-1"), cert=certs["gws4all"], headers=headers)
    assert response.status_code == 200


def test_a_soapaction_that_names_another_function_is_400(
    rig: Rig, certs: dict[str, CertPair]
) -> None:
    headers = {**XML, "SOAPAction": f'"{ACTION_DOCUMENT}"'}
    response = rig.post(creeer_zaak("1900Z-1"), cert=certs["gws4all"], headers=headers)
    assert response.status_code == 400
    answer = fout(response)
    assert answer.berichtcode == "Fo01" and answer.code == "StUF034"
    headers = {**XML, "SOAPAction": '"urn:iets-anders"'}
    assert (
        rig.post(creeer_zaak("1900Z-2"), cert=certs["gws4all"], headers=headers).status_code == 400
    )
    headers = {**XML, "SOAPAction": f'"{ACTION_CREEER}"'}
    assert (
        rig.post(creeer_zaak("1900Z-3"), cert=certs["gws4all"], headers=headers).status_code == 200
    )
    assert rig.stored() == 1


def test_a_body_over_the_limit_is_413_with_a_fo(rig: Rig, certs: dict[str, CertPair]) -> None:
    big = messages.voeg_document("1900KBD1", "1900Z-1", b"x" * (1 << 20))
    response = rig.post(big, cert=certs["gws4all"])
    assert response.status_code == 413
    assert fout(response).berichtcode == "Fo01"

    def chunked() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield from (big[i : i + 65536] for i in range(0, len(big), 65536))

    try:
        response = rig.post(chunked(), cert=certs["gws4all"])  # type: ignore[arg-type]
        assert response.status_code == 413
    except requests.exceptions.ConnectionError:
        pass  # the server may close while the client still sends: refused either way
    assert rig.stored() == 0
    assert rig.post(creeer_zaak("1900Z-1"), cert=certs["gws4all"]).status_code == 200


# -- nothing unexpected becomes a bare 500 -----------------------------------------------------


class _BrokenInbox(Inbox):
    def receive_file(self, *_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError(f"database weg voor client {BSN}")


def test_an_unexpected_error_is_a_fo02_with_503(
    tmp_path: Path,
    simulator_pki: SimulatorPki,  # noqa: F811
    senders_file: Path,
    certs: dict[str, CertPair],
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'broken.db'}")
    broken = _BrokenInbox(store, blobs=BlobStore(tmp_path / "blobs"))
    for rig in make_rig(tmp_path, simulator_pki, senders_file, DoorLimits(), inbox=broken):
        response = rig.post(creeer_zaak("1900Z-1"), cert=certs["gws4all"])
        assert response.status_code == 503
        answer = fout(response)
        assert answer.berichtcode == "Fo02"
        assert BSN.encode() not in response.content
    assert BSN not in caplog.text


# -- the GWS4all simulator pushes through the door ---------------------------------------------


def test_gws4all_pushes_with_its_client_certificate(rig: Rig, certs: dict[str, CertPair]) -> None:
    report = push_scenario(
        rig.url,
        zaken=3,
        seed=3,
        include_documents=True,
        cert=certs["gws4all"].as_requests_cert,
        verify=str(rig.pki.ca_file),
    )
    assert report.transport_errors == 0
    assert set(report.http_status) == {"200"}
    assert rig.stored() == report.sent


def test_tls_context_refuses_old_protocols(simulator_pki: SimulatorPki) -> None:  # noqa: F811
    context = server_tls_context(
        simulator_pki.server.cert, simulator_pki.server.key, simulator_pki.ca_file
    )
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert context.verify_mode == ssl.CERT_OPTIONAL


# -- configuration -----------------------------------------------------------------------------


def test_inbox_serve_refuses_to_start_without_tls(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], senders_file: Path
) -> None:
    from sync.cli import main

    for name in ("TLS_CERT", "TLS_KEY", "CLIENT_CA", "SENDERS"):
        monkeypatch.delenv(f"KETENBRUG_INBOX_{name}", raising=False)
    assert main(["inbox", "serve"]) == 2
    assert "TLS is verplicht" in capsys.readouterr().err
    monkeypatch.setenv("KETENBRUG_INBOX_TLS_CERT", "/nonexistent/server.pem")
    monkeypatch.setenv("KETENBRUG_INBOX_TLS_KEY", "/nonexistent/server.key")
    assert main(["inbox", "serve"]) == 2
    assert "geen zenders" in capsys.readouterr().err
    assert main(["inbox", "serve", "--senders", str(senders_file)]) == 2
    assert "--client-ca" in capsys.readouterr().err


@pytest.mark.parametrize(
    "entry",
    [
        {"name": "x", "zender": [{"organisatie": "1900", "applicatie": "A"}]},  # no credential
        {"name": "x", "zender": [], "certificate_cn": "x"},  # no zender
        {"name": "x", "zender": [{"applicatie": "A"}], "username": "u"},  # no hash
        {"name": "x", "zender": [{"applicatie": "A"}], "certificate_sha256": "abc"},
        {"name": "x", "zender": [{"applicatie": "A"}], "username": "u", "password_hash": "plain"},
    ],
)
def test_a_broken_senders_file_stops_the_start(tmp_path: Path, entry: dict[str, Any]) -> None:
    path = tmp_path / "senders.json"
    path.write_text(json.dumps({"senders": [entry]}))
    with pytest.raises(ValueError):
        load_senders(path)


def test_password_hashes_verify_in_both_formats() -> None:
    import base64

    from sync.inbox_door import verify_password

    stored = hash_password(PASSWORD)
    assert verify_password(PASSWORD, stored) and not verify_password(PASSWORD + "!", stored)
    salt = b"0123456789abcdef"
    digest = hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), salt, 200_000)
    b64 = base64.b64encode
    pbkdf2 = f"pbkdf2_sha256$200000${b64(salt).decode()}${b64(digest).decode()}"
    assert verify_password(PASSWORD, pbkdf2) and not verify_password("nope", pbkdf2)
    assert PASSWORD not in stored


def test_a_toml_senders_file(tmp_path: Path) -> None:
    path = tmp_path / "senders.toml"
    path.write_text(
        '[[senders]]\nname = "gws4all"\ncertificate_cn = "GWS4all"\n'
        'zender = [{organisatie = "1900", applicatie = "GWS4all"}]\n'
    )
    (sender,) = load_senders(path).senders
    assert sender.may_send_as("1900", "GWS4all") and not sender.may_send_as("1900", "X")

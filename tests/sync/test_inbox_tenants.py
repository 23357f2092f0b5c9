"""One inbox service for several municipalities (issue 12, item 6): each push lands in its own
tenant's store, numbered and answered as that tenant; nothing crosses to another tenant."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from stuf import Bevestiging, Fout, ZaakIdentificatieAntwoord, parse_message
from sync.blobs import BlobStore
from sync.inbox import Inbox
from sync.inbox_app import Door, InboxServer, TenantRoutes
from sync.inbox_door import hash_password, load_senders
from sync.store.db import Store
from sync.store.models import IdentityLink, InboxMessage
from sync.tenants import Tenant
from tests.sync.messages import creeer_zaak, genereer_zaakidentificatie

DEVENTER = Tenant(code="deventer", naam="Gemeente Deventer", gemeentecode="0150")
RAALTE = Tenant(code="raalte", naam="Gemeente Raalte", gemeentecode="0177")
XML = {"Content-Type": "text/xml; charset=utf-8"}
PASSWORD = "deventer-push-secret-1234"


@dataclass
class Town:
    tenant: Tenant
    store: Store
    inbox: Inbox

    def stored(self) -> list[str | None]:
        """The zaken of this tenant's inbox (every message, received or dead)."""
        with self.store.session() as session:
            return list(session.scalars(select(InboxMessage.ordering_key)))

    def count(self) -> int:
        with self.store.session() as session:
            return session.scalar(select(func.count(InboxMessage.id))) or 0

    def numbers(self) -> set[str]:
        with self.store.session() as session:
            return set(
                session.scalars(select(IdentityLink.key).where(IdentityLink.system == "ketenbrug"))
            )


@pytest.fixture
def towns(tmp_path: Path) -> Iterator[dict[str, Town]]:
    """Deventer and Raalte, each with its own state store and blob store."""
    towns = {}
    for tenant in (DEVENTER, RAALTE):
        home = tmp_path / tenant.code
        store = Store(f"sqlite:///{home}.db")
        store.migrate()
        inbox = Inbox(store, blobs=BlobStore(home / "blobs"), tenant=tenant)
        towns[tenant.code] = Town(tenant, store, inbox)
    yield towns
    for town in towns.values():
        town.store.dispose()


@pytest.fixture
def server(towns: dict[str, Town]) -> Iterator[InboxServer]:
    with InboxServer([town.inbox for town in towns.values()]) as running:
        yield running


def post(url: str, body: bytes, **headers: str) -> requests.Response:
    return requests.post(url, data=body, headers={**XML, **headers}, timeout=20)


def test_each_push_is_stored_only_in_its_own_tenants_store(
    server: InboxServer, towns: dict[str, Town]
) -> None:
    for code, zaak in (("deventer", "0150Z-1"), ("raalte", "0177Z-1")):
        response = post(f"{server.url}{code}/", creeer_zaak(zaak))
        assert response.status_code == 200, response.text[:300]
        reply = parse_message(response.content)
        assert isinstance(reply, Bevestiging) and reply.berichtcode == "Bv03"
        assert reply.stuurgegevens.zender.organisatie == towns[code].tenant.gemeentecode
    assert towns["deventer"].stored() == ["0150Z-1"]
    assert towns["raalte"].stored() == ["0177Z-1"]


def test_numbers_are_the_tenants_own_and_registered_in_its_own_store(
    server: InboxServer, towns: dict[str, Town]
) -> None:
    numbers = {}
    for code in ("deventer", "raalte"):
        response = post(f"{server.url}{code}/", genereer_zaakidentificatie())
        reply = parse_message(response.content)
        assert isinstance(reply, ZaakIdentificatieAntwoord), response.text[:300]
        assert reply.stuurgegevens.zender.organisatie == towns[code].tenant.gemeentecode
        numbers[code] = reply.identificatie
    assert numbers["deventer"].startswith("0150KB") and numbers["raalte"].startswith("0177KB")
    assert towns["deventer"].numbers() == {numbers["deventer"]}
    assert towns["raalte"].numbers() == {numbers["raalte"]}


def test_a_refusal_carries_the_tenants_organisatie(towns: dict[str, Town]) -> None:
    answer = towns["raalte"].inbox.receive(b"<zakLk01><stuurgegevens>", None)
    fout = parse_message(answer.body)
    assert isinstance(fout, Fout) and fout.stuurgegevens is not None
    assert fout.stuurgegevens.zender.organisatie == "0177"


@pytest.mark.parametrize("path", ["olstwijhe/", "", "Deventer/"])
def test_a_path_naming_no_served_tenant_is_refused_and_nothing_stored(
    server: InboxServer, towns: dict[str, Town], path: str
) -> None:
    response = post(server.url + path, creeer_zaak("0150Z-2"))
    assert response.status_code == 404
    fout = parse_message(response.content)
    assert isinstance(fout, Fout) and fout.berichtcode == "Fo01"
    assert "gemeente" in fout.omschrijving
    assert towns["deventer"].count() == towns["raalte"].count() == 0


def _basic(username: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()


@pytest.fixture
def senders_file(tmp_path: Path) -> Path:
    zender = [{"organisatie": "1900", "applicatie": "GWS4all"}]
    secret = hash_password(PASSWORD)
    senders = [
        {"name": "gws-deventer", "tenant": "deventer", "zender": zender, "username": "dev"},
        {"name": "unbound", "zender": zender, "username": "any"},
    ]
    for sender in senders:
        sender["password_hash"] = secret
    path = tmp_path / "senders.json"
    path.write_text(json.dumps({"senders": senders}))
    return path


def test_a_sender_pushes_only_to_its_own_tenant(towns: dict[str, Town], senders_file: Path) -> None:
    door = Door(senders=load_senders(senders_file), allow_missing_content_type=True)
    with InboxServer([town.inbox for town in towns.values()], door=door) as server:
        own = post(f"{server.url}deventer/", creeer_zaak("0150Z-3"), Authorization=_basic("dev"))
        other = post(f"{server.url}raalte/", creeer_zaak("0150Z-4"), Authorization=_basic("dev"))
        unbound = post(f"{server.url}raalte/", creeer_zaak("0150Z-5"), Authorization=_basic("any"))
    assert own.status_code == 200, own.text[:300]
    assert other.status_code == 403 and unbound.status_code == 403
    fout = parse_message(other.content)
    assert isinstance(fout, Fout) and "gemeente" in fout.omschrijving
    assert towns["deventer"].stored() == ["0150Z-3"]
    assert towns["raalte"].count() == 0


def test_the_senders_file_must_bind_every_sender_to_a_served_tenant(
    senders_file: Path, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="unbound"):  # a sender without a tenant
        load_senders(senders_file, tenants=["deventer", "raalte"])
    data = json.loads(senders_file.read_text())
    data["senders"][1]["tenant"] = "zwolle"  # not served here
    other = tmp_path / "other.json"
    other.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="zwolle"):
        load_senders(other, tenants=["deventer", "raalte"])
    data["senders"][1]["tenant"] = "raalte"
    other.write_text(json.dumps(data))
    registry = load_senders(other, tenants=["deventer", "raalte"])
    assert {s.name: s.tenant for s in registry} == {"gws-deventer": "deventer", "unbound": "raalte"}


def test_a_single_municipality_inbox_takes_every_path_as_before(
    sqlite_store: Store, tmp_path: Path
) -> None:
    with InboxServer(Inbox(sqlite_store, blobs=BlobStore(tmp_path / "blobs"))) as server:
        stored = post(f"{server.url}deventer/", creeer_zaak("1900Z-9"))
        numbered = post(server.url, genereer_zaakidentificatie())
    assert stored.status_code == 200, stored.text[:300]
    reply = parse_message(numbered.content)
    assert isinstance(reply, ZaakIdentificatieAntwoord)
    assert reply.identificatie.startswith("1900KB")
    assert reply.stuurgegevens.zender.organisatie == "1900"


def test_the_default_tenant_is_never_served_next_to_named_ones(
    towns: dict[str, Town], sqlite_store: Store, tmp_path: Path
) -> None:
    default = Inbox(sqlite_store, blobs=BlobStore(tmp_path / "blobs"))
    with pytest.raises(ValueError, match="default"):
        TenantRoutes([default, towns["raalte"].inbox])
    with pytest.raises(ValueError, match="raalte"):
        TenantRoutes([towns["raalte"].inbox, towns["raalte"].inbox])


def test_inbox_serve_serves_every_tenant_from_its_own_store(
    tmp_path: Path, senders_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from starlette.testclient import TestClient

    from sync import inbox_guard
    from sync.cli import main

    tenants = tmp_path / "tenants.json"
    tenants.write_text(
        json.dumps([{"code": t.code, "gemeentecode": t.gemeentecode} for t in (DEVENTER, RAALTE)])
    )
    data = json.loads(senders_file.read_text())
    data["senders"][1]["tenant"] = "raalte"
    senders_file.write_text(json.dumps(data))
    for name in ("TENANT", "DATABASE_URL", "MAPPINGS_DIR"):
        monkeypatch.delenv(f"KETENBRUG_{name}", raising=False)
    monkeypatch.setenv("KETENBRUG_TENANTS", str(tenants))
    monkeypatch.setenv("KETENBRUG_HOME", str(tmp_path / "home"))
    served: list[object] = []

    class Captured:  # the app serve would run, not a server on a port
        def __init__(self, config: object) -> None:
            served.append(config.app)  # type: ignore[attr-defined]

        def run(self) -> None:
            pass

    monkeypatch.setattr(inbox_guard, "GuardedServer", Captured)
    # process-wide masking would make other tests' "no BSN in the log" checks pass vacuously
    monkeypatch.setattr("privacy.masking.install_log_masking", lambda: None)
    assert main(["inbox", "serve", "--insecure-http", "--senders", str(senders_file)]) == 0
    client = TestClient(served[0])  # type: ignore[arg-type]
    pushed = client.post(
        "/raalte/", content=creeer_zaak("0177Z-7"), headers={**XML, "Authorization": _basic("any")}
    )
    assert pushed.status_code == 200, pushed.text[:300]
    for code, expected in (("deventer", []), ("raalte", ["0177Z-7"])):
        store = Store(f"sqlite:///{tmp_path / 'home' / 'tenants' / code / 'ketenbrug.db'}")
        with store.session() as session:
            assert list(session.scalars(select(InboxMessage.ordering_key))) == expected
        store.dispose()

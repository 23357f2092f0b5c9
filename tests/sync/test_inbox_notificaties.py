"""The inbox's ``/notificaties``: the e-Suite's ZGW notificaties, stored before they are answered
(#18, item 5). Over TLS with the senders file, as in production: only a sender allowed to send
notificaties is heard, a notificatie is kept once, anything else is refused without being kept.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from simulators.esuite import make_esuite_server
from simulators.tls import SimulatorPki
from simulators.tls_testing import simulator_pki  # noqa: F401  (session CA)
from sync.blobs import BlobStore
from sync.inbox import Inbox
from sync.inbox_app import Door, InboxServer
from sync.inbox_door import hash_password, load_senders
from sync.inbox_guard import DoorLimits, server_tls_context
from sync.store.db import Store
from sync.store.models import ZgwNotificatie

PASSWORD = "nrc-wachtwoord-lang-genoeg"
GWS = {"organisatie": "1900", "applicatie": "GWS4all"}


def basic(user: str, password: str = PASSWORD) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def notificatie(**changes: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "kanaal": "zaken",
        "hoofdObject": "https://esuite.example/zaken/api/v1/zaken/1b2c",
        "resource": "zaakinformatieobject",
        "resourceUrl": "https://esuite.example/zaken/api/v1/zaakinformatieobjecten/9f8e",
        "actie": "create",
        "aanmaakdatum": "2026-12-03T09:00:00Z",
        "kenmerken": {"bronorganisatie": "002220647"},
    }
    message.update(changes)
    return message


class Rig:
    def __init__(self, server: InboxServer, store: Store, pki: SimulatorPki) -> None:
        self.server, self.store, self.pki = server, store, pki

    def post(self, body: Any, *, user: str | None = "nrc", path: str = "notificaties") -> Any:
        headers = {"Content-Type": "application/json"}
        if user is not None:
            headers["Authorization"] = basic(user)
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return requests.post(
            f"{self.server.url}{path}",
            data=data,
            headers=headers,
            verify=str(self.pki.ca_file),
            timeout=20,
        )

    def stored(self) -> list[str]:
        with self.store.session() as session:
            return list(session.scalars(select(ZgwNotificatie.hoofd_object)))


@pytest.fixture
def rig(tmp_path: Path, simulator_pki: SimulatorPki) -> Iterator[Rig]:  # noqa: F811
    senders = [
        {"name": "nrc", "notificaties": True, "username": "nrc", "password_hash": ""},
        {"name": "gws4all", "zender": [GWS], "username": "gws", "password_hash": ""},
    ]
    hashed = hash_password(PASSWORD)
    for sender in senders:
        sender["password_hash"] = hashed
    senders_file = tmp_path / "senders.json"
    senders_file.write_text(json.dumps({"senders": senders}))
    store = Store(f"sqlite:///{tmp_path / 'state.db'}")
    store.migrate()
    inbox = Inbox(store, blobs=BlobStore(tmp_path / "blobs"))
    door = Door(senders=load_senders(senders_file), limits=DoorLimits(max_body_bytes=1 << 20))
    tls = server_tls_context(
        simulator_pki.server.cert, simulator_pki.server.key, simulator_pki.ca_file
    )
    with InboxServer(inbox, door=door, tls=tls) as server:
        yield Rig(server, store, simulator_pki)
    store.dispose()


def test_a_notificatie_is_stored_before_its_204(rig: Rig) -> None:
    response = rig.post(notificatie())
    assert response.status_code == 204, response.text
    assert rig.stored() == ["https://esuite.example/zaken/api/v1/zaken/1b2c"]


def test_the_same_notificatie_sent_again_is_kept_once(rig: Rig) -> None:
    assert rig.post(notificatie()).status_code == 204
    assert rig.post(notificatie()).status_code == 204  # the NRC had no answer: it sends again
    assert len(rig.stored()) == 1


def test_only_a_sender_allowed_notificaties_is_heard(rig: Rig) -> None:
    assert rig.post(notificatie(), user=None).status_code == 401
    refused = rig.post(notificatie(), user="gws")  # GWS4all may push StUF, not notificaties
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert rig.stored() == []


def test_the_notificaties_sender_may_not_push_stuf(rig: Rig) -> None:
    response = requests.post(
        rig.server.url,
        data=b"<soap/>",
        headers={"Content-Type": "text/xml", "Authorization": basic("nrc")},
        verify=str(rig.pki.ca_file),
        timeout=20,
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "geen JSON"),
        (b"[1, 2]", "geen JSON-object"),
        (json.dumps({"kanaal": "zaken"}).encode(), "mist hoofdObject"),
        (json.dumps(notificatie(hoofdObject="x" * 1001)).encode(), "hoofdObject te lang"),
    ],
)
def test_what_is_no_notificatie_is_400_and_not_kept(rig: Rig, body: bytes, reason: str) -> None:
    response = rig.post(body)
    assert response.status_code == 400
    assert reason in response.json()["detail"]
    assert rig.stored() == []


def test_a_huge_body_is_refused_before_it_is_read_whole(rig: Rig) -> None:
    response = rig.post(json.dumps(notificatie(x="a" * 200_000)).encode())
    assert response.status_code == 413
    assert rig.stored() == []


def test_a_notificatie_about_something_else_is_answered_and_not_kept(rig: Rig) -> None:
    other = notificatie(kanaal="documenten", resource="enkelvoudiginformatieobject")
    assert rig.post(other).status_code == 204
    assert rig.stored() == []


def test_the_database_away_is_503_so_the_nrc_sends_it_again(rig: Rig) -> None:
    with rig.store.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE zgw_notificatie")
    response = rig.post(notificatie())
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"


def test_the_esuite_nrc_delivers_over_tls_when_it_trusts_the_inbox_ca(rig: Rig) -> None:
    """As in the demo: the e-Suite's NRC posts to the inbox behind a private CA."""
    with make_esuite_server() as esuite:
        nrc = esuite.app.notificaties  # type: ignore[attr-defined]
        nrc.max_attempts = 1
        subscribed = requests.post(
            f"{esuite.url}/notificaties/api/v1/abonnement",
            json={
                "callbackUrl": f"{rig.server.url}notificaties",
                "auth": basic("nrc"),
                "kanalen": [{"naam": "zaken"}],
            },
            timeout=10,
        )
        assert subscribed.status_code == 201, subscribed.text
        nrc.publish(notificatie(hoofdObject="https://esuite.example/zaken/api/v1/zaken/a"))
        assert nrc.wait_delivered(10)
        assert nrc.stats()["failed"] == 1, "the system CAs do not know the inbox's CA"
        nrc.verify = str(rig.pki.ca_file)
        nrc.publish(notificatie(hoofdObject="https://esuite.example/zaken/api/v1/zaken/b"))
        assert nrc.wait_delivered(10)
        assert nrc.stats()["delivered"] == 1
    assert rig.stored() == ["https://esuite.example/zaken/api/v1/zaken/b"]

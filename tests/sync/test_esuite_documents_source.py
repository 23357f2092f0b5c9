"""The e-Suite's documenten source (#18, item 5): a quiet night asks the e-Suite nothing.

Real parts: the e-Suite simulator over HTTP (ZDS for the documents, the ZGW Zaken API for the
zaak a notificatie names), the state store with its identity map and stored notificaties. The
e-Suite's own call counter and a counting wrapper around the zaak lookup say what was asked.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from uuid import uuid4

import pytest
import requests

from adapters.base import SourceRecord
from adapters.esuite.client import EsuiteClient
from adapters.esuite.config import EsuiteConfig
from adapters.esuite.document_target import EsuiteDocumentTarget
from adapters.esuite.zaak_lijst import EsuiteZaakLijst
from simulators.esuite_zgw_zaken import zaak_uuid
from simulators.testing import SimulatorHandle, esuite, esuite_simulator
from stuf import Zaak
from sync.blobs import BlobStore
from sync.engine import RetryPolicy
from sync.identity import IdentityMap
from sync.inbox import Inbox
from sync.inbox_app import InboxServer
from sync.notificaties import store_notificatie
from sync.sources.esuite_documents import EsuiteDocumentSource, SourcePosition
from sync.store.db import Store
from tests.adapters_esuite.conftest import make_config, operation

__all__ = ["esuite", "esuite_simulator"]  # the simulator fixtures, used below

ZAKEN = [f"0153ESUITE20000{n:02d}" for n in range(1, 11)]
FAST = RetryPolicy(attempts=2, wait_base_s=0, wait_max_s=0)
DAY = date(2026, 12, 1)


class CountingZaken:
    """The real zaak lookup, counting what it is asked."""

    def __init__(self, lijst: EsuiteZaakLijst) -> None:
        self.lijst = lijst
        self.asked: list[str] = []

    def identificatie_van(self, url: str) -> str | None:
        self.asked.append(url)
        return self.lijst.identificatie_van(url)


class Rig:
    def __init__(self, store: Store, esuite: SimulatorHandle, tmp_path: Path) -> None:
        self.store = store
        self.esuite = esuite
        self.tmp_path = tmp_path
        self.config: EsuiteConfig = make_config(esuite)
        self.client = EsuiteClient(self.config)
        self.target = EsuiteDocumentTarget(self.client, retry_delay_s=0)
        self.zaken = CountingZaken(EsuiteZaakLijst(self.config))
        self.blobs = BlobStore(tmp_path / "blobs")
        self.today = DAY
        self._numbers = iter(range(1, 10_000))
        for zaak in ZAKEN:
            esuite.store.create_zaak(Zaak(zaak, "PW-LO-AANV", startdatum=DAY, registratiedatum=DAY))
            with store.session() as session:
                IdentityMap(session).link("zaak", "gws4all", f"GWS-{zaak}", "esuite", zaak)

    def source(self, *, notificaties: bool = True) -> EsuiteDocumentSource:
        """A fresh source, as each run builds one."""
        return EsuiteDocumentSource(
            self.store,
            self.target,
            self.blobs,
            zaken=self.zaken if notificaties else None,
            ronde_dagen=7,
            today=lambda: self.today,
            retry=FAST,
        )

    def add_document(self, zaak: str) -> str:
        """A consulent adds a document to ``zaak`` in the e-Suite itself."""
        identificatie = f"0153ESUITED2{next(self._numbers):06d}"
        content = f"document {identificatie}".encode()
        path = self.tmp_path / f"{identificatie}.pdf"
        path.write_bytes(content)
        sha = hashlib.sha256(content).hexdigest()
        self.target.apply(
            operation(identificatie, path, sha, len(content), zaak_identificatie=zaak)
        )
        return identificatie

    def notify(self, zaak: str, *, url: str | None = None) -> int | None:
        """The notificatie the e-Suite sends for a document added to ``zaak``."""
        body = {
            "kanaal": "zaken",
            "hoofdObject": url or f"{self.esuite.url}/zaken/api/v1/zaken/{zaak_uuid(zaak)}",
            "resource": "zaakinformatieobject",
            "resourceUrl": f"{self.esuite.url}/zaken/api/v1/zaakinformatieobjecten/{uuid4()}",
            "actie": "create",
            "aanmaakdatum": f"{self.today.isoformat()}T10:00:00Z",
            "kenmerken": {"bronorganisatie": "002220647"},
        }
        return store_notificatie(self.store, "esuite", json.dumps(body).encode())

    def taken(self, documents: list[str]) -> None:
        """The engine's part after a batch: the identity map knows what was taken."""
        with self.store.session() as session:
            for identificatie in documents:
                IdentityMap(session).register("document", "esuite", identificatie)

    def run(self, source: EsuiteDocumentSource, cursor: str | None) -> tuple[list[str], str | None]:
        """Read every batch as the engine would: the documents found and the cursor after."""
        found: list[str] = []
        while (batch := source.read_batch(cursor, 100)) is not None:
            documents = [
                r.data["document"]["identificatie"]
                for r in batch.records
                if isinstance(r, SourceRecord)
            ]
            self.taken(documents)
            found += documents
            cursor = batch.cursor_after
        return found, cursor

    def esuite_calls(self) -> int:
        return sum(self.esuite.store.calls.values())


@pytest.fixture
def rig(store: Store, esuite: SimulatorHandle, tmp_path: Path) -> Iterator[Rig]:
    rig = Rig(store, esuite, tmp_path)
    yield rig
    rig.client.close()


def test_without_notificaties_every_run_walks_every_zaak(rig: Rig) -> None:
    document = rig.add_document(ZAKEN[3])
    found, cursor = rig.run(rig.source(notificaties=False), None)
    assert found == [document]
    rig.today += timedelta(days=1)
    later = rig.add_document(ZAKEN[7])
    before = rig.esuite_calls()
    found, _ = rig.run(rig.source(notificaties=False), cursor)
    assert found == [later]
    assert rig.esuite_calls() - before == len(ZAKEN) + 1  # a list per zaak, one download


def test_a_quiet_night_asks_the_esuite_nothing(rig: Rig) -> None:
    _found, cursor = rig.run(rig.source(), None)  # the first run: a ronde over every zaak
    assert SourcePosition.parse(cursor) == SourcePosition(False, 0, DAY)
    rig.today += timedelta(days=1)
    before = rig.esuite_calls()
    found, after = rig.run(rig.source(), cursor)
    assert found == []
    assert rig.esuite_calls() == before
    assert rig.zaken.asked == []
    assert after == cursor


def test_a_notified_zaak_is_asked_and_only_it(rig: Rig) -> None:
    _found, cursor = rig.run(rig.source(), None)
    rig.today += timedelta(days=1)
    document = rig.add_document(ZAKEN[5])
    unnotified = rig.add_document(ZAKEN[6])  # its notificatie was lost
    rig.notify(ZAKEN[5])
    rig.notify(ZAKEN[5])  # a second document's notificatie: the zaak is asked once
    before = rig.esuite_calls()
    found, cursor = rig.run(rig.source(), cursor)
    assert found == [document]
    assert rig.esuite_calls() - before == 2  # the zaak's list and the one download
    assert len(rig.zaken.asked) == 1
    position = SourcePosition.parse(cursor)
    assert position is not None and not position.walking and position.notificatie == 2
    # the lost notificatie's document comes with the next ronde, a week after the last one
    rig.today = DAY + timedelta(days=6)
    assert rig.run(rig.source(), cursor)[0] == []
    rig.today = DAY + timedelta(days=7)
    found, cursor = rig.run(rig.source(), cursor)
    assert found == [unnotified]
    assert SourcePosition.parse(cursor) == SourcePosition(False, 2, DAY + timedelta(days=7))


def test_notificaties_stored_during_a_ronde_are_read_after_it(rig: Rig) -> None:
    walked_early = rig.add_document(ZAKEN[1])
    walked_later = rig.add_document(ZAKEN[5])
    source = rig.source()
    first = source.read_batch(None, 1)  # the ronde's first batch stops after one document
    assert first is not None
    position = SourcePosition.parse(first.cursor_after)
    assert position == SourcePosition(True, 0, DAY, ZAKEN[1])
    rig.taken([walked_early])
    behind = rig.add_document(ZAKEN[0])  # a zaak the ronde has passed already
    rig.notify(ZAKEN[0])  # so only its notificatie, stored during the ronde, tells
    found, cursor = rig.run(source, first.cursor_after)
    assert found == [walked_later, behind]
    assert SourcePosition.parse(cursor) == SourcePosition(False, 1, DAY)


def test_a_ronde_cut_off_goes_on_where_it_stopped(rig: Rig) -> None:
    documents = [rig.add_document(zaak) for zaak in ZAKEN]
    first = rig.source().read_batch(None, 3)
    assert first is not None and len(first.records) == 3
    rig.taken([r.data["document"]["identificatie"] for r in first.records])  # type: ignore[union-attr]
    # the process dies here; the next run starts from the cursor the engine committed
    rest, cursor = rig.run(rig.source(), first.cursor_after)
    assert sorted(documents) == sorted(
        [r.data["document"]["identificatie"] for r in first.records] + rest  # type: ignore[union-attr]
    )
    position = SourcePosition.parse(cursor)
    assert position is not None and not position.walking


def test_a_notificatie_naming_another_host_or_an_unknown_zaak_is_skipped(rig: Rig) -> None:
    _found, cursor = rig.run(rig.source(), None)
    rig.today += timedelta(days=1)
    rig.notify(ZAKEN[0], url="http://127.0.0.1:1/zaken/api/v1/zaken/elders")  # never fetched
    rig.notify(ZAKEN[0], url=f"{rig.esuite.url}/zaken/api/v1/zaken/../../_admin/reset")
    stranger = "0153ESUITE2999999"  # in the e-Suite, but not a zaak Ketenbrug knows
    rig.esuite.store.create_zaak(Zaak(stranger, "PW-LO-AANV", startdatum=DAY, registratiedatum=DAY))
    rig.add_document(stranger)
    rig.notify(stranger)
    before = rig.esuite_calls()
    found, cursor = rig.run(rig.source(), cursor)
    assert found == []
    assert rig.esuite_calls() == before  # no list asked of a zaak Ketenbrug does not know
    position = SourcePosition.parse(cursor)
    assert position is not None and position.notificatie == 3  # read past, not stuck on them


def test_a_cursor_this_version_did_not_write_starts_a_ronde(rig: Rig) -> None:
    document = rig.add_document(ZAKEN[9])
    found, cursor = rig.run(rig.source(), ZAKEN[2])  # an old cursor: the last zaak walked
    assert found == [document]
    assert SourcePosition.parse(cursor) == SourcePosition(False, 0, DAY)


def test_end_to_end_the_esuite_notifies_the_inbox_and_the_source_finds_the_document(
    rig: Rig, tmp_path: Path
) -> None:
    """The whole path: the e-Suite's NRC posts to Ketenbrug's inbox over HTTP, the inbox
    stores the notificatie, the next night's source asks that one zaak."""
    _found, cursor = rig.run(rig.source(), None)
    with InboxServer(Inbox(rig.store, blobs=rig.blobs)) as inbox:
        subscribed = requests.post(
            f"{rig.esuite.url}/notificaties/api/v1/abonnement",
            json={
                "callbackUrl": f"{inbox.url}notificaties",
                "auth": "Bearer test",
                "kanalen": [{"naam": "zaken"}],
            },
            timeout=10,
        )
        assert subscribed.status_code == 201, subscribed.text
        document = rig.add_document(ZAKEN[4])
        nrc = rig.esuite.server.notificaties  # type: ignore[attr-defined]
        assert nrc.wait_delivered(10)
        assert nrc.stats()["delivered"] == 1
    rig.today += timedelta(days=1)
    before = rig.esuite_calls()
    found, _ = rig.run(rig.source(), cursor)
    assert found == [document]
    assert rig.esuite_calls() - before == 2  # its list and its download, no other zaak

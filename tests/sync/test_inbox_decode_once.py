"""A pushed message is decoded once, when it arrives (#18): the batch reads the stored records.

Parsing the XML again in every batch cost more than the rest of the engine per record. The
records kept beside the body must be exactly those a decode gives, a message stored without
them (before this change) must still be decoded, and the purge removes them with the body.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from adapters.base import SourceRecord
from adapters.gws4all import inbound
from sync.flows.zaken import FLOW_NAME, ZAKEN_FUNCTIONS
from sync.inbox import Inbox, InboxSource
from sync.purge import purge_payloads
from sync.store.db import Store
from sync.store.models import InboxMessage, InboxState, utcnow
from tests.sync.messages import BSN, creeer_zaak, status

ZAAK = "1900KB0000000042"


def _source(store: Store) -> InboxSource:
    return InboxSource(store, flow=FLOW_NAME, functions=ZAKEN_FUNCTIONS, partition=0, partitions=1)


def _load_all(store: Store) -> list[SourceRecord]:
    source = _source(store)
    batch_id = source.claim(100)
    assert batch_id is not None
    records = source.load(batch_id).records
    assert all(isinstance(r, SourceRecord) for r in records)
    return [r for r in records if isinstance(r, SourceRecord)]


def _fill(store: Store) -> list[bytes]:
    bodies = [creeer_zaak(ZAAK), status(ZAAK, "GWS-AV-01", 1, 3), status(ZAAK, "GWS-AV-02", 2, 4)]
    inbox = Inbox(store)
    for body in bodies:
        inbox.receive(body, None)
    return bodies


def test_a_batch_reads_the_records_stored_on_arrival_without_parsing(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    bodies = _fill(store)
    with store.session() as session:
        ids = session.scalars(select(InboxMessage.id).order_by(InboxMessage.id)).all()
    expected = [
        record
        for body, message_id in zip(bodies, ids, strict=True)
        for record in inbound.decode(
            body, soap_action=None, payload_ref=f"inbox:{message_id}"
        ).records
    ]

    def no_parsing(*args: object, **kwargs: object) -> None:
        raise AssertionError("the batch parsed a message again")

    monkeypatch.setattr(inbound, "decode", no_parsing)
    assert _load_all(store) == expected
    assert expected[0].data["initiator_bsn"] == BSN  # the e-Suite needs it: kept, not masked


def test_a_message_stored_without_its_records_is_still_decoded(store: Store) -> None:
    bodies = _fill(store)
    with store.session() as session:
        session.execute(update(InboxMessage).values(record_json=None))  # as before this change
    records = _load_all(store)
    assert [r.kind for r in records] == ["zaak", "zaakstatus", "zaakstatus"]
    assert len(bodies) == 3


def test_the_purge_takes_the_stored_records_with_the_body(store: Store) -> None:
    _fill(store)
    with store.session() as session:
        session.execute(
            update(InboxMessage).values(
                state=InboxState.PROCESSED, processed_at=utcnow() - timedelta(days=40)
            )
        )
    purge_payloads(store, days=30)
    with store.session() as session:
        left = session.execute(select(InboxMessage.body, InboxMessage.record_json)).all()
    assert left and all(body is None and record is None for body, record in left)

"""Purge: delivered and resolved payloads go after N days; open dead letters keep theirs."""

from __future__ import annotations

import json
import os
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from sync.blobs import BlobStore
from sync.purge import purge_payloads
from sync.store.db import Store
from sync.store.models import Cursor, DeadLetter, InboxMessage, ZgwNotificatie, utcnow


def add_message(store: Store, state: str, age_days: int, n: int) -> int:
    with store.session() as session:
        row = InboxMessage(
            source_system="gws4all",
            content_hash=f"{n:064d}",
            body=b"<zakLk01/>",
            state=state,
            processed_at=utcnow() - timedelta(days=age_days),
        )
        session.add(row)
        session.flush()
        return row.id


def add_letter(store: Store, ref: str, state: str, age_days: int, record: str | None) -> None:
    with store.session() as session:
        session.add(
            DeadLetter(
                flow="zaken",
                source_system="gws4all",
                source_key=ref,
                reason="unmapped",
                message="code onbekend",
                payload_ref=ref,
                record_json=record,
                state=state,
                resolved_at=utcnow() - timedelta(days=age_days) if state != "open" else None,
            )
        )


def bodies(store: Store) -> dict[int, bytes | None]:
    with store.session() as session:
        return dict(session.execute(select(InboxMessage.id, InboxMessage.body)).all())


def test_purge_keeps_what_beheer_still_needs(store: Store) -> None:
    old_done = add_message(store, "processed", 40, 1)
    new_done = add_message(store, "processed", 2, 2)
    old_dead_resolved = add_message(store, "dead", 40, 3)
    old_dead_open = add_message(store, "dead", 40, 4)
    add_letter(store, f"inbox:{old_dead_resolved}", "resent", 35, None)
    add_letter(store, f"inbox:{old_dead_open}", "open", 0, None)
    add_letter(store, "allegro:ALG_1.csv#2", "skipped", 35, '{"key": "x"}')
    add_letter(store, "allegro:ALG_1.csv#3", "open", 0, '{"key": "y"}')

    result = purge_payloads(store, days=30)

    left = bodies(store)
    assert left[old_done] is None and left[old_dead_resolved] is None
    assert left[new_done] is not None, "younger than the retention"
    assert left[old_dead_open] is not None, "an open dead letter still needs its payload"
    with store.session() as session:
        kept = dict(session.execute(select(DeadLetter.source_key, DeadLetter.record_json)).all())
    assert kept["allegro:ALG_1.csv#2"] is None and kept["allegro:ALG_1.csv#3"] is not None
    assert (result.inbox_bodies, result.dead_letter_records) == (2, 1)
    assert purge_payloads(store, days=30) == type(result)(0, 0), "idempotent"


def test_document_content_goes_only_when_nothing_needs_it(store: Store, tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    delivered, waiting, in_dead_letter, fresh = (
        blobs.put_bytes(f"document {n}".encode()) for n in range(4)
    )
    old = time.time() - 40 * 86400
    for ref in (delivered, waiting, in_dead_letter):
        os.utime(ref.path, (old, old))
    with store.session() as session:
        session.add(
            InboxMessage(
                source_system="gws4all",
                content_hash="w" * 64,
                record_json=json.dumps({"content": waiting.as_content()}),
                state="received",
            )
        )
    add_letter(store, "allegro:1", "open", 0, json.dumps({"content": in_dead_letter.as_content()}))

    result = purge_payloads(store, days=30, blob_root=tmp_path / "blobs")

    assert result.blobs == 1
    assert not delivered.path.exists(), "delivered and old: gone"
    assert waiting.path.exists(), "its message is not processed yet"
    assert in_dead_letter.path.exists(), "beheer still needs it to resend"
    assert fresh.path.exists(), "too young"


def _notificatie(store: Store, n: int, age_days: int) -> int:
    with store.session() as session:
        row = ZgwNotificatie(
            source_system="esuite",
            received_at=utcnow() - timedelta(days=age_days),
            kanaal="zaken",
            resource="zaakinformatieobject",
            actie="create",
            hoofd_object=f"http://127.0.0.1/zaken/api/v1/zaken/{n}",
            resource_url=f"http://127.0.0.1/zaken/api/v1/zaakinformatieobjecten/{n}",
            aanmaakdatum="2026-01-01T00:00:00Z",
            content_hash=f"{n:064d}",
        )
        session.add(row)
        session.flush()
        return row.id


def _set_cursor(store: Store, value: str) -> None:
    with store.session() as session:
        session.merge(Cursor(flow="documenten", source_system="esuite", value=value))


def _notificatie_ids(store: Store) -> list[int]:
    with store.session() as session:
        return list(session.scalars(select(ZgwNotificatie.id).order_by(ZgwNotificatie.id)))


def test_notificaties_go_once_read_and_old_never_before(store: Store) -> None:
    old_read, recent_read, old_unread = (
        _notificatie(store, 1, 40),
        _notificatie(store, 2, 1),
        _notificatie(store, 3, 40),
    )
    assert purge_payloads(store, days=30).notificaties == 0, "no cursor: the source never ran"
    assert _notificatie_ids(store) == [old_read, recent_read, old_unread]

    _set_cursor(store, f"notificaties:{recent_read}:2026-01-01")
    assert purge_payloads(store, days=30).notificaties == 1
    assert _notificatie_ids(store) == [recent_read, old_unread]  # too young; not read yet

    _set_cursor(store, f"ronde:{old_unread}:2026-01-01:ZAAK-9")  # a ronde covers it too
    assert purge_payloads(store, days=30).notificaties == 1
    assert _notificatie_ids(store) == [recent_read]

"""Purge of what the blob store keeps for refused messages and killed writers (issue 11, item 7).

- The raw bytes of a refused document message stay while its dead letter is open (beheer needs
  them) and go once it is resolved and the retention has passed, like every other payload.
- A ``.blob-*.part`` a killed writer left goes once untouched for the configured age; the file
  of a writer still at work never does.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from sync.blobs import BlobStore
from sync.inbox import Inbox
from sync.purge import purge_payloads
from sync.resend import skip_dead_letter
from sync.store.db import Store
from sync.store.models import DeadLetter, InboxMessage, utcnow
from tests.sync.messages import voeg_document_parts

REPO = Path(__file__).resolve().parents[2]
MB = 1 << 20


def refuse_big_document(store: Store, root: Path) -> tuple[int, Path]:
    """Push 8 MB of document whose base64 breaks at the end: refused, its bytes kept."""
    head, tail = voeg_document_parts("1900KBD50", "1900KB50")
    body = head + base64.b64encode(os.urandom(6 * MB)) + b"@@@!" + tail
    answer = Inbox(store, blobs=BlobStore(root)).receive(body, None)
    assert answer.status == 500 and b"Fo01" in answer.body
    with store.session() as session:
        row = session.get(InboxMessage, answer.message_id)
        assert row is not None
        raw = Path(json.loads(row.record_json or "{}")["raw_blob"])
    assert raw.read_bytes() == body
    return int(answer.message_id or 0), raw


def letter_of(store: Store, message_id: int) -> int:
    with store.session() as session:
        return session.scalars(
            select(DeadLetter.id).where(DeadLetter.payload_ref == f"inbox:{message_id}")
        ).one()


def test_a_refused_documents_bytes_go_once_its_dead_letter_is_skipped(
    store: Store, tmp_path: Path
) -> None:
    root = tmp_path / "blobs"
    message_id, raw = refuse_big_document(store, root)

    purge_payloads(store, days=0, blob_root=root)
    assert raw.exists(), "an open dead letter keeps what was sent"

    skip_dead_letter(store, letter_of(store, message_id), actor="beheer", reason="test")
    result = purge_payloads(store, days=0, blob_root=root)

    assert not raw.exists(), "resolved: nothing needs the raw bytes any more"
    assert result.blobs == 1
    with store.session() as session:
        row = session.get(InboxMessage, message_id)
        assert row is not None and row.record_json is None, "no reference to a removed blob"


def test_a_refused_documents_bytes_wait_for_the_retention(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "blobs"
    message_id, raw = refuse_big_document(store, root)
    letter_id = letter_of(store, message_id)
    skip_dead_letter(store, letter_id, actor="beheer", reason="test")

    purge_payloads(store, days=30, blob_root=root)
    assert raw.exists(), "resolved today: kept for the retention"

    old = time.time() - 40 * 86400
    os.utime(raw, (old, old))
    with store.session() as session:
        session.execute(
            update(DeadLetter)
            .where(DeadLetter.id == letter_id)
            .values(resolved_at=utcnow() - timedelta(days=35))
        )
    purge_payloads(store, days=30, blob_root=root)
    assert not raw.exists()


_KILLED_WRITER = r"""
import os, sys
from pathlib import Path
from sync.blobs import BlobStore
with BlobStore(Path(sys.argv[1])).writer() as sink:
    sink.write(b"half a document")
    os._exit(137)  # killed mid-write: the .part stays behind
"""


def test_a_killed_writers_part_goes_after_its_age_a_live_one_stays(
    store: Store, tmp_path: Path
) -> None:
    root = tmp_path / "blobs"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run(
        [sys.executable, "-c", _KILLED_WRITER, str(root)], env=env, check=False, timeout=60
    )
    [left] = root.glob(".blob-*.part")

    assert purge_payloads(store, blob_root=root, part_max_age_s=3600).parts == 0
    assert left.exists(), "touched a moment ago: it might be a live writer's"

    stale = time.time() - 2 * 3600
    os.utime(left, (stale, stale))
    blobs = BlobStore(root)
    with blobs.writer() as sink:  # a writer at work while the purge runs
        sink.write(b"a document arriving")
        result = purge_payloads(store, blob_root=root, part_max_age_s=3600)
        sink.write(b", still arriving")
    assert result.parts == 1
    assert not left.exists(), "untouched for two hours: a killed writer's"
    assert sink.ref is not None
    assert sink.ref.path.read_bytes() == b"a document arriving, still arriving"
    assert list(root.glob(".blob-*.part")) == []


def test_content_stored_again_is_young_again(store: Store, tmp_path: Path) -> None:
    """The same document pushed again reuses the blob: the purge must not take it as old."""
    blobs = BlobStore(tmp_path / "blobs")
    first = blobs.put_bytes(b"een brief die twee keer komt")
    old = time.time() - 40 * 86400
    os.utime(first.path, (old, old))

    again = blobs.put_bytes(b"een brief die twee keer komt")  # not yet recorded by its message
    purge_payloads(store, days=30, blob_root=tmp_path / "blobs")

    assert again.path == first.path and again.path.exists()

"""Documents pushed to the inbox: content streamed to the blob store, never whole in memory."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import requests
from sqlalchemy import select

from sync.blobs import BlobStore
from sync.inbox import DOCUMENT_FUNCTIONS, Inbox, InboxSource
from sync.store.db import Store
from sync.store.models import DeadLetter, InboxMessage, InboxState
from tests.sync.messages import update_document, voeg_document, voeg_document_parts

MB = 1 << 20
REPO = Path(__file__).resolve().parents[2]


def _source(store: Store) -> InboxSource:
    return InboxSource(
        store, flow="documenten", functions=DOCUMENT_FUNCTIONS, partition=0, partitions=1
    )


def test_document_content_goes_to_the_blob_store_not_the_database(
    store: Store, tmp_path: Path
) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    content = b"%PDF-1.4 brief " * 1000
    answer = Inbox(store, blobs=blobs).receive(voeg_document("1900KBD1", "1900KB7", content), None)

    assert answer.status == 200 and b"Bv03" in answer.body
    with store.session() as session:
        row = session.get(InboxMessage, answer.message_id)
        assert row is not None
        assert row.body is None, "the message is not kept whole"
        assert row.function == "voegZaakdocumentToe"
        record = json.loads(row.record_json or "{}")
    sha = hashlib.sha256(content).hexdigest()
    assert record["content"]["sha256"] == sha
    assert record["content"]["size"] == len(content)
    assert Path(record["content"]["path"]).read_bytes() == content
    assert record["document"]["identificatie"] == "1900KBD1"
    assert record["document"]["zaak_identificatie"] == "1900KB7"

    source = _source(store)
    batch = source.load(source.claim(10) or 0)
    [loaded] = batch.records
    assert loaded.kind == "document"  # type: ignore[union-attr]
    assert loaded.key == f"gws4all-doc:1900KBD1:{sha[:16]}"


def test_same_document_pushed_twice_is_stored_once(store: Store, tmp_path: Path) -> None:
    inbox = Inbox(store, blobs=BlobStore(tmp_path / "blobs"))
    body = voeg_document("1900KBD2", "1900KB7", b"inhoud")
    first, second = inbox.receive(body, None), inbox.receive(body, None)
    assert first.message_id == second.message_id
    assert len(list((tmp_path / "blobs").rglob("*"))) == 2  # one folder, one blob


def test_broken_base64_is_refused_with_a_dead_letter_and_kept(store: Store, tmp_path: Path) -> None:
    head, tail = voeg_document_parts("1900KBD3", "1900KB7")
    answer = Inbox(store, blobs=BlobStore(tmp_path / "blobs")).receive(head + b"@@@!" + tail, None)

    assert answer.status == 500 and b"Fo01" in answer.body
    with store.session() as session:
        row = session.get(InboxMessage, answer.message_id)
        assert row is not None and row.state == InboxState.DEAD
        raw = Path(json.loads(row.record_json or "{}")["raw_blob"])
        letter = session.scalars(select(DeadLetter)).one()
    assert raw.read_bytes() == head + b"@@@!" + tail, "what was sent is never lost"
    assert letter.reason == "invalid_message"
    assert letter.payload_ref == f"inbox:{answer.message_id}"


_SERVER = r"""
import json, sys
from pathlib import Path
from sync.blobs import BlobStore
from sync.inbox import Inbox
from sync.inbox_app import InboxServer
from sync.store.db import Store
def rss_kb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
home = Path(sys.argv[1])
store = Store(f"sqlite:///{home / 'state.db'}")
store.migrate()
with InboxServer(Inbox(store, blobs=BlobStore(home / "blobs"))) as server:
    before = rss_kb("VmRSS")
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    print(server.url, flush=True)
    sys.stdin.readline()
    print(json.dumps({"growth_kb": rss_kb("VmHWM") - before}), flush=True)
"""


def _big_body(size: int, digest: hashlib._Hash) -> Iterator[bytes]:
    head, tail = voeg_document_parts("1900KBD9", "1900KB7")
    yield head
    block = os.urandom(3 * 256 * 1024)
    sent = 0
    while sent < size:
        piece = block[: min(len(block), size - sent)]
        digest.update(piece)
        yield base64.b64encode(piece)
        sent += len(piece)
    yield tail


def test_a_64_mb_document_is_received_with_flat_memory(tmp_path: Path) -> None:
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(tmp_path)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdin is not None and server.stdout is not None
    try:
        url = server.stdout.readline().strip()
        digest = hashlib.sha256()
        answer = requests.post(url, data=_big_body(64 * MB, digest), timeout=120)
        server.stdin.write("done\n")
        server.stdin.flush()
        growth_kb = json.loads(server.stdout.readline())["growth_kb"]
    finally:
        server.kill()
        server.wait()
    assert answer.status_code == 200, answer.text[:500]
    blob = BlobStore(tmp_path / "blobs").path_for(digest.hexdigest())
    assert blob.stat().st_size == 64 * MB
    assert growth_kb < 32 * 1024, f"inbox grew {growth_kb} kB for a 64 MB document"


def test_update_zaakdocument_is_a_new_version_and_metadata_only_changes_nothing(
    store: Store, tmp_path: Path
) -> None:
    inbox = Inbox(store, blobs=BlobStore(tmp_path / "blobs"))
    first = inbox.receive(voeg_document("1900KBD4", "1900KB7", b"versie 1"), None)
    new = inbox.receive(update_document("1900KBD4", "1900KB7", b"versie 2"), None)
    meta = inbox.receive(update_document("1900KBD4", "1900KB7", None), None)
    assert new.status == meta.status == 200

    source = _source(store)
    records = source.load(source.claim(10) or 0).records
    by_ref = {r.payload_ref: r for r in records}
    version = by_ref[f"inbox:{new.message_id}"]
    assert version.data["functie"] == "updateZaakdocument"  # type: ignore[union-attr]
    assert version.data["content"]["sha256"] == hashlib.sha256(b"versie 2").hexdigest()  # type: ignore[union-attr]
    # the update names the document only: its zaak (and partition) come from the first message
    assert version.data["document"]["zaak_identificatie"] == "1900KB7"  # type: ignore[union-attr]
    with store.session() as session:
        partitions = {
            session.get(InboxMessage, message_id).partition  # type: ignore[union-attr]
            for message_id in (first.message_id, new.message_id)
        }
    assert len(partitions) == 1
    metadata_only = by_ref[f"inbox:{meta.message_id}"]
    assert metadata_only.data["content"] is None  # type: ignore[union-attr]
    assert metadata_only.key.startswith("gws4all-doc:1900KBD4:meta-")

"""A big push is decoded while it still arrives, and nothing of one that never completes stays.

The sender's body generator waits, half-way, until the inbox has written decoded content to
its blob store: a barrier, not a timing guess. With receive-then-decode it would wait in vain.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from sync.blobs import PART_GLOB, BlobStore
from sync.inbox import Inbox
from sync.inbox_app import OVERLAP_SLOTS, Door, InboxServer
from sync.inbox_guard import DoorLimits
from sync.inbox_spool import BodyIncompleteError, GrowingSpool
from sync.store.db import Store
from sync.store.models import DeadLetter, InboxMessage, InboxState
from tests.sync.messages import voeg_document_parts

MB = 1 << 20
PIECE = MB - MB % 3  # whole base64 quanta: the pieces' encodings join into one


def _parts(n: int) -> list[bytes]:
    """About ``n`` MB of content in pieces (distinct, so a mix-up shows in the digest)."""
    return [bytes([i]) * PIECE for i in range(n)]


def _server(store: Store, blobs: Path, **limits: int) -> InboxServer:
    door = Door(allow_missing_content_type=True, limits=DoorLimits(**limits))  # type: ignore[arg-type]
    return InboxServer(Inbox(store, blobs=BlobStore(blobs)), door=door)


def _decoding(blobs: Path, at_least: int) -> Callable[[], bool]:
    def seen() -> bool:
        return any(p.stat().st_size >= at_least for p in blobs.glob(PART_GLOB))

    return seen


def _wait(condition: Callable[[], bool], timeout_s: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def _counts(store: Store) -> tuple[int, int]:
    with store.session() as session:
        rows = session.scalar(select(func.count()).select_from(InboxMessage)) or 0
        letters = session.scalar(select(func.count()).select_from(DeadLetter)) or 0
    return rows, letters


def _overlapped_push(
    url: str, blobs: Path, doc_id: str
) -> tuple[requests.Response, bool, bytes, bytes]:
    """Push 6 MB; after the first 3 (past the 1 MB in-memory spool), wait until the inbox
    decoded part of it."""
    head, tail = voeg_document_parts(doc_id, "1900KB7")
    pieces = _parts(6)
    early: list[bool] = []

    def body() -> Iterator[bytes]:
        yield head
        for i, piece in enumerate(pieces):
            if i == 3:
                early.append(_wait(_decoding(blobs, MB)))
            yield base64.b64encode(piece)
        yield tail

    answer = requests.post(url, data=body(), timeout=60)
    sent = head + b"".join(base64.b64encode(p) for p in pieces) + tail
    return answer, early == [True], b"".join(pieces), sent


def test_a_big_push_is_decoded_while_it_still_arrives(sqlite_store: Store, tmp_path: Path) -> None:
    blobs = tmp_path / "blobs"
    with _server(sqlite_store, blobs) as server:
        answer, early, content, sent = _overlapped_push(server.url, blobs, "1900KBO1")

    assert early, "the inbox decoded nothing before the sender sent the rest"
    assert answer.status_code == 200 and b"Bv03" in answer.content, answer.text[:300]
    with sqlite_store.session() as session:
        row = session.scalars(select(InboxMessage)).one()
    record = json.loads(row.record_json or "{}")
    assert Path(record["content"]["path"]).read_bytes() == content
    assert row.content_hash == hashlib.sha256(sent).hexdigest(), "the digest of the whole body"
    assert not list(blobs.glob(PART_GLOB))


def _push_and_vanish(port: int, blobs: Path, doc_id: str) -> bool:
    """Send half a big push, wait until decoding began, then go away without the rest."""
    head, _tail = voeg_document_parts(doc_id, "1900KB7")
    start = (
        f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\n"
        f"Content-Length: {len(head) + 8 * MB}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(start + head)
        for piece in _parts(3):
            sock.sendall(base64.b64encode(piece))
        began = _wait(_decoding(blobs, MB))
    return began


def test_a_sender_gone_mid_push_leaves_nothing_and_frees_its_slot(
    sqlite_store: Store, tmp_path: Path
) -> None:
    blobs = tmp_path / "blobs"
    with _server(sqlite_store, blobs) as server:
        port = int(server.url.rsplit(":", 1)[1].strip("/"))
        for n in range(OVERLAP_SLOTS + 1):  # more than the slots: a leaked slot would show
            assert _push_and_vanish(port, blobs, f"1900KBV{n}"), "decoding began"
            assert _wait(lambda: not list(blobs.glob(PART_GLOB))), "the half blob is removed"
        answer, early, _content, _sent = _overlapped_push(server.url, blobs, "1900KBO2")

    assert early, "after senders that went away, a big push is still decoded as it arrives"
    assert answer.status_code == 200
    rows, letters = _counts(sqlite_store)
    assert (rows, letters) == (1, 0), "nothing of the vanished pushes was stored"


def test_a_push_growing_past_the_limit_is_413_and_leaves_nothing(
    sqlite_store: Store, tmp_path: Path
) -> None:
    blobs = tmp_path / "blobs"
    head, tail = voeg_document_parts("1900KBL1", "1900KB7")

    def body() -> Iterator[bytes]:  # chunked: the limit is found only while it arrives
        yield head
        for i, piece in enumerate(_parts(10)):
            if i == 3:
                _wait(_decoding(blobs, MB))
            yield base64.b64encode(piece)
        yield tail

    with _server(sqlite_store, blobs, max_body_bytes=8 * MB) as server:
        try:
            answer = requests.post(server.url, data=body(), timeout=60)
            status = answer.status_code
        except requests.ConnectionError:  # the server may answer and close before the end
            status = 413
        assert _wait(lambda: not list(blobs.glob(PART_GLOB)))

    assert status == 413
    assert _counts(sqlite_store) == (0, 0)
    assert not [p for p in blobs.rglob("*") if p.is_file()], "no blob of a refused push"


def test_a_big_push_broken_half_way_is_a_dead_letter_with_all_that_was_sent(
    sqlite_store: Store, tmp_path: Path
) -> None:
    blobs = tmp_path / "blobs"
    head, tail = voeg_document_parts("1900KBB1", "1900KB7")
    pieces = [base64.b64encode(p) for p in _parts(3)] + [b"@@@!"]
    pieces += [base64.b64encode(p) for p in _parts(3)]
    sent = head + b"".join(pieces) + tail
    with _server(sqlite_store, blobs) as server:
        answer = requests.post(server.url, data=iter([head, *pieces, tail]), timeout=60)

    assert answer.status_code == 500 and b"Fo01" in answer.content
    with sqlite_store.session() as session:
        row = session.scalars(select(InboxMessage)).one()
        letter = session.scalars(select(DeadLetter)).one()
    assert row.state == InboxState.DEAD and letter.reason == "invalid_message"
    raw = Path(json.loads(row.record_json or "{}")["raw_blob"])
    assert raw.read_bytes() == sent, "the whole body is kept, also what came after the fault"
    assert row.content_hash == hashlib.sha256(sent).hexdigest()


def test_the_spool_reader_waits_for_bytes_and_fails_when_they_never_come(
    tmp_path: Path,
) -> None:
    path = tmp_path / "spool"
    with path.open("w+b") as file:
        file.write(b"abc")
        file.flush()
        growing = GrowingSpool(file.fileno(), 3)
        reader = growing.reader()
        got: list[bytes] = []
        waiting = threading.Event()

        def read_six() -> None:
            waiting.set()
            got.append(reader.read(6))

        thread = threading.Thread(target=read_six)
        thread.start()
        waiting.wait()
        thread.join(0.2)
        assert thread.is_alive(), "read(6) waits while only 3 bytes are there"
        file.write(b"defg")
        file.flush()
        growing.grew(7)
        thread.join(5)
        assert got == [b"abcdef"]

        reader.seek(0)
        assert reader.read(2) == b"ab", "the spool can be read again from the start"
        growing.abort(ConnectionResetError())
        with pytest.raises(BodyIncompleteError):
            reader.read(100)
        with pytest.raises(BodyIncompleteError):
            growing.sha256()
        reader.close()

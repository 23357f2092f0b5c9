"""Group commit (#18): pushes that arrive together share a transaction, each still answered
only after its own row is committed.

The queue is forced, not hoped for: the first push's transaction is held open (before its
commit) until the other senders are waiting, so the second transaction must carry them all.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from adapters.gws4all.answers import InboxAnswer
from sync.inbox import Inbox
from sync.store.db import Store
from sync.store.models import InboxMessage
from tests.sync.messages import creeer_zaak, status

SENDERS = 8


def _bodies(count: int) -> list[bytes]:
    return [creeer_zaak(f"1900KB{n:010d}") for n in range(count)]


def _count_commits(store: Store) -> list[int]:
    commits = [0]

    def counted(_connection: object) -> None:
        commits[0] += 1

    event.listen(store.engine, "commit", counted)
    return commits


def _hold_first_commit_until(inbox: Inbox, waiting: int) -> threading.Event:
    """Hold the first batch's transaction open until ``waiting`` pushes queue behind it."""
    held = threading.Event()

    def before_commit(_rows: list[InboxMessage]) -> None:
        if held.is_set():
            return
        deadline = time.monotonic() + 10
        while len(inbox.group._queue) < waiting:
            assert time.monotonic() < deadline, "the other senders never queued"
            time.sleep(0.001)
        held.set()

    inbox.group.before_commit = before_commit
    return held


def _send_all(inbox: Inbox, bodies: list[bytes], after: Callable[[bytes, int], None]) -> None:
    errors: list[BaseException] = []

    def send(body: bytes) -> None:
        try:
            answer: InboxAnswer = inbox.receive(body, None)
            assert answer.status == 200, answer.body
            assert answer.message_id is not None
            after(body, answer.message_id)
        except BaseException as error:  # reported below
            errors.append(error)

    first = threading.Thread(target=send, args=(bodies[0],))
    first.start()
    while not inbox.group._leading:  # the first push holds the commit
        time.sleep(0.001)
    others = [threading.Thread(target=send, args=(body,)) for body in bodies[1:]]
    for thread in others:
        thread.start()
    for thread in [first, *others]:
        thread.join(30)
    assert not errors, errors


def _stored(store: Store, body: bytes) -> bool:
    with store.session() as session:
        return session.scalar(select(InboxMessage.id).where(InboxMessage.body == body)) is not None


def test_pushes_waiting_together_share_one_commit(store: Store) -> None:
    inbox = Inbox(store)
    bodies = _bodies(SENDERS)
    _hold_first_commit_until(inbox, SENDERS - 1)
    commits = _count_commits(store)
    _send_all(inbox, bodies, lambda body, _id: None)
    assert commits[0] == 2  # the first push alone, then the seven that queued behind it
    with store.session() as session:
        stored = session.scalars(select(InboxMessage.body)).all()
    assert sorted(stored) == sorted(bodies)


def test_each_push_is_answered_only_after_its_row_is_committed(store: Store) -> None:
    inbox = Inbox(store)
    bodies = _bodies(SENDERS)
    held = _hold_first_commit_until(inbox, SENDERS - 1)
    hold_first = inbox.group.before_commit
    assert hold_first is not None
    queued = set(bodies[1:])
    seen_at_answer: dict[bytes, bool] = {}
    all_queued_answered = threading.Event()

    def hold_second_commit(rows: list[InboxMessage]) -> None:
        if not held.is_set():
            hold_first(rows)
        else:  # answers given before this commit are all checked here, their rows missing
            all_queued_answered.wait(1.0)

    def check(body: bytes, _id: int) -> None:
        # Another session, asked the moment the answer is back: the row must be there.
        seen_at_answer[body] = _stored(store, body)
        if queued <= seen_at_answer.keys():
            all_queued_answered.set()

    inbox.group.before_commit = hold_second_commit
    _send_all(inbox, bodies, check)
    assert seen_at_answer == dict.fromkeys(bodies, True)


def test_a_duplicate_in_a_batch_is_stored_once_and_the_rest_still_stored(store: Store) -> None:
    inbox = Inbox(store)
    twice = status("1900KB0000000001", "GWS-AV-01", 1, 3)
    first_id = inbox.receive(twice, None).message_id  # stored before: the batch trips over it
    bodies = [creeer_zaak("1900KB0000000099"), twice, *_bodies(SENDERS - 2), twice]
    _hold_first_commit_until(inbox, len(bodies) - 1)
    ids: dict[bytes, set[int]] = {}
    _send_all(inbox, bodies, lambda body, id_: ids.setdefault(body, set()).add(id_))
    assert ids[twice] == {first_id}  # both pushes of it answered with the row stored first
    with store.session() as session:
        stored = session.scalars(select(InboxMessage.body)).all()
        count = session.scalar(select(func.count()).where(InboxMessage.body == twice))
    assert count == 1
    assert sorted(stored) == sorted(set(bodies))


def test_a_failed_commit_is_raised_to_every_push_of_its_batch(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = Inbox(store)
    bodies = _bodies(SENDERS)
    held = _hold_first_commit_until(inbox, SENDERS - 1)
    original = inbox.group.before_commit
    assert original is not None

    def fail_second_batch(rows: list[InboxMessage]) -> None:
        if held.is_set():  # the batch of the seven that queued: the database goes away
            raise OperationalError("COMMIT", None, Exception("server closed the connection"))
        original(rows)

    inbox.group.before_commit = fail_second_batch
    answers: dict[bytes, int] = {}
    lock = threading.Lock()

    def send(body: bytes) -> None:
        answer = inbox.receive(body, None)
        with lock:
            answers[body] = answer.status

    first = threading.Thread(target=send, args=(bodies[0],))
    first.start()
    while not inbox.group._leading:
        time.sleep(0.001)
    others = [threading.Thread(target=send, args=(body,)) for body in bodies[1:]]
    for thread in others:
        thread.start()
    for thread in [first, *others]:
        thread.join(30)
    assert answers[bodies[0]] == 200
    assert {answers[body] for body in bodies[1:]} == {503}  # Fo02: the sender sends it again
    assert _stored(store, bodies[0])
    assert not any(_stored(store, body) for body in bodies[1:])
    # and the inbox still works afterwards: the queue was handed on, not left locked
    inbox.group.before_commit = None
    assert inbox.receive(bodies[1], None).status == 200
    assert _stored(store, bodies[1])

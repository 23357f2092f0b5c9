"""Group commit for the inbox: pushes that arrive together share one transaction.

Every push is stored before it is answered; with a commit per push, the commit (an fsync on
SQLite, a round trip and a WAL flush on PostgreSQL) is most of what a push costs. Here the
pushes waiting while one commit runs are stored by the next commit together, so eight senders
pay for about two commits instead of eight. Nobody waits for a timer: a push that finds no
commit running is committed at once, alone.

The promise stays per push: :meth:`GroupCommit.store` returns only after the transaction that
holds its row has committed, and raises what that transaction raised otherwise. A batch that
trips over a duplicate (same source system and content hash, stored before or twice in the
batch) is stored again row by row, so each duplicate gets the id of the row stored first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from sync.store.db import Store
from sync.store.models import InboxMessage

__all__ = ["GroupCommit", "stored_before"]

#: At most this many rows in one transaction: a burst is stored in a few commits, none huge.
MAX_ROWS = 64


@dataclass(eq=False)
class _Push:
    row: InboxMessage
    done: threading.Event = field(default_factory=threading.Event)
    #: Set by the committer that hands the next batch to this push's thread.
    leads: bool = False
    message_id: int | None = None
    error: BaseException | None = None


class GroupCommit:
    """Stores inbox rows for concurrent callers, committing those that wait together at once.

    One caller at a time commits (the leader); callers that arrive meanwhile queue up. When
    the leader's transaction ends it answers every caller of its batch and hands the queue to
    the first one waiting, which commits the next batch.
    """

    def __init__(self, store: Store, *, max_rows: int = MAX_ROWS) -> None:
        self.store = store
        self.max_rows = max_rows
        self._lock = threading.Lock()
        self._queue: list[_Push] = []
        self._leading = False
        #: Called with the rows of each batch inside its transaction, before the commit
        #: (tests hold a commit open here to let others queue up).
        self.before_commit: Callable[[list[InboxMessage]], None] | None = None

    def store_row(self, row: InboxMessage) -> int:
        """Store ``row`` and return its id (or the id of the identical message stored before)."""
        push = _Push(row)
        with self._lock:
            self._queue.append(push)
            if not self._leading:
                self._leading = push.leads = True
        if not push.leads:
            push.done.wait()
        if push.leads:  # first, or handed the queue by the leader before
            self._commit_next_batch()
        if push.error is not None:
            raise push.error
        assert push.message_id is not None
        return push.message_id

    def _commit_next_batch(self) -> None:
        with self._lock:
            batch, self._queue = self._queue[: self.max_rows], self._queue[self.max_rows :]
        try:
            self._insert(batch)
        except IntegrityError:
            self._insert_one_by_one(batch)
        except BaseException as error:  # every caller of the batch re-raises it
            for push in batch:
                push.error = error
        with self._lock:
            if self._queue:
                self._queue[0].leads = True
                self._queue[0].done.set()
            else:
                self._leading = False
        for push in batch:  # the leader's own push too: harmless, nobody waits on it
            push.done.set()

    def _insert(self, batch: list[_Push]) -> None:
        with self.store.session() as session:
            rows = [push.row for push in batch]
            session.add_all(rows)
            session.flush()
            if self.before_commit is not None:
                self.before_commit(rows)
        for push in batch:
            push.message_id = push.row.id

    def _insert_one_by_one(self, batch: list[_Push]) -> None:
        """After a duplicate rolled the batch back: each row alone, a duplicate to its twin."""
        for push in batch:
            row = push.row
            try:
                try:
                    with self.store.session() as session:
                        row = _fresh(row)
                        session.add(row)
                        session.flush()
                    push.message_id = row.id
                except IntegrityError:
                    existing = stored_before(self.store, row)
                    if existing is None:
                        raise
                    push.message_id = existing
            except BaseException as error:  # this caller re-raises it
                push.error = error


def stored_before(store: Store, row: InboxMessage) -> int | None:
    """The id of the message with ``row``'s bytes stored before (the duplicate it tripped on)."""
    with store.session() as session:
        return session.scalar(
            select(InboxMessage.id).where(
                InboxMessage.source_system == row.source_system,
                InboxMessage.content_hash == row.content_hash,
            )
        )


def _fresh(row: InboxMessage) -> InboxMessage:
    """A new row with ``row``'s values: the rolled-back one may carry a stale identity."""
    values = {
        column.key: getattr(row, column.key)
        for column in InboxMessage.__table__.columns
        if column.key != "id" and getattr(row, column.key) is not None
    }
    return InboxMessage(**values)

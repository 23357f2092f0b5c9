"""The one drain loop: batches from a source through the engine until it is empty or time is up.

Every flow task (zaken, documenten, betaalspecificaties) runs this loop, whatever the source:
a partition of the inbox (:func:`inbox_batches`) or a source read after a cursor
(:func:`cursor_batches`). The loop keeps the task's ``sync_run`` row (what beheer sees in
``ketenbrug status`` and the beheer pages) and one readable line per batch in the task log.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial

from sqlalchemy.orm import Session

from adapters.base import Source, SourceBatch
from privacy.masking import mask_text
from sync.claims import keep_alive
from sync.engine import BatchOutcome, Engine, RecordState
from sync.failpoints import crash_point
from sync.inbox import InboxSource
from sync.run_lock import exclusive_run
from sync.store.db import Store
from sync.store.models import SyncRun, utcnow

__all__ = [
    "DEFAULT_BUDGET_S",
    "PartitionResult",
    "close_source",
    "counts_text",
    "cursor_batches",
    "drain",
    "drain_inbox",
    "finish_run",
    "inbox_batches",
    "log_batch",
    "payload_refs",
    "start_run",
]

log = logging.getLogger(__name__)

DEFAULT_BUDGET_S = 600.0
#: One drained batch: its reference for the task log, and what the engine made of it.
Drained = tuple[str, BatchOutcome]


@dataclass
class PartitionResult:
    """Small, BSN-free summary a task returns as its XCom (partition -1: a cursor source)."""

    flow: str
    partition: int
    batches: int
    outcome: BatchOutcome

    def as_dict(self) -> dict[str, object]:
        return {
            "flow": self.flow,
            "partition": self.partition,
            "batches": self.batches,
            **self.outcome.as_dict(),
        }


def drain(
    engine: Engine,
    store: Store,
    source_system: str,
    batches: Iterator[Drained],
    *,
    budget_s: float,
    run_ref: str | None,
    warnings: Sequence[str] = (),
) -> tuple[BatchOutcome, int]:
    """Run ``batches`` until they end or ``budget_s`` is spent; returns the counts and batches.

    The budget is checked before each batch, so a task ends within one batch of its budget and
    the rest waits for the next run. The ``sync_run`` row is closed whatever happens, with the
    error that ended it (masked) and the ``warnings`` beheer must see (a certificate about to
    expire).
    """
    total = BatchOutcome()
    count = 0
    flow = engine.flow.name
    run_id = start_run(store, source_system, run_ref, flow=flow, warnings=warnings)
    deadline = time.monotonic() + budget_s
    error: str | None = None
    try:
        while time.monotonic() < deadline:
            drained = next(batches, None)
            if drained is None:
                break
            ref, outcome = drained
            log_batch(flow, source_system, ref, outcome)
            total.add(outcome)
            count += 1
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        close = getattr(batches, "close", None)
        if close is not None:
            close()  # a generator stopped at the budget releases what it holds now
        finish_run(store, run_id, total, error)
    return total, count


def drain_inbox(
    engine: Engine,
    store: Store,
    source: InboxSource,
    *,
    batch_size: int,
    budget_s: float,
    run_ref: str | None,
) -> tuple[BatchOutcome, int]:
    """:func:`drain` over one inbox partition (:func:`inbox_batches`)."""
    batches = inbox_batches(engine, source, batch_size)
    return drain(engine, store, source.system, batches, budget_s=budget_s, run_ref=run_ref)


def inbox_batches(engine: Engine, source: InboxSource, batch_size: int) -> Iterator[Drained]:
    """Claim, run and acknowledge batches of one inbox partition until it is empty.

    The claim is kept alive while the batch runs; the acknowledgement is part of the engine's
    outcome transaction, so a batch is acknowledged exactly when its outcome is committed.
    """
    while True:
        batch_id = source.claim(batch_size)
        if batch_id is None:
            return
        batch = source.load(batch_id)
        acknowledge = partial(_acknowledge_inbox, source, batch_id, batch)
        with keep_alive(partial(source.renew, batch_id)):
            outcome = engine.run_batch(batch, on_commit=acknowledge)
        yield batch.ref or str(batch_id), outcome


def cursor_batches(
    engine: Engine, source: Source, batch_size: int, *, keeps_cursor: bool = True
) -> Iterator[Drained]:
    """Read, run and answer batches of a source read after a cursor, until it is empty.

    The cursor advances in the engine's outcome transaction (when ``keeps_cursor``; else it
    lives for this task only). The source is answered (``after_commit``: Allegro's return
    file) only after the commit, and not at all for a batch with a deferred record: it is
    offered again next run, and what was delivered of it will then be in step. Stops after
    such a batch.

    One run per flow and source at a time (:func:`sync.run_lock.exclusive_run`): a second run
    stops with RunBusyError before it reads anything.
    """
    system = source.system
    with exclusive_run(engine.store, f"{engine.flow.name}:{system}"):
        yield from _cursor_batches(engine, source, batch_size, keeps_cursor=keeps_cursor)


def _cursor_batches(
    engine: Engine, source: Source, batch_size: int, *, keeps_cursor: bool
) -> Iterator[Drained]:
    system = source.system
    cursor = engine.read_cursor(system) if keeps_cursor else None
    while True:
        batch = source.read_batch(cursor, batch_size)
        if batch is None:
            return
        outcome = engine.run_batch(
            batch, cursor_source=system if keeps_cursor else None, on_commit=_no_ack
        )
        if outcome.deferred:
            yield batch.ref or "bestand", outcome
            return
        crash_point("allegro_after_commit")  # committed, the source not answered yet
        batch.context["rejected"] = {
            key: "afgewezen, zie dead letter in Ketenbrug"
            for key, state in outcome.record_states.items()
            if state == RecordState.DEAD
        }
        source.after_commit(batch)
        cursor = batch.cursor_after
        yield batch.ref or "bestand", outcome


def payload_refs(batch: SourceBatch, outcome: BatchOutcome, state: RecordState) -> set[str]:
    """Inbox references of the records that ended in ``state`` (dead, deferred)."""
    refs = {
        record.payload_ref
        for record in batch.records
        if outcome.record_states.get(record.key) == state
    }
    return {ref for ref in refs if ref.startswith("inbox:")}


def _acknowledge_inbox(
    source: InboxSource, batch_id: int, batch: SourceBatch, session: Session, outcome: BatchOutcome
) -> None:
    source.acknowledge(
        session,
        batch_id,
        payload_refs(batch, outcome, RecordState.DEAD),
        payload_refs(batch, outcome, RecordState.DEFERRED),
    )


def _no_ack(_session: Session, _outcome: BatchOutcome) -> None:
    """A cursor source is answered after the commit (``after_commit``), not inside it."""


def close_source(source: Source) -> None:
    """Close a source's own session (an SFTP source), whichever way it offers to."""
    close = getattr(source, "close", None) or getattr(
        getattr(source, "client", None), "close", None
    )
    if callable(close):
        close()


def counts_text(outcome: BatchOutcome) -> str:
    """The counts as beheer reads them in a task log (codes of reasons only: no personal data)."""
    reasons = ", ".join(
        f"{reason} {count}" for reason, count in sorted(outcome.dead_reasons.items())
    )
    return (
        f"{outcome.read} gelezen, {outcome.delivered} afgeleverd, {outcome.in_step} al in de pas, "
        f"{outcome.dead_lettered} nieuwe dead letters{f' ({reasons})' if reasons else ''}, "
        f"{outcome.deferred} uitgesteld, {outcome.superseded} vervangen"
    )


def log_batch(flow: str, source_system: str, ref: str, outcome: BatchOutcome) -> None:
    """One readable line per batch in the task log."""
    log.info("%s uit %s, %s: %s", flow, source_system, ref, counts_text(outcome))


def start_run(
    store: Store,
    source_system: str,
    run_ref: str | None,
    *,
    flow: str,
    warnings: Sequence[str] = (),
) -> int:
    """Open a ``sync_run`` row for one task's work (beheer sees it in ``ketenbrug status``)."""
    with store.session() as session:
        run = SyncRun(
            flow=flow,
            source_system=source_system,
            run_ref=run_ref,
            warnings=mask_text("\n".join(warnings)) if warnings else None,
        )
        session.add(run)
        session.flush()
        return run.id


def finish_run(store: Store, run_id: int, total: BatchOutcome, error: str | None) -> None:
    """Close the ``sync_run`` row with its counts and, masked, the error that ended it."""
    with store.session() as session:
        finished = session.get(SyncRun, run_id)
        if finished is None:
            return
        finished.finished_at = utcnow()
        finished.state = "failed" if error else "success"
        finished.error = mask_text(error) if error else None
        finished.records_read = total.read
        finished.delivered = total.delivered
        finished.in_step = total.in_step
        finished.dead_lettered = total.dead_lettered
        finished.still_dead = total.still_dead
        finished.deferred = total.deferred
        finished.superseded = total.superseded

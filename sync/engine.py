"""The batch loop: plan, record intent, write, record outcome; converge after any crash.

One batch runs in three steps:

1. **Intent** (one transaction): each record is planned into operations; every operation that
   still has to be written gets a ledger row in state ``in_flight``. Records that cannot be
   understood or mapped become dead letters here, and the batch goes on.
2. **Write** (no transaction held): each in-flight operation is applied to its target, with
   transient faults retried (tenacity). An operation found ``in_flight`` from an earlier,
   crashed run is first checked against the target (:meth:`Target.is_applied`) and only
   written when its effect is not there.
3. **Outcome** (one transaction): ledger states, dead letters, the source's acknowledgement
   and the cursor are committed together. Only then does the source hear ``after_commit``.

A crash between 2 and 3 leaves in-flight rows, which the rerun checks before writing: no
record lost, no write twice.
"""

from __future__ import annotations

import enum
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from adapters.base import Operation, RecordError, SourceBatch, SourceRecord, Target
from adapters.errors import (
    AlreadyExistsError,
    AmbiguousWriteError,
    FutureDateError,
    PermanentError,
    TransientError,
)
from mappings import MappingTables
from privacy.masking import mask_text
from sync.deadletters import record_dead_letter
from sync.failpoints import crash_point
from sync.identity import IdentityMap
from sync.ledger_rows import IN_CHUNK, LedgerRow, insert_rows, load_rows, update_rows
from sync.store.db import Store
from sync.store.models import Cursor, DeadLetter, LedgerEntry, LedgerState, utcnow

__all__ = [
    "BatchOutcome",
    "Engine",
    "Flow",
    "PlanContext",
    "RecordState",
    "RetryPolicy",
]

log = logging.getLogger(__name__)

#: Objects written side by side per task; with the Airflow pool's slots this caps the
#: parallel calls to a target system (pool slots x write concurrency).
DEFAULT_WRITE_CONCURRENCY = 4


class RecordState(enum.StrEnum):
    """What became of one source record in a batch (``BatchOutcome.record_states``)."""

    IN_STEP = "in_step"  # every write of it was in the ledger already
    SUPERSEDED = "superseded"  # a newer change of the same object was delivered instead
    PENDING = "pending"  # planned, not yet written (only while the batch runs)
    DELIVERED = "delivered"
    DEFERRED = "deferred"  # goes back to its source, unacknowledged
    DEAD = "dead"  # a dead letter


class _Unsettled(enum.StrEnum):
    """How a write ended that is not a ledger outcome: the record goes back to its source."""

    DEFERRED = "deferred"  # transient faults outlasted the retries; it may have landed
    BLOCKED = "blocked"  # not tried: an earlier write to the same object was deferred


class _Skip(enum.Enum):
    """Why no write is planned for an operation that is not in step."""

    DEAD = "dead"  # already a dead letter: a resend revives it
    SUPERSEDED = "superseded"  # older than a change of the same object already delivered
    WAITING = "waiting"  # older than a change of the same object still in flight elsewhere


_DEFERRED = _Unsettled.DEFERRED
_BLOCKED = _Unsettled.BLOCKED
_SUPERSEDED = _Skip.SUPERSEDED
_WAITING = _Skip.WAITING
#: How a write ended: in the ledger (delivered, superseded, dead) or back to the source.
WriteState = LedgerState | _Unsettled

# An in-flight write older than this no longer holds back older changes of its object: its
# run is long gone and nothing will settle it soon.
_IN_FLIGHT_BLOCKS_FOR = timedelta(hours=24)

# When one record has several operations, its state is the most serious of theirs.
_SEVERITY = (
    RecordState.IN_STEP,
    RecordState.SUPERSEDED,
    RecordState.PENDING,
    RecordState.DEFERRED,
    RecordState.DEAD,
)


def _worst(state: RecordState, other: RecordState) -> RecordState:
    return max(state, other, key=_SEVERITY.index)


@dataclass
class _Newest:
    """Per (target, ordering key): the newest value delivered (or planned earlier in this
    batch), and the newest still in flight from outside this batch."""

    delivered: dict[tuple[str, str], str | None]
    in_flight: dict[tuple[str, str], str | None]


#: How far a change's date may lie ahead of the clock before it is refused as implausible
#: (``KETENBRUG_MAX_FUTURE_HOURS``): clocks drift and zones confuse, but not by years.
DEFAULT_MAX_FUTURE = timedelta(hours=24)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a transient fault is retried inside a batch."""

    attempts: int = 5
    wait_base_s: float = 0.1
    wait_max_s: float = 5.0

    def retrying(self) -> Retrying:
        return self._retrying(self.attempts, self.wait_base_s)

    def _retrying(self, attempts: int, first_wait_s: float) -> Retrying:
        return Retrying(
            retry=retry_if_exception_type(TransientError),
            stop=stop_after_attempt(attempts),
            wait=wait_exponential(multiplier=first_wait_s, max=self.wait_max_s),
            reraise=True,
        )

    def call(self, action: Callable[[], object]) -> None:
        """``action`` with this policy's retries, the same waits as ``retrying()``.

        Why: most writes succeed at once, and building tenacity's machinery for each cost more
        than the rest of the engine's step 2 per record; it is built after a first failure.
        """
        try:
            action()
            return
        except TransientError:
            if self.attempts <= 1:
                raise
        time.sleep(min(self.wait_base_s, self.wait_max_s))  # the wait before the second try
        # the rest as retrying() would go on: one try fewer, each wait already doubled once
        self._retrying(self.attempts - 1, self.wait_base_s * 2)(action)


@dataclass
class PlanContext:
    """What a flow may consult while planning: the identity map and the code tables."""

    identity: IdentityMap
    mappings: MappingTables


class Flow(Protocol):
    """Turns source records into target operations; pure apart from the identity map.

    A flow may also offer ``prepare(records, context)``: called once per batch before
    ``plan``, it reads what planning will consult for all records at once (the identity
    map's ``preload``), so the cost per record does not include a query of its own.
    """

    name: str

    def plan(self, record: SourceRecord, context: PlanContext) -> Sequence[Operation]: ...


@dataclass
class BatchOutcome:
    """What happened to one batch, per record and in total."""

    read: int = 0
    delivered: int = 0
    in_step: int = 0
    dead_lettered: int = 0
    still_dead: int = 0
    deferred: int = 0
    superseded: int = 0
    dead_reasons: dict[str, int] = field(default_factory=dict)
    record_states: dict[str, RecordState] = field(default_factory=dict)

    def add(self, other: BatchOutcome) -> None:
        self.read += other.read
        self.delivered += other.delivered
        self.in_step += other.in_step
        self.dead_lettered += other.dead_lettered
        self.still_dead += other.still_dead
        self.deferred += other.deferred
        self.superseded += other.superseded
        for reason, count in other.dead_reasons.items():
            self.dead_reasons[reason] = self.dead_reasons.get(reason, 0) + count

    def as_dict(self) -> dict[str, object]:
        return {
            "read": self.read,
            "delivered": self.delivered,
            "in_step": self.in_step,
            "dead_lettered": self.dead_lettered,
            "still_dead": self.still_dead,
            "deferred": self.deferred,
            "superseded": self.superseded,
            "dead_reasons": dict(self.dead_reasons),
        }


@dataclass
class _Planned:
    record: SourceRecord
    operation: Operation
    entry: LedgerRow
    needs_check: bool
    attempts: int

    @property
    def ledger_id(self) -> int:
        assert self.entry.id is not None, "inserted at the end of step 1"
        return self.entry.id


def _max_future_from_env() -> timedelta:
    hours = os.environ.get("KETENBRUG_MAX_FUTURE_HOURS")
    return timedelta(hours=float(hours)) if hours else DEFAULT_MAX_FUTURE


# Commit hook: gets the open outcome transaction, to acknowledge the source in it.
CommitHook = Callable[[Session, BatchOutcome], None]


class Engine:
    """Runs batches of one flow against its targets, keeping the ledger and dead letters."""

    def __init__(
        self,
        store: Store,
        flow: Flow,
        targets: Mapping[str, Target],
        mappings: MappingTables,
        retry: RetryPolicy | None = None,
        write_concurrency: int = DEFAULT_WRITE_CONCURRENCY,
        max_future: timedelta | None = None,
    ) -> None:
        self.store = store
        self.flow = flow
        self.targets = targets
        self.mappings = mappings
        self.retry = retry or RetryPolicy()
        self.write_concurrency = write_concurrency
        self.max_future = max_future if max_future is not None else _max_future_from_env()

    # -- step 1 -------------------------------------------------------------------------------
    def _dead(
        self,
        session: Session,
        outcome: BatchOutcome,
        *,
        source_system: str,
        key: str,
        payload_ref: str,
        error: PermanentError,
        attempts: int = 1,
        record: SourceRecord | None = None,
    ) -> None:
        letter = record_dead_letter(
            session,
            flow=self.flow.name,
            source_system=source_system,
            source_key=key,
            reason=error.reason,
            message=str(error),
            payload_ref=payload_ref,
            attempts=attempts,
            record=record,
        )
        if letter.id is None:  # new: not flushed yet
            outcome.dead_lettered += 1
            outcome.dead_reasons[error.reason] = outcome.dead_reasons.get(error.reason, 0) + 1
        else:
            outcome.still_dead += 1
        outcome.record_states[key] = RecordState.DEAD
        log.warning(
            "dead letter flow=%s key=%s reason=%s: %s",
            self.flow.name,
            key,
            error.reason,
            mask_text(str(error)),
        )

    def _refuse_future(self, operation: Operation) -> None:
        """Refuse an operation whose ordering date lies implausibly far in the future."""
        value = operation.ordering_value
        if not value:
            return
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return  # not a date: ordered as text, nothing to judge
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        limit = datetime.now(UTC) + self.max_future
        if moment > limit:
            raise FutureDateError(
                f"datum/tijdstip {value} ligt meer dan "
                f"{self.max_future.total_seconds() / 3600:.0f} uur in de toekomst "
                f"({operation.name}); vermoedelijk een tikfout, corrigeer het in de bron",
                operation=operation.name,
            )

    def _prefetch_ledger(
        self, session: Session, plans: Sequence[tuple[SourceRecord, Sequence[Operation]]]
    ) -> dict[tuple[str, str, str], LedgerRow]:
        """The ledger rows of a whole batch in a few queries (not one per record)."""
        keys = {op.ledger_key for _, operations in plans for op in operations}
        return load_rows(session, self.flow.name, keys)

    def _prefetch_newest(
        self, session: Session, plans: Sequence[tuple[SourceRecord, Sequence[Operation]]]
    ) -> _Newest:
        """Per object (ordering key): the newest change delivered, and the newest change still
        in flight from outside this batch (a write that may or may not have landed)."""
        slots: set[tuple[str, str]] = {
            (op.target_system, op.ordering_key)
            for _, operations in plans
            for op in operations
            if op.ordering_key and op.ordering_value
        }
        newest = _Newest(dict.fromkeys(slots), {})
        in_batch = {op.ledger_key for _, operations in plans for op in operations}
        recent = datetime.now(UTC) - _IN_FLIGHT_BLOCKS_FOR
        ordering_keys = sorted({key for _, key in slots})
        for start in range(0, len(ordering_keys), IN_CHUNK):
            chunk = ordering_keys[start : start + IN_CHUNK]
            rows = session.execute(
                select(
                    LedgerEntry.target_system,
                    LedgerEntry.ordering_key,
                    func.max(LedgerEntry.ordering_value),
                )
                .where(
                    LedgerEntry.ordering_key.in_(chunk),
                    LedgerEntry.state == LedgerState.DELIVERED,
                )
                .group_by(LedgerEntry.target_system, LedgerEntry.ordering_key)
            )
            for target, key, value in rows:
                if key is not None and (target, key) in newest.delivered:
                    newest.delivered[(target, key)] = value
            flying = session.execute(
                select(
                    LedgerEntry.target_system,
                    LedgerEntry.ordering_key,
                    LedgerEntry.ordering_value,
                    LedgerEntry.source_key,
                ).where(
                    LedgerEntry.ordering_key.in_(chunk),
                    LedgerEntry.state == LedgerState.IN_FLIGHT,
                    LedgerEntry.updated_at >= recent,
                )
            )
            for target, key, value, source_key in flying:
                if key is None or value is None or source_key in in_batch:
                    continue
                known = newest.in_flight.get((target, key))
                if known is None or value > known:
                    newest.in_flight[(target, key)] = value
        return newest

    def _intent(
        self, session: Session, records: Sequence[SourceRecord | RecordError], out: BatchOutcome
    ) -> tuple[list[_Planned], set[str]]:
        """Step 1; returns the operations to write and the keys of records that wait."""
        context = PlanContext(identity=IdentityMap(session), mappings=self.mappings)
        good = [r for r in records if isinstance(r, SourceRecord)]
        # Changes of one object in the order they happened; others keep arrival order.
        good.sort(key=lambda r: (r.ordering_key or "", r.ordering_value or ""))
        for bad in (r for r in records if isinstance(r, RecordError)):
            out.read += 1
            self._dead(
                session,
                out,
                source_system=bad.source_system,
                key=bad.key,
                payload_ref=bad.payload_ref,
                error=bad.error,
            )
        prepare = getattr(self.flow, "prepare", None)
        if prepare is not None:
            prepare(good, context)
        plans: list[tuple[SourceRecord, Sequence[Operation]]] = []
        for record in good:
            out.read += 1
            try:
                operations = self.flow.plan(record, context)
                for operation in operations:
                    self._refuse_future(operation)
                plans.append((record, operations))
            except PermanentError as error:
                self._dead(
                    session,
                    out,
                    source_system=record.source_system,
                    key=record.key,
                    payload_ref=record.payload_ref,
                    error=error,
                    record=record,
                )
        ledger = self._prefetch_ledger(session, plans)
        newest = self._prefetch_newest(session, plans)
        planned: list[_Planned] = []
        waiting: set[str] = set()
        seen: set[tuple[str, str]] = set()  # one write per ledger key per batch
        touched: list[LedgerRow] = []  # written together below, not one by one
        for record, operations in plans:
            state = RecordState.IN_STEP
            for operation in operations:
                slot = (operation.target_system, operation.ledger_key)
                if slot in seen:
                    continue
                seen.add(slot)
                entry = ledger.get((record.source_system, *slot))
                item = self._intend(record, operation, entry, newest, touched)
                if item is None:
                    continue
                if item is _Skip.SUPERSEDED:
                    state = _worst(state, RecordState.SUPERSEDED)
                    continue
                if item is _Skip.WAITING:
                    state = _worst(state, RecordState.DEFERRED)
                    waiting.add(record.key)
                    continue
                if item is _Skip.DEAD:
                    state = RecordState.DEAD
                    out.still_dead += 1
                    continue
                planned.append(item)
                state = _worst(state, RecordState.PENDING)
            out.record_states[record.key] = state
            if state == RecordState.IN_STEP:
                out.in_step += 1
            elif state == RecordState.SUPERSEDED:
                out.superseded += 1
                log.warning(
                    "vervangen, niet geschreven: flow=%s key=%s (een nieuwere wijziging van "
                    "hetzelfde object was al afgeleverd of onderweg)",
                    self.flow.name,
                    mask_text(record.key),
                )
        session.flush()  # the dead letters
        changed = [
            {
                "id": row.id,
                "state": row.state,
                "content_hash": row.content_hash,
                "ordering_value": row.ordering_value,
                "attempts": row.attempts,
            }
            for row in touched
            if row.id is not None
        ]
        insert_rows(session, [row for row in touched if row.id is None])  # ids for step 3
        update_rows(session, changed, utcnow())
        return planned, waiting

    def _intend(
        self,
        record: SourceRecord,
        operation: Operation,
        entry: LedgerRow | None,
        newest: _Newest,
        touched: list[LedgerRow],
    ) -> _Planned | _Skip | None:
        """Ledger row for one operation (every row it changes or makes goes to ``touched``);
        None when nothing is to be written."""
        digest = operation.content_hash
        if entry is not None:
            if entry.state == LedgerState.DEAD:
                return _Skip.DEAD
            if entry.state == LedgerState.SUPERSEDED or (
                entry.state == LedgerState.DELIVERED and entry.content_hash == digest
            ):
                return None
        if operation.ordering_key and operation.ordering_value:
            slot = (operation.target_system, operation.ordering_key)
            value = operation.ordering_value
            current = newest.delivered.get(slot)
            # Not written yet (new, pending after a resend, or deferred in flight) and older
            # than a change of the same object already delivered: writing it now would put
            # the object back in time.
            unwritten = entry is None or entry.state in (LedgerState.PENDING, LedgerState.IN_FLIGHT)
            delivered = entry is not None and entry.state == LedgerState.DELIVERED
            if delivered and current is not None and value < current:
                # A late, older version of a record delivered since in a newer one (a BBR
                # export Allegro corrected, then sent again late): never written over it.
                return _SUPERSEDED
            if unwritten and current is not None and value < current:
                if entry is None:
                    entry = self._new_entry(record, operation, digest)
                touched.append(entry)
                entry.state = LedgerState.SUPERSEDED
                return _SUPERSEDED
            # A newer change is still in flight elsewhere (it may have landed): wait for its
            # outcome rather than guess; the record goes back to its source, unacknowledged.
            elsewhere = newest.in_flight.get(slot)
            if unwritten and elsewhere is not None and value < elsewhere:
                return _WAITING
            if current is None or value > current:
                newest.delivered[slot] = value  # planned: written in this order, in this batch
        needs_check = entry is not None and entry.state == LedgerState.IN_FLIGHT
        if entry is None:
            entry = self._new_entry(record, operation, digest)
        touched.append(entry)
        entry.state = LedgerState.IN_FLIGHT
        entry.content_hash = digest
        entry.ordering_value = operation.ordering_value  # the version now being written
        entry.attempts += 1
        return _Planned(record, operation, entry, needs_check, entry.attempts)

    def _new_entry(self, record: SourceRecord, operation: Operation, digest: str) -> LedgerRow:
        return LedgerRow(
            flow=self.flow.name,
            source_system=record.source_system,
            source_key=operation.ledger_key,
            target_system=operation.target_system,
            target_key=operation.target_key,
            operation=operation.name,
            content_hash=digest,
            ordering_key=operation.ordering_key,
            ordering_value=operation.ordering_value,
            state=LedgerState.PENDING,
            attempts=0,
        )

    # -- step 2 -------------------------------------------------------------------------------
    def _write(self, item: _Planned) -> tuple[WriteState, PermanentError | None]:
        """Apply one operation; check the target first whenever an earlier try may have landed."""
        target = self.targets[item.operation.target_system]
        must_check = item.needs_check

        def attempt() -> None:
            nonlocal must_check
            if must_check:
                if target.is_applied(item.operation):
                    return
                must_check = False
            crash_point("before_target_write")
            try:
                target.apply(item.operation)
            except AmbiguousWriteError:
                must_check = True
                raise

        try:
            self.retry.call(attempt)
        except AlreadyExistsError:
            pass
        except PermanentError as error:
            return LedgerState.DEAD, error
        except TransientError as error:
            log.warning(
                "deferred %s %s after %s attempts: %s",
                item.operation.name,
                item.operation.ledger_key,
                self.retry.attempts,
                mask_text(str(error)),
            )
            return _DEFERRED, None
        crash_point("after_target_write")
        return LedgerState.DELIVERED, None

    # -- the whole batch ----------------------------------------------------------------------
    def run_batch(
        self,
        batch: SourceBatch,
        *,
        cursor_source: str | None = None,
        on_commit: CommitHook,
        raise_when_stuck: bool = True,
    ) -> BatchOutcome:
        """Process one batch through the three steps; see the module docstring.

        An operation whose transient faults outlast the retry budget is *deferred*: it and every
        later operation on the same target object stay unwritten (so their order holds), their
        records are handed back to the source unacknowledged, and the rest of the batch goes on.
        When nothing at all could be written, the batch still commits and then raises
        :class:`TransientError`, so Airflow retries the task with its backoff (unless
        ``raise_when_stuck`` is False: a resend reports the deferral to beheer instead).
        """
        out = BatchOutcome()
        with self.store.session() as session:
            planned, waiting = self._intent(session, batch.records, out)
        crash_point("after_intent")
        results = self._write_all(planned)
        written = 0
        with self.store.session() as session:
            now = utcnow()
            changes: list[dict[str, object]] = []  # one UPDATE by id for the whole batch
            for item, state, error in results:
                key = item.record.key
                change: dict[str, object] = {"id": item.ledger_id}
                changes.append(change)
                if state in (_DEFERRED, _BLOCKED):
                    # Tried and failed, or in flight from before: may have landed, check next
                    # time. Never tried: pending.
                    may_have_landed = state == _DEFERRED or item.needs_check
                    change["state"] = (
                        LedgerState.IN_FLIGHT if may_have_landed else LedgerState.PENDING
                    )
                    if out.record_states.get(key) != RecordState.DEAD:
                        out.record_states[key] = RecordState.DEFERRED
                    continue
                change["state"] = state
                if state == LedgerState.SUPERSEDED:
                    if out.record_states.get(key) == RecordState.PENDING:
                        out.record_states[key] = RecordState.SUPERSEDED
                        out.superseded += 1
                    continue
                if error is not None:
                    change["last_error"] = mask_text(str(error))
                    self._dead(
                        session,
                        out,
                        source_system=item.record.source_system,
                        key=item.operation.ledger_key,
                        payload_ref=item.record.payload_ref,
                        error=error,
                        attempts=item.attempts,
                        record=item.record,
                    )
                    out.record_states[key] = RecordState.DEAD
                    continue
                written += 1
                if out.record_states.get(key) == RecordState.PENDING:
                    out.record_states[key] = RecordState.DELIVERED
            update_rows(session, changes, now)
            for key, record_state in out.record_states.items():
                if record_state == RecordState.DELIVERED:
                    out.delivered += 1
                elif record_state == RecordState.DEFERRED:
                    out.deferred += 1
                elif record_state == RecordState.PENDING:  # every write of it failed for good
                    out.record_states[key] = RecordState.DEAD
            if cursor_source is not None and batch.cursor_after is not None and not out.deferred:
                self._advance_cursor(session, cursor_source, batch.cursor_after)
            on_commit(session, out)
        deferred_writes = out.deferred - len(waiting)
        if raise_when_stuck and deferred_writes > 0 and not written:
            raise TransientError(
                f"{out.deferred} record(s) uitgesteld: het doelsysteem bleef onbereikbaar",
                operation=self.flow.name,
            )
        return out

    def _write_all(
        self, planned: Sequence[_Planned]
    ) -> list[tuple[_Planned, WriteState, PermanentError | None]]:
        """Write each object's operations in order, different objects side by side.

        One object (a zaak in the e-Suite) is one group: its writes go one after the other, and
        after a deferral the later ones wait (``_BLOCKED``). Groups run on ``write_concurrency``
        threads, so a slow or faulty answer for one zaak does not hold up the others.
        """
        groups: dict[tuple[str, str], list[int]] = {}
        for index, item in enumerate(planned):
            groups.setdefault((item.operation.target_system, item.operation.target_key), []).append(
                index
            )
        results: list[tuple[_Planned, WriteState, PermanentError | None] | None]
        results = [None] * len(planned)

        def run_group(indexes: list[int]) -> None:
            decided = self._settle_landed([planned[index] for index in indexes])
            deferred = False
            for position, index in enumerate(indexes):
                item = planned[index]
                if position in decided:
                    results[index] = (item, decided[position], None)
                    deferred = deferred or decided[position] == _BLOCKED
                    continue
                if deferred:
                    results[index] = (item, _BLOCKED, None)
                    continue
                state, error = self._write(item)
                deferred = state == _DEFERRED
                results[index] = (item, state, error)

        if self.write_concurrency <= 1 or len(groups) <= 1:
            for indexes in groups.values():
                run_group(indexes)
        else:
            with ThreadPoolExecutor(self.write_concurrency, thread_name_prefix="write") as pool:
                for future in [pool.submit(run_group, ix) for ix in groups.values()]:
                    future.result()  # re-raise the first unexpected error
        return [result for result in results if result is not None]

    def _settle_landed(self, items: Sequence[_Planned]) -> dict[int, WriteState]:
        """Before one object's changes are written in order: did a newer one already land?

        A change left in flight by a crashed or deferred run may have landed. When the newest
        such change of the object did, writing the older unwritten ones now would put the
        object back in time: they are superseded, and it is delivered. Returns the positions
        decided without writing (empty: write one by one as usual). When the target cannot
        say now, the whole object waits (blocked) rather than risk the order.
        """
        for position in range(len(items) - 1, -1, -1):
            item = items[position]
            value = item.operation.ordering_value
            if not (item.needs_check and value):
                continue
            target = self.targets[item.operation.target_system]
            try:
                if not self.retry.retrying()(target.is_applied, item.operation):
                    continue
                decided: dict[int, WriteState] = {position: LedgerState.DELIVERED}
                for earlier in range(position):
                    older = items[earlier]
                    if not (
                        older.operation.ordering_value and older.operation.ordering_value < value
                    ):
                        continue
                    landed = older.needs_check and self.retry.retrying()(
                        target.is_applied, older.operation
                    )
                    decided[earlier] = LedgerState.DELIVERED if landed else LedgerState.SUPERSEDED
            except TransientError:
                return dict.fromkeys(range(len(items)), _BLOCKED)
            except PermanentError:
                return {}  # the writes meet it again, one by one, and dead-letter it
            return decided
        return {}

    def _advance_cursor(self, session: Session, source_system: str, value: str) -> None:
        cursor = session.get(Cursor, (self.flow.name, source_system))
        if cursor is None:
            session.add(Cursor(flow=self.flow.name, source_system=source_system, value=value))
        else:
            cursor.value = value

    def read_cursor(self, source_system: str) -> str | None:
        with self.store.session() as session:
            cursor = session.get(Cursor, (self.flow.name, source_system))
            return cursor.value if cursor else None

    def open_dead_letters(self) -> int:
        with self.store.session() as session:
            return (
                session.scalar(
                    select(func.count(DeadLetter.id)).where(
                        DeadLetter.flow == self.flow.name, DeadLetter.state == "open"
                    )
                )
                or 0
            )

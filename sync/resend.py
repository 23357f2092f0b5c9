"""Resend and skip: what beheer does with a dead letter, safely and audited.

A resend is a *request* (``resend_requested``); the flow's next run performs it. Claiming a
request is a compare-and-set on the row (``resend_requested`` → ``resending``), so two people
pressing resend at once, or two runs picking it up, deliver once. The engine's ledger makes
the write itself idempotent as well. A claim older than :data:`STALE_AFTER` (a crashed run)
may be claimed again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from adapters.base import RecordError, SourceBatch, SourceRecord
from sync.audit import audit
from sync.engine import BatchOutcome, Engine
from sync.store.db import Store
from sync.store.models import DeadLetter, DeadLetterState, LedgerEntry, LedgerState, utcnow

__all__ = [
    "STALE_AFTER",
    "ResendRefused",
    "claim_requested",
    "request_resend",
    "resend_claimed",
    "skip_dead_letter",
]

STALE_AFTER = timedelta(minutes=30)
ENGINE_ACTOR = "ketenbrug"

RecordLoader = Callable[[DeadLetter], Sequence[SourceRecord | RecordError]]


class ResendRefused(Exception):
    """The dead letter is not in a state that allows this action (text is for beheer)."""


def _transition(
    store: Store,
    letter_id: int,
    *,
    allowed: Sequence[DeadLetterState],
    new_state: DeadLetterState,
    actor: str,
    action: str,
    detail: str = "",
) -> None:
    with store.session() as session:
        result = session.execute(
            update(DeadLetter)
            .where(DeadLetter.id == letter_id, DeadLetter.state.in_(allowed))
            .values(state=new_state, updated_at=utcnow())
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            letter = session.get(DeadLetter, letter_id)
            state = letter.state if letter else "bestaat niet"
            raise ResendRefused(f"dead letter {letter_id} kan niet: status is {state}")
        if new_state == DeadLetterState.SKIPPED:
            letter = session.get(DeadLetter, letter_id)
            if letter is not None:
                letter.resolved_at = utcnow()
        audit(
            session,
            actor=actor,
            action=action,
            object_type="dead_letter",
            object_id=str(letter_id),
            detail=detail,
        )


def request_resend(store: Store, letter_id: int, *, actor: str) -> None:
    """Ask the flow to deliver this record again on its next run (idempotent for beheer)."""
    with store.session() as session:
        letter = session.get(DeadLetter, letter_id)
        if letter is not None and letter.state == DeadLetterState.RESEND_REQUESTED:
            return  # pressed twice: one request
    _transition(
        store,
        letter_id,
        allowed=(DeadLetterState.OPEN,),
        new_state=DeadLetterState.RESEND_REQUESTED,
        actor=actor,
        action="resend_requested",
    )


def skip_dead_letter(store: Store, letter_id: int, *, actor: str, reason: str) -> None:
    """Close a dead letter without delivering (beheer decided it needs no delivery)."""
    if not reason.strip():
        raise ResendRefused("geef een reden op om over te slaan")
    _transition(
        store,
        letter_id,
        allowed=(DeadLetterState.OPEN, DeadLetterState.RESEND_REQUESTED),
        new_state=DeadLetterState.SKIPPED,
        actor=actor,
        action="skipped",
        detail=reason,
    )


def claim_requested(store: Store, flow: str, *, limit: int = 500) -> list[int]:
    """Claim resend requests of a flow (and stale claims of crashed runs) for this run."""
    stale = utcnow() - STALE_AFTER
    with store.session() as session:
        candidates = list(
            session.scalars(
                select(DeadLetter.id)
                .where(
                    DeadLetter.flow == flow,
                    or_(
                        DeadLetter.state == DeadLetterState.RESEND_REQUESTED,
                        (DeadLetter.state == DeadLetterState.RESENDING)
                        & (DeadLetter.updated_at < stale),
                    ),
                )
                .order_by(DeadLetter.id)
                .limit(limit)
            )
        )
    claimed: list[int] = []
    for letter_id in candidates:
        with store.session() as session:
            result = session.execute(
                update(DeadLetter)
                .where(
                    DeadLetter.id == letter_id,
                    or_(
                        DeadLetter.state == DeadLetterState.RESEND_REQUESTED,
                        (DeadLetter.state == DeadLetterState.RESENDING)
                        & (DeadLetter.updated_at < stale),
                    ),
                )
                .values(state=DeadLetterState.RESENDING, updated_at=utcnow())
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                claimed.append(letter_id)
    return claimed


def resend_claimed(
    store: Store, engine: Engine, letter_ids: Sequence[int], load: RecordLoader
) -> BatchOutcome:
    """Run the claimed dead letters' records through the engine once more."""
    total = BatchOutcome()
    for letter_id in letter_ids:
        with store.session() as session:
            letter = session.get(DeadLetter, letter_id)
            if letter is None or letter.state != DeadLetterState.RESENDING:
                continue
            records = [
                r
                for r in load(letter)
                if letter.source_key in (r.key, letter.payload_ref) or isinstance(r, RecordError)
            ]
            # Let the engine write what it refused before (dead → pending).
            session.execute(
                update(LedgerEntry)
                .where(
                    LedgerEntry.flow == letter.flow,
                    LedgerEntry.source_system == letter.source_system,
                    LedgerEntry.source_key.in_([r.key for r in records] + [letter.source_key]),
                    LedgerEntry.state == LedgerState.DEAD,
                )
                .values(state=LedgerState.PENDING)
            )
        keys = {r.key for r in records}

        def finish(
            session: Session,
            outcome: BatchOutcome,
            *,
            _id: int = letter_id,
            _keys: set[str] = keys,
        ) -> None:
            failed = any(outcome.record_states.get(key) == "dead" for key in _keys)
            done = session.get(DeadLetter, _id)
            if done is None:
                return
            done.state = DeadLetterState.OPEN if failed else DeadLetterState.RESENT
            done.resolved_at = None if failed else utcnow()
            audit(
                session,
                actor=ENGINE_ACTOR,
                action="resend_failed" if failed else "resent",
                object_type="dead_letter",
                object_id=str(_id),
                detail=done.message if failed else "",
            )

        total.add(engine.run_batch(SourceBatch(records=list(records)), on_commit=finish))
    return total

"""Resend and skip: what beheer does with a dead letter, safely and audited.

A resend is a *request* (``resend_requested``); the flow's next run performs it. Claiming a
request is a compare-and-set on the row (``resend_requested`` → ``resending``), so two people
pressing resend at once, or two runs picking it up, deliver once. The engine's ledger makes
the write itself idempotent as well. A claim older than :data:`STALE_AFTER` (a crashed run)
may be claimed again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from adapters.base import RecordError, SourceBatch, SourceRecord
from sync.audit import audit
from sync.claims import ClaimLostError, expiry, keep_alive, new_owner, owner_is_dead
from sync.deadletters import record_from_letter
from sync.engine import BatchOutcome, Engine, RecordState
from sync.failpoints import crash_point
from sync.inbox import InboxSource
from sync.store.db import Store
from sync.store.models import (
    DeadLetter,
    DeadLetterState,
    LedgerEntry,
    LedgerState,
    as_utc,
    utcnow,
)

__all__ = [
    "ResendRefused",
    "claim_requested",
    "perform_resends",
    "request_resend",
    "resend_claimed",
    "resend_requested",
    "skip_dead_letter",
]

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


def request_resend(store: Store, letter_id: int, *, actor: str) -> bool:
    """Ask the flow to deliver this record again on its next run (idempotent for beheer).

    True when this call made the request; False when it was requested already (pressed twice,
    or by a colleague at the same moment): one request, one audit row.
    """
    with store.session() as session:
        letter = session.get(DeadLetter, letter_id)
        if letter is not None and letter.state == DeadLetterState.RESEND_REQUESTED:
            return False  # pressed twice: one request
    try:
        _transition(
            store,
            letter_id,
            allowed=(DeadLetterState.OPEN,),
            new_state=DeadLetterState.RESEND_REQUESTED,
            actor=actor,
            action="resend_requested",
        )
    except ResendRefused:
        with store.session() as session:
            state = session.scalar(select(DeadLetter.state).where(DeadLetter.id == letter_id))
        if state in (DeadLetterState.RESEND_REQUESTED, DeadLetterState.RESENDING):
            return False  # another press won the compare-and-set a moment earlier
        raise
    return True


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


@dataclass(frozen=True)
class _Candidate:
    """A claimable letter as the candidate query saw it: requested, or held by a stale owner."""

    letter_id: int
    stale_owner: str | None = None  # the owner seen on a stale RESENDING row
    expired: bool = False  # stale by expiry (else by its owner's death, or requested)


def _candidate_ids(store: Store, flow: str, limit: int) -> list[_Candidate]:
    """Resend requests of a flow, and resends whose claim went stale (oldest first)."""
    now = utcnow()
    with store.session() as session:
        rows = session.execute(
            select(
                DeadLetter.id, DeadLetter.state, DeadLetter.claim_owner, DeadLetter.claimed_until
            )
            .where(
                DeadLetter.flow == flow,
                DeadLetter.state.in_([DeadLetterState.RESEND_REQUESTED, DeadLetterState.RESENDING]),
            )
            .order_by(DeadLetter.id)
            .limit(limit)
        ).all()
    found: list[_Candidate] = []
    for letter_id, state, owner, until in rows:
        if state == DeadLetterState.RESEND_REQUESTED:
            found.append(_Candidate(letter_id))
            continue
        expired = until is None or as_utc(until) < now
        if expired or owner_is_dead(owner):
            found.append(_Candidate(letter_id, owner, expired))
    return found


def _claimable(candidate: _Candidate, now: datetime) -> Any:
    """The compare-and-set condition: the row is still as the candidate query saw it.

    Still requested; or still held by the stale owner seen (and, when it was stale by expiry,
    still expired: a claim renewed in the meantime is left alone).
    """
    if candidate.stale_owner is None and not candidate.expired:
        return (DeadLetter.id == candidate.letter_id) & (
            DeadLetter.state == DeadLetterState.RESEND_REQUESTED
        )
    same_owner = (
        DeadLetter.claim_owner.is_(None)
        if candidate.stale_owner is None
        else DeadLetter.claim_owner == candidate.stale_owner
    )
    if candidate.expired:
        same_owner = same_owner & or_(
            DeadLetter.claimed_until.is_(None), DeadLetter.claimed_until < now
        )
    return (
        (DeadLetter.id == candidate.letter_id)
        & (DeadLetter.state == DeadLetterState.RESENDING)
        & same_owner
    )


def claim_requested(
    store: Store, flow: str, *, owner: str | None = None, limit: int = 500
) -> list[int]:
    """Claim resend requests of a flow (and stale claims of crashed runs) for ``owner``.

    Each claim is a compare-and-set on the row as the candidate query saw it: of two runs that
    saw the same request, one claims it. The claim holds for the lease
    (:func:`sync.claims.claim_lease`) and is renewed while the resend runs.
    """
    owner = owner or new_owner()
    claimed: list[int] = []
    for candidate in _candidate_ids(store, flow, limit):
        now = utcnow()
        with store.session() as session:
            result = session.execute(
                update(DeadLetter)
                .where(_claimable(candidate, now))
                .values(
                    state=DeadLetterState.RESENDING,
                    claim_owner=owner,
                    claimed_until=expiry(now),
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                claimed.append(candidate.letter_id)
    return claimed


def _held_by(letter_id: int, owner: str) -> Any:
    """The letter is still being resent under ``owner``'s claim."""
    return (
        (DeadLetter.id == letter_id)
        & (DeadLetter.claim_owner == owner)
        & (DeadLetter.state == DeadLetterState.RESENDING)
    )


def _settle(letter_id: int, owner: str, state: DeadLetterState, note: str | None) -> Any:
    """End our claim: the letter's next state and the note for beheer, compare-and-set."""
    now = utcnow()
    return (
        update(DeadLetter)
        .where(_held_by(letter_id, owner))
        .values(
            state=state,
            claim_owner=None,
            claimed_until=None,
            resend_note=note,
            resolved_at=now if state == DeadLetterState.RESENT else None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )


def _renew(store: Store, letter_id: int, owner: str) -> bool:
    with store.session() as session:
        result = session.execute(
            update(DeadLetter)
            .where(_held_by(letter_id, owner))
            .values(claimed_until=expiry(utcnow()))
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def _release(store: Store, letter_id: int, owner: str, note: str) -> None:
    """Give a claim back after a run that failed: the letter is open again, with the note."""
    with store.session() as session:
        result = session.execute(_settle(letter_id, owner, DeadLetterState.OPEN, note))
        if result.rowcount == 1:  # type: ignore[attr-defined]
            audit(
                session,
                actor=ENGINE_ACTOR,
                action="resend_failed",
                object_type="dead_letter",
                object_id=str(letter_id),
                detail=note,
            )


def _verdict(states: Sequence[RecordState | None]) -> tuple[DeadLetterState, str, str | None]:
    """The letter's next state, the audit action and the note for beheer, from its records."""
    if not states:
        return (
            DeadLetterState.OPEN,
            "resend_failed",
            "opnieuw aanbieden: het bericht is niet meer te lezen; overslaan of herstellen",
        )
    if any(state == RecordState.DEAD for state in states):
        return DeadLetterState.OPEN, "resend_failed", None
    if any(state in (RecordState.DEFERRED, RecordState.PENDING, None) for state in states):
        return (
            DeadLetterState.OPEN,
            "resend_deferred",
            f"opnieuw aanbieden uitgesteld op {utcnow():%Y-%m-%d %H:%M} UTC: het doelsysteem "
            "was onbereikbaar; niets afgeleverd, vraag opnieuw aan",
        )
    if any(state == "superseded" for state in states):
        return (
            DeadLetterState.RESENT,
            "resent",
            "niet geschreven: een nieuwere status van de zaak was al afgeleverd",
        )
    return DeadLetterState.RESENT, "resent", None


def resend_claimed(
    store: Store,
    engine: Engine,
    letter_ids: Sequence[int],
    load: RecordLoader,
    *,
    owner: str,
) -> BatchOutcome:
    """Run the claimed dead letters' records through the engine once more.

    A letter is resolved (``resent``) only when every record of it was delivered or found in
    step; a record deferred (target down) or never tried leaves it open with a note, so beheer
    sees it and can ask again. A run that fails gives its remaining claims back at once.
    """
    total = BatchOutcome()
    pending = list(letter_ids)
    crash_point("resend_after_claim")
    try:
        while pending:
            letter_id = pending[0]
            with keep_alive(partial(_renew, store, letter_id, owner)):
                outcome = _resend_one(store, engine, letter_id, load, owner)
            pending.pop(0)
            if outcome is not None:
                total.add(outcome)
    finally:
        for letter_id in pending:  # an unexpected error: nothing of these was resolved
            _release(
                store,
                letter_id,
                owner,
                "opnieuw aanbieden afgebroken: de run faalde; vraag opnieuw aan",
            )
    return total


def _belongs(letter_key: str, record_key: str) -> bool:
    """Whether a dead letter is about this record: its own key, or the key of one of its
    writes (a record with several writes, as the doorgifte's zaak and its documents, names
    each write ``<record key>:<what>``)."""
    return letter_key == record_key or letter_key.startswith(record_key + ":")


def _resend_one(
    store: Store, engine: Engine, letter_id: int, load: RecordLoader, owner: str
) -> BatchOutcome | None:
    with store.session() as session:
        letter = session.get(DeadLetter, letter_id)
        if (
            letter is None
            or letter.state != DeadLetterState.RESENDING
            or letter.claim_owner != owner
        ):
            return None
        records = [
            r
            for r in load(letter)
            if _belongs(letter.source_key, r.key)
            or letter.source_key == letter.payload_ref
            or isinstance(r, RecordError)
        ]
        ledger_keys = [r.key for r in records] + [letter.source_key]
        # Let the engine write what it refused before. Dead → in flight, not pending: a write
        # parked after a deferral may have landed, so the target is checked first.
        session.execute(
            update(LedgerEntry)
            .where(
                LedgerEntry.flow == letter.flow,
                LedgerEntry.source_system == letter.source_system,
                LedgerEntry.source_key.in_(ledger_keys),
                LedgerEntry.state == LedgerState.DEAD,
            )
            .values(state=LedgerState.IN_FLIGHT)
        )
        flow, source_system = letter.flow, letter.source_system
    keys = sorted({r.key for r in records})

    def finish(session: Session, outcome: BatchOutcome) -> None:
        state, action, note = _verdict([outcome.record_states.get(key) for key in keys])
        done = session.execute(_settle(letter_id, owner, state, note))
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise ClaimLostError(f"dead letter {letter_id} is niet meer van deze run")
        if state == DeadLetterState.OPEN:
            # Open again: its writes are parked with the letter (dead), so they hold nothing
            # back and are only tried again when beheer asks.
            session.execute(
                update(LedgerEntry)
                .where(
                    LedgerEntry.flow == flow,
                    LedgerEntry.source_system == source_system,
                    LedgerEntry.source_key.in_(ledger_keys),
                    LedgerEntry.state.in_([LedgerState.IN_FLIGHT, LedgerState.PENDING]),
                )
                .values(state=LedgerState.DEAD)
                .execution_options(synchronize_session=False)
            )
        message = session.scalar(select(DeadLetter.message).where(DeadLetter.id == letter_id))
        audit(
            session,
            actor=ENGINE_ACTOR,
            action=action,
            object_type="dead_letter",
            object_id=str(letter_id),
            detail=note or (message if action == "resend_failed" else "") or "",
        )

    return engine.run_batch(
        SourceBatch(records=list(records)), on_commit=finish, raise_when_stuck=False
    )


def perform_resends(store: Store, engine: Engine, load: RecordLoader) -> dict[str, object]:
    """Claim the resends beheer asked for in the engine's flow and deliver each once, its
    records from ``load``; returns the counts for the task's XCom."""
    flow = engine.flow.name
    owner = new_owner()
    claimed = claim_requested(store, flow, owner=owner)
    outcome = resend_claimed(store, engine, claimed, load, owner=owner)
    return {"flow": flow, "resends": len(claimed), **outcome.as_dict()}


def resend_requested(store: Store, engine: Engine, functions: tuple[str, ...]) -> dict[str, object]:
    """:func:`perform_resends` of an inbox flow: a dead letter brings its kept record along;
    else its inbox message (of ``functions``) is decoded again."""
    flow = engine.flow.name
    source = InboxSource(store, flow=flow, functions=functions, partition=0, partitions=1)
    return perform_resends(
        store, engine, lambda letter: record_from_letter(letter) or source.records_for(letter)
    )

"""Foutafhandeling: dead letters by filter, one letter in detail, resend and skip (also in bulk).

Resend and skip go through :mod:`sync.resend` (compare-and-set, audited with the Airflow
user's name): beheer only *requests* a resend, the flow's next run claims and delivers it once.
Everything shown passes :func:`privacy.masking.mask_text`: a payload never shows a whole BSN.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, select

from privacy.masking import mask_text
from sync.beheer.overzicht import as_utc
from sync.resend import ResendRefused, request_resend, skip_dead_letter
from sync.store.db import Store
from sync.store.models import AuditEntry, DeadLetter, DeadLetterState, InboxMessage, LedgerEntry

__all__ = [
    "ActionResult",
    "LetterDetail",
    "LetterFilter",
    "bulk_resend",
    "bulk_skip",
    "filter_choices",
    "letter_detail",
    "list_letters",
    "resend",
    "skip",
]

LIST_LIMIT = 200
BULK_LIMIT = 5000
PAYLOAD_CHARS = 20_000

ACTIVE = (DeadLetterState.OPEN, DeadLetterState.RESEND_REQUESTED, DeadLetterState.RESENDING)


@dataclass(frozen=True)
class LetterFilter:
    """What beheer filters on; empty means any. ``state`` "actief" is every unresolved state."""

    flow: str = ""
    system: str = ""
    reason: str = ""
    state: str = "open"
    van: date | None = None
    tot: date | None = None

    def apply(self, query: Select) -> Select:
        if self.flow:
            query = query.where(DeadLetter.flow == self.flow)
        if self.system:
            query = query.where(DeadLetter.source_system == self.system)
        if self.reason:
            query = query.where(DeadLetter.reason == self.reason)
        if self.state == "actief":
            query = query.where(DeadLetter.state.in_(ACTIVE))
        elif self.state and self.state != "alle":
            query = query.where(DeadLetter.state == self.state)
        if self.van:
            query = query.where(
                DeadLetter.created_at >= datetime.combine(self.van, time.min, tzinfo=UTC)
            )
        if self.tot:
            end = datetime.combine(self.tot + timedelta(days=1), time.min, tzinfo=UTC)
            query = query.where(DeadLetter.created_at < end)
        return query


@dataclass
class LetterRow:
    id: int
    flow: str
    system: str
    key: str
    reason: str
    message: str
    state: str
    attempts: int
    created_at: datetime | None
    note: str


def _row(letter: DeadLetter) -> LetterRow:
    return LetterRow(
        id=letter.id,
        flow=letter.flow,
        system=letter.source_system,
        key=mask_text(letter.source_key),
        reason=letter.reason,
        message=mask_text(letter.message or ""),
        state=letter.state,
        attempts=letter.attempts,
        created_at=as_utc(letter.created_at),
        note=mask_text(letter.resend_note or ""),
    )


def list_letters(
    store: Store, flt: LetterFilter, limit: int = LIST_LIMIT
) -> tuple[list[LetterRow], int]:
    """The letters matching the filter (newest first, at most ``limit``) and how many match."""
    from sqlalchemy import func

    with store.session() as session:
        total = session.scalar(flt.apply(select(func.count()).select_from(DeadLetter))) or 0
        letters = session.scalars(
            flt.apply(select(DeadLetter)).order_by(DeadLetter.id.desc()).limit(limit)
        ).all()
        return [_row(letter) for letter in letters], int(total)


def filter_choices(store: Store) -> dict[str, list[str]]:
    """The flows, systems and reasons that occur, for the filter's drop-downs."""
    with store.session() as session:
        return {
            "flows": sorted(session.scalars(select(DeadLetter.flow).distinct()).all()),
            "systems": sorted(session.scalars(select(DeadLetter.source_system).distinct()).all()),
            "reasons": sorted(session.scalars(select(DeadLetter.reason).distinct()).all()),
        }


@dataclass
class LedgerRow:
    target: str
    target_key: str
    operation: str
    state: str
    attempts: int
    last_error: str
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def of(cls, entry: LedgerEntry) -> LedgerRow:
        """The row beheer sees: the target key and last error masked (they may hold a BSN)."""
        return cls(
            target=entry.target_system,
            target_key=mask_text(entry.target_key or ""),
            operation=entry.operation,
            state=entry.state,
            attempts=entry.attempts,
            last_error=mask_text(entry.last_error or ""),
            created_at=as_utc(entry.created_at),
            updated_at=as_utc(entry.updated_at),
        )


@dataclass
class AuditRow:
    at: datetime | None
    actor: str
    action: str
    detail: str


@dataclass
class LetterDetail:
    letter: LetterRow
    payload_ref: str
    payload: str
    ledger: list[LedgerRow] = field(default_factory=list)
    audit: list[AuditRow] = field(default_factory=list)


def _payload(session: object, letter: DeadLetter) -> str:
    """The message or record the letter came from, masked; empty once it was purged."""
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    text = ""
    ref = letter.payload_ref or ""
    if ref.startswith("inbox:") and ref[6:].isdigit():
        message = session.get(InboxMessage, int(ref[6:]))
        if message is not None:
            if message.body:
                text = message.body.decode("utf-8", "replace")
            elif message.record_json:
                text = json.dumps(json.loads(message.record_json), indent=2, ensure_ascii=False)
    if not text and letter.record_json:
        text = json.dumps(json.loads(letter.record_json), indent=2, ensure_ascii=False)
    if len(text) > PAYLOAD_CHARS:
        text = text[:PAYLOAD_CHARS] + "\n… (ingekort)"
    return mask_text(text)


def audit_rows(session: object, object_type: str, object_id: str) -> list[AuditRow]:
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_type == object_type, AuditEntry.object_id == object_id)
        .order_by(AuditEntry.id)
    ).all()
    return [
        AuditRow(as_utc(e.at), mask_text(e.actor), e.action, mask_text(e.detail or ""))
        for e in entries
    ]


def ledger_rows(
    session: object, flow: str | None, system: str | None, keys: list[str]
) -> list[LedgerRow]:
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    query = select(LedgerEntry).where(LedgerEntry.source_key.in_(keys))
    if flow:
        query = query.where(LedgerEntry.flow == flow)
    if system:
        query = query.where(LedgerEntry.source_system == system)
    return [LedgerRow.of(e) for e in session.scalars(query.order_by(LedgerEntry.id)).all()]


def letter_detail(store: Store, letter_id: int) -> LetterDetail | None:
    with store.session() as session:
        letter = session.get(DeadLetter, letter_id)
        if letter is None:
            return None
        return LetterDetail(
            letter=_row(letter),
            payload_ref=letter.payload_ref or "",
            payload=_payload(session, letter),
            ledger=ledger_rows(session, letter.flow, letter.source_system, [letter.source_key]),
            audit=audit_rows(session, "dead_letter", str(letter.id)),
        )


@dataclass
class ActionResult:
    """What a (bulk) action did, for the message beheer sees after pressing the button."""

    done: list[int] = field(default_factory=list)
    already: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)

    def message(self, verb: str) -> str:
        parts = [f"{len(self.done)} {verb}"]
        if self.already:
            parts.append(f"{len(self.already)} waren al aangevraagd")
        if self.refused:
            first = next(iter(self.refused.values()))
            parts.append(f"{len(self.refused)} niet mogelijk ({first})")
        return "; ".join(parts) + "."


def _state(store: Store, letter_id: int) -> str | None:
    with store.session() as session:
        return session.scalar(select(DeadLetter.state).where(DeadLetter.id == letter_id))


def resend(store: Store, letter_ids: list[int], *, actor: str) -> ActionResult:
    """Request a resend of each letter; a letter someone else just requested counts as such."""
    result = ActionResult()
    for letter_id in letter_ids:
        before = _state(store, letter_id)
        if before == DeadLetterState.RESEND_REQUESTED:
            result.already.append(letter_id)
            continue
        try:
            if request_resend(store, letter_id, actor=actor):
                result.done.append(letter_id)
            else:
                result.already.append(letter_id)  # a colleague pressed at the same moment
        except ResendRefused as refused:
            result.refused[letter_id] = str(refused)
    return result


def skip(store: Store, letter_ids: list[int], *, actor: str, reason: str) -> ActionResult:
    """Close each letter without delivery; the reason is required and lands in the audit log."""
    result = ActionResult()
    if not reason.strip():
        for letter_id in letter_ids:
            result.refused[letter_id] = "geef een reden op om over te slaan"
        return result
    for letter_id in letter_ids:
        try:
            skip_dead_letter(store, letter_id, actor=actor, reason=reason.strip())
            result.done.append(letter_id)
        except ResendRefused as refused:
            result.refused[letter_id] = str(refused)
    return result


def _ids_for(store: Store, flt: LetterFilter, states: tuple[str, ...]) -> list[int]:
    with store.session() as session:
        query = flt.apply(select(DeadLetter.id)).where(DeadLetter.state.in_(states))
        return list(session.scalars(query.order_by(DeadLetter.id).limit(BULK_LIMIT)).all())


def bulk_resend(store: Store, flt: LetterFilter, *, actor: str) -> ActionResult:
    """Request a resend of every open letter the filter matches."""
    return resend(store, _ids_for(store, flt, (DeadLetterState.OPEN,)), actor=actor)


def bulk_skip(store: Store, flt: LetterFilter, *, actor: str, reason: str) -> ActionResult:
    """Skip every open (or requested) letter the filter matches, with one reason."""
    ids = _ids_for(store, flt, (DeadLetterState.OPEN, DeadLetterState.RESEND_REQUESTED))
    return skip(store, ids, actor=actor, reason=reason)

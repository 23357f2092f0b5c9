"""Dead letters: what a flow could not deliver, with a reason beheer can act on."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.base import SourceRecord
from privacy.masking import mask_text
from sync.store.models import DeadLetter, DeadLetterState, utcnow

__all__ = ["open_dead_letter", "record_dead_letter", "record_from_letter"]

# A record has at most one unresolved dead letter, whatever step of a resend it is in.
_UNRESOLVED = (
    DeadLetterState.OPEN,
    DeadLetterState.RESEND_REQUESTED,
    DeadLetterState.RESENDING,
)


def open_dead_letter(
    session: Session, flow: str, source_system: str, source_key: str
) -> DeadLetter | None:
    return session.scalar(
        select(DeadLetter).where(
            DeadLetter.flow == flow,
            DeadLetter.source_system == source_system,
            DeadLetter.source_key == source_key,
            DeadLetter.state.in_(_UNRESOLVED),
        )
    )


def record_dead_letter(
    session: Session,
    *,
    flow: str,
    source_system: str,
    source_key: str,
    reason: str,
    message: str,
    payload_ref: str | None,
    attempts: int = 1,
    record: SourceRecord | None = None,
) -> DeadLetter:
    """Create the dead letter, or update the open one for the same record (never two open).

    ``letter.attempts > 1`` afterwards tells the caller the record had failed before.

    The message is masked here as a last line of defence: no BSN reaches the beheer pages.
    """
    text = mask_text(message)
    existing = open_dead_letter(session, flow, source_system, source_key)
    if existing is not None:
        existing.reason = reason
        existing.message = text
        existing.attempts = max(existing.attempts, attempts) + 1
        existing.updated_at = utcnow()
        return existing
    letter = DeadLetter(
        record_json=_kept_record(record, payload_ref),
        flow=flow,
        source_system=source_system,
        source_key=source_key,
        reason=reason,
        message=text,
        payload_ref=payload_ref,
        attempts=attempts,
    )
    session.add(letter)
    return letter


def _kept_record(record: SourceRecord | None, payload_ref: str | None) -> str | None:
    """The record itself, for a resend, when its source cannot give it again.

    Inbox messages stay in the inbox until their dead letter is resolved, so for them the
    reference is enough. Files (Allegro) are answered and archived by their system: there
    the record is kept here, and purged with the dead letter.
    """
    if record is None or (payload_ref or "").startswith("inbox:"):
        return None
    return json.dumps(
        {
            "source_system": record.source_system,
            "key": record.key,
            "kind": record.kind,
            "data": record.data,
            "payload_ref": record.payload_ref,
            "ordering_key": record.ordering_key,
            "ordering_value": record.ordering_value,
        },
        default=str,
    )


def record_from_letter(letter: DeadLetter) -> list[SourceRecord]:
    """The record kept with a dead letter (empty when it was not kept)."""
    if not letter.record_json:
        return []
    return [SourceRecord(**json.loads(letter.record_json))]

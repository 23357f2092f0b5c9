"""Dead letters: what a flow could not deliver, with a reason beheer can act on."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from stuf.privacy import mask_text
from sync.store.models import DeadLetter, DeadLetterState, utcnow

__all__ = ["open_dead_letter", "record_dead_letter"]

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

"""Keep personal data no longer than needed (AVG): purge delivered payloads after N days.

The ledger keeps keys and hashes only, so it stays. What holds content is purged:

- the body of an inbox message ``processed`` more than ``days`` ago;
- the body (or the kept record: a document's fields, or where a refused message's raw bytes
  went) of a ``dead`` inbox message and the kept record of a dead letter once that dead letter
  was resolved (resent or skipped) more than ``days`` ago;
- a document's content in the blob store, once no unprocessed inbox message and no open dead
  letter refers to it and it is older than ``days`` (so also what was kept of a refused
  document message, once its dead letter is resolved);
- the temporary ``.blob-*.part`` files a killed writer left, once untouched for
  ``part_max_age_s`` (a live writer keeps touching its file, so it is never taken);
- the e-Suite's ZGW notificaties the documenten source has read (its cursor is past them),
  once received more than ``days`` ago (no personal data, but a row per document for ever).

Open dead letters keep their payload: beheer still needs it to repair and resend.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, or_, select, update

from adapters.esuite.client import SYSTEM as ESUITE
from sync.blobs import PART_GLOB
from sync.flows.documenten import FLOW_NAME as DOCUMENTEN
from sync.inbox import DOCUMENT_FUNCTIONS
from sync.sources.esuite_documents import SourcePosition
from sync.store.db import Store
from sync.store.models import (
    Cursor,
    DeadLetter,
    DeadLetterState,
    InboxMessage,
    InboxState,
    ZgwNotificatie,
    utcnow,
)

__all__ = [
    "DEFAULT_PART_MAX_AGE_S",
    "DEFAULT_RETENTION_DAYS",
    "PurgeResult",
    "purge_blobs",
    "purge_notificaties",
    "purge_parts",
    "purge_payloads",
]

DEFAULT_RETENTION_DAYS = 30
#: A ``.part`` file untouched this long belongs to no live writer (a writer touches its file
#: at every chunk; the slowest, a document streamed from a spooled push, takes seconds).
DEFAULT_PART_MAX_AGE_S = 3600.0


_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class PurgeResult:
    inbox_bodies: int
    dead_letter_records: int
    blobs: int = 0
    parts: int = 0
    notificaties: int = 0


def purge_payloads(
    store: Store,
    *,
    days: int = DEFAULT_RETENTION_DAYS,
    blob_root: Path | None = None,
    part_max_age_s: float = DEFAULT_PART_MAX_AGE_S,
) -> PurgeResult:
    """Purge what is older than ``days``; safe to run as often as one likes."""
    if days < 0:
        raise ValueError("days must not be negative")
    cutoff = utcnow() - timedelta(days=days)
    resolved = (DeadLetterState.RESENT, DeadLetterState.SKIPPED)
    with store.session() as session:
        processed = session.execute(
            update(InboxMessage)
            .where(
                InboxMessage.state == InboxState.PROCESSED,
                InboxMessage.processed_at < cutoff,
                InboxMessage.body.is_not(None),
            )
            .values(body=None)
        )
        # The records decoded on arrival (a zaak's initiator BSN among them) go with the body;
        # a document's record (fields and blob reference, no BSN) is left as it always was.
        session.execute(
            update(InboxMessage)
            .where(
                InboxMessage.state == InboxState.PROCESSED,
                InboxMessage.processed_at < cutoff,
                InboxMessage.record_json.is_not(None),
                InboxMessage.function.not_in(DOCUMENT_FUNCTIONS),
            )
            .values(record_json=None)
        )
        refs = [
            ref
            for ref in session.scalars(
                select(DeadLetter.payload_ref).where(
                    DeadLetter.state.in_(resolved),
                    DeadLetter.resolved_at < cutoff,
                    DeadLetter.payload_ref.like("inbox:%"),
                )
            )
            if ref
        ]
        still_open = {
            ref
            for ref in session.scalars(
                select(DeadLetter.payload_ref).where(DeadLetter.state.not_in(resolved))
            )
            if ref
        }
        ids = [int(ref.removeprefix("inbox:")) for ref in set(refs) - still_open]
        dead_bodies = 0
        for start in range(0, len(ids), 500):
            dead_bodies += session.execute(
                update(InboxMessage)
                .where(
                    InboxMessage.id.in_(ids[start : start + 500]),
                    or_(InboxMessage.body.is_not(None), InboxMessage.record_json.is_not(None)),
                )
                .values(body=None, record_json=None)
            ).rowcount  # type: ignore[attr-defined]
        records = session.execute(
            update(DeadLetter)
            .where(
                DeadLetter.state.in_(resolved),
                DeadLetter.resolved_at < cutoff,
                DeadLetter.record_json.is_not(None),
            )
            .values(record_json=None)
        )
    result = PurgeResult(
        inbox_bodies=processed.rowcount + dead_bodies,  # type: ignore[attr-defined]
        dead_letter_records=records.rowcount,  # type: ignore[attr-defined]
        notificaties=purge_notificaties(store, days=days),
    )
    if blob_root is None:
        return result
    return replace(
        result,
        blobs=purge_blobs(store, blob_root, days=days),
        parts=purge_parts(blob_root, max_age_s=part_max_age_s),
    )


def purge_notificaties(store: Store, *, days: int = DEFAULT_RETENTION_DAYS) -> int:
    """Delete the e-Suite notificaties the documenten source has read and older than ``days``.

    A notificatie is read once the source's cursor (``sync.sources.esuite_documents``) names
    its id or a later one, during a ronde as well as after it. One the cursor has not reached
    stays, however old; without a cursor (the source never ran) none goes.
    """
    cutoff = utcnow() - timedelta(days=days)
    with store.session() as session:
        value = session.scalar(
            select(Cursor.value).where(Cursor.flow == DOCUMENTEN, Cursor.source_system == ESUITE)
        )
        position = SourcePosition.parse(value)
        if position is None:
            return 0
        deleted = session.execute(
            delete(ZgwNotificatie).where(
                ZgwNotificatie.source_system == ESUITE,
                ZgwNotificatie.id <= position.notificatie,
                ZgwNotificatie.received_at < cutoff,
            )
        )
    return int(deleted.rowcount)  # type: ignore[attr-defined]


def purge_blobs(store: Store, root: Path, *, days: int = DEFAULT_RETENTION_DAYS) -> int:
    """Remove document content nothing still needs; returns how many blobs went.

    Still needed: what an unprocessed inbox message, a dead one whose dead letter is not
    resolved, or an open dead letter refers to (its record names the blob's SHA-256). A dead
    message with only resolved dead letters needs nothing any more: that is how the raw bytes
    of a refused document message go. A blob is only removed when its file is older than
    ``days`` too, so one written a moment ago and not yet recorded is never touched.
    """
    cutoff = (utcnow() - timedelta(days=days)).timestamp()
    resolved = (DeadLetterState.RESENT, DeadLetterState.SKIPPED)
    keep: set[str] = set()
    with store.session() as session:
        letters = session.execute(
            select(DeadLetter.payload_ref, DeadLetter.state).where(
                DeadLetter.payload_ref.like("inbox:%")
            )
        ).all()
        open_refs = {ref for ref, state in letters if state not in resolved}
        done_refs = {ref for ref, state in letters if state in resolved} - open_refs
        messages = session.execute(
            select(InboxMessage.id, InboxMessage.state, InboxMessage.record_json).where(
                InboxMessage.state != InboxState.PROCESSED,
                InboxMessage.record_json.is_not(None),
            )
        ).all()
        texts = [
            text
            for message_id, state, text in messages
            if state != InboxState.DEAD or f"inbox:{message_id}" not in done_refs
        ]
        texts += session.scalars(
            select(DeadLetter.record_json).where(
                DeadLetter.state.not_in(resolved), DeadLetter.record_json.is_not(None)
            )
        )
    for text in texts:
        keep.update(_SHA256.findall(text or ""))
    removed = 0
    for path in root.glob("??/*"):
        if path.name in keep or not _SHA256.fullmatch(path.name):
            continue
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def purge_parts(root: Path, *, max_age_s: float = DEFAULT_PART_MAX_AGE_S) -> int:
    """Remove ``.blob-*.part`` files (a killed writer's) untouched for ``max_age_s``."""
    if max_age_s < 0:
        raise ValueError("max_age_s must not be negative")
    cutoff = time.time() - max_age_s
    removed = 0
    for path in root.glob(PART_GLOB):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # its writer finished (renamed it) or gave up meanwhile
            continue
    return removed

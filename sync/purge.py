"""Keep personal data no longer than needed (AVG): purge delivered payloads after N days.

The ledger keeps keys and hashes only, so it stays. What holds content is purged:

- the body of an inbox message ``processed`` more than ``days`` ago;
- the body of a ``dead`` inbox message and the kept record of a dead letter once that dead
  letter was resolved (resent or skipped) more than ``days`` ago.

- a document's content in the blob store, once no unprocessed inbox message and no open dead
  letter refers to it and it is older than ``days``.

Open dead letters keep their payload: beheer still needs it to repair and resend.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from sync.store.db import Store
from sync.store.models import DeadLetter, DeadLetterState, InboxMessage, InboxState, utcnow

__all__ = ["DEFAULT_RETENTION_DAYS", "PurgeResult", "purge_payloads"]

DEFAULT_RETENTION_DAYS = 30


_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class PurgeResult:
    inbox_bodies: int
    dead_letter_records: int
    blobs: int = 0


def purge_payloads(
    store: Store, *, days: int = DEFAULT_RETENTION_DAYS, blob_root: Path | None = None
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
                    InboxMessage.id.in_(ids[start : start + 500]), InboxMessage.body.is_not(None)
                )
                .values(body=None)
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
    return PurgeResult(
        inbox_bodies=processed.rowcount + dead_bodies,  # type: ignore[attr-defined]
        dead_letter_records=records.rowcount,  # type: ignore[attr-defined]
        blobs=purge_blobs(store, blob_root, days=days) if blob_root is not None else 0,
    )


def purge_blobs(store: Store, root: Path, *, days: int = DEFAULT_RETENTION_DAYS) -> int:
    """Remove document content nothing still needs; returns how many blobs went.

    Still needed: what an unprocessed (or dead) inbox message or an open dead letter refers
    to (its record names the blob's SHA-256). A blob is only removed when its file is older
    than ``days`` too, so one written a moment ago and not yet recorded is never touched.
    """
    cutoff = (utcnow() - timedelta(days=days)).timestamp()
    resolved = (DeadLetterState.RESENT, DeadLetterState.SKIPPED)
    keep: set[str] = set()
    with store.session() as session:
        texts = [
            *session.scalars(
                select(InboxMessage.record_json).where(
                    InboxMessage.state != InboxState.PROCESSED,
                    InboxMessage.record_json.is_not(None),
                )
            ),
            *session.scalars(
                select(DeadLetter.record_json).where(
                    DeadLetter.state.not_in(resolved), DeadLetter.record_json.is_not(None)
                )
            ),
        ]
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

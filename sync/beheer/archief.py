"""Archief: the latest archive reconciliations, their drift items, repairs, and marking handled.

Marking a drift item handled is a compare-and-set on its state (open → opgelost) with the
reason in its note and in the audit log, so two beheerders never both close it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from privacy.masking import mask_text
from sync.audit import audit
from sync.beheer.overzicht import RunTotals, as_utc
from sync.beheer.overzicht import _runs as flow_runs
from sync.migratie import Budget, MigratieVoortgang
from sync.store.db import Store
from sync.store.models import DriftItemRow, DriftState, LedgerEntry, LedgerState, utcnow

__all__ = ["DriftRefused", "DriftRow", "drift_items", "mark_handled", "reconciliations", "repairs"]

FLOW = "archief_reconciliatie"
_KIND_TEXT = {
    "MISSING_IN_LEFT": "ontbreekt in MyLex",
    "MISSING_IN_RIGHT": "ontbreekt in nieuw archief",
    "DIFFERENT_CHECKSUM": "andere checksum",
    "BESCHADIGD": "beschadigd",
    "XTENDIS_ONTBREEKT": "ontbreekt in Xtendis",
}


class DriftRefused(Exception):
    """The drift item cannot be marked (text for beheer)."""


@dataclass
class DriftRow:
    id: int
    kind: str
    identificatie: str
    state: str
    mylex: str
    archief: str
    note: str
    detected_at: datetime | None
    last_seen_at: datetime | None


def _side(sha: str | None, size: int | None) -> str:
    return "—" if sha is None else f"{sha[:12]}… ({size or 0} bytes)"


@dataclass(frozen=True)
class Migratie:
    """The migration MyLex → new archive as beheer sees it: progress, estimate, latest nights."""

    voortgang: MigratieVoortgang
    budget: Budget
    nachten: int
    runs: list[RunTotals]


def migratie(store: Store) -> Migratie:
    """Where the migration stands and how many nights are left at the configured budget."""
    from sync.migratie import FLOW_NAME as MIGRATIE_FLOW
    from sync.migratie import voortgang
    from sync.tasks.migratie import budget_from_env

    stand, budget = voortgang(store), budget_from_env()
    runs = list(reversed(flow_runs(store, MIGRATIE_FLOW)))[:10]
    return Migratie(stand, budget, stand.nachten(budget), runs)


def reconciliations(store: Store) -> list[RunTotals]:
    """The latest reconciliation runs, newest first."""
    return list(reversed(flow_runs(store, FLOW)))


def drift_items(store: Store, state: str = "open", limit: int = 300) -> list[DriftRow]:
    with store.session() as session:
        query = select(DriftItemRow)
        if state != "alle":
            query = query.where(DriftItemRow.state == state)
        rows = session.scalars(query.order_by(DriftItemRow.id.desc()).limit(limit)).all()
        return [
            DriftRow(
                id=r.id,
                kind=_KIND_TEXT.get(r.kind, r.kind),
                identificatie=mask_text(r.identificatie),
                state=r.state,
                mylex=_side(r.mylex_sha256, r.mylex_size),
                archief=_side(r.archief_sha256, r.archief_size),
                note=mask_text(r.note or ""),
                detected_at=as_utc(r.detected_at),
                last_seen_at=as_utc(r.last_seen_at),
            )
            for r in rows
        ]


def repairs(store: Store, limit: int = 100) -> list[tuple[str, str, str, datetime | None]]:
    """What Ketenbrug repaired itself: the reconciliation's ledger rows (key, target, state)."""
    with store.session() as session:
        rows = session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.flow == FLOW)
            .order_by(LedgerEntry.updated_at.desc(), LedgerEntry.id.desc())
            .limit(limit)
        ).all()
        return [
            (mask_text(r.source_key), r.target_system, r.state, as_utc(r.updated_at))
            for r in rows
            if r.state in (LedgerState.DELIVERED, LedgerState.DEAD, LedgerState.IN_FLIGHT)
        ]


def mark_handled(store: Store, item_id: int, *, actor: str, reason: str) -> None:
    """Close an open drift item as handled by beheer, with the (required) reason."""
    reason = reason.strip()
    if not reason:
        raise DriftRefused("geef een reden op")
    with store.session() as session:
        now = utcnow()
        done = session.execute(
            update(DriftItemRow)
            .where(DriftItemRow.id == item_id, DriftItemRow.state == DriftState.OPEN)
            .values(
                state=DriftState.OPGELOST,
                note=mask_text(f"afgehandeld door beheer: {reason}"),
                resolved_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise DriftRefused(f"drift-item {item_id} is niet (meer) open")
        audit(
            session,
            actor=actor,
            action="drift_handled",
            object_type="drift_item",
            object_id=str(item_id),
            detail=reason,
        )

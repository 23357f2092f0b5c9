"""Adding up per-task counts, and the readable summary the demo and beheer read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from adapters import registry
from privacy.masking import mask_text
from sync.store.db import Store
from sync.store.models import DeadLetter, DeadLetterState, LedgerEntry, LedgerState, SyncRun

__all__ = ["combine", "flow_report", "flow_sources", "format_report"]

#: The flows whose counts the summary shows, per source.
REPORTED_FLOWS = ("zaken", "documenten")

_COUNTS = (
    "read",
    "delivered",
    "in_step",
    "dead_lettered",
    "still_dead",
    "deferred",
    "superseded",
    "batches",
)


def combine(results: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Sum the counts of several task results (one per partition) into one."""
    total: dict[str, Any] = {name: 0 for name in _COUNTS}
    reasons: dict[str, int] = {}
    for result in results:
        for name in _COUNTS:
            total[name] += int(result.get(name, 0))
        for reason, count in dict(result.get("dead_reasons", {})).items():
            reasons[reason] = reasons.get(reason, 0) + int(count)
    total["dead_reasons"] = reasons
    return total


def flow_sources() -> list[tuple[str, str, str]]:
    """``(flow, source system, title)`` for every source of a reported flow, from the registry:
    ``("zaken", "gws4all", "zaken (GWS4all → e-Suite)")``."""

    def short(registration: registry.AdapterRegistration) -> str:
        return registration.title.split(" (")[0]

    rows = []
    for flow in REPORTED_FLOWS:
        for source in registry.sources_for(flow):
            targets = [short(t) for t in registry.targets_for(flow) if t.system != source.system]
            rows.append((flow, source.system, f"{flow} ({short(source)} → {', '.join(targets)})"))
    return rows


def flow_report(
    store: Store, flow: str, *, since: datetime | None = None, source_system: str | None = None
) -> dict[str, Any]:
    """Counts of the runs of ``flow`` (since a moment, of one source or all) and its open
    dead letters by reason."""
    open_letters = [DeadLetter.flow == flow, DeadLetter.state == DeadLetterState.OPEN]
    query = select(SyncRun).where(SyncRun.flow == flow)
    if since is not None:
        query = query.where(SyncRun.started_at >= since)
    if source_system is not None:
        query = query.where(SyncRun.source_system == source_system)
        open_letters.append(DeadLetter.source_system == source_system)
    with store.session() as session:
        runs = list(session.scalars(query))
        reasons = dict(
            session.execute(
                select(DeadLetter.reason, func.count(DeadLetter.id))
                .where(*open_letters)
                .group_by(DeadLetter.reason)
            ).all()
        )
        created = [*open_letters[:1]]
        if since is not None:
            created.append(DeadLetter.created_at >= since)
        if source_system is not None:
            created.append(DeadLetter.source_system == source_system)
        new_letters = session.scalar(select(func.count(DeadLetter.id)).where(*created)) or 0
        superseded_rows = [
            LedgerEntry.flow == flow,
            LedgerEntry.state == LedgerState.SUPERSEDED,
        ]
        if since is not None:
            superseded_rows.append(LedgerEntry.updated_at >= since)
        if source_system is not None:
            superseded_rows.append(LedgerEntry.source_system == source_system)
        superseded = session.scalar(select(func.count(LedgerEntry.id)).where(*superseded_rows)) or 0
        examples = [
            (letter.id, letter.reason, mask_text(letter.message))
            for letter in session.scalars(
                select(DeadLetter).where(*open_letters).order_by(DeadLetter.id).limit(5)
            )
        ]
    return {
        "flow": flow,
        "runs": len(runs),
        "failed_runs": sum(1 for run in runs if run.state == "failed"),
        "read": sum(run.records_read for run in runs),
        "delivered": sum(run.delivered for run in runs),
        "in_step": sum(run.in_step for run in runs),
        # counted from the table: the inbox dead-letters unreadable messages outside any run
        "dead_lettered": new_letters,
        "still_dead": sum(run.still_dead for run in runs),
        "deferred": sum(run.deferred for run in runs),
        # counted from the ledger: a run killed after its intent step never wrote its counts
        "superseded": superseded,
        "open_dead_letters": reasons,
        "examples": examples,
        "warnings": _latest_warnings(runs),
    }


def _latest_warnings(runs: Sequence[SyncRun]) -> list[str]:
    """The warnings of the newest run of each source: what still holds, not old news."""
    newest: dict[str, SyncRun] = {}
    for run in sorted(runs, key=lambda run: run.started_at):
        newest[run.source_system] = run
    return [
        warning
        for run in newest.values()
        for warning in (run.warnings or "").splitlines()
        if warning
    ]


def format_report(title: str, report: Mapping[str, Any]) -> str:
    """The report as a few readable lines (Dutch: functioneel beheer reads it)."""
    lines = [
        f"{title}",
        f"  gelezen            {report['read']:>7}",
        f"  afgeleverd         {report['delivered']:>7}",
        f"  al in de pas       {report['in_step']:>7}",
        f"  nieuwe dead letters {report['dead_lettered']:>6}",
        f"  nog steeds dead    {report['still_dead']:>7}",
        f"  uitgesteld (retry) {report['deferred']:>7}",
        f"  vervangen (ouder)  {report.get('superseded', 0):>7}",
    ]
    open_letters = report.get("open_dead_letters") or {}
    if open_letters:
        reasons = ", ".join(f"{reason}: {count}" for reason, count in sorted(open_letters.items()))
        lines.append(f"  open dead letters  {reasons}")
        for letter_id, reason, message in report.get("examples", []):
            lines.append(f"    #{letter_id} [{reason}] {message[:110]}")
    lines.extend(f"  let op: {warning}" for warning in report.get("warnings", []))
    return "\n".join(lines)

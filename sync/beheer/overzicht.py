"""Overzicht: per flow the last run, its counts, the lag and a chart of the last 30 runs.

A "run" here is one Airflow DAG run: the ``sync_run`` rows of its task instances share a
``run_ref`` and are added up. The lag is the age of the oldest change not yet delivered: the
oldest inbox message still waiting for the flow, or the oldest ledger row still pending or in
flight. A flow stands out when its last run failed, when it did not start within two of its
intervals, or when its lag exceeds two intervals (the backlog is not cleared between runs).

The nightly purge (DAG ``ketenbrug_onderhoud``, AVG) leaves nothing in the state store: when it
last succeeded is Airflow's to say, so the host hands in a callable that asks (the plugin reads
its DAG runs). It stands out when it never ran or is more than two days old.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape

from sqlalchemy import func, select

from sync.beheer.texts import FLOWS, flow_info
from sync.inbox import DOCUMENT_FUNCTIONS
from sync.notify import purge_text
from sync.store.db import Store
from sync.store.models import (
    DeadLetter,
    DeadLetterState,
    InboxMessage,
    InboxState,
    LedgerEntry,
    LedgerState,
    SyncRun,
    utcnow,
)

__all__ = ["FlowStatus", "PurgeStatus", "RunTotals", "chart_svg", "flow_overview", "purge_status"]

CHART_RUNS = 30
_ROWS_SCANNED = 1000  # sync_run rows per flow read to build the last 30 runs


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite returns timestamps without their zone; every timestamp in the store is UTC."""
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass
class RunTotals:
    """One DAG run of a flow: its task instances' counts added up."""

    ref: str
    started_at: datetime
    finished_at: datetime | None = None
    state: str = "success"
    records_read: int = 0
    delivered: int = 0
    in_step: int = 0
    dead_lettered: int = 0
    deferred: int = 0
    superseded: int = 0

    def add(self, row: SyncRun) -> None:
        started = as_utc(row.started_at)
        if started is not None and started < self.started_at:
            self.started_at = started
        finished = as_utc(row.finished_at)
        if finished is not None and (self.finished_at is None or finished > self.finished_at):
            self.finished_at = finished
        if row.state == "failed" or (row.state == "running" and self.state != "failed"):
            self.state = row.state
        self.records_read += row.records_read or 0
        self.delivered += row.delivered or 0
        self.in_step += row.in_step or 0
        self.dead_lettered += row.dead_lettered or 0
        self.deferred += row.deferred or 0
        self.superseded += row.superseded or 0


@dataclass
class FlowStatus:
    name: str
    label: str
    every: timedelta
    last: RunTotals | None
    runs: list[RunTotals] = field(default_factory=list)  # oldest first, at most 30
    open_dead_letters: int = 0
    lag: timedelta | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def stands_out(self) -> bool:
        return bool(self.warnings)


def _runs(store: Store, flow: str) -> list[RunTotals]:
    with store.session() as session:
        rows = session.scalars(
            select(SyncRun)
            .where(SyncRun.flow == flow)
            .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
            .limit(_ROWS_SCANNED)
        ).all()
        runs: dict[str, RunTotals] = {}
        for row in rows:
            ref = row.run_ref or f"#{row.id}"
            started = as_utc(row.started_at) or utcnow()
            if ref not in runs:
                runs[ref] = RunTotals(ref=ref, started_at=started)
            runs[ref].add(row)
    ordered = sorted(runs.values(), key=lambda run: run.started_at)
    return ordered[-CHART_RUNS:]


def _lag(store: Store, flow: str, now: datetime) -> timedelta | None:
    oldest: list[datetime] = []
    with store.session() as session:
        if flow in ("zaken", "documenten"):
            query = select(func.min(InboxMessage.received_at)).where(
                InboxMessage.state == InboxState.RECEIVED
            )
            if flow == "documenten":
                query = query.where(InboxMessage.function.in_(DOCUMENT_FUNCTIONS))
            else:
                query = query.where(
                    (InboxMessage.function.is_(None))
                    | (InboxMessage.function.not_in(DOCUMENT_FUNCTIONS))
                )
            value = as_utc(session.scalar(query))
            if value is not None:
                oldest.append(value)
        value = as_utc(
            session.scalar(
                select(func.min(LedgerEntry.created_at)).where(
                    LedgerEntry.flow == flow,
                    LedgerEntry.state.in_([LedgerState.PENDING, LedgerState.IN_FLIGHT]),
                )
            )
        )
        if value is not None:
            oldest.append(value)
    return max(now - min(oldest), timedelta(0)) if oldest else None


def flow_overview(store: Store, *, now: datetime | None = None) -> list[FlowStatus]:
    """Every known flow and every flow the store has runs of, with what stands out."""
    now = now or utcnow()
    with store.session() as session:
        names = set(session.scalars(select(SyncRun.flow).distinct()).all())
        open_counts = dict(
            session.execute(
                select(DeadLetter.flow, func.count())
                .where(
                    DeadLetter.state.in_(
                        [
                            DeadLetterState.OPEN,
                            DeadLetterState.RESEND_REQUESTED,
                            DeadLetterState.RESENDING,
                        ]
                    )
                )
                .group_by(DeadLetter.flow)
            ).all()
        )
    statuses: list[FlowStatus] = []
    for name in [*FLOWS, *sorted(names - set(FLOWS))]:
        info = flow_info(name)
        runs = _runs(store, name)
        status = FlowStatus(
            name=name,
            label=info.label,
            every=info.every,
            last=runs[-1] if runs else None,
            runs=runs,
            open_dead_letters=int(open_counts.get(name, 0)),
            lag=_lag(store, name, now),
        )
        limit = 2 * info.every
        if status.last is None:
            status.warnings.append("nog nooit gedraaid")
        else:
            if status.last.state == "failed":
                status.warnings.append("laatste run mislukt")
            if now - status.last.started_at > limit + timedelta(minutes=1):
                status.warnings.append(
                    f"niet op schema: laatste start {_age(now - status.last.started_at)} geleden"
                )
        if status.lag is not None and status.lag > limit:
            status.warnings.append(
                f"achterstand groeit: oudste wachtende wijziging {_age(status.lag)} oud"
            )
        statuses.append(status)
    return statuses


PURGE_DAG = "ketenbrug_onderhoud"
#: The purge runs nightly: older than this, one night was missed and then another.
PURGE_MAX_AGE = timedelta(days=2)


@dataclass(frozen=True)
class PurgeStatus:
    """When the nightly purge last succeeded, as the overview shows it."""

    known: bool
    last: datetime | None = None
    warning: str = ""

    @property
    def stands_out(self) -> bool:
        return bool(self.warning)

    @property
    def text(self) -> str:
        """The run notes' wording (:func:`sync.notify.purge_text`), without Markdown."""
        if not self.known:
            return "onbekend (Airflow gaf geen antwoord)"
        return purge_text(self.last).replace("**", "")


def purge_status(
    last_purge: Callable[[], datetime | None] | None,
    *,
    now: datetime | None = None,
    dag_id: str = PURGE_DAG,
) -> PurgeStatus | None:
    """Ask the host when the purge DAG last succeeded; None without a host to ask."""
    if last_purge is None:
        return None
    now = now or utcnow()
    try:
        last = as_utc(last_purge())
    except Exception:  # the overview still shows the flows when Airflow's database is away
        return PurgeStatus(known=False, warning="niet na te gaan wanneer de opschoning draaide")
    if last is None:
        return PurgeStatus(
            known=True,
            warning=f"de opschoning (AVG) heeft nog nooit gedraaid: staat {dag_id} op pauze?",
        )
    if now - last > PURGE_MAX_AGE:
        return PurgeStatus(
            known=True,
            last=last,
            warning=f"de opschoning (AVG) draaide {_age(now - last)} geleden voor het laatst: "
            f"meer dan twee dagen, kijk bij {dag_id}",
        )
    return PurgeStatus(known=True, last=last)


def _age(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} uur"
    return f"{seconds // 86400} dagen"


def age_text(delta: timedelta | None) -> str:
    """A duration the way beheer reads it ("12 min"); a dash when there is none."""
    return "—" if delta is None else _age(delta)


def chart_svg(runs: list[RunTotals], *, width: int = 360, height: int = 90) -> str:
    """Delivered (green) and dead letters (red) per run as inline SVG, drawn on the server."""
    top = max([1, *(max(r.delivered, r.dead_lettered) for r in runs)])
    slot = width / CHART_RUNS
    bar = max(slot / 2 - 1, 1)
    base = height - 14
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="grafiek" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="afgeleverd en dead letters per run, laatste {len(runs)} runs">',
        f'<line x1="0" y1="{base}" x2="{width}" y2="{base}" class="as"/>',
    ]
    offset = CHART_RUNS - len(runs)  # newest run on the right
    for index, run in enumerate(runs):
        x = (offset + index) * slot
        for shift, value, css in (
            (0, run.delivered, "afgeleverd"),
            (bar, run.dead_lettered, "dead"),
        ):
            h = round(value / top * (base - 4), 1)
            title = escape(
                f"{run.started_at:%d-%m %H:%M}: {value} "
                f"{'afgeleverd' if css == 'afgeleverd' else 'dead letters'}"
            )
            parts.append(
                f'<rect x="{x + shift:.1f}" y="{base - h:.1f}" width="{bar:.1f}" height="{h}" '
                f'class="{css}"><title>{title}</title></rect>'
            )
    parts.append(f'<text x="0" y="{height - 2}" class="label">max {top} per run</text>')
    parts.append("</svg>")
    return "".join(parts)

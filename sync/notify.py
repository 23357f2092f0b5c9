"""What a run did, in Dutch, for beheer: the DAG run note and the notification text.

Built from the state store by the run's ``run_ref`` (``airflow:<run_id>``, as the tasks record
it), so the note is right even when the summary task never ran. No Airflow import: the
listener (plugins/ketenbrug_runs.py) and the notifier (dags/_beheer.py) pass what Airflow knows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from privacy.masking import mask_text
from sync.store.db import Store
from sync.store.models import DeadLetter, DeadLetterState, DriftItemRow, SyncRun
from sync.tenants import split_dag_id

__all__ = ["RunStory", "flow_of", "purge_text", "recipients", "run_story"]

#: Airflow keeps a DAG run note up to 1000 characters.
NOTE_LIMIT = 1000


@dataclass
class RunStory:
    """One DAG run as beheer reads it."""

    flow: str
    run_ref: str
    read: int = 0
    delivered: int = 0
    in_step: int = 0
    deferred: int = 0
    new_dead: int = 0
    new_reasons: dict[str, int] = field(default_factory=dict)
    open_dead: dict[str, int] = field(default_factory=dict)
    new_drift: int = 0
    open_drift: int = 0
    failed_tasks: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def needs_beheer(self) -> bool:
        """New dead letters or drift: beheer is told (the notifier), not only shown."""
        return self.new_dead > 0 or self.new_drift > 0

    def note(self, *, failed: bool = False, last_purge: datetime | str | None = "") -> str:
        """The DAG run note (Markdown, Dutch, counts only: no personal data)."""
        lines = [
            f"**{'Mislukt' if failed else 'Klaar'}**: {self.read} gelezen, "
            f"{self.delivered} afgeleverd, {self.in_step} al in de pas"
            + (f", {self.deferred} uitgesteld" if self.deferred else ""),
        ]
        if self.new_dead:
            lines.append(f"- **{self.new_dead} nieuwe dead letters**: {_reasons(self.new_reasons)}")
        if self.open_dead:
            total = sum(self.open_dead.values())
            lines.append(f"- open dead letters ({self.flow}): {total} ({_reasons(self.open_dead)})")
        else:
            lines.append(f"- geen open dead letters ({self.flow})")
        if self.new_drift or self.open_drift:
            lines.append(f"- drift: {self.new_drift} nieuw, {self.open_drift} open")
        if self.failed_tasks:
            lines.append(f"- {self.failed_tasks} taak/taken mislukt: zie het log van die taak")
        lines.extend(f"- **let op**: {warning}" for warning in self.warnings)
        if last_purge != "":
            lines.append(f"- laatste opschoning (AVG): {purge_text(last_purge)}")
        lines.append("- afhandelen: menu *Ketenbrug beheer* → Foutafhandeling")
        return mask_text("\n".join(lines))[:NOTE_LIMIT]

    def subject(self) -> str:
        parts = []
        if self.new_dead:
            parts.append(f"{self.new_dead} nieuwe dead letters")
        if self.new_drift:
            parts.append(f"{self.new_drift} nieuwe drift-items")
        return f"Ketenbrug {self.flow}: " + (", ".join(parts) or "run klaar")


def purge_text(last_purge: datetime | str | None) -> str:
    """When the nightly purge last succeeded (run notes and the beheer overview say it alike)."""
    if isinstance(last_purge, datetime):
        return last_purge.strftime("%d-%m-%Y %H:%M UTC")
    return "**nog nooit** (ketenbrug_onderhoud)"


def _reasons(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{reason} {count}" for reason, count in sorted(counts.items()))


def flow_of(dag_id: str) -> str:
    """``ketenbrug_zaken`` (or a tenant's ``ketenbrug_zaken_deventer``) → ``zaken``: the flow
    name the state store uses."""
    return split_dag_id(dag_id)[0]


def run_story(store: Store, flow: str, run_id: str) -> RunStory:
    """Counts of the task runs of one DAG run, its new dead letters and drift, what is open."""
    run_ref = f"airflow:{run_id}"
    story = RunStory(flow=flow, run_ref=run_ref)
    with store.session() as session:
        runs = list(session.scalars(select(SyncRun).where(SyncRun.run_ref == run_ref)))
        for run in runs:
            story.read += run.records_read
            story.delivered += run.delivered
            story.in_step += run.in_step
            story.deferred += run.deferred
            story.new_dead += run.dead_lettered
            story.failed_tasks += run.state == "failed"
            for warning in (run.warnings or "").splitlines():
                if warning not in story.warnings:
                    story.warnings.append(warning)
        if runs:
            since = min(run.started_at for run in runs)
            story.new_reasons = dict(
                session.execute(
                    select(DeadLetter.reason, func.count(DeadLetter.id))
                    .where(DeadLetter.flow == flow, DeadLetter.created_at >= since)
                    .group_by(DeadLetter.reason)
                ).all()
            )
        story.open_dead = dict(
            session.execute(
                select(DeadLetter.reason, func.count(DeadLetter.id))
                .where(DeadLetter.flow == flow, DeadLetter.state == DeadLetterState.OPEN)
                .group_by(DeadLetter.reason)
            ).all()
        )
        if flow == "archief_reconciliatie":
            story.new_drift = (
                session.scalar(
                    select(func.count(DriftItemRow.id)).where(DriftItemRow.run_ref == run_ref)
                )
                or 0
            )
            story.open_drift = (
                session.scalar(
                    select(func.count(DriftItemRow.id)).where(DriftItemRow.state == "open")
                )
                or 0
            )
    return story


def recipients(flow: str, env: Mapping[str, str]) -> list[str]:
    """Who hears about ``flow``: ``KETENBRUG_MELDING_<FLOW>``, else ``KETENBRUG_MELDING``.

    Comma-separated e-mail addresses; ``-`` (or empty) switches notifications off for a flow.
    """
    value = env.get(f"KETENBRUG_MELDING_{flow.upper()}", env.get("KETENBRUG_MELDING", ""))
    return [address.strip() for address in value.split(",") if address.strip() not in ("", "-")]

"""Entry points the DAG tasks call: drain one partition of a flow within a time budget.

A task instance handles one partition and as many batches as fit in its budget, so the
number of Airflow task instances grows with partitions and batches, never with records.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import partial

from sqlalchemy.orm import Session

from adapters.allegro.client import AllegroClient
from adapters.allegro.config import AllegroConfig
from adapters.allegro.source import AllegroZakenSource
from adapters.base import SourceBatch
from adapters.esuite.client import EsuiteClient
from adapters.esuite.config import EsuiteConfig
from adapters.esuite.target import EsuiteTarget
from mappings import load_tables
from stuf.privacy import mask_text
from sync.claims import keep_alive, new_owner
from sync.config import Settings, load_settings
from sync.deadletters import record_from_letter
from sync.engine import BatchOutcome, Engine, RetryPolicy
from sync.failpoints import crash_point
from sync.flows.zaken import FLOW_NAME, ZAKEN_FUNCTIONS, ZakenFlow
from sync.inbox import InboxSource
from sync.resend import claim_requested, resend_claimed
from sync.store.db import Store, open_store
from sync.store.models import SyncRun, utcnow

__all__ = [
    "DEFAULT_BUDGET_S",
    "PartitionResult",
    "acknowledge_inbox",
    "drain_inbox",
    "finish_run",
    "no_ack",
    "payload_refs",
    "resend_requested",
    "run_allegro_zaken",
    "run_zaken_partition",
    "run_zaken_resends",
    "start_run",
]

log = logging.getLogger(__name__)

DEFAULT_BUDGET_S = 600.0


@dataclass
class PartitionResult:
    """Small, BSN-free summary a task returns as its XCom."""

    flow: str
    partition: int
    batches: int
    outcome: BatchOutcome

    def as_dict(self) -> dict[str, object]:
        return {
            "flow": self.flow,
            "partition": self.partition,
            "batches": self.batches,
            **self.outcome.as_dict(),
        }


def payload_refs(batch: SourceBatch, outcome: BatchOutcome, state: str) -> set[str]:
    """Inbox references of the records that ended in ``state`` ("dead", "deferred")."""
    refs = {
        record.payload_ref
        for record in batch.records
        if outcome.record_states.get(record.key) == state
    }
    return {ref for ref in refs if ref.startswith("inbox:")}


def acknowledge_inbox(
    source: InboxSource, batch_id: int, batch: SourceBatch, session: Session, outcome: BatchOutcome
) -> None:
    source.acknowledge(
        session,
        batch_id,
        payload_refs(batch, outcome, "dead"),
        payload_refs(batch, outcome, "deferred"),
    )


def _zaken_engine(
    store: Store, settings: Settings, esuite: EsuiteConfig, retry: RetryPolicy | None
) -> tuple[Engine, EsuiteClient]:
    client = EsuiteClient(esuite)
    engine = Engine(
        store,
        ZakenFlow(),
        {"esuite": EsuiteTarget(client)},
        load_tables(settings.mappings_dir),
        retry=retry,
    )
    return engine, client


def run_allegro_zaken(
    *,
    esuite: EsuiteConfig,
    allegro: AllegroConfig,
    settings: Settings | None = None,
    store: Store | None = None,
    budget_s: float = DEFAULT_BUDGET_S,
    retry: RetryPolicy | None = None,
    run_ref: str | None = None,
) -> PartitionResult:
    """Read Allegro's zaken exports (one file per batch) into the e-Suite.

    A file is answered (return file) only after its batch committed, and only when none of its
    records was deferred: a deferred file is offered again and its delivered rows are in step.
    """
    settings = settings or load_settings()
    own_store = store is None
    store = store or open_store(settings, migrate=False)  # the DAG's first task migrated
    engine, client = _zaken_engine(store, settings, esuite, retry)
    source = AllegroZakenSource(AllegroClient(allegro))
    total = BatchOutcome()
    batches = 0
    run_id = start_run(store, source.system, run_ref)
    deadline = time.monotonic() + budget_s
    error: str | None = None
    try:
        while time.monotonic() < deadline:
            batch = source.read_batch(engine.read_cursor(source.system), settings.batch_size)
            if batch is None:
                break
            outcome = engine.run_batch(batch, cursor_source=source.system, on_commit=no_ack)
            total.add(outcome)
            batches += 1
            if outcome.deferred:
                break  # the file comes again next run; its delivered rows will be in step
            crash_point("allegro_after_commit")  # committed, return file not yet written
            batch.context["rejected"] = {
                key: "afgewezen, zie dead letter in Ketenbrug"
                for key, state in outcome.record_states.items()
                if state == "dead"
            }
            source.after_commit(batch)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        finish_run(store, run_id, total, error)
        source.client.close()
        client.close()
        if own_store:
            store.dispose()
    return PartitionResult(FLOW_NAME, -1, batches, total)


def no_ack(_session: Session, _outcome: BatchOutcome) -> None:
    """Allegro is acknowledged by a return file after the commit, not inside it."""


def start_run(
    store: Store, source_system: str, run_ref: str | None, *, flow: str = FLOW_NAME
) -> int:
    """Open a ``sync_run`` row for one task's work (beheer sees it in ``ketenbrug status``)."""
    with store.session() as session:
        run = SyncRun(flow=flow, source_system=source_system, run_ref=run_ref)
        session.add(run)
        session.flush()
        return run.id


def finish_run(store: Store, run_id: int, total: BatchOutcome, error: str | None) -> None:
    """Close the ``sync_run`` row with its counts and, masked, the error that ended it."""
    with store.session() as session:
        finished = session.get(SyncRun, run_id)
        if finished is None:
            return
        finished.finished_at = utcnow()
        finished.state = "failed" if error else "success"
        finished.error = mask_text(error) if error else None
        finished.records_read = total.read
        finished.delivered = total.delivered
        finished.in_step = total.in_step
        finished.dead_lettered = total.dead_lettered
        finished.still_dead = total.still_dead
        finished.deferred = total.deferred
        finished.superseded = total.superseded


def run_zaken_resends(
    *,
    esuite: EsuiteConfig,
    settings: Settings | None = None,
    store: Store | None = None,
    retry: RetryPolicy | None = None,
) -> dict[str, object]:
    """Perform the resends beheer asked for since the last run (claimed once, delivered once)."""
    settings = settings or load_settings()
    own_store = store is None
    store = store or open_store(settings)
    engine, client = _zaken_engine(store, settings, esuite, retry)
    try:
        return resend_requested(store, engine, ZAKEN_FUNCTIONS)
    finally:
        client.close()
        if own_store:
            store.dispose()


def resend_requested(store: Store, engine: Engine, functions: tuple[str, ...]) -> dict[str, object]:
    """Claim the resends beheer asked for in the engine's flow and deliver them once.

    A dead letter brings its kept record along; else its inbox message (of ``functions``) is
    decoded again. Returns the counts for the task's XCom.
    """
    flow = engine.flow.name
    owner = new_owner()
    claimed = claim_requested(store, flow, owner=owner)
    source = InboxSource(store, flow=flow, functions=functions, partition=0, partitions=1)
    outcome = resend_claimed(
        store,
        engine,
        claimed,
        lambda letter: record_from_letter(letter) or source.records_for(letter),
        owner=owner,
    )
    return {"flow": flow, "resends": len(claimed), **outcome.as_dict()}


def drain_inbox(
    engine: Engine,
    store: Store,
    source: InboxSource,
    *,
    batch_size: int,
    budget_s: float,
    run_ref: str | None,
) -> tuple[BatchOutcome, int]:
    """Claim and run batches of one inbox partition until it is empty or the budget is spent.

    Each batch is acknowledged in the engine's outcome transaction; the task's counts go to a
    ``sync_run`` row of the engine's flow. Returns the counts and the number of batches.
    """
    total = BatchOutcome()
    batches = 0
    run_id = start_run(store, source.system, run_ref, flow=engine.flow.name)
    deadline = time.monotonic() + budget_s
    error: str | None = None
    try:
        while time.monotonic() < deadline:
            batch_id = source.claim(batch_size)
            if batch_id is None:
                break
            batch = source.load(batch_id)
            acknowledge = partial(acknowledge_inbox, source, batch_id, batch)
            with keep_alive(partial(source.renew, batch_id)):
                total.add(engine.run_batch(batch, on_commit=acknowledge))
            batches += 1
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        finish_run(store, run_id, total, error)
    return total, batches


def run_zaken_partition(
    partition: int,
    *,
    esuite: EsuiteConfig,
    settings: Settings | None = None,
    store: Store | None = None,
    budget_s: float = DEFAULT_BUDGET_S,
    retry: RetryPolicy | None = None,
    run_ref: str | None = None,
) -> PartitionResult:
    """Drain the GWS4all inbox partition into the e-Suite; returns counts for the summary."""
    settings = settings or load_settings()
    own_store = store is None
    store = store or open_store(settings, migrate=False)  # the DAG's first task migrated
    engine, client = _zaken_engine(store, settings, esuite, retry)
    source = InboxSource(
        store,
        flow=FLOW_NAME,
        functions=ZAKEN_FUNCTIONS,
        partition=partition,
        partitions=settings.partitions,
    )
    try:
        total, batches = drain_inbox(
            engine,
            store,
            source,
            batch_size=settings.batch_size,
            budget_s=budget_s,
            run_ref=run_ref,
        )
    finally:
        client.close()
        if own_store:
            store.dispose()
    log.info(
        "zaken partition %s: %s batches, %s read, %s delivered, %s in step, %s dead letters",
        partition,
        batches,
        total.read,
        total.delivered,
        total.in_step,
        total.dead_lettered,
    )
    return PartitionResult(FLOW_NAME, partition, batches, total)

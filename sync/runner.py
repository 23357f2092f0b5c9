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

from adapters.base import SourceBatch
from adapters.esuite.client import EsuiteClient
from adapters.esuite.config import EsuiteConfig
from adapters.esuite.target import EsuiteTarget
from mappings import load_tables
from stuf.privacy import mask_text
from sync.config import Settings, load_settings
from sync.engine import BatchOutcome, Engine, RetryPolicy
from sync.flows.zaken import FLOW_NAME, ZAKEN_FUNCTIONS, ZakenFlow
from sync.inbox import InboxSource
from sync.resend import claim_requested, resend_claimed
from sync.store.db import Store, open_store
from sync.store.models import SyncRun, utcnow

__all__ = [
    "DEFAULT_BUDGET_S",
    "PartitionResult",
    "dead_payload_refs",
    "run_zaken_partition",
    "run_zaken_resends",
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


def dead_payload_refs(batch: SourceBatch, outcome: BatchOutcome) -> set[str]:
    """Payload references of the records that ended as dead letters in this batch."""
    refs = {
        record.payload_ref
        for record in batch.records
        if outcome.record_states.get(record.key) == "dead"
    }
    return {ref for ref in refs if ref.startswith("inbox:")}


def _acknowledge(
    source: InboxSource, batch_id: int, batch: SourceBatch, session: Session, outcome: BatchOutcome
) -> None:
    source.acknowledge(session, batch_id, dead_payload_refs(batch, outcome))


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
        claimed = claim_requested(store, FLOW_NAME)
        source = InboxSource(
            store, flow=FLOW_NAME, functions=ZAKEN_FUNCTIONS, partition=0, partitions=1
        )
        outcome = resend_claimed(store, engine, claimed, source.records_for)
    finally:
        client.close()
        if own_store:
            store.dispose()
    return {"flow": FLOW_NAME, "resends": len(claimed), **outcome.as_dict()}


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
    store = store or open_store(settings)
    engine, client = _zaken_engine(store, settings, esuite, retry)
    source = InboxSource(
        store,
        flow=FLOW_NAME,
        functions=ZAKEN_FUNCTIONS,
        partition=partition,
        partitions=settings.partitions,
    )
    total = BatchOutcome()
    batches = 0
    with store.session() as session:
        run = SyncRun(flow=FLOW_NAME, source_system=source.system, run_ref=run_ref)
        session.add(run)
        session.flush()
        run_id = run.id
    deadline = time.monotonic() + budget_s
    error: str | None = None
    try:
        while time.monotonic() < deadline:
            batch_id = source.claim(settings.batch_size)
            if batch_id is None:
                break
            batch = source.load(batch_id)
            acknowledge = partial(_acknowledge, source, batch_id, batch)
            total.add(engine.run_batch(batch, on_commit=acknowledge))
            batches += 1
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        with store.session() as session:
            finished = session.get(SyncRun, run_id)
            if finished is not None:
                finished.finished_at = utcnow()
                finished.state = "failed" if error else "success"
                finished.error = mask_text(error) if error else None
                finished.records_read = total.read
                finished.delivered = total.delivered
                finished.in_step = total.in_step
                finished.dead_lettered = total.dead_lettered
                finished.still_dead = total.still_dead
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

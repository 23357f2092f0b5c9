"""Entry points the DAG tasks call: drain one partition of a flow within a time budget.

A task instance handles one partition and as many batches as fit in its budget, so the
number of Airflow task instances grows with partitions and batches, never with records.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial

from sqlalchemy.orm import Session

from adapters import registry
from adapters.base import Source, SourceBatch, Target
from adapters.registry import SourceContext, TargetContext
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
    "FlowTargets",
    "PartitionResult",
    "acknowledge_inbox",
    "close_source",
    "counts_text",
    "drain_inbox",
    "finish_run",
    "flow_targets",
    "log_batch",
    "no_ack",
    "payload_refs",
    "resend_requested",
    "run_allegro_zaken",
    "run_source_zaken",
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


@dataclass
class FlowTargets:
    """A flow's targets, built from the adapter registry, and what to close after the task."""

    targets: dict[str, Target]
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for close in self.closers:
            try:
                close()
            except Exception:  # closing must not hide the task's own outcome
                log.warning("afsluiten van een verbinding mislukt", exc_info=True)


def flow_targets(
    flow: str, configs: Mapping[str, object], settings: Settings | None = None
) -> FlowTargets:
    """Every registered target of ``flow``, built by its adapter's factory from its config.

    ``configs`` has each target's config by system name. A target that needs a client's BSN
    (Xtendis) gets a lookup in the system of record: the registered system with a
    ``bsn_lookup`` whose config is given (the e-Suite).
    """
    built = FlowTargets({})
    dossier_bsn = None
    for holder in registry.registrations().values():
        if holder.bsn_lookup and holder.system in configs and registry.in_play(holder):
            dossier_bsn, close = registry.load(holder.bsn_lookup)(configs[holder.system])
            built.closers.append(close)
            break
    context = TargetContext(settings=settings, dossier_bsn=dossier_bsn)
    try:
        for registration in registry.targets_for(flow):
            if registration.system not in configs:
                raise TypeError(f"{flow}: geen config voor doelsysteem {registration.system!r}")
            factory = registry.load(registration.targets[flow])
            target = factory(configs[registration.system], context)
            built.targets[registration.system] = target.target
            built.closers[:0] = target.closers  # targets close before the BSN lookup's client
    except BaseException:
        built.close()
        raise
    return built


@contextmanager
def _zaken_engine(
    store: Store, settings: Settings, configs: Mapping[str, object], retry: RetryPolicy | None
) -> Iterator[Engine]:
    targets = flow_targets(FLOW_NAME, configs, settings)
    try:
        yield Engine(
            store, ZakenFlow(), targets.targets, load_tables(settings.mappings_dir), retry=retry
        )
    finally:
        targets.close()


def _zaken_source(system: str, config: object, settings: Settings, store: Store) -> Source:
    spec = registry.get(system).source(FLOW_NAME)
    if spec is None or spec.factory is None:
        raise LookupError(f"{system} is geen bron van de zaken-flow")
    context = SourceContext(settings, store, settings.home / "blobs", {})
    source: Source = registry.load(spec.factory)(config, context)
    return source


def close_source(source: Source) -> None:
    """Close a source's own session (an SFTP source), whichever way it offers to."""
    close = getattr(source, "close", None) or getattr(
        getattr(source, "client", None), "close", None
    )
    if callable(close):
        close()


def run_source_zaken(
    system: str,
    *,
    settings: Settings | None = None,
    store: Store | None = None,
    budget_s: float = DEFAULT_BUDGET_S,
    retry: RetryPolicy | None = None,
    run_ref: str | None = None,
    **configs: object,
) -> PartitionResult:
    """Read a registered cursor source of the zaken flow (one file per batch) into its targets.

    ``configs``: the source's config and each target's, by system name. A file is answered
    (return file) only after its batch committed, and only when none of its records was
    deferred: a deferred file is offered again and its delivered rows are in step.
    """
    settings = settings or load_settings()
    own_store = store is None
    store = store or open_store(settings, migrate=False)  # the DAG's first task migrated
    total = BatchOutcome()
    batches = 0
    error: str | None = None
    with _zaken_engine(store, settings, configs, retry) as engine:
        source = _zaken_source(system, configs[system], settings, store)
        run_id = start_run(store, source.system, run_ref)
        deadline = time.monotonic() + budget_s
        try:
            while time.monotonic() < deadline:
                batch = source.read_batch(engine.read_cursor(source.system), settings.batch_size)
                if batch is None:
                    break
                outcome = engine.run_batch(batch, cursor_source=source.system, on_commit=no_ack)
                log_batch(FLOW_NAME, source.system, batch.ref or "bestand", outcome)
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
            close_source(source)
            if own_store:
                store.dispose()
    return PartitionResult(FLOW_NAME, -1, batches, total)


def run_allegro_zaken(**arguments: object) -> PartitionResult:
    """Read Allegro's zaken exports (one file per batch) into the e-Suite."""
    return run_source_zaken("allegro", **arguments)  # type: ignore[arg-type]


def counts_text(outcome: BatchOutcome) -> str:
    """The counts as beheer reads them in a task log (codes of reasons only: no personal data)."""
    reasons = ", ".join(
        f"{reason} {count}" for reason, count in sorted(outcome.dead_reasons.items())
    )
    return (
        f"{outcome.read} gelezen, {outcome.delivered} afgeleverd, {outcome.in_step} al in de pas, "
        f"{outcome.dead_lettered} nieuwe dead letters{f' ({reasons})' if reasons else ''}, "
        f"{outcome.deferred} uitgesteld, {outcome.superseded} vervangen"
    )


def log_batch(flow: str, source_system: str, ref: str, outcome: BatchOutcome) -> None:
    """One readable line per batch in the task log."""
    log.info("%s uit %s, %s: %s", flow, source_system, ref, counts_text(outcome))


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
    settings: Settings | None = None,
    store: Store | None = None,
    retry: RetryPolicy | None = None,
    **configs: object,
) -> dict[str, object]:
    """Perform the resends beheer asked for since the last run (claimed once, delivered once)."""
    settings = settings or load_settings()
    own_store = store is None
    store = store or open_store(settings)
    try:
        with _zaken_engine(store, settings, configs, retry) as engine:
            return resend_requested(store, engine, ZAKEN_FUNCTIONS)
    finally:
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
                outcome = engine.run_batch(batch, on_commit=acknowledge)
            log_batch(engine.flow.name, source.system, batch.ref or str(batch_id), outcome)
            total.add(outcome)
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
    settings: Settings | None = None,
    store: Store | None = None,
    budget_s: float = DEFAULT_BUDGET_S,
    retry: RetryPolicy | None = None,
    run_ref: str | None = None,
    **configs: object,
) -> PartitionResult:
    """Drain the GWS4all inbox partition into the flow's targets (``configs`` by system name)."""
    settings = settings or load_settings()
    own_store = store is None
    store = store or open_store(settings, migrate=False)  # the DAG's first task migrated
    source = InboxSource(
        store,
        flow=FLOW_NAME,
        functions=ZAKEN_FUNCTIONS,
        partition=partition,
        partitions=settings.partitions,
    )
    try:
        with _zaken_engine(store, settings, configs, retry) as engine:
            total, batches = drain_inbox(
                engine,
                store,
                source,
                batch_size=settings.batch_size,
                budget_s=budget_s,
                run_ref=run_ref,
            )
    finally:
        if own_store:
            store.dispose()
    log.info("zaken partitie %s: %s werkpakket(ten), %s", partition, batches, counts_text(total))
    return PartitionResult(FLOW_NAME, partition, batches, total)

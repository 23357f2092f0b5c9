"""Entry points of the documenten DAG: drain one document source into the three targets.

Each function is one Airflow task's work, within a time budget: the GWS4all inbox (one
partition), Allegro's document exports, the documents added in the e-Suite, and the resends
beheer asked for. They share one engine set-up: the flow, the three targets and the lookup of
a dossier's BSN, which Xtendis needs and documents do not carry (it is read from the zaak in
the e-Suite when the drop is made, and never stored in Ketenbrug).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import cast

from adapters import registry
from adapters.base import Source
from adapters.registry import SourceContext
from mappings import load_tables
from sync.blobs import BlobStore
from sync.config import Settings, load_settings
from sync.engine import BatchOutcome, Engine, RetryPolicy
from sync.failpoints import crash_point
from sync.flows.documenten import FLOW_NAME, DocumentenFlow
from sync.inbox import DOCUMENT_FUNCTIONS, InboxSource
from sync.runner import (
    DEFAULT_BUDGET_S,
    FlowTargets,
    PartitionResult,
    close_source,
    drain_inbox,
    finish_run,
    flow_targets,
    log_batch,
    no_ack,
    resend_requested,
    start_run,
)
from sync.sources.esuite_documents import DocumentReader, EsuiteDocumentSource
from sync.store.db import Store, open_store

__all__ = [
    "DocumentTargets",
    "blob_store",
    "document_targets",
    "esuite_document_source",
    "run_allegro_documenten",
    "run_documenten_resends",
    "run_esuite_documenten",
    "run_gws4all_documenten",
]

log = logging.getLogger(__name__)


def blob_store(settings: Settings) -> BlobStore:
    """Where document content waits between its source and its targets."""
    return BlobStore(settings.home / "blobs")


DocumentTargets = FlowTargets  # the name the demo and older tests know


def document_targets(
    configs: Mapping[str, object], settings: Settings | None = None
) -> FlowTargets:
    """The documenten flow's registered targets (e-Suite, Xtendis, MyLex, ...)."""
    return flow_targets(FLOW_NAME, configs, settings)


def esuite_document_source(_config: object, context: SourceContext) -> Source:
    """The e-Suite's documenten source (registry factory): Ketenbrug's walk over its zaken."""
    reader = cast(DocumentReader, context.targets["esuite"])  # EsuiteDocumentTarget reads too
    return EsuiteDocumentSource(context.store, reader, BlobStore(context.blob_root))


@contextmanager
def _engine(
    settings: Settings,
    store: Store | None,
    configs: Mapping[str, object],
    retry: RetryPolicy | None,
) -> Iterator[tuple[Engine, Store]]:
    own_store = store is None
    store = store or open_store(settings, migrate=False)  # the DAG's first task migrated
    targets = document_targets(configs, settings)
    try:
        engine = Engine(
            store,
            DocumentenFlow(),
            targets.targets,
            load_tables(settings.mappings_dir),
            retry=retry,
        )
        yield engine, store
    finally:
        targets.close()
        if own_store:
            store.dispose()


def _drain_cursor_source(
    engine: Engine,
    store: Store,
    source: Source,
    *,
    settings: Settings,
    budget_s: float,
    run_ref: str | None,
    persist_cursor: bool = True,
) -> PartitionResult:
    """Batches from a cursor-based source until it is empty, a batch is deferred, or time is up."""
    total = BatchOutcome()
    batches = 0
    run_id = start_run(store, source.system, run_ref, flow=FLOW_NAME)
    deadline = time.monotonic() + budget_s
    cursor = engine.read_cursor(source.system) if persist_cursor else None
    error: str | None = None
    try:
        while time.monotonic() < deadline:
            batch = source.read_batch(cursor, settings.batch_size)
            if batch is None:
                break
            outcome = engine.run_batch(
                batch, cursor_source=source.system if persist_cursor else None, on_commit=no_ack
            )
            log_batch(FLOW_NAME, source.system, batch.ref or "bestand", outcome)
            total.add(outcome)
            batches += 1
            if outcome.deferred:
                break  # offered again next run; what was delivered will be in step
            crash_point("allegro_after_commit")  # committed, the source not yet answered
            source.after_commit(batch)
            cursor = batch.cursor_after
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        finish_run(store, run_id, total, error)
    return PartitionResult(FLOW_NAME, -1, batches, total)


def run_gws4all_documenten(
    partition: int,
    *,
    settings: Settings | None = None,
    store: Store | None = None,
    budget_s: float = DEFAULT_BUDGET_S,
    retry: RetryPolicy | None = None,
    run_ref: str | None = None,
    **configs: object,
) -> PartitionResult:
    """Drain the documents GWS4all pushed (one inbox partition) into the flow's targets.

    ``configs``: each registered target's config by system name (``esuite=…, xtendis=…``).
    """
    settings = settings or load_settings()
    with _engine(settings, store, configs, retry) as (engine, store):
        source = InboxSource(
            store,
            flow=FLOW_NAME,
            functions=DOCUMENT_FUNCTIONS,
            partition=partition,
            partitions=settings.partitions,
        )
        total, batches = drain_inbox(
            engine,
            store,
            source,
            batch_size=settings.batch_size,
            budget_s=budget_s,
            run_ref=run_ref,
        )
    return PartitionResult(FLOW_NAME, partition, batches, total)


def run_source_documenten(
    system: str,
    *,
    settings: Settings | None = None,
    store: Store | None = None,
    budget_s: float = DEFAULT_BUDGET_S,
    retry: RetryPolicy | None = None,
    run_ref: str | None = None,
    **configs: object,
) -> PartitionResult:
    """Read a registered cursor source of the documenten flow into the flow's targets.

    ``configs`` holds the targets' configs and, under ``system``, the source's own (a source
    that is also a target, the e-Suite, shares it).
    """
    settings = settings or load_settings()
    spec = registry.get(system).source(FLOW_NAME)
    if spec is None or spec.factory is None:
        raise LookupError(f"{system} is geen bron van de documenten-flow")
    source_config = configs[system]
    target_names = {r.system for r in registry.targets_for(FLOW_NAME)}
    target_configs = {name: config for name, config in configs.items() if name in target_names}
    with _engine(settings, store, target_configs, retry) as (engine, store):
        context = SourceContext(settings, store, blob_store(settings).root, engine.targets)
        source = registry.load(spec.factory)(source_config, context)
        try:
            return _drain_cursor_source(
                engine,
                store,
                source,
                settings=settings,
                budget_s=budget_s,
                run_ref=run_ref,
                persist_cursor=spec.keeps_cursor,
            )
        finally:
            close_source(source)  # a source with its own session (SFTP)


def run_allegro_documenten(**arguments: object) -> PartitionResult:
    """Read Allegro's document exports (one export per batch) into the flow's targets."""
    return run_source_documenten("allegro", **arguments)  # type: ignore[arg-type]


def run_esuite_documenten(**arguments: object) -> PartitionResult:
    """Take the documents added in the e-Suite itself into the archives.

    Walks every zaak once per run (the cursor is not kept: the identity map says which
    documents were taken already, without downloading them).
    """
    return run_source_documenten("esuite", **arguments)  # type: ignore[arg-type]


def run_documenten_resends(
    *,
    settings: Settings | None = None,
    store: Store | None = None,
    retry: RetryPolicy | None = None,
    **configs: object,
) -> dict[str, object]:
    """Perform the document resends beheer asked for (claimed once, delivered once)."""
    settings = settings or load_settings()
    own_store = store is None
    store = store or open_store(settings)  # first task of the DAG: brings the schema up to date
    try:
        with _engine(settings, store, configs, retry) as (engine, _store):
            return resend_requested(store, engine, DOCUMENT_FUNCTIONS)
    finally:
        if own_store:
            store.dispose()

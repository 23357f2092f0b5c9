"""Entry points of the documenten DAG: drain one document source into the three targets.

Each function is one Airflow task's work, within a time budget: the GWS4all inbox (one
partition), Allegro's document exports, the documents added in the e-Suite, and the resends
beheer asked for. They share one engine set-up: the flow, the three targets and the lookup of
a dossier's BSN, which Xtendis needs and documents do not carry (it is read from the zaak in
the e-Suite when the drop is made, and never stored in Ketenbrug).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from adapters.allegro.client import AllegroClient
from adapters.allegro.config import AllegroConfig
from adapters.allegro.documents import AllegroDocumentSource
from adapters.base import Source, Target
from adapters.errors import PermanentError
from adapters.esuite.client import EsuiteClient
from adapters.esuite.config import EsuiteConfig
from adapters.esuite.documents import EsuiteDocumentTarget
from adapters.mylex.config import MyLexConfig
from adapters.mylex.target import MyLexTarget
from adapters.xtendis.config import XtendisConfig
from adapters.xtendis.target import XtendisTarget
from mappings import load_tables
from sync.blobs import BlobStore
from sync.config import Settings, load_settings
from sync.engine import BatchOutcome, Engine, RetryPolicy
from sync.failpoints import crash_point
from sync.flows.documenten import FLOW_NAME, DocumentenFlow
from sync.inbox import DOCUMENT_FUNCTIONS, InboxSource
from sync.runner import (
    DEFAULT_BUDGET_S,
    PartitionResult,
    drain_inbox,
    finish_run,
    no_ack,
    resend_requested,
    start_run,
)
from sync.sources.esuite_documents import EsuiteDocumentSource
from sync.store.db import Store, open_store

__all__ = [
    "DocumentTargets",
    "blob_store",
    "run_allegro_documenten",
    "run_documenten_resends",
    "run_esuite_documenten",
    "run_gws4all_documenten",
]

log = logging.getLogger(__name__)


def blob_store(settings: Settings) -> BlobStore:
    """Where document content waits between its source and its targets."""
    return BlobStore(settings.home / "blobs")


class DossierBsn:
    """The BSN of a zaak's client, read from the e-Suite once per zaak and kept in memory only."""

    def __init__(self, client: EsuiteClient) -> None:
        self.client = client
        self._known: dict[str, str] = {}
        self._lock = threading.Lock()

    def __call__(self, zaak_identificatie: str | None) -> str:
        if not zaak_identificatie:
            raise PermanentError("document zonder zaak: geen dossier in Xtendis te bepalen")
        with self._lock:
            if zaak_identificatie in self._known:
                return self._known[zaak_identificatie]
        answer = self.client.geef_zaakdetails(zaak_identificatie)
        bsn = answer.zaak.initiator_bsn if answer is not None and answer.zaak else None
        if not bsn:
            raise PermanentError(
                f"zaak {zaak_identificatie} heeft in de e-Suite geen initiator (BSN): "
                "geen dossier in Xtendis te bepalen"
            )
        with self._lock:
            self._known[zaak_identificatie] = bsn
        return bsn


@dataclass
class DocumentTargets:
    """The three targets of the flow and what must be closed after the task."""

    targets: dict[str, Target]
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for close in self.closers:
            try:
                close()
            except Exception:  # closing must not hide the task's own outcome
                log.warning("afsluiten van een verbinding mislukt", exc_info=True)


def document_targets(
    esuite: EsuiteConfig, xtendis: XtendisConfig, mylex: MyLexConfig
) -> DocumentTargets:
    client = EsuiteClient(esuite)
    xtendis_target = XtendisTarget(
        xtendis, dossier_bsn=DossierBsn(client), poll_s=0.2, default_documenttype="Overig"
    )
    mylex_target = MyLexTarget(mylex)
    targets = DocumentTargets(
        {
            "esuite": EsuiteDocumentTarget(client),
            "xtendis": xtendis_target,
            "mylex": mylex_target,
        },
        [xtendis_target.close, mylex_target.close, client.close],
    )
    return targets


@contextmanager
def _engine(
    settings: Settings,
    store: Store | None,
    esuite: EsuiteConfig,
    xtendis: XtendisConfig,
    mylex: MyLexConfig,
    retry: RetryPolicy | None,
) -> Iterator[tuple[Engine, Store]]:
    own_store = store is None
    store = store or open_store(settings, migrate=False)  # the DAG's first task migrated
    targets = document_targets(esuite, xtendis, mylex)
    engine = Engine(
        store, DocumentenFlow(), targets.targets, load_tables(settings.mappings_dir), retry=retry
    )
    try:
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
    esuite: EsuiteConfig,
    xtendis: XtendisConfig,
    mylex: MyLexConfig,
    settings: Settings | None = None,
    store: Store | None = None,
    budget_s: float = DEFAULT_BUDGET_S,
    retry: RetryPolicy | None = None,
    run_ref: str | None = None,
) -> PartitionResult:
    """Drain the documents GWS4all pushed (one inbox partition) into the three targets."""
    settings = settings or load_settings()
    with _engine(settings, store, esuite, xtendis, mylex, retry) as (engine, store):
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


def run_allegro_documenten(
    *,
    esuite: EsuiteConfig,
    xtendis: XtendisConfig,
    mylex: MyLexConfig,
    allegro: AllegroConfig,
    settings: Settings | None = None,
    store: Store | None = None,
    budget_s: float = DEFAULT_BUDGET_S,
    retry: RetryPolicy | None = None,
    run_ref: str | None = None,
) -> PartitionResult:
    """Read Allegro's document exports (one export per batch) into the three targets."""
    settings = settings or load_settings()
    with _engine(settings, store, esuite, xtendis, mylex, retry) as (engine, store):
        allegro_client = AllegroClient(allegro)
        try:
            source = AllegroDocumentSource(allegro_client, blob_store(settings).root)
            return _drain_cursor_source(
                engine, store, source, settings=settings, budget_s=budget_s, run_ref=run_ref
            )
        finally:
            allegro_client.close()


def run_esuite_documenten(
    *,
    esuite: EsuiteConfig,
    xtendis: XtendisConfig,
    mylex: MyLexConfig,
    settings: Settings | None = None,
    store: Store | None = None,
    budget_s: float = DEFAULT_BUDGET_S,
    retry: RetryPolicy | None = None,
    run_ref: str | None = None,
) -> PartitionResult:
    """Take the documents added in the e-Suite itself into Xtendis and MyLex.

    Walks every zaak once per run (the cursor is not kept: the identity map says which
    documents were taken already, without downloading them).
    """
    settings = settings or load_settings()
    with _engine(settings, store, esuite, xtendis, mylex, retry) as (engine, store):
        targets = engine.targets["esuite"]
        assert isinstance(targets, EsuiteDocumentTarget)
        source = EsuiteDocumentSource(store, targets, blob_store(settings))
        return _drain_cursor_source(
            engine,
            store,
            source,
            settings=settings,
            budget_s=budget_s,
            run_ref=run_ref,
            persist_cursor=False,
        )


def run_documenten_resends(
    *,
    esuite: EsuiteConfig,
    xtendis: XtendisConfig,
    mylex: MyLexConfig,
    settings: Settings | None = None,
    store: Store | None = None,
    retry: RetryPolicy | None = None,
) -> dict[str, object]:
    """Perform the document resends beheer asked for (claimed once, delivered once)."""
    settings = settings or load_settings()
    own_store = store is None
    store = store or open_store(settings)  # first task of the DAG: brings the schema up to date
    try:
        with _engine(settings, store, esuite, xtendis, mylex, retry) as (engine, _store):
            return resend_requested(store, engine, DOCUMENT_FUNCTIONS)
    finally:
        if own_store:
            store.dispose()

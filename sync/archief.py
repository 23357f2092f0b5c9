"""Nightly archive reconciliation: MyLex (the old archive) against the new archive (e-Suite).

Both listings are streamed: MyLex comes sorted from its folder tree
(:meth:`MyLexClient.iter_listing`), the new archive page by page from the e-Suite's ZGW
Documenten API and is put in order by :func:`sync.reconcile.sort_external`; the merge-join in
:mod:`sync.reconcile` holds one document per side. Documents have one identificatie in every
archive (``docs/file-layouts.md``), so no translation is needed.

Every difference becomes a drift item in the state store (one row per document and kind while
it lasts; a later reconciliation that finds it in step marks it ``opgelost``). What Ketenbrug
can repair safely it repairs at once: a document missing in MyLex is read from the e-Suite
(streamed into the blob store, hashed) and archived in MyLex through the engine, so the ledger,
retries and dead letters apply. A different checksum, or a document MyLex has and the new
archive lacks, is left for beheer: Ketenbrug cannot know which side is right.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO, Protocol

from sqlalchemy import func, select, update

from adapters.base import Operation, RecordError, SourceBatch, SourceRecord
from adapters.errors import PermanentError, TransientError
from adapters.esuite.archive import EsuiteArchive
from adapters.esuite.client import EsuiteClient
from adapters.esuite.config import EsuiteConfig
from adapters.esuite.document_target import EsuiteDocumentTarget
from adapters.gws4all.inbound import document_fields
from adapters.mylex.client import MyLexClient
from adapters.mylex.config import MyLexConfig
from adapters.mylex.target import ARCHIVEER_DOCUMENT, MyLexTarget
from mappings import load_tables
from sync.archiefbeleid import archief_gegevens
from sync.blobs import BlobStore
from sync.config import Settings, load_settings
from sync.drain import finish_run, start_run
from sync.engine import BatchOutcome, Engine, PlanContext, RetryPolicy
from sync.herindeling import Herindeling, HerindelingResult
from sync.reconcile import (
    MERGE_KINDS,
    ArchiveEntry,
    DriftItem,
    DriftKind,
    ReconcileReport,
    reconcile,
    repairable,
    sort_external,
)
from sync.sources.esuite_documents import download_document
from sync.store.db import Store, open_store
from sync.store.models import DriftItemRow, DriftState, utcnow

__all__ = [
    "FLOW_NAME",
    "Beschadigd",
    "HerstelFlow",
    "ReconciliatieResult",
    "herstel_beschadigd",
    "open_drift",
    "reconcile_archives",
    "run_archief_reconciliatie",
]

log = logging.getLogger(__name__)

FLOW_NAME = "archief_reconciliatie"
_FLUSH_EVERY = 1000


class ArchiveListing(Protocol):
    def iter_documents(self) -> Iterator[Any]: ...


class MyLexListing(Protocol):
    def iter_listing(self) -> Iterator[Any]: ...


class DocumentReader(Protocol):
    def read_document(self, identificatie: str, sink: BinaryIO) -> tuple[Any, str, int]: ...


@dataclass
class ReconciliatieResult:
    """What one reconciliation found and did (counts only: safe for XCom and logs)."""

    report: ReconcileReport
    repaired: int = 0
    repair_outcome: BatchOutcome = field(default_factory=BatchOutcome)
    open_drift: int = 0
    resolved: int = 0
    herindeling: HerindelingResult = field(default_factory=HerindelingResult)

    def as_dict(self) -> dict[str, object]:
        return {
            "mylex": self.report.left_total,
            "nieuw_archief": self.report.right_total,
            "in_orde": self.report.in_step,
            "ontbreekt_in_mylex": self.report.drift[DriftKind.MISSING_IN_LEFT],
            "ontbreekt_in_nieuw_archief": self.report.drift[DriftKind.MISSING_IN_RIGHT],
            "andere_checksum": self.report.drift[DriftKind.DIFFERENT_CHECKSUM],
            "hersteld": self.repaired,
            "herstel_dead_letters": self.repair_outcome.dead_lettered,
            "open_drift": self.open_drift,
            "opgelost": self.resolved,
            "herindeling": self.herindeling.as_dict(),
            "samenvatting": self.summary(),
        }

    def summary(self) -> str:
        return (
            f"{self.report.summary()} Hersteld: {self.repaired}; open drift-items voor beheer: "
            f"{self.open_drift}."
        )


class HerstelFlow:
    """Plans the one repair Ketenbrug makes on its own: archive a missing document in MyLex."""

    name = FLOW_NAME

    def plan(self, record: SourceRecord, context: PlanContext) -> Sequence[Operation]:
        if record.kind != "herstel_mylex":
            raise PermanentError(f"recordsoort {record.kind!r} hoort niet bij de reconciliatie")
        document = record.data["document"]
        return [
            Operation(
                target_system="mylex",
                name=ARCHIVEER_DOCUMENT,
                ledger_key=record.key,
                target_key=str(document["identificatie"]),
                data={
                    "document": document,
                    "content": record.data["content"],
                    # Read from the e-Suite: the document's zaak is the zaaksysteem's own.
                    **archief_gegevens(
                        context.identity.session,
                        context.mappings.archiefbeleid,
                        document.get("zaak_identificatie") or None,
                        jaar=record.data.get("jaar"),  # a damaged file is rewritten in place
                    ),
                },
            )
        ]


def _entries(listing: Iterator[Any]) -> Iterator[ArchiveEntry]:
    """Listing entries in the merge-join's form; a missing checksum or size compares unequal."""
    for entry in listing:
        sha = "" if entry.sha256 is None else str(entry.sha256)
        size = -1 if entry.size is None else int(entry.size)
        yield ArchiveEntry(str(entry.identificatie), sha, size, str(getattr(entry, "locatie", "")))


def reconcile_archives(
    store: Store,
    *,
    mylex: MyLexListing,
    archive: ArchiveListing,
    reader: DocumentReader,
    engine: Engine | None,
    blobs: BlobStore,
    run_ref: str,
    sort_chunk: int = 200_000,
    on_left_entry: Callable[[ArchiveEntry], None] | None = None,
) -> ReconciliatieResult:
    """Compare, record drift, repair what is safe (when ``engine`` is given); idempotent.

    A rerun of the same ``run_ref`` after a crash repairs nothing twice: each repair's ledger
    key names the document, its checksum and the run. ``on_left_entry`` sees every MyLex
    entry as it streams by (the byte check registers its files from the same single listing).
    """
    started = utcnow()
    report = ReconcileReport()
    right = sort_external(_entries(archive.iter_documents()), chunk_size=sort_chunk)
    pending: list[DriftItem] = []
    to_repair: list[DriftItem] = []
    left = _entries(mylex.iter_listing())
    if on_left_entry is not None:
        left = _tapped(left, on_left_entry)
    for item in reconcile(left, right, report=report):
        pending.append(item)
        if item.kind is DriftKind.MISSING_IN_LEFT and repairable(item):
            to_repair.append(item)
        if len(pending) >= _FLUSH_EVERY:
            _record(store, pending, run_ref, started)
            pending.clear()
    _record(store, pending, run_ref, started)
    result = ReconciliatieResult(report)
    result.resolved = _resolve_gone(store, started)
    if engine is not None and to_repair:
        result.repair_outcome = _repair(store, engine, reader, blobs, to_repair, run_ref)
        result.repaired = result.repair_outcome.delivered + result.repair_outcome.in_step
    with store.session() as session:
        result.open_drift = (
            session.scalar(
                select(func.count(DriftItemRow.id)).where(DriftItemRow.state == DriftState.OPEN)
            )
            or 0
        )
    log.info("archiefreconciliatie %s: %s", run_ref, result.summary())
    return result


def _tapped(
    entries: Iterator[ArchiveEntry], hook: Callable[[ArchiveEntry], None]
) -> Iterator[ArchiveEntry]:
    for entry in entries:
        hook(entry)
        yield entry


def _record(store: Store, items: list[DriftItem], run_ref: str, seen: datetime) -> None:
    """Upsert one row per (kind, identificatie) that is not closed."""
    if not items:
        return
    with store.session() as session:
        keys = {(item.kind.name, item.identificatie) for item in items}
        existing = {
            (row.kind, row.identificatie): row
            for row in session.scalars(
                select(DriftItemRow).where(
                    # a document the migration leaves in MyLex (functiescheiding) stays decided
                    DriftItemRow.state.in_((DriftState.OPEN, DriftState.NIET_MIGREREN)),
                    DriftItemRow.identificatie.in_([key[1] for key in keys]),
                )
            )
        }
        for item in items:
            row = existing.get((item.kind.name, item.identificatie))
            if row is None:
                row = DriftItemRow(
                    kind=item.kind.name,
                    identificatie=item.identificatie,
                    state=DriftState.OPEN,
                    detected_at=seen,
                )
                session.add(row)
                existing[(item.kind.name, item.identificatie)] = row
            row.last_seen_at = seen
            row.run_ref = run_ref
            row.mylex_sha256 = item.left.sha256 if item.left else None
            row.mylex_size = item.left.size if item.left else None
            row.mylex_locatie = (item.left.locatie or None) if item.left else None
            row.archief_sha256 = item.right.sha256 if item.right else None
            row.archief_size = item.right.size if item.right else None


def _resolve_gone(store: Store, started: datetime) -> int:
    """Open drift this complete pass did not see again is in step now: ``opgelost``.

    Only the merge-join's own kinds: a damaged file or a missing Xtendis receipt is found by
    another check, which closes its items itself."""
    with store.session() as session:
        result = session.execute(
            update(DriftItemRow)
            .where(
                DriftItemRow.state == DriftState.OPEN,
                DriftItemRow.last_seen_at < started,
                DriftItemRow.kind.in_([kind.name for kind in MERGE_KINDS]),
            )
            .values(state=DriftState.OPGELOST, resolved_at=utcnow(), note="in orde bevonden")
        )
        return int(getattr(result, "rowcount", 0) or 0)


class _RepairSource:
    """The documents to repair, read from the new archive into the blob store one by one."""

    def __init__(self, reader: DocumentReader, blobs: BlobStore, items: list[DriftItem], run: str):
        self.reader, self.blobs, self.items, self.run = reader, blobs, items, run
        self.retry = RetryPolicy()  # a passing 503 while reading must not stop the repairs

    def records(self) -> Iterator[SourceRecord | RecordError]:
        for item in self.items:
            identificatie = item.identificatie
            ref = f"esuite:document:{identificatie}"
            key = f"herstel:{identificatie}:{item.right.sha256[:16] if item.right else ''}"
            try:
                document, blob = self.retry.retrying()(
                    download_document, self.reader, self.blobs, identificatie
                )
            except PermanentError as error:
                yield RecordError("esuite", f"{key}:{self.run}", ref, error)
                continue
            yield SourceRecord(
                source_system="esuite",
                key=f"{key}:{self.run}",
                kind="herstel_mylex",
                data={"document": document_fields(document), "content": blob.as_content()},
                payload_ref=ref,
            )


def _repair(
    store: Store,
    engine: Engine,
    reader: DocumentReader,
    blobs: BlobStore,
    items: list[DriftItem],
    run_ref: str,
    batch_size: int = 100,
) -> BatchOutcome:
    total = BatchOutcome()
    records = _RepairSource(reader, blobs, items, run_ref).records()
    while True:
        chunk: list[SourceRecord | RecordError] = []
        for record in records:
            chunk.append(record)
            if len(chunk) >= batch_size:
                break
        if not chunk:
            break
        outcome = engine.run_batch(SourceBatch(chunk), on_commit=_mark_repaired(chunk))
        total.add(outcome)
    return total


def _mark_repaired(chunk: list[SourceRecord | RecordError]) -> Any:
    def on_commit(session: Any, outcome: BatchOutcome) -> None:
        for record in chunk:
            state = outcome.record_states.get(record.key)
            if not isinstance(record, SourceRecord) or state not in ("delivered", "in_step"):
                continue
            session.execute(
                update(DriftItemRow)
                .where(
                    DriftItemRow.state == DriftState.OPEN,
                    DriftItemRow.kind == DriftKind.MISSING_IN_LEFT.name,
                    DriftItemRow.identificatie == record.data["document"]["identificatie"],
                )
                .values(
                    state=DriftState.HERSTELD,
                    resolved_at=utcnow(),
                    note="opnieuw in MyLex gearchiveerd uit het nieuwe archief",
                )
            )

    return on_commit


@dataclass(frozen=True)
class Beschadigd:
    """A MyLex file whose bytes no longer hash to what its MDTO records (the byte check)."""

    identificatie: str
    sha256: str  # what MyLex recorded: the new archive must hold exactly this content
    size: int
    locatie: str  # <root>/archief/<jaar>/<zaak>/<identificatie>.<ext>


def herstel_beschadigd(
    engine: Engine,
    reader: DocumentReader,
    blobs: BlobStore,
    items: Sequence[Beschadigd],
    run_ref: str,
    batch_size: int = 100,
) -> dict[str, str | None]:
    """Rewrite each damaged file in place from the new archive, through the engine.

    Returns per identificatie None when the rewrite was delivered (or made before in this run),
    else why not (Dutch, for beheer's note): the new archive lacks the document, holds other
    content, or files it under another zaak than MyLex's folder. The ledger key names the
    document, the recorded checksum and the run, so a rerun of the run rewrites nothing twice
    and the next night's run may try again.
    """
    outcome: dict[str, str | None] = {}
    retry = RetryPolicy()
    records: list[SourceRecord | RecordError] = []
    for item in items:
        key = f"herstel-beschadigd:{item.identificatie}:{item.sha256[:16]}:{run_ref}"
        parts = item.locatie.split("/")
        jaar, zaak, naam = (parts[-3], parts[-2], parts[-1]) if len(parts) >= 3 else ("", "", "")
        if not jaar.isdigit() or naam.rpartition(".")[0] != item.identificatie:
            outcome[item.identificatie] = "locatie in MyLex past niet bij herschrijven"
            continue
        try:
            document, blob = retry.retrying()(download_document, reader, blobs, item.identificatie)
        except PermanentError:
            outcome[item.identificatie] = "ontbreekt in het nieuwe archief"
            continue
        except TransientError:
            outcome[item.identificatie] = "nieuw archief onbereikbaar; volgende nacht opnieuw"
            continue
        fields = document_fields(document)
        if blob.sha256 != item.sha256.lower() or blob.size != item.size:
            outcome[item.identificatie] = (
                f"nieuw archief heeft andere inhoud (sha256 {blob.sha256[:16]}…)"
            )
            continue
        if (fields.get("zaak_identificatie") or "los") != zaak:
            outcome[item.identificatie] = "nieuw archief legt het document bij een andere zaak"
            continue
        records.append(
            SourceRecord(
                source_system="esuite",
                key=key,
                kind="herstel_mylex",
                data={"document": fields, "content": blob.as_content(), "jaar": int(jaar)},
                payload_ref=f"esuite:document:{item.identificatie}",
            )
        )
    for start in range(0, len(records), batch_size):
        chunk = records[start : start + batch_size]
        done = engine.run_batch(
            SourceBatch(chunk), on_commit=lambda _s, _o: None, raise_when_stuck=False
        )
        for record in chunk:
            identificatie = str(record.payload_ref).removeprefix("esuite:document:")
            state = done.record_states.get(record.key)
            outcome[identificatie] = (
                None
                if state in ("delivered", "in_step")
                else "herstel in MyLex niet gelukt (zie dead letters)"
                if state == "dead"
                else "MyLex onbereikbaar; volgende nacht opnieuw"
            )
    return outcome


def open_drift(store: Store, limit: int = 50) -> list[dict[str, object]]:
    """Open drift items for beheer (no personal data: identificaties and checksums only)."""
    with store.session() as session:
        rows = session.scalars(
            select(DriftItemRow)
            .where(DriftItemRow.state == DriftState.OPEN)
            .order_by(DriftItemRow.id)
            .limit(limit)
        )
        return [
            {
                "id": row.id,
                "soort": DriftKind[row.kind].label,
                "identificatie": row.identificatie,
                "mylex_sha256": row.mylex_sha256,
                "archief_sha256": row.archief_sha256,
                "gezien": row.last_seen_at.isoformat(),
            }
            for row in rows
        ]


def run_archief_reconciliatie(
    *,
    esuite: EsuiteConfig,
    mylex: MyLexConfig,
    settings: Settings | None = None,
    store: Store | None = None,
    retry: RetryPolicy | None = None,
    run_ref: str | None = None,
    repair: bool = True,
) -> dict[str, object]:
    """The nightly task: reconcile, record drift, repair what is safe; returns the report."""
    settings = settings or load_settings()
    own_store = store is None
    store = store or open_store(settings)
    run_ref = run_ref or f"handmatig:{utcnow():%Y%m%dT%H%M%S}"
    esuite_client = EsuiteClient(esuite)
    archive = EsuiteArchive(esuite)
    reader = EsuiteDocumentTarget(esuite_client)
    listing = MyLexClient(mylex)
    target = MyLexTarget(mylex)
    engine = (
        Engine(
            store,
            HerstelFlow(),
            {"mylex": target},
            load_tables(settings.mappings_dir),
            retry=retry,
        )
        if repair
        else None
    )
    run_id = start_run(store, "mylex", run_ref, flow=FLOW_NAME)
    error: str | None = None
    result: ReconciliatieResult | None = None
    from sync.bestandscontrole import Registratie  # it builds on this module

    bestanden = Registratie(store)  # the byte check's files, from this same listing
    herindeling = Herindeling(store)  # documents filed under another year than their zaak's

    def seen(entry: ArchiveEntry) -> None:
        bestanden(entry)
        herindeling(entry)

    try:
        result = reconcile_archives(
            store,
            mylex=listing,
            archive=archive,
            reader=reader,
            engine=engine,
            blobs=BlobStore(settings.home / "blobs"),
            run_ref=run_ref,
            on_left_entry=seen,
        )
        bestanden.finish(complete=True)
        result.herindeling = herindeling.move(listing)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        outcome = result.repair_outcome if result else BatchOutcome()
        if result is not None:
            outcome.read = result.report.left_total + result.report.drift[DriftKind.MISSING_IN_LEFT]
        finish_run(store, run_id, outcome, error)
        listing.close()
        target.close()
        esuite_client.close()
        if own_store:
            store.dispose()
    return result.as_dict()

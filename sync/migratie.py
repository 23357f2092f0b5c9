"""The migration old → new: documents only MyLex holds are brought into the new archive.

Why this shape: the nightly reconciliation already finds every document that exists only in
MyLex (drift ``ontbreekt in nieuw archief``, with its place in MyLex); those open drift items
are the migration's work list, so the migration needs no listing of its own and resumes
wherever it stopped. Each night takes a budget (documents and megabytes, the oldest items
first): an archive of 100,000 documents moves over some nights without crowding the nightly
window, and the summary says how much is left and how many nights that takes.

A document goes to the zaaksysteem (the e-Suite, or a ZGW API: the registry's part) attached to
its zaak: the zaak MyLex names, when the identity map or the zaak kenmerken know it there; else
the client's "historisch dossier" zaak (MDTO ``betrokkene``: a client number, never a BSN), of
the zaaktype ``mappings/migratie.csv`` names, created once; else it is a dead letter
``zaak_onbekend`` with the reason. Functiescheiding: a document whose zaaktype is routed away
from the zaaksysteem (debt help) stays in MyLex, marked ``niet_migreren``.

Exactly once: the write goes through the engine with ledger key ``migratie:<id>:<sha16>``; the
zaaksysteem reads back after a lost answer ("bestaat al" with the same SHA-256 counts as in
step). The drift item becomes ``gemigreerd`` in the same transaction as the ledger outcome.
"""

from __future__ import annotations

import csv
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, cast

from sqlalchemy import and_, exists, func, literal, select, update
from sqlalchemy.orm import Session

from adapters.base import Operation, RecordError, SourceBatch, SourceRecord
from adapters.document import VOEG_ZAAKDOCUMENT_TOE
from adapters.errors import PermanentError, ZaakOnbekendError
from adapters.mylex.client import MyLexClient
from adapters.mylex.lezen import OudDocument, lees_document
from adapters.roles import CREEER_ZAAK
from sync.blobs import BlobStore
from sync.engine import BatchOutcome, Engine, PlanContext, RetryPolicy
from sync.reconcile import DriftKind
from sync.run_lock import exclusive_run
from sync.store.db import Store
from sync.store.models import (
    DeadLetter,
    DeadLetterState,
    DriftItemRow,
    DriftState,
    IdentityLink,
    utcnow,
)
from sync.zaak_kenmerken import ZaakKenmerken

__all__ = [
    "FLOW_NAME",
    "MIGRATIE",
    "Budget",
    "MigratieFlow",
    "MigratieVoortgang",
    "RouteCheck",
    "load_migratie",
    "migratie_key",
    "migratie_source",
    "migreer",
    "resend_loader",
    "voortgang",
]

log = logging.getLogger(__name__)

FLOW_NAME = "migratie"
SOURCE = "mylex"
MIGRATIE = "migratie.csv"
_KIND = DriftKind.MISSING_IN_RIGHT.name
#: Whether a zaaktype's documents may enter the zaaksysteem (functiescheiding).
RouteCheck = Callable[[str | None], bool]


@dataclass(frozen=True)
class MigratieInstellingen:
    """``mappings/migratie.csv``: the zaaktype of a client's historisch dossier zaak."""

    historisch_dossier_zaaktype: str
    historisch_dossier_omschrijving: str


def load_migratie(folder: Path) -> MigratieInstellingen:
    """Read ``migratie.csv`` (``soort;zaaktype;omschrijving``, one row ``historisch_dossier``)."""
    from mappings.tables import MappingError

    path = folder / MIGRATIE
    if not path.exists():
        raise MappingError([f"{MIGRATIE}: bestand ontbreekt"])
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    for row in rows:
        if (row.get("soort") or "").strip() == "historisch_dossier":
            zaaktype = (row.get("zaaktype") or "").strip()
            if not zaaktype:
                raise MappingError([f"{MIGRATIE}: historisch_dossier zonder zaaktype"])
            return MigratieInstellingen(zaaktype, (row.get("omschrijving") or "").strip())
    raise MappingError([f"{MIGRATIE}: geen regel historisch_dossier"])


@dataclass(frozen=True)
class Budget:
    """What one night may migrate (``KETENBRUG_MIGRATIE_DOCUMENTEN``, ``..._MB``)."""

    documenten: int = 5_000
    megabytes: int = 5_120

    @property
    def bytes(self) -> int:
        return self.megabytes * 1024 * 1024


def migratie_key(identificatie: str, sha256: str | None) -> str:
    return f"migratie:{identificatie}:{(sha256 or '')[:16]}"


def historisch_dossier(client: str) -> str:
    """The identificatie of a client's historisch dossier zaak (a client number, no BSN)."""
    return f"HD-{client}"


@dataclass(frozen=True)
class _Item:
    drift_id: int
    identificatie: str
    locatie: str
    sha256: str
    size: int

    @property
    def key(self) -> str:
        return migratie_key(self.identificatie, self.sha256)


def _key_expression() -> Any:
    """:func:`migratie_key` in SQL (``||``, on SQLite and PostgreSQL alike)."""
    sha = func.substr(func.coalesce(DriftItemRow.mylex_sha256, ""), 1, 16)
    return literal("migratie:") + DriftItemRow.identificatie + literal(":") + sha


def _open_items() -> Any:
    """Open MyLex-only drift items that are not waiting for beheer as a dead letter."""
    letter_open = exists().where(
        DeadLetter.flow == FLOW_NAME,
        DeadLetter.state.in_(
            (
                DeadLetterState.OPEN,
                DeadLetterState.RESEND_REQUESTED,
                DeadLetterState.RESENDING,
            )
        ),
        DeadLetter.source_key == _key_expression(),
    )
    return and_(
        DriftItemRow.state == DriftState.OPEN,
        DriftItemRow.kind == _KIND,
        DriftItemRow.mylex_locatie.is_not(None),
        ~letter_open,
    )


def _pick(store: Store, budget: Budget) -> list[_Item]:
    """The oldest open items within the night's budget (at least one, however large)."""
    picked: list[_Item] = []
    used = 0
    with store.session() as session:
        rows = session.execute(
            select(
                DriftItemRow.id,
                DriftItemRow.identificatie,
                DriftItemRow.mylex_locatie,
                DriftItemRow.mylex_sha256,
                DriftItemRow.mylex_size,
            )
            .where(_open_items())
            .order_by(DriftItemRow.id)
            .limit(budget.documenten)
        )
        for drift_id, identificatie, locatie, sha, size in rows:
            size = int(size or 0)
            if picked and used + size > budget.bytes:
                break
            picked.append(_Item(drift_id, identificatie, str(locatie), sha or "", size))
            used += size
    return picked


class MigratieFlow:
    """Plans the write of one old document into the zaaksysteem, under the right zaak."""

    name = FLOW_NAME

    def __init__(self, zaaksysteem: str, instellingen: MigratieInstellingen) -> None:
        self.zaaksysteem = zaaksysteem
        self.instellingen = instellingen

    def plan(self, record: SourceRecord, context: PlanContext) -> Sequence[Operation]:
        if record.kind != "migratie":
            raise PermanentError(f"recordsoort {record.kind!r} hoort niet bij de migratie")
        document = dict(record.data["document"])
        document["vertrouwelijkheid"] = document.get("vertrouwelijkheid") or "VERTROUWELIJK"
        operations: list[Operation] = []
        zaak = self._known_zaak(context, str(document.get("zaak_identificatie") or ""))
        if zaak is None:
            client = record.data.get("client")
            if not client:
                raise ZaakOnbekendError(
                    f"document {document['identificatie']} uit MyLex: zaak "
                    f"{document.get('zaak_identificatie') or '(geen)'} is niet bekend in het "
                    "zaaksysteem en de MDTO-metadata noemt geen cliënt voor een historisch "
                    "dossier; koppel de zaak of vul de cliënt aan en verstuur opnieuw"
                )
            zaak = historisch_dossier(str(client))
            operations.append(self._historisch_dossier(record, context, zaak))
        operations.append(
            Operation(
                target_system=self.zaaksysteem,
                name=VOEG_ZAAKDOCUMENT_TOE,
                ledger_key=record.key,
                # the zaak's key: its documents wait while its creation is deferred
                target_key=zaak,
                data={
                    "document": {**document, "zaak_identificatie": zaak},
                    "content": record.data["content"],
                },
            )
        )
        identificatie = str(document["identificatie"])
        if context.identity.lookup("document", SOURCE, identificatie, self.zaaksysteem) is None:
            context.identity.link(
                "document", SOURCE, identificatie, self.zaaksysteem, identificatie
            )
        return operations

    def _known_zaak(self, context: PlanContext, zaak: str) -> str | None:
        """The zaak MyLex names, as the zaaksysteem knows it (identity map or kenmerken)."""
        if not zaak:
            return None
        session = context.identity.session
        if ZaakKenmerken(session).lookup(zaak) is not None:
            return zaak
        for system in session.scalars(
            select(IdentityLink.system).where(
                IdentityLink.entity_type == "zaak", IdentityLink.key == zaak
            )
        ):
            known = context.identity.lookup("zaak", system, zaak, self.zaaksysteem)
            if known is not None:
                return known
        return None

    def _historisch_dossier(
        self, record: SourceRecord, context: PlanContext, zaak: str
    ) -> Operation:
        zaaktype = self.instellingen.historisch_dossier_zaaktype
        document = record.data["document"]
        ZaakKenmerken(context.identity.session).record(zaak, bron=SOURCE, zaaktype=zaaktype)
        if context.identity.lookup("zaak", SOURCE, zaak, self.zaaksysteem) is None:
            context.identity.link("zaak", SOURCE, zaak, self.zaaksysteem, zaak)
        return Operation(
            target_system=self.zaaksysteem,
            name=CREEER_ZAAK,
            ledger_key=f"historisch-dossier:{zaak}",
            target_key=zaak,
            data={
                "identificatie": zaak,
                "zaaktype_code": zaaktype,
                "zaaktype_omschrijving": self.instellingen.historisch_dossier_omschrijving,
                "omschrijving": "Historisch dossier uit het oude archief (MyLex)",
                "startdatum": document.get("creatiedatum"),
                "registratiedatum": utcnow().date().isoformat(),
            },
        )


@dataclass
class _Read:
    """What the source made of one item: a record to deliver, or a decision without one."""

    item: _Item
    record: SourceRecord | RecordError | None = None
    niet_migreren: str | None = None


class _MigratieSource:
    """Reads the picked items from MyLex: metadata first (routing), then content into blobs."""

    def __init__(
        self,
        store: Store,
        client: MyLexClient,
        blobs: BlobStore,
        allowed: RouteCheck,
        retry: RetryPolicy,
        historisch_zaaktype: str,
    ) -> None:
        self.store, self.client, self.blobs = store, client, blobs
        self.allowed, self.retry = allowed, retry
        self.historisch_zaaktype = historisch_zaaktype

    def _zaaktype(self, document: OudDocument) -> str | None:
        """The zaaktype to route by: the document's own (MDTO classificatie), else its zaak's,
        else the historisch dossier's when it will go there; None: no zaak will be found (the
        flow makes that a dead letter ``zaak_onbekend`` beheer can act on)."""
        if document.zaaktype:
            return document.zaaktype
        if document.zaak_identificatie:
            with self.store.session() as session:
                kenmerken = ZaakKenmerken(session).lookup(document.zaak_identificatie)
            if kenmerken is not None and kenmerken.zaaktype:
                return kenmerken.zaaktype
        return self.historisch_zaaktype if document.client else None

    def read(self, item: _Item) -> _Read:
        ref = f"mylex:{item.locatie}"
        try:
            document, blob = self.retry.retrying()(self._download, item)
        except PermanentError as error:
            return _Read(item, RecordError(SOURCE, item.key, ref, error))
        zaaktype = self._zaaktype(document)
        if zaaktype is not None and not self.allowed(zaaktype):
            return _Read(item, niet_migreren=f"zaaktype {zaaktype}: blijft buiten het zaaksysteem")
        return _Read(
            item,
            SourceRecord(
                source_system=SOURCE,
                key=item.key,
                kind="migratie",
                data={
                    "document": document.fields(),
                    "content": blob.as_content(),
                    "client": document.client,
                    "zaaktype": zaaktype,
                },
                payload_ref=ref,
            ),
        )

    def _download(self, item: _Item) -> tuple[OudDocument, Any]:
        with self.blobs.writer() as sink:
            document = lees_document(
                self.client, item.locatie, item.identificatie, cast(BinaryIO, sink), item.sha256
            )
        assert sink.ref is not None
        return document, sink.ref


@dataclass
class MigratieVoortgang:
    """Where the migration stands (counts only: safe for XCom, logs and the beheer pages)."""

    gemigreerd: int = 0
    te_gaan: int = 0
    te_gaan_bytes: int = 0
    wacht_op_beheer: int = 0
    niet_migreren: int = 0

    def nachten(self, budget: Budget) -> int:
        """Nights still needed at this budget (the tighter of documents and bytes)."""
        if not self.te_gaan:
            return 0
        by_docs = math.ceil(self.te_gaan / max(1, budget.documenten))
        by_bytes = math.ceil(self.te_gaan_bytes / max(1, budget.bytes))
        return max(by_docs, by_bytes, 1)


def voortgang(store: Store) -> MigratieVoortgang:
    """The migration's progress as the state store knows it."""
    with store.session() as session:
        counts: dict[str, int] = {
            str(state): int(count or 0)
            for state, count in session.execute(
                select(DriftItemRow.state, func.count(DriftItemRow.id))
                .where(DriftItemRow.kind == _KIND)
                .group_by(DriftItemRow.state)
            ).all()
        }
        todo, todo_bytes = session.execute(
            select(
                func.count(DriftItemRow.id), func.coalesce(func.sum(DriftItemRow.mylex_size), 0)
            ).where(_open_items())
        ).one()
    open_total = int(counts.get(DriftState.OPEN, 0))
    return MigratieVoortgang(
        gemigreerd=int(counts.get(DriftState.GEMIGREERD, 0)),
        te_gaan=int(todo or 0),
        te_gaan_bytes=int(todo_bytes or 0),
        wacht_op_beheer=open_total - int(todo or 0),
        niet_migreren=int(counts.get(DriftState.NIET_MIGREREN, 0)),
    )


@dataclass
class MigratieResult:
    """One night's migration: what moved, what is left, and the estimate."""

    outcome: BatchOutcome = field(default_factory=BatchOutcome)
    gemigreerd: int = 0
    bytes: int = 0
    seconds: float = 0.0
    niet_migreren: int = 0
    voortgang: MigratieVoortgang = field(default_factory=MigratieVoortgang)
    budget: Budget = field(default_factory=Budget)

    def as_dict(self) -> dict[str, object]:
        return {
            "gemigreerd": self.gemigreerd,
            "megabytes": round(self.bytes / 1_048_576, 1),
            "seconden": round(self.seconds, 1),
            "dead_letters": self.outcome.dead_lettered,
            "uitgesteld": self.outcome.deferred,
            "niet_migreren": self.niet_migreren,
            "totaal_gemigreerd": self.voortgang.gemigreerd,
            "te_gaan": self.voortgang.te_gaan,
            "wacht_op_beheer": self.voortgang.wacht_op_beheer,
            "nachten_te_gaan": self.voortgang.nachten(self.budget),
            "samenvatting": self.summary(),
        }

    def summary(self) -> str:
        def n(value: int) -> str:
            return f"{value:,}".replace(",", ".")

        rate = self.gemigreerd / self.seconds if self.seconds > 0 else 0.0
        left = self.voortgang
        text = (
            f"Migratie MyLex → nieuw archief: vannacht {n(self.gemigreerd)} documenten "
            f"({self.bytes / 1_048_576:.1f} MB, {rate:.1f} per seconde); totaal gemigreerd "
            f"{n(left.gemigreerd)}, nog te gaan {n(left.te_gaan)} "
            f"({left.te_gaan_bytes / 1_048_576:.0f} MB)"
        )
        if left.te_gaan:
            text += f", naar schatting nog {left.nachten(self.budget)} nacht(en)"
        if left.wacht_op_beheer:
            text += f"; {n(left.wacht_op_beheer)} wachten op beheer (dead letter)"
        if left.niet_migreren:
            text += f"; {n(left.niet_migreren)} blijven in MyLex (functiescheiding)"
        return text + "."


def _mark(reads: list[_Read]) -> Callable[[Session, BatchOutcome], None]:
    """Close the drift items of delivered records in the engine's own transaction."""

    def on_commit(session: Session, outcome: BatchOutcome) -> None:
        for read in reads:
            record = read.record
            if not isinstance(record, SourceRecord):
                continue
            if outcome.record_states.get(record.key) not in ("delivered", "in_step"):
                continue
            session.execute(
                update(DriftItemRow)
                .where(DriftItemRow.id == read.item.drift_id, DriftItemRow.state == DriftState.OPEN)
                .values(
                    state=DriftState.GEMIGREERD,
                    resolved_at=utcnow(),
                    note="gemigreerd naar het nieuwe archief, zaak "
                    + str(record.data["document"]["zaak_identificatie"]),
                )
            )

    return on_commit


def _mark_niet_migreren(store: Store, reads: list[_Read]) -> int:
    skipped = [read for read in reads if read.niet_migreren]
    if not skipped:
        return 0
    with store.session() as session:
        for read in skipped:
            session.execute(
                update(DriftItemRow)
                .where(DriftItemRow.id == read.item.drift_id, DriftItemRow.state == DriftState.OPEN)
                .values(
                    state=DriftState.NIET_MIGREREN, resolved_at=utcnow(), note=read.niet_migreren
                )
            )
    return len(skipped)


def migreer(
    store: Store,
    engine: Engine,
    client: MyLexClient,
    blobs: BlobStore,
    *,
    allowed: RouteCheck,
    budget: Budget | None = None,
    retry: RetryPolicy | None = None,
    batch_size: int = 50,
) -> MigratieResult:
    """One night's share of the migration; idempotent and resumable (see the module doc)."""
    budget = budget or Budget()
    result = MigratieResult(budget=budget)
    started = time.monotonic()
    source = migratie_source(store, engine, client, blobs, allowed, retry)
    # One run at a time: a second run beside it would pick the same open items and, while the
    # first is mid-write, find them not yet applied and write them again (the chaos test).
    with exclusive_run(store, f"{FLOW_NAME}:{SOURCE}"):
        items = _pick(store, budget)
        for start in range(0, len(items), batch_size):
            reads = [source.read(item) for item in items[start : start + batch_size]]
            result.niet_migreren += _mark_niet_migreren(store, reads)
            records = [read.record for read in reads if read.record is not None]
            if not records:
                continue
            outcome = engine.run_batch(SourceBatch(records), on_commit=_mark(reads))
            result.outcome.add(outcome)
            for read in reads:
                if isinstance(read.record, SourceRecord) and outcome.record_states.get(
                    read.record.key
                ) in ("delivered", "in_step"):
                    result.gemigreerd += 1
                    result.bytes += read.item.size
    result.seconds = time.monotonic() - started
    result.voortgang = voortgang(store)
    log.info("%s", result.summary())
    return result


def migratie_source(
    store: Store,
    engine: Engine,
    client: MyLexClient,
    blobs: BlobStore,
    allowed: RouteCheck,
    retry: RetryPolicy | None = None,
) -> _MigratieSource:
    """The reader of drift items from MyLex (the migration's and its resends')."""
    flow = engine.flow
    if not isinstance(flow, MigratieFlow):
        raise TypeError("de migratie heeft een engine met de MigratieFlow nodig")
    zaaktype = flow.instellingen.historisch_dossier_zaaktype
    return _MigratieSource(store, client, blobs, allowed, retry or RetryPolicy(), zaaktype)


def resend_loader(
    store: Store, source_factory: Callable[[], _MigratieSource]
) -> Callable[[DeadLetter], list[SourceRecord | RecordError]]:
    """Records of a migration dead letter, read again from MyLex (beheer's resend)."""

    def load(letter: DeadLetter) -> list[SourceRecord | RecordError]:
        with store.session() as session:
            row = session.scalars(
                select(DriftItemRow).where(
                    DriftItemRow.kind == _KIND,
                    DriftItemRow.state == DriftState.OPEN,
                    _key_expression() == letter.source_key,
                )
            ).first()
            if row is None or row.mylex_locatie is None:
                return []
            item = _Item(
                row.id,
                row.identificatie,
                row.mylex_locatie,
                row.mylex_sha256 or "",
                int(row.mylex_size or 0),
            )
        read = source_factory().read(item)
        return [read.record] if read.record is not None else []

    return load

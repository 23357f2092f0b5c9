"""The doorgifte task: new aanvragen of the e-Suite, with their documents, to GWS4all.

Each run lists the e-Suite's zaken of the zaaktypes in ``doorgifte.csv`` that started within
the window (``venster_dagen``, default 60: the ZGW listing filters on startdatum, and a zaak
registered late with an earlier startdatum must not slip past a cursor), leaves out what was
handed over (its ledger rows final) or came from GWS4all (no echo), and hands over the rest:
the zaak from geefZaakdetails, its documents streamed from geefZaakdocumentLezen into the blob
store, then the engine writes them to GWS4all exactly once.

A passing failure while reading one zaak (retries spent) holds back that zaak only, until the
next run; nothing of it was recorded.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from adapters.base import RecordError, SourceBatch, SourceRecord, Target
from adapters.errors import PermanentError, TransientError
from adapters.esuite.document_reading import EsuiteDocuments
from adapters.esuite.zaak_lijst import ZaakKop
from adapters.gws4all.outbound_target import zaak_to_data
from mappings import load_tables
from mappings.doorgifte import load_doorgifte
from privacy.masking import mask_text
from sync.blobs import BlobStore
from sync.config import Settings, load_settings
from sync.drain import cursor_batches, drain
from sync.engine import Engine, RetryPolicy
from sync.flows.doorgifte import (
    FLOW_NAME,
    RECORD_KIND,
    SOURCE_SYSTEM,
    TARGET_SYSTEM,
    DoorgifteFlow,
    record_key,
)
from sync.identity import IdentityMap
from sync.resend import perform_resends
from sync.store.db import Store, open_store
from sync.store.models import DeadLetter, LedgerEntry, LedgerState

__all__ = ["DoorgifteSource", "ZaakLijst", "run_doorgifte", "run_doorgifte_resends", "te_doorgeven"]

log = logging.getLogger(__name__)

_AMSTERDAM = ZoneInfo("Europe/Amsterdam")
#: Zaken read from the e-Suite side by side (the e-Suite pool's slots bound the runs).
READ_CONCURRENCY = 4
#: How far back a run looks for new aanvragen (by startdatum).
VENSTER_DAGEN = 60


class ZaakLijst(Protocol):
    """The e-Suite's listing of zaken (``adapters.esuite.zaak_lijst.EsuiteZaakLijst``)."""

    def nieuwe_zaken(self, zaaktype_codes: Iterable[str], vanaf: date) -> Iterable[ZaakKop]: ...


def te_doorgeven(store: Store, koppen: Iterable[ZaakKop]) -> list[str]:
    """The listed zaken still to hand over, oldest first.

    Left out: a zaak that came from GWS4all (no echo), one whose every doorgifte ledger row is
    final (delivered, superseded or dead) with the zaak's own row among them, and one with a
    dead letter of this flow (beheer decides: resend or skip).
    """
    unique = {kop.identificatie: kop for kop in koppen}
    ordered = sorted(unique.values(), key=lambda kop: (kop.startdatum, kop.identificatie))
    final = {LedgerState.DELIVERED, LedgerState.SUPERSEDED, LedgerState.DEAD}
    chosen: list[str] = []
    with store.session() as session:
        identity = IdentityMap(session)
        for kop in ordered:
            zaak = kop.identificatie
            if identity.origin("zaak", SOURCE_SYSTEM, zaak) == TARGET_SYSTEM:
                continue
            key = record_key(zaak)
            rows = session.execute(
                select(LedgerEntry.source_key, LedgerEntry.state).where(
                    LedgerEntry.flow == FLOW_NAME,
                    LedgerEntry.source_system == SOURCE_SYSTEM,
                    or_(LedgerEntry.source_key == key, LedgerEntry.source_key.like(f"{key}:%")),
                )
            ).all()
            done = any(k == key for k, _ in rows) and all(s in final for _, s in rows)
            letter = session.scalar(
                select(DeadLetter.id).where(
                    DeadLetter.flow == FLOW_NAME, DeadLetter.source_key == key
                )
            )
            if not done and letter is None:
                chosen.append(zaak)
    return chosen


class DoorgifteSource:
    """Reads each chosen zaak with its documents from the e-Suite; the cursor is the position.

    The zaken of a batch are read side by side on ``concurrency`` threads (reading is most of a
    run's time, bench/gws4all.py); the records keep the batch's order.
    """

    system = SOURCE_SYSTEM

    def __init__(
        self,
        zaken: Sequence[str],
        esuite: Any,
        blobs: BlobStore,
        *,
        retry: RetryPolicy | None = None,
        concurrency: int = READ_CONCURRENCY,
    ) -> None:
        self.zaken = zaken
        self.esuite = esuite
        self.documents = EsuiteDocuments(esuite)
        self.blobs = blobs
        self.retry = retry or RetryPolicy()
        self.concurrency = max(1, concurrency)
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def _count(self, what: str) -> None:
        with self._lock:
            self.counts[what] += 1

    def read_batch(self, cursor: str | None, limit: int) -> SourceBatch | None:
        start = int(cursor or 0)
        chosen = self.zaken[start : start + limit]
        if not chosen:
            return None
        if self.concurrency == 1 or len(chosen) == 1:
            read = [self._record_or_wait(zaak) for zaak in chosen]
        else:
            with ThreadPoolExecutor(self.concurrency, thread_name_prefix="lees") as pool:
                read = list(pool.map(self._record_or_wait, chosen))
        found = [r for r in read if r is not None]
        end = start + len(chosen)
        return SourceBatch(found, cursor_after=str(end), ref=f"doorgifte:{start}-{end}")

    def after_commit(self, batch: SourceBatch) -> None:
        """Nothing to acknowledge: the e-Suite is read, not drained."""

    def _record_or_wait(self, zaak: str) -> SourceRecord | RecordError | None:
        try:
            return self.record(zaak)
        except TransientError as error:
            self._count("uitgesteld")
            log.warning(
                "doorgifte: zaak %s uitgesteld tot de volgende run: %s", zaak, mask_text(str(error))
            )
            return None

    def record(self, zaak: str) -> SourceRecord | RecordError | None:
        """The aanvraag as the e-Suite holds it; None when the e-Suite no longer knows it."""
        key = record_key(zaak)
        answer = self.retry.retrying()(self.esuite.geef_zaakdetails, zaak)
        if answer is None or answer.zaak is None:
            self._count("zaak_onbekend")
            return None
        try:
            infos = self.retry.retrying()(self.documents.list_documents, zaak)
            documenten = [self._document(zaak, info.identificatie) for info in infos]
        except PermanentError as error:
            return RecordError(SOURCE_SYSTEM, key, f"esuite:{zaak}", error)
        self._count("gelezen")
        return SourceRecord(
            source_system=SOURCE_SYSTEM,
            key=key,
            kind=RECORD_KIND,
            data={"zaak": zaak_to_data(answer.zaak), "documenten": documenten},
            payload_ref=f"esuite:{zaak}",
        )

    def _document(self, zaak: str, identificatie: str) -> dict[str, Any]:
        """One document streamed into the blob store (memory flat), as the document contract."""

        def stream() -> tuple[Any, dict[str, object]]:
            with self.blobs.writer() as sink:
                found = self.documents.read_document(identificatie, sink)
            assert sink.ref is not None
            return found.document, sink.ref.as_content()

        document, content = self.retry.retrying()(stream)

        def plain(value: Any) -> Any:
            return value if isinstance(value, str | None) else str(value)

        creatiedatum = getattr(document, "creatiedatum", None)
        return {
            "document": {
                "identificatie": identificatie,
                "titel": plain(document.titel),
                "zaak_identificatie": zaak,
                "documenttype": plain(document.documenttype_omschrijving),
                "bestandsnaam": plain(document.bestandsnaam),
                "formaat": plain(document.formaat),
                "creatiedatum": creatiedatum.isoformat()
                if isinstance(creatiedatum, date)
                else None,
                "vertrouwelijkheid": plain(document.vertrouwelijkheid),
                "auteur": plain(document.auteur),
                "taal": plain(document.taal),
            },
            "content": content,
        }


def run_doorgifte(
    *,
    esuite: Any,
    lijst: ZaakLijst,
    gws4all: Target,
    settings: Settings | None = None,
    store: Store | None = None,
    retry: RetryPolicy | None = None,
    budget_s: float = 600.0,
    run_ref: str | None = None,
    venster_dagen: int = VENSTER_DAGEN,
    vandaag: date | None = None,
) -> dict[str, object]:
    """Hand every new aanvraag to GWS4all once; returns counts only (no keys, no BSNs).

    ``esuite``: an ``EsuiteClient`` (ZDS 1.2: the zaak and its documents); ``lijst``: the
    e-Suite's zaken listing; ``gws4all``: the GWS4all target (``Gws4allTarget``).
    """
    settings = settings or load_settings()
    own_store = store is None
    store = store or open_store(settings)
    try:
        doorgifte = load_doorgifte(settings.mappings_dir)
        vanaf = (vandaag or datetime.now(_AMSTERDAM).date()) - timedelta(days=venster_dagen)
        retrying = (retry or RetryPolicy()).retrying()
        koppen = retrying(lambda: list(lijst.nieuwe_zaken(sorted(doorgifte.zaaktypen), vanaf)))
        zaken = te_doorgeven(store, koppen)
        engine = Engine(
            store,
            DoorgifteFlow(doorgifte),
            {TARGET_SYSTEM: gws4all},
            load_tables(settings.mappings_dir),
            retry=retry,
        )
        source = DoorgifteSource(zaken, esuite, BlobStore(settings.home / "blobs"), retry=retry)
        batches = cursor_batches(engine, source, settings.batch_size, keeps_cursor=False)
        total, _ = drain(engine, store, SOURCE_SYSTEM, batches, budget_s=budget_s, run_ref=run_ref)
        log.info(
            "doorgifte: %d aanvragen in het venster, %d nieuw, %d afgeleverd, %d dead letters, "
            "%d uitgesteld",
            len(koppen),
            len(zaken),
            total.delivered,
            total.dead_lettered,
            source.counts["uitgesteld"],
        )
        if source.counts["uitgesteld"] and not source.counts["gelezen"]:
            raise TransientError(
                f"doorgifte: {source.counts['uitgesteld']} zaken uitgesteld, e-Suite onbereikbaar",
                system=SOURCE_SYSTEM,
            )
        return {
            "venster": len(koppen),
            "nieuw": len(zaken),
            **dict(source.counts),
            **total.as_dict(),
        }
    finally:
        if own_store:
            store.dispose()


def run_doorgifte_resends(
    *,
    esuite: Any,
    gws4all: Target,
    settings: Settings | None = None,
    store: Store | None = None,
    retry: RetryPolicy | None = None,
) -> dict[str, object]:
    """Perform the resends beheer asked for: the zaak is read from the e-Suite again and
    planned whole; what GWS4all already holds is in step, the rest is written once."""
    settings = settings or load_settings()
    own_store = store is None
    store = store or open_store(settings)
    try:
        engine = Engine(
            store,
            DoorgifteFlow(load_doorgifte(settings.mappings_dir)),
            {TARGET_SYSTEM: gws4all},
            load_tables(settings.mappings_dir),
            retry=retry,
        )
        source = DoorgifteSource([], esuite, BlobStore(settings.home / "blobs"), retry=retry)

        def load(letter: DeadLetter) -> list[SourceRecord | RecordError]:
            zaak = letter.source_key.split(":")[1]
            found = source.record(zaak)
            return [found] if found is not None else []

        return perform_resends(store, engine, load)
    finally:
        if own_store:
            store.dispose()

"""The nightly byte check: re-read a sample of MyLex's files and compare them with their record.

Why: the reconciliation compares the checksums MyLex *recorded*; bit rot or a bad storage
migration changes the bytes and leaves the record alone, so only reading the bytes finds it.
Reading everything every night is too slow, so each night reads the least recently checked
files (never checked first) until a byte budget is used: every file is read once per cycle
when budget times cycle days covers the archive, and the summary says so when it does not.

Three steps:

1. **Register** (:class:`Registratie`): the MyLex listing the reconciliation streams anyway is
   folded into ``bestand_controle`` in bulk (a hook in :func:`sync.archief.reconcile_archives`);
   rows not seen in a complete pass are deleted (the file is gone; the reconciliation reports it).
2. **Pick** (:func:`kies`): oldest ``gecontroleerd_at`` first, within the budget.
3. **Verify** (:func:`controleer`): each file is streamed and hashed; its outcome is committed
   before the next file is read, so a crash never marks an unread file as checked and a rerun
   goes on where it stopped. A mismatch is a drift item ``BESCHADIGD``, repaired from the new
   archive through the engine (:func:`sync.archief.herstel_beschadigd`) and closed as
   ``hersteld`` only when the rewritten file reads right. A damaged file keeps
   ``gecontroleerd_at`` empty, so it is read again first every night until it reads right.
"""

from __future__ import annotations

import functools
import logging
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from adapters.esuite.client import EsuiteClient
from adapters.esuite.config import EsuiteConfig
from adapters.esuite.document_target import EsuiteDocumentTarget
from adapters.mylex.client import MyLexClient
from adapters.mylex.config import MyLexConfig
from adapters.mylex.controle import Gelezen, lees_digest
from adapters.mylex.target import MyLexTarget
from mappings import load_tables
from sync.archief import (
    Beschadigd,
    DocumentReader,
    HerstelFlow,
    herstel_beschadigd,
)
from sync.blobs import BlobStore
from sync.config import Settings, load_settings
from sync.engine import Engine, RetryPolicy
from sync.reconcile import DriftKind
from sync.store.db import Store, open_store
from sync.store.models import BestandControle, DriftItemRow, DriftState, utcnow

__all__ = [
    "BUDGET_ENV",
    "CYCLUS_ENV",
    "BestandsControleResult",
    "ControleInstellingen",
    "Registratie",
    "controleer",
    "kies",
    "run_bestandscontrole",
]

log = logging.getLogger(__name__)

BUDGET_ENV = "KETENBRUG_CONTROLE_BUDGET_MB"
CYCLUS_ENV = "KETENBRUG_CONTROLE_CYCLUS_DAGEN"
DEFAULT_BUDGET_MB = 2048
DEFAULT_CYCLUS_DAGEN = 30
_MB = 1 << 20
_PAGE = 1000

IN_ORDE = "in_orde"
BESCHADIGD = "beschadigd"
HERSTELD = "hersteld"
VERDWENEN = "verdwenen"
_HERSTELD_NOTE = "opnieuw in MyLex gearchiveerd uit het nieuwe archief; gelezen: in orde"

Lezer = Callable[[str], Gelezen | None]


@dataclass(frozen=True)
class ControleInstellingen:
    """The byte budget per night and the cycle within which every file should be read."""

    budget_bytes: int = DEFAULT_BUDGET_MB * _MB
    cyclus_dagen: int = DEFAULT_CYCLUS_DAGEN

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ControleInstellingen:
        source = os.environ if env is None else env
        budget = int(source.get(BUDGET_ENV) or DEFAULT_BUDGET_MB)
        cyclus = int(source.get(CYCLUS_ENV) or DEFAULT_CYCLUS_DAGEN)
        if budget < 1 or cyclus < 1:
            raise ValueError(f"{BUDGET_ENV} en {CYCLUS_ENV} moeten minstens 1 zijn")
        return cls(budget * _MB, cyclus)


# ---------------------------------------------------------------------------- register
class Registratie:
    """Folds listing entries into ``bestand_controle``, a page at a time (call it per entry).

    New files are inserted, changed ones (checksum, size or place) updated and due again, every
    seen one gets ``gezien_at``. :meth:`finish` after a *complete* pass deletes the rows that
    pass did not see. Entries without a locatie or checksum cannot be read back and are skipped.
    """

    def __init__(self, store: Store, page: int = _PAGE) -> None:
        self.store = store
        self.page = page
        self.started = utcnow()
        self.seen = 0
        self.skipped = 0
        self._pending: dict[str, tuple[str, str, int]] = {}

    def __call__(self, entry: Any) -> None:
        locatie = str(getattr(entry, "locatie", "") or "")
        sha = str(entry.sha256 or "").lower()
        size = -1 if entry.size is None else int(entry.size)
        if not locatie or len(sha) != 64 or size < 0:
            self.skipped += 1
            return
        self._pending[str(entry.identificatie)] = (locatie, sha, size)
        if len(self._pending) >= self.page:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        now = utcnow()
        with self.store.session() as session:
            existing = {
                row.identificatie: (row.locatie, row.sha256, row.size)
                for row in session.execute(
                    select(
                        BestandControle.identificatie,
                        BestandControle.locatie,
                        BestandControle.sha256,
                        BestandControle.size,
                    ).where(BestandControle.identificatie.in_(list(pending)))
                )
            }
            new = [
                {
                    "identificatie": key,
                    "locatie": loc,
                    "sha256": sha,
                    "size": size,
                    "gezien_at": now,
                }
                for key, (loc, sha, size) in pending.items()
                if key not in existing
            ]
            changed = [
                {"identificatie": key, "locatie": loc, "sha256": sha, "size": size}
                for key, (loc, sha, size) in pending.items()
                if key in existing and existing[key] != (loc, sha, size)
            ]
            if new:
                session.execute(insert(BestandControle), new)
            if changed:  # other content or place: read it again soon
                session.execute(
                    update(BestandControle),
                    [{**row, "gecontroleerd_at": None, "uitkomst": None} for row in changed],
                )
            same = [key for key in pending if key in existing]
            if same:
                session.execute(
                    update(BestandControle)
                    .where(BestandControle.identificatie.in_(same))
                    .values(gezien_at=now)
                )
        self.seen += len(pending)

    def finish(self, complete: bool = True) -> int:
        """Flush; after a complete pass delete the rows it did not see. Returns how many."""
        self.flush()
        if not complete:
            return 0
        with self.store.session() as session:
            result = session.execute(
                delete(BestandControle).where(BestandControle.gezien_at < self.started)
            )
            return int(getattr(result, "rowcount", 0) or 0)


# ---------------------------------------------------------------------------- pick
@dataclass(frozen=True)
class TeControleren:
    identificatie: str
    locatie: str
    sha256: str
    size: int


def kies(store: Store, budget_bytes: int) -> list[TeControleren]:
    """The least recently checked files (never checked first) that fit in the budget.

    Strict order, so the rotation holds: the pick stops at the first file that no longer fits,
    except that a single file larger than the whole budget is still read (alone).
    """
    chosen: list[TeControleren] = []
    used = 0
    offset = 0
    order = (BestandControle.gecontroleerd_at.asc().nulls_first(), BestandControle.identificatie)
    while True:
        with store.session() as session:
            page = session.execute(
                select(
                    BestandControle.identificatie,
                    BestandControle.locatie,
                    BestandControle.sha256,
                    BestandControle.size,
                )
                .order_by(*order)
                .offset(offset)
                .limit(_PAGE)
            ).all()
        for row in page:
            if chosen and used + row.size > budget_bytes:
                return chosen
            chosen.append(TeControleren(row.identificatie, row.locatie, row.sha256, row.size))
            used += row.size
            if used >= budget_bytes:
                return chosen
        if len(page) < _PAGE:
            return chosen
        offset += _PAGE


# ---------------------------------------------------------------------------- verify
@dataclass
class BestandsControleResult:
    """What one night's byte check read and found (counts only: safe for XCom and logs)."""

    budget_bytes: int
    cyclus_dagen: int
    totaal_bestanden: int = 0
    totaal_bytes: int = 0
    gelezen_bestanden: int = 0
    gelezen_bytes: int = 0
    beschadigd: int = 0
    hersteld: int = 0
    verdwenen: int = 0
    geregistreerd: int = 0

    @property
    def dagen_nodig(self) -> int:
        return max(1, math.ceil(self.totaal_bytes / self.budget_bytes)) if self.totaal_bytes else 1

    @property
    def haalbaar(self) -> bool:
        return self.budget_bytes * self.cyclus_dagen >= self.totaal_bytes

    def as_dict(self) -> dict[str, object]:
        return {
            "bestanden": self.totaal_bestanden,
            "bytes": self.totaal_bytes,
            "gelezen_bestanden": self.gelezen_bestanden,
            "gelezen_bytes": self.gelezen_bytes,
            "beschadigd": self.beschadigd,
            "hersteld": self.hersteld,
            "verdwenen": self.verdwenen,
            "geregistreerd": self.geregistreerd,
            "budget_mb": self.budget_bytes // _MB,
            "cyclus_dagen": self.cyclus_dagen,
            "dagen_per_ronde": self.dagen_nodig,
            "cyclus_haalbaar": self.haalbaar,
            "samenvatting": self.summary(),
        }

    def summary(self) -> str:
        text = (
            f"gelezen {_mb(self.gelezen_bytes)} in {_n(self.gelezen_bestanden)} bestanden, "
            f"{_n(self.beschadigd)} beschadigd ({_n(self.hersteld)} hersteld)"
        )
        if self.verdwenen:
            text += f", {_n(self.verdwenen)} verdwenen sinds de lijst (zie reconciliatie)"
        if self.haalbaar:
            return f"{text}, cyclus {self.cyclus_dagen} dagen haalbaar."
        return (
            f"{text}. Waarschuwing: cyclus van {self.cyclus_dagen} dagen niet haalbaar: met "
            f"{_mb(self.budget_bytes)} per nacht duurt een ronde langs alle "
            f"{_mb(self.totaal_bytes)} {self.dagen_nodig} dagen (verhoog {BUDGET_ENV})."
        )


def _n(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _mb(value: int) -> str:
    mb = value / _MB
    return f"{mb:.1f} MB".replace(".", ",") if mb < 10 else f"{_n(round(mb))} MB"


def _totals(store: Store) -> tuple[int, int]:
    with store.session() as session:
        count, total = session.execute(
            select(func.count(BestandControle.identificatie), func.sum(BestandControle.size))
        ).one()
    return int(count or 0), int(total or 0)


def _matches(read: Gelezen, sha256: str, size: int) -> bool:
    return read.size == size and read.sha256 == sha256.lower()


def _record_read(
    store: Store, item: TeControleren, read: Gelezen | None, run_ref: str, now: datetime
) -> str:
    """Commit one file's outcome (and its drift item) before the next file is read."""
    with store.session() as session:
        row = session.get(BestandControle, item.identificatie)
        if row is None:  # deleted by a registration meanwhile
            return VERDWENEN
        if read is None:
            row.uitkomst = VERDWENEN  # not checked: read again once it is back
            return VERDWENEN
        open_item = session.scalars(
            select(DriftItemRow).where(
                DriftItemRow.state == DriftState.OPEN,
                DriftItemRow.kind == DriftKind.BESCHADIGD.name,
                DriftItemRow.identificatie == item.identificatie,
            )
        ).first()
        if _matches(read, item.sha256, item.size):
            row.gecontroleerd_at, row.uitkomst = now, IN_ORDE
            if open_item is not None:  # repaired outside Ketenbrug (beheer, a restore)
                open_item.state, open_item.resolved_at = DriftState.OPGELOST, now
                open_item.note = "bytes weer in orde bevonden"
            return IN_ORDE
        row.gecontroleerd_at, row.uitkomst = None, BESCHADIGD  # first in line again tomorrow
        if open_item is None:
            open_item = DriftItemRow(
                kind=DriftKind.BESCHADIGD.name,
                identificatie=item.identificatie,
                state=DriftState.OPEN,
                detected_at=now,
            )
            session.add(open_item)
        open_item.last_seen_at, open_item.run_ref = now, run_ref
        open_item.mylex_sha256, open_item.mylex_size = item.sha256, item.size
        open_item.mylex_locatie = item.locatie
        open_item.note = (
            f"inhoud leest als sha256 {read.sha256[:16]}… ({read.size} bytes), "
            f"vastgelegd {item.sha256[:16]}… ({item.size} bytes)"
        )
        return BESCHADIGD


def _close_repaired(
    store: Store, item: TeControleren, reason: str | None, read: Gelezen | None
) -> bool:
    """After a repair attempt: hersteld when the rewrite was delivered and now reads right."""
    now = utcnow()
    fixed = reason is None and read is not None and _matches(read, item.sha256, item.size)
    if reason is None and not fixed:
        reason = "herschreven uit het nieuwe archief, maar leest nog steeds anders"
    with store.session() as session:
        open_item = session.scalars(
            select(DriftItemRow).where(
                DriftItemRow.state == DriftState.OPEN,
                DriftItemRow.kind == DriftKind.BESCHADIGD.name,
                DriftItemRow.identificatie == item.identificatie,
            )
        ).first()
        row = session.get(BestandControle, item.identificatie)
        if fixed:
            if row is not None:
                row.gecontroleerd_at, row.uitkomst = now, HERSTELD
            if open_item is not None:
                open_item.state, open_item.resolved_at = DriftState.HERSTELD, now
                open_item.note = (
                    "opnieuw in MyLex gearchiveerd uit het nieuwe archief; gelezen: in orde"
                )
        elif open_item is not None:
            open_item.note = f"{open_item.note}; niet hersteld: {reason}"
    return fixed


def controleer(
    store: Store,
    lezer: Lezer,
    instellingen: ControleInstellingen,
    *,
    run_ref: str,
    herstel: Callable[[Sequence[Beschadigd]], dict[str, str | None]] | None = None,
) -> BestandsControleResult:
    """Pick within the budget, read each file, record outcomes; repair what reads damaged.

    ``lezer(locatie)`` streams one file and returns its digest (None: gone). ``herstel`` is
    :func:`sync.archief.herstel_beschadigd` bound to an engine (None: record only).
    """
    result = BestandsControleResult(instellingen.budget_bytes, instellingen.cyclus_dagen)
    result.totaal_bestanden, result.totaal_bytes = _totals(store)
    damaged: list[TeControleren] = []
    for item in kies(store, instellingen.budget_bytes):
        read = lezer(item.locatie)
        outcome = _record_read(store, item, read, run_ref, utcnow())
        if outcome == VERDWENEN:
            result.verdwenen += 1
            continue
        assert read is not None
        result.gelezen_bestanden += 1
        result.gelezen_bytes += read.size
        if outcome == BESCHADIGD:
            result.beschadigd += 1
            damaged.append(item)
    if damaged and herstel is not None:
        reasons = herstel(
            [Beschadigd(d.identificatie, d.sha256, d.size, d.locatie) for d in damaged]
        )
        for item in damaged:
            reason = reasons.get(item.identificatie, "niet hersteld")
            read = lezer(item.locatie) if reason is None else None
            result.hersteld += _close_repaired(store, item, reason, read)
    log.info("bestandscontrole %s: %s", run_ref, result.summary())
    return result


# ---------------------------------------------------------------------------- the task
def _register_from(store: Store, entries: Iterable[Any]) -> Registratie:
    registratie = Registratie(store)
    for entry in entries:
        registratie(entry)
    registratie.finish(complete=True)
    return registratie


def run_bestandscontrole(
    *,
    esuite: EsuiteConfig,
    mylex: MyLexConfig,
    settings: Settings | None = None,
    store: Store | None = None,
    retry: RetryPolicy | None = None,
    run_ref: str | None = None,
    repair: bool = True,
    registreer: bool = False,
    instellingen: ControleInstellingen | None = None,
) -> dict[str, object]:
    """The nightly task after the reconciliation: read a sample's bytes, repair what is damaged.

    The reconciliation registers the files from its listing; ``registreer`` lists MyLex here
    instead (a standalone run, or a first run on an empty ``bestand_controle``).
    """
    settings = settings or load_settings()
    instellingen = instellingen or ControleInstellingen.from_env()
    own_store = store is None
    store = store or open_store(settings)
    run_ref = run_ref or f"handmatig:{utcnow():%Y%m%dT%H%M%S}"
    client = MyLexClient(mylex)
    target = MyLexTarget(mylex)
    esuite_client = EsuiteClient(esuite)
    try:
        geregistreerd = 0
        if registreer:
            geregistreerd = _register_from(store, client.iter_listing()).seen
        herstel: Callable[[Sequence[Beschadigd]], dict[str, str | None]] | None = None
        if repair:
            engine = Engine(
                store,
                HerstelFlow(),
                {"mylex": target},
                load_tables(settings.mappings_dir),
                retry=retry,
            )
            reader: DocumentReader = EsuiteDocumentTarget(esuite_client)
            blobs = BlobStore(settings.home / "blobs")
            herstel = functools.partial(herstel_beschadigd, engine, reader, blobs, run_ref=run_ref)

        retrying = (retry or RetryPolicy()).retrying()
        result = controleer(
            store,
            lambda locatie: retrying(lees_digest, client, locatie),
            instellingen,
            run_ref=run_ref,
            herstel=herstel,
        )
        result.geregistreerd = geregistreerd
    finally:
        client.close()
        target.close()
        esuite_client.close()
        if own_store:
            store.dispose()
    return result.as_dict()

"""Xtendis in the nightly reconciliation: the ledger's delivered drops against Xtendis' receipts.

Why this way: Xtendis offers a hot folder and a receipts folder, no listing of its dossiers, so
what can be proved is that every drop the ledger calls delivered has an OK receipt. A drop
without one (the receipt was removed, or Xtendis answered FOUT after all) is a drift item
``XTENDIS_ONTBREEKT`` for beheer, with the drop names; Ketenbrug does not re-drop on its own
(a receipt may merely have been cleaned up, and a second drop would make a second document).

The ledger does not keep a drop's full name (it ends in a prefix of the content's SHA-256), so
drops and receipts are matched by the name's stem (:func:`drop_stem`) and counted: a document
with more delivered drops than OK receipts under its stem is drift. Both sides are sorted with
bounded memory (:func:`sync.reconcile.sort_external`) and merge-joined; the ledger is read in
pages.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby
from operator import attrgetter

from sqlalchemy import select, update

from adapters.document import DROP_DOCUMENT
from adapters.xtendis.client import XtendisClient
from adapters.xtendis.config import XtendisConfig
from adapters.xtendis.controle import ontvangstbevestigingen
from sync.config import Settings, load_settings
from sync.reconcile import ArchiveEntry, DriftKind, sort_external
from sync.store.db import Store, open_store
from sync.store.models import DriftItemRow, DriftState, LedgerEntry, LedgerState, utcnow

__all__ = ["XtendisControleResult", "controleer_xtendis", "drop_stem", "run_xtendis_controle"]

log = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")  # as sync.flows.documenten.drop_name
_SHA_TAIL = re.compile(r"-[0-9a-f]{12}$")
_PAGE = 1000
_MAX_NAMES = 5  # drop names kept per document in a note


def drop_stem(flow: str, source_system: str, target_key: str) -> str:
    """The part of a drop's name the ledger can rebuild: all but ``-<12 hex of the sha>``.

    The documenten flow names a drop ``<source>-<identificatie>`` (made safe, at most 80
    characters), the betaalspecificaties flow ``<identificatie>``; both add the sha prefix.
    """
    if flow == "documenten":
        return _UNSAFE.sub("_", f"{source_system}-{target_key}").strip("_")[:80]
    return target_key


def receipt_stem(name: str) -> str:
    return _SHA_TAIL.sub("", name)


@dataclass
class XtendisControleResult:
    """Counts of one check (no BSN: identificaties and drop names only)."""

    afgeleverd: int = 0
    ontvangstbevestigingen: int = 0
    bevestigd: int = 0
    ontbreekt: int = 0
    fout: int = 0
    opgelost: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "afgeleverd": self.afgeleverd,
            "ontvangstbevestigingen": self.ontvangstbevestigingen,
            "ontbreekt_in_xtendis": self.ontbreekt,
            "met_fout": self.fout,
            "opgelost": self.opgelost,
            "samenvatting": self.summary(),
        }

    def summary(self) -> str:
        text = (
            f"Xtendis: {self.afgeleverd} aanleveringen afgeleverd volgens het grootboek, "
            f"{self.ontvangstbevestigingen} ontvangstbevestigingen gelezen"
        )
        if not self.ontbreekt:
            return f"{text}; alles bevestigd."
        return (
            f"{text}; {self.ontbreekt} documenten zonder OK-bevestiging ({self.fout} met FOUT), "
            "open voor beheer."
        )


def _ledger_stems(store: Store, target_system: str) -> Iterator[ArchiveEntry]:
    """Delivered drops as ``(stem, content hash + identificatie, 1)``, read in pages by id.

    The operation's content hash (64 hex) tells two drops of one document apart, and the same
    drop recorded twice (two source records, one document version: one name) from two drops.
    """
    last = 0
    while True:
        with store.session() as session:
            page = session.execute(
                select(
                    LedgerEntry.id,
                    LedgerEntry.flow,
                    LedgerEntry.source_system,
                    LedgerEntry.target_key,
                    LedgerEntry.content_hash,
                )
                .where(
                    LedgerEntry.target_system == target_system,
                    LedgerEntry.operation == DROP_DOCUMENT,
                    LedgerEntry.state == LedgerState.DELIVERED,
                    LedgerEntry.id > last,
                )
                .order_by(LedgerEntry.id)
                .limit(_PAGE)
            ).all()
        for row in page:
            key = str(row.target_key or "")
            stem = drop_stem(row.flow, row.source_system, key)
            yield ArchiveEntry(stem, f"{row.content_hash:0>64.64}{key}", 1)
        if len(page) < _PAGE:
            return
        last = page[-1].id


def _receipt_stems(receipts: Iterable[tuple[str, bool]]) -> Iterator[ArchiveEntry]:
    """Receipts as ``(stem, drop name, 1 if OK else 0)``."""
    for name, ok in receipts:
        yield ArchiveEntry(receipt_stem(name), name, int(ok))


def _each_name_once(receipts: Iterable[ArchiveEntry]) -> Iterator[ArchiveEntry]:
    """A stem's receipts with each file once: a listing cut mid-way is read again, and a
    receipt counted twice would hide a drop that has none (two versions, one receipt)."""
    seen: set[tuple[str, int]] = set()  # (drop name, ok): an OK and an error file are two
    for receipt in receipts:
        if (receipt.sha256, receipt.size) not in seen:
            seen.add((receipt.sha256, receipt.size))
            yield receipt


@dataclass
class _Missing:
    identificatie: str
    afgeleverd: int
    ok: int
    fout: list[str]


def _compare(
    ledger: Iterator[ArchiveEntry], receipts: Iterator[ArchiveEntry], result: XtendisControleResult
) -> Iterator[_Missing]:
    """Merge-join by stem; per stem, fewer OK receipts than delivered drops is drift."""
    by_stem = attrgetter("identificatie")
    left = groupby(ledger, key=by_stem)
    right = groupby(receipts, key=by_stem)
    lgroup = next(left, None)
    rgroup = next(right, None)
    while lgroup is not None:
        stem, drops = lgroup
        while rgroup is not None and rgroup[0] < stem:
            result.ontvangstbevestigingen += sum(1 for _ in _each_name_once(rgroup[1]))
            rgroup = next(right, None)
        ok = 0
        fout: list[str] = []
        if rgroup is not None and rgroup[0] == stem:
            for receipt in _each_name_once(rgroup[1]):
                result.ontvangstbevestigingen += 1
                if receipt.size:
                    ok += 1
                elif len(fout) < _MAX_NAMES:
                    fout.append(receipt.sha256)
            rgroup = next(right, None)
        versions = {drop.sha256[:64]: drop.sha256[64:] for drop in drops}
        result.afgeleverd += len(versions)
        if ok < len(versions):
            yield _Missing(next(iter(versions.values())), len(versions), ok, fout)
        else:
            result.bevestigd += len(versions)
        lgroup = next(left, None)
    while rgroup is not None:
        result.ontvangstbevestigingen += sum(1 for _ in _each_name_once(rgroup[1]))
        rgroup = next(right, None)


def _note(missing: _Missing) -> str:
    text = (
        f"{missing.afgeleverd} aanlevering(en) afgeleverd volgens het grootboek, "
        f"{missing.ok} met OK-ontvangstbevestiging"
    )
    if missing.fout:
        text += f"; ontvangstbevestiging FOUT: {', '.join(missing.fout)}"
    return text


def controleer_xtendis(
    store: Store,
    receipts: Iterable[tuple[str, bool]],
    *,
    run_ref: str,
    target_system: str = "xtendis",
    sort_chunk: int = 200_000,
) -> XtendisControleResult:
    """Hold delivered drops against ``receipts`` (``(drop name, ok)``); record the drift.

    An open ``XTENDIS_ONTBREEKT`` item this complete pass does not find again is ``opgelost``.
    """
    started = utcnow()
    result = XtendisControleResult()
    ledger = sort_external(_ledger_stems(store, target_system), chunk_size=sort_chunk)
    answers = sort_external(_receipt_stems(receipts), chunk_size=sort_chunk)
    pending: list[_Missing] = []
    for missing in _compare(ledger, answers, result):
        result.ontbreekt += 1
        result.fout += bool(missing.fout)
        pending.append(missing)
        if len(pending) >= _PAGE:
            _record(store, pending, run_ref)
            pending.clear()
    _record(store, pending, run_ref)
    with store.session() as session:
        closed = session.execute(
            update(DriftItemRow)
            .where(
                DriftItemRow.state == DriftState.OPEN,
                DriftItemRow.kind == DriftKind.XTENDIS_ONTBREEKT.name,
                DriftItemRow.last_seen_at < started,
            )
            .values(
                state=DriftState.OPGELOST,
                resolved_at=utcnow(),
                note="ontvangstbevestiging gevonden",
            )
        )
        result.opgelost = int(getattr(closed, "rowcount", 0) or 0)
    log.info("xtendiscontrole %s: %s", run_ref, result.summary())
    return result


def _record(store: Store, items: list[_Missing], run_ref: str) -> None:
    if not items:
        return
    kind = DriftKind.XTENDIS_ONTBREEKT.name
    now = utcnow()
    with store.session() as session:
        existing = {
            row.identificatie: row
            for row in session.scalars(
                select(DriftItemRow).where(
                    DriftItemRow.state == DriftState.OPEN,
                    DriftItemRow.kind == kind,
                    DriftItemRow.identificatie.in_([item.identificatie for item in items]),
                )
            )
        }
        for item in items:
            row = existing.get(item.identificatie)
            if row is None:
                row = DriftItemRow(
                    kind=kind,
                    identificatie=item.identificatie,
                    state=DriftState.OPEN,
                    detected_at=now,
                )
                session.add(row)
                existing[item.identificatie] = row
            row.last_seen_at, row.run_ref, row.note = now, run_ref, _note(item)


def run_xtendis_controle(
    *,
    xtendis: XtendisConfig,
    settings: Settings | None = None,
    store: Store | None = None,
    run_ref: str | None = None,
) -> dict[str, object]:
    """The nightly task: the ledger's delivered Xtendis drops against its receipts folder."""
    settings = settings or load_settings()
    own_store = store is None
    store = store or open_store(settings)
    run_ref = run_ref or f"handmatig:{utcnow():%Y%m%dT%H%M%S}"
    client = XtendisClient(xtendis)
    try:
        result = controleer_xtendis(store, ontvangstbevestigingen(client), run_ref=run_ref)
    finally:
        client.close()
        if own_store:
            store.dispose()
    return result.as_dict()

"""The vernietigingslijst: MyLex documents whose bewaartermijn has passed, for beheer to judge.

Why a list and not a deletion: destroying archive documents is the archivist's decision (with
a verklaring van vernietiging), never the software's. Ketenbrug only proposes: one row per
document in ``vernietiging_kandidaat`` (state ``voorgesteld``); beheer approves or rejects it
(compare-and-set, in the audit log). Nothing in Ketenbrug removes an archive file; an
approved row is a record for whoever destroys the document by hand in MyLex.

A row beheer judged is never reset by a later run; a proposed row is seen again (``last_seen``).
A document with waardering ``B`` never gets here (``adapters.mylex.bewaring``).
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from adapters.mylex.bewaring import Bewaring, BewaringTelling, iter_bewaring
from adapters.mylex.client import TZ, MyLexClient
from adapters.mylex.config import MyLexConfig
from privacy.masking import mask_text
from sync.audit import audit
from sync.config import Settings, load_settings
from sync.store.db import Store, open_store
from sync.store.models import VernietigingKandidaat, VernietigingState, utcnow

__all__ = [
    "Kandidaat",
    "VernietigingRefused",
    "afwijzen",
    "goedkeuren",
    "kandidaten",
    "run_vernietigingslijst",
    "run_vernietigingslijst_mylex",
    "write_csv",
]

log = logging.getLogger(__name__)

_BATCH = 500
_CSV_HEADER = (
    *("nr", "identificatie", "zaak", "zaaktype", "selectielijstcategorie", "bewaartermijn"),
    *("einde_bewaartermijn", "status", "beoordeeld_door", "notitie"),
)


class VernietigingRefused(Exception):
    """The proposal cannot be judged (text for beheer)."""


@dataclass
class Kandidaat:
    """One row of the vernietigingslijst as beheer sees it (identificaties masked)."""

    id: int
    identificatie: str
    zaak: str
    zaaktype: str
    categorie: str
    bewaartermijn: str
    einde: date | None
    state: str
    beoordeeld_door: str
    note: str
    first_seen_at: datetime | None
    last_seen_at: datetime | None


def _flush(
    store: Store, batch: list[Bewaring], run_ref: str, seen: datetime, counts: dict[str, int]
) -> None:
    if not batch:
        return
    with store.session() as session:
        existing = {
            row.identificatie: row
            for row in session.scalars(
                select(VernietigingKandidaat).where(
                    VernietigingKandidaat.identificatie.in_([b.identificatie for b in batch])
                )
            )
        }
        for bewaring in batch:
            row = existing.get(bewaring.identificatie)
            if row is None:
                row = VernietigingKandidaat(
                    identificatie=bewaring.identificatie,
                    state=VernietigingState.VOORGESTELD,
                    first_seen_at=seen,
                )
                session.add(row)
                existing[bewaring.identificatie] = row
                counts["nieuw"] += 1
            elif row.state != VernietigingState.VOORGESTELD:
                counts["al_beoordeeld"] += 1  # beheer's judgement stands: never reset
                row.last_seen_at = seen
                continue
            else:
                counts["opnieuw_gezien"] += 1
            row.zaak_identificatie = bewaring.zaak
            row.zaaktype = bewaring.zaaktype
            row.selectielijst_categorie = bewaring.selectielijst_categorie
            row.bewaartermijn = bewaring.bewaartermijn
            row.einde_bewaartermijn = bewaring.einde
            row.run_ref = run_ref
            row.last_seen_at = seen


def run_vernietigingslijst(
    store: Store, listing: Iterable[Bewaring], today: date, *, run_ref: str | None = None
) -> dict[str, Any]:
    """Propose every V document of ``listing`` whose term ended before ``today``; counts.

    Idempotent: one row per document; a rerun updates ``last_seen_at`` only.
    """
    run_ref = run_ref or f"handmatig:{utcnow():%Y%m%dT%H%M%S}"
    seen = utcnow()
    counts = {"bekeken": 0, "nog_niet_verlopen": 0, "nieuw": 0, "opnieuw_gezien": 0}
    counts["al_beoordeeld"] = 0
    batch: list[Bewaring] = []
    for bewaring in listing:
        counts["bekeken"] += 1
        if bewaring.waardering != "V" or bewaring.einde is None or not bewaring.einde < today:
            counts["nog_niet_verlopen"] += 1
            continue
        batch.append(bewaring)
        if len(batch) >= _BATCH:
            _flush(store, batch, run_ref, seen, counts)
            batch.clear()
    _flush(store, batch, run_ref, seen, counts)
    with store.session() as session:
        counts["voorgesteld"] = (
            session.scalar(
                select(func.count(VernietigingKandidaat.id)).where(
                    VernietigingKandidaat.state == VernietigingState.VOORGESTELD
                )
            )
            or 0
        )
    summary = (
        f"Vernietigingslijst: {counts['nieuw']} nieuw voorgesteld, {counts['voorgesteld']} "
        f"wachten op beheer; {counts['nog_niet_verlopen']} nog niet verlopen. Ketenbrug "
        "vernietigt zelf niets."
    )
    log.info("%s %s", run_ref, summary)
    return {**counts, "samenvatting": summary}


def _judge(
    store: Store, kandidaat_id: int, state: VernietigingState, gebruiker: str, reden: str
) -> None:
    reden = reden.strip()
    if not reden:
        raise VernietigingRefused("geef een reden op")
    with store.session() as session:
        done = session.execute(
            update(VernietigingKandidaat)
            .where(
                VernietigingKandidaat.id == kandidaat_id,
                VernietigingKandidaat.state == VernietigingState.VOORGESTELD,
            )
            .values(
                state=state,
                beoordeeld_door=gebruiker,
                beoordeeld_op=utcnow(),
                note=mask_text(reden),
            )
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise VernietigingRefused(f"voorstel {kandidaat_id} is niet (meer) voorgesteld")
        audit(
            session,
            actor=gebruiker,
            action=f"vernietiging_{state.value}",
            object_type="vernietiging_kandidaat",
            object_id=str(kandidaat_id),
            detail=reden,
        )


def goedkeuren(store: Store, kandidaat_id: int, gebruiker: str, reden: str) -> None:
    """voorgesteld → goedgekeurd: beheer agrees the document may be destroyed (by hand)."""
    _judge(store, kandidaat_id, VernietigingState.GOEDGEKEURD, gebruiker, reden)


def afwijzen(store: Store, kandidaat_id: int, gebruiker: str, reden: str) -> None:
    """voorgesteld → afgewezen: the document stays; later runs do not propose it again."""
    _judge(store, kandidaat_id, VernietigingState.AFGEWEZEN, gebruiker, reden)


def kandidaten(store: Store, state: str = "voorgesteld", limit: int = 500) -> list[Kandidaat]:
    """Rows of the vernietigingslijst (``state`` or ``alle``), oldest end first."""
    with store.session() as session:
        query = select(VernietigingKandidaat)
        if state != "alle":
            query = query.where(VernietigingKandidaat.state == state)
        query = query.order_by(
            VernietigingKandidaat.einde_bewaartermijn, VernietigingKandidaat.id
        ).limit(limit)
        return [
            Kandidaat(
                id=r.id,
                identificatie=mask_text(r.identificatie),
                zaak=mask_text(r.zaak_identificatie or ""),
                zaaktype=r.zaaktype or "onbekend",
                categorie=r.selectielijst_categorie or "",
                bewaartermijn=r.bewaartermijn or "",
                einde=r.einde_bewaartermijn,
                state=r.state,
                beoordeeld_door=r.beoordeeld_door or "",
                note=mask_text(r.note or ""),
                first_seen_at=r.first_seen_at,
                last_seen_at=r.last_seen_at,
            )
            for r in session.scalars(query)
        ]


def write_csv(rows: Iterable[Kandidaat], path: Path) -> int:
    """The list as a semicolon CSV for the archivist (the verklaring van vernietiging)."""
    written = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\n")
        writer.writerow(_CSV_HEADER)
        for row in rows:
            einde = row.einde.isoformat() if row.einde else ""
            writer.writerow(
                [
                    *(row.id, row.identificatie, row.zaak, row.zaaktype, row.categorie),
                    *(row.bewaartermijn, einde, row.state, row.beoordeeld_door, row.note),
                ]
            )
            written += 1
    return written


def run_vernietigingslijst_mylex(
    *,
    mylex: MyLexConfig,
    settings: Settings | None = None,
    store: Store | None = None,
    today: date | None = None,
    run_ref: str | None = None,
) -> dict[str, Any]:
    """The nightly task: walk MyLex's sidecars and update the vernietigingslijst; counts."""
    own_store = store is None
    store = store or open_store(settings or load_settings())
    client = MyLexClient(mylex)
    telling = BewaringTelling()
    try:
        result = run_vernietigingslijst(
            store, iter_bewaring(client, telling), today or datetime.now(TZ).date(), run_ref=run_ref
        )
    finally:
        client.close()
        if own_store:
            store.dispose()
    return {
        **result,
        "blijvend_bewaren": telling.blijvend,
        "zonder_einde_bewaartermijn": telling.zonder_einde,
        "onleesbaar": telling.onleesbaar,
    }

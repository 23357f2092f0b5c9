"""The doelbinding log: every query about a person in another organisation's register (SSD,
Suwinet) with its purpose, legal basis, zaak, flow, user and time.

Why: a municipality must be able to answer "who looked at this person, and why" (doelbinding,
AVG art. 5 lid 1 onder b; Wet SUWI). The person is kept only as a keyed hash of the BSN
(:func:`sync.pseudonym.bsn_ref`, the key from an Airflow Connection), so the log answers the
question for a given BSN without holding any BSN itself. A query is logged in its own
transaction, whatever becomes of the batch: a row ``gevraagd`` before the question leaves and
a row with its outcome after, so a task killed while the question is on its way still leaves
the query in the log. Rows are never changed: the database refuses UPDATE and DELETE (migration
0006), and nothing in Ketenbrug tries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select

from adapters.errors import PermanentError
from privacy.masking import mask_text
from sync.pseudonym import bsn_ref
from sync.store.db import Store
from sync.store.models import DoelbindingEntry

__all__ = ["BETAALSPECIFICATIE", "GEVRAAGD", "Doel", "DoelbindingLog", "Query", "queries_about"]

T = TypeVar("T")

#: The outcome of the row written before a question leaves.
GEVRAAGD = "gevraagd"


@dataclass(frozen=True)
class Doel:
    """Why a register is asked: the purpose and its legal basis, as the log states them."""

    doel: str
    grondslag: str


#: The monthly payment specification for the client's dossier (GWS4all's SSD service).
BETAALSPECIFICATIE = Doel(
    "betaalspecificatie in het dossier van de client",
    "Participatiewet art. 7 en 45; AVG art. 6 lid 1 onder e",
)


@dataclass(frozen=True)
class Query:
    """One logged query, as ``ketenbrug audit`` shows it (no BSN, no hash)."""

    at: datetime
    dienst: str
    doel: str
    grondslag: str
    zaak: str | None
    flow: str
    gebruiker: str
    run_ref: str | None
    uitkomst: str


class DoelbindingLog:
    """Logs the queries of one task run: its flow, its user and its run."""

    def __init__(
        self, store: Store, *, secret: str, flow: str, gebruiker: str, run_ref: str | None
    ) -> None:
        self.store = store
        self.secret = secret
        self.flow = flow
        self.gebruiker = gebruiker
        self.run_ref = run_ref

    def ask(
        self,
        call: Callable[..., T],
        *args: Any,
        dienst: str,
        doel: Doel,
        bsn: str,
        zaak: str | None,
        herhaling: str = "",
    ) -> T:
        """Make one query, logged before it leaves and with its outcome after.

        ``herhaling`` prefixes both rows ("opnieuw na dead letter 7: ") for a repeated query.
        """

        def note(uitkomst: str) -> None:
            self.record(dienst=dienst, doel=doel, bsn=bsn, zaak=zaak, uitkomst=herhaling + uitkomst)

        note(GEVRAAGD)
        try:
            found = call(*args)
        except PermanentError as error:
            note(f"fout: {error}")
            raise
        except Exception as error:
            note(f"mislukt: {type(error).__name__}")
            raise
        note("gevonden" if found else "niets gevonden")
        return found

    def record(self, *, dienst: str, doel: Doel, bsn: str, zaak: str | None, uitkomst: str) -> None:
        """One query, committed now (it was made, whatever the batch does next)."""
        with self.store.session() as session:
            session.add(
                DoelbindingEntry(
                    dienst=dienst,
                    doel=doel.doel,
                    grondslag=doel.grondslag,
                    bsn_ref=bsn_ref(self.secret, bsn, length=64),
                    zaak=zaak,
                    flow=self.flow,
                    gebruiker=self.gebruiker,
                    run_ref=self.run_ref,
                    uitkomst=mask_text(uitkomst)[:120],
                )
            )


def queries_about(store: Store, bsn: str, secret: str) -> list[Query]:
    """Every logged query about the person with this BSN, oldest first."""
    ref = bsn_ref(secret, bsn, length=64)
    with store.session() as session:
        rows = session.scalars(
            select(DoelbindingEntry)
            .where(DoelbindingEntry.bsn_ref == ref)
            .order_by(DoelbindingEntry.at, DoelbindingEntry.id)
        )
        return [
            Query(
                at=row.at,
                dienst=row.dienst,
                doel=row.doel,
                grondslag=row.grondslag,
                zaak=row.zaak,
                flow=row.flow,
                gebruiker=row.gebruiker,
                run_ref=row.run_ref,
                uitkomst=row.uitkomst,
            )
            for row in rows
        ]

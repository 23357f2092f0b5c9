"""The demo's old archive: a seeded MyLex of documents from before the e-Suite is migrated into
the new archive over two nights, debt help stays behind, and the vernietigingslijst shows what
is past its bewaartermijn (Ketenbrug destroys nothing itself)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from sync.migratie import voortgang
from sync.store.db import Store

if TYPE_CHECKING:
    from demo.airflow import DagRunResult, LocalAirflow
    from simulators.esuite_store import EsuiteStore
    from simulators.mylex import MyLexArchive

__all__ = ["demo_archief"]

#: The demo's nightly budget: the seeded archive takes two nights.
BUDGET = 20


def _seed(mylex: MyLexArchive) -> dict[str, list[str]]:
    """Old documents: two clients' letters, debt help, and one nobody can place."""
    seeded: dict[str, list[str]] = {"K004211": [], "K007730": [], "schuldhulp": [], "wees": []}
    for _ in range(18):  # zaak closed in 2013: the bewaartermijn (P10Y) ended in 2023
        doc = mylex.add_old_document(year=2012, client="K004211", afgesloten=date(2013, 4, 1))
        seeded["K004211"].append(doc.identificatie)
    for _ in range(12):  # still within its term
        doc = mylex.add_old_document(year=2017, client="K007730", afgesloten=date(2018, 9, 3))
        seeded["K007730"].append(doc.identificatie)
    for _ in range(3):
        doc = mylex.add_old_document(year=2015, client="K000912", zaaktype="B2010")
        seeded["schuldhulp"].append(doc.identificatie)
    seeded["wees"].append(mylex.add_old_document(year=2010).identificatie)
    return seeded


def demo_archief(
    airflow: LocalAirflow,
    store: Store,
    mylex: MyLexArchive,
    esuite: EsuiteStore,
    run_dag: Callable[[LocalAirflow, str], DagRunResult],
) -> int:
    """Seed, migrate over two nights, show the progress and the vernietigingslijst."""
    from sync.vernietiging import kandidaten

    seeded = _seed(mylex)
    total = sum(len(ids) for ids in seeded.values())
    print(
        f"\nOud archief: {total} documenten van vóór de e-Suite in MyLex gezet (twee cliënten, "
        f"{len(seeded['schuldhulp'])} schuldhulp, 1 zonder zaak of cliënt); budget {BUDGET} "
        "documenten per nacht"
    )
    airflow.extra_env["KETENBRUG_MIGRATIE_DOCUMENTEN"] = str(BUDGET)
    for night in (1, 2):
        result = run_dag(airflow, "ketenbrug_archief_reconciliatie")
        if result.state != "success":
            print(f"  zie het Airflow-log: {result.log_path}")
            return 1
        stand = voortgang(store)
        print(
            f"  nacht {night}: totaal gemigreerd {stand.gemigreerd}, nog te gaan {stand.te_gaan}, "
            f"wacht op beheer {stand.wacht_op_beheer}, blijft in MyLex (functiescheiding) "
            f"{stand.niet_migreren}"
        )
    documenten = esuite.snapshot(include_zaken=True)
    zaken = documenten.get("zaken", {})
    ok = True
    for client in ("K004211", "K007730"):
        in_dossier = sorted(zaken.get(f"HD-{client}", {}).get("documenten", []))
        ok &= in_dossier == sorted(seeded[client])
        print(f"  historisch dossier HD-{client} in de e-Suite: {len(in_dossier)} documenten")
    leaked = [d for d in seeded["schuldhulp"] if d in documenten.get("documenten", {})]
    ok &= not leaked
    print(f"  schuldhulpdocumenten in de e-Suite: {len(leaked)} (functiescheiding)")
    lijst = kandidaten(store)
    print(
        f"  vernietigingslijst ter goedkeuring: {len(lijst)} documenten "
        "(Ketenbrug beheer → Archief → Vernietigingslijst; Ketenbrug vernietigt zelf niets)"
    )
    for row in lijst[:3]:
        print(f"    #{row.id} {row.identificatie} einde bewaartermijn {row.einde}")
    ok &= len(lijst) == len(seeded["K004211"])
    if not ok:
        print("  FOUT: de migratie of de vernietigingslijst klopt niet")
    return 0 if ok else 1

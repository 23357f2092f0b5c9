"""Archiefreconciliatie: every night, MyLex (old archive) against the new archive (e-Suite).

Streams both listings and merge-joins them by identificatie and SHA-256; each difference is a
drift item for beheer (``ketenbrug drift list``); a document missing in MyLex is re-archived
from the new archive at once. Publishes ``ketenbrug://archief`` with the report (counts only).
One DAG per municipality (``dags/_tenants.py``): each compares its own MyLex and e-Suite.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta

from airflow.sdk import DAG, get_current_context, task

from adapters import registry
from adapters.roles import ZAAKSYSTEEM
from privacy.masking import install_log_masking
from sync.tenants import Tenant

sys.path.append(os.path.dirname(__file__))  # _beheer.py, _tenants.py beside it, for any DagBag
from _beheer import melding
from _tenants import asset, config, settings, tenant_dag, tenants

install_log_masking()  # every record of a task process is masked (no BSN in a task log)

DOC_MD = """\
### Archiefreconciliatie: elke nacht MyLex naast het nieuwe archief (e-Suite)

Vergelijkt alle documenten in MyLex (oud archief) met het nieuwe archief op identificatie en
controlegetal. Ontbreekt een document in MyLex, dan zet Ketenbrug het er meteen opnieuw in.
Elk ander verschil is een *drift-item* voor beheer: *Ketenbrug beheer* → Archief. Nieuwe
drift-items staan in de notitie bij de run (en beheer krijgt een melding als die is ingesteld).
Na de reconciliatie leest *controleer_bestanden* een deel van de bestanden in MyLex opnieuw
(binnen een budget in MB per nacht, zo dat elk bestand binnen de cyclus aan de beurt komt) en
vergelijkt de inhoud met de vastgelegde SHA-256; *controleer_xtendis* legt de afgeleverde
aanleveringen naast de ontvangstbevestigingen van Xtendis.
De taak *migreer* brengt documenten die alleen MyLex heeft (van vóór de e-Suite) naar het
nieuwe archief, binnen het budget van de nacht (`KETENBRUG_MIGRATIE_DOCUMENTEN`,
`KETENBRUG_MIGRATIE_MB`); de voortgang en een schatting van de resterende nachten staan in het
resultaat en op *Archief*.
Daarna zet de taak *vernietigingslijst* documenten waarvan de bewaartermijn verstreken is op de
vernietigingslijst (*Archief* → Vernietigingslijst); Ketenbrug vernietigt zelf nooit iets.
"""


def archief_dag(tenant: Tenant) -> DAG:
    """The tenant's nightly reconciliation of its MyLex against its e-Suite."""

    @tenant_dag(
        "archief_reconciliatie",
        tenant,
        schedule="15 3 * * *",
        labels=["documenten", "archief"],
        default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
        doc_md=DOC_MD,
    )
    def ketenbrug_archief_reconciliatie() -> None:
        @task(
            pool="mylex",  # it reads and repairs MyLex: the scarcest system it talks to
            outlets=[asset("archief", tenant)],
            on_success_callback=melding("archief_reconciliatie", tenant),
        )
        def reconcile() -> dict[str, object]:
            """Compare, record drift, repair missing MyLex documents; returns the report."""
            from sync.archief import run_archief_reconciliatie

            run_id = get_current_context()["run_id"]
            return run_archief_reconciliatie(
                esuite=config(registry.get("esuite"), tenant),
                mylex=config(registry.get("mylex"), tenant),
                settings=settings(tenant),
                run_ref=f"airflow:{run_id}",
            )

        @task(pool="mylex")
        def vernietigingslijst() -> dict[str, object]:
            """Propose documents past their bewaartermijn to beheer; destroys nothing."""
            from sync.vernietiging import run_vernietigingslijst_mylex

            run_id = get_current_context()["run_id"]
            return run_vernietigingslijst_mylex(
                mylex=config(registry.get("mylex"), tenant),
                settings=settings(tenant),
                run_ref=f"airflow:{run_id}",
            )

        @task(pool="mylex")
        def controleer_bestanden() -> dict[str, object]:
            """Re-read a sample of MyLex's files (byte budget); repair damaged ones."""
            from sync.bestandscontrole import run_bestandscontrole

            run_id = get_current_context()["run_id"]
            return run_bestandscontrole(
                esuite=config(registry.get("esuite"), tenant),
                mylex=config(registry.get("mylex"), tenant),
                settings=settings(tenant),
                run_ref=f"airflow:{run_id}",
            )

        @task(pool=registry.get("xtendis").pool.name)
        def controleer_xtendis() -> dict[str, object]:
            """The ledger's delivered Xtendis drops against Xtendis' receipts."""
            from sync.xtendis_controle import run_xtendis_controle

            run_id = get_current_context()["run_id"]
            return run_xtendis_controle(
                xtendis=config(registry.get("xtendis"), tenant),
                settings=settings(tenant),
                run_ref=f"airflow:{run_id}",
            )

        @task(pool="mylex")
        def migreer() -> dict[str, object]:
            """Bring documents only MyLex holds into the new archive, within tonight's budget."""
            from sync.tasks.migratie import run_migratie, run_migratie_resends

            run_id = get_current_context()["run_id"]
            zaaksysteem = registry.get(registry.role_system(ZAAKSYSTEEM))
            arguments = {
                "zaaksysteem_config": config(zaaksysteem, tenant),
                "mylex": config(registry.get("mylex"), tenant),
                "settings": settings(tenant),
            }
            resent = run_migratie_resends(**arguments)
            return {**run_migratie(**arguments, run_ref=f"airflow:{run_id}"), "resends": resent}

        gedaan = reconcile()
        gedaan >> migreer()
        gedaan >> vernietigingslijst()
        gedaan >> [controleer_bestanden(), controleer_xtendis()]

    return ketenbrug_archief_reconciliatie()


DAGS = [archief_dag(tenant) for tenant in tenants()]

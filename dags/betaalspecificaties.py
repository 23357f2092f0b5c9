"""Betaalspecificaties: each month, every client's uitkeringsspecificatie from GWS4all (SSD)
as a PDF in their zaak in the e-Suite (see docs/flows/betaalspecificaties.md).

Thin: one task in pool ``esuite`` calls ``sync.betaalspecificaties.run_betaalspecificaties``
for the month before the run's logical date and returns counts only (no keys, no BSNs).
One DAG per municipality (``dags/_tenants.py``), each with its own SSD and e-Suite Connections.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from typing import Any

import pendulum
from airflow.exceptions import AirflowSkipException
from airflow.sdk import DAG, get_current_context, task
from airflow.sdk.exceptions import AirflowNotFoundException

from adapters import registry
from privacy.masking import install_log_masking
from sync.tenants import Tenant

sys.path.append(os.path.dirname(__file__))  # _tenants.py beside it, for any DagBag
from _tenants import config, settings, tenant_dag, tenants

install_log_masking()  # every record of a task process is masked (no BSN in a task log)

DOC_MD = """\
### Betaalspecificaties: elke maand de uitkeringsspecificatie in het zaakdossier

Vraagt per client met een zaak van een zaaktype uit `specificatie_routering.csv` (doel
`esuite`) de uitkeringsspecificatie van de vorige maand op bij GWS4all (SSD) en zet die als
PDF bij de zaak in de e-Suite; MijnLoket meldt "Er staat een document voor u klaar".
Eén document per client per maand; een correctie wordt een nieuwe versie. *Geen betaling*
(NietsGevonden) is geen fout; een FWI-fout van GWS4all wordt een dead letter met code en tekst.

**bbr_specificaties**: de budgetbeheer-specificaties die Allegro exporteert, alleen naar het
schuldhulpdossier van de client in Xtendis (functiescheiding), één per client per periode.
"""


def betaalspecificaties_dag(tenant: Tenant) -> DAG:
    """The tenant's monthly specifications from its GWS4all into its e-Suite."""

    @tenant_dag(
        "betaalspecificaties",
        tenant,
        schedule="0 6 5 * *",  # the 5th of each month: the previous month's payments are done
        labels=["betaalspecificaties"],
        default_args={
            "retries": 3,
            "retry_delay": timedelta(minutes=5),
            "retry_exponential_backoff": True,
        },
        doc_md=DOC_MD,
    )
    def ketenbrug_betaalspecificaties() -> None:
        @task(pool="esuite")
        def specificaties() -> dict[str, Any]:
            """Haalt de specificaties van vorige maand op en zet ze bij de zaken (aantallen)."""
            from adapters.esuite.client import EsuiteClient
            from adapters.esuite.document_target import EsuiteDocumentTarget
            from adapters.ssd.client import SsdClient
            from adapters.ssd.hook import SsdHook
            from sync.betaalspecificaties import run_betaalspecificaties

            logical = get_current_context()["logical_date"]
            periode = pendulum.instance(logical).subtract(months=1).format("YYYY-MM")
            hook = SsdHook(tenant.conn_id(SsdHook.default_conn_name))
            ssd_config = hook.get_config()
            ssd = SsdClient(ssd_config)
            esuite = EsuiteClient(config(registry.get("esuite"), tenant))
            try:
                return run_betaalspecificaties(
                    periode,
                    ssd=ssd,
                    esuite=EsuiteDocumentTarget(esuite),
                    secret=hook.get_secret(),
                    settings=settings(tenant),
                    run_ref=str(get_current_context()["run_id"]),
                    certificates=[ssd_config],
                )
            finally:
                ssd.close()
                esuite.close()

        @task(pool="esuite")
        def resend_requested() -> dict[str, Any]:
            """Vraagt de specificaties waarvan beheer de dead letter opnieuw aanbood nog één
            keer op bij GWS4all en zet ze bij de zaak (aantallen)."""
            from adapters.esuite.client import EsuiteClient
            from adapters.esuite.document_target import EsuiteDocumentTarget
            from adapters.ssd.client import SsdClient
            from adapters.ssd.hook import SsdHook
            from sync.betaalspecificaties import run_betaalspecificaties_resends

            hook = SsdHook(tenant.conn_id(SsdHook.default_conn_name))
            ssd = SsdClient(hook.get_config())
            esuite = EsuiteClient(config(registry.get("esuite"), tenant))
            try:
                return run_betaalspecificaties_resends(
                    ssd=ssd,
                    esuite=EsuiteDocumentTarget(esuite),
                    secret=hook.get_secret(),
                    settings=settings(tenant),
                    run_ref=str(get_current_context()["run_id"]),
                )
            finally:
                ssd.close()
                esuite.close()

        @task(pool="allegro")  # Allegro bears one SFTP session at a time
        def bbr_specificaties() -> dict[str, Any]:
            """Zet de budgetbeheer-specificaties uit Allegro in het schuldhulpdossier in Xtendis
            (aantallen); zonder Allegro-koppeling overgeslagen."""
            from adapters.ssd.hook import SsdHook
            from sync.betaalspecificaties import run_bbr_specificaties

            try:
                allegro = config(registry.get("allegro"), tenant)
            except AirflowNotFoundException as missing:
                raise AirflowSkipException("Allegro niet gekoppeld") from missing
            return run_bbr_specificaties(
                allegro=allegro,
                xtendis=config(registry.get("xtendis"), tenant),
                secret=SsdHook(tenant.conn_id(SsdHook.default_conn_name)).get_secret(),
                settings=settings(tenant),
                run_ref=str(get_current_context()["run_id"]),
            )

        resend_requested() >> specificaties()
        bbr_specificaties()

    return ketenbrug_betaalspecificaties()


DAGS = [betaalspecificaties_dag(tenant) for tenant in tenants()]

"""Betaalspecificaties: each month, every client's uitkeringsspecificatie from GWS4all (SSD)
as a PDF in their zaak in the e-Suite (see docs/flows/betaalspecificaties.md).

Thin: one task in pool ``esuite`` calls ``sync.betaalspecificaties.run_betaalspecificaties``
for the month before the run's logical date and returns counts only (no keys, no BSNs).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import dag, get_current_context, task

from privacy.masking import install_log_masking

install_log_masking()  # every record of a task process is masked (no BSN in a task log)

DOC_MD = """\
### Betaalspecificaties: elke maand de uitkeringsspecificatie in het zaakdossier

Vraagt per client met een zaak van een zaaktype uit `specificatie_routering.csv` (doel
`esuite`) de uitkeringsspecificatie van de vorige maand op bij GWS4all (SSD) en zet die als
PDF bij de zaak in de e-Suite; MijnLoket meldt "Er staat een document voor u klaar".
Eén document per client per maand; een correctie wordt een nieuwe versie. *Geen betaling*
(NietsGevonden) is geen fout; een FWI-fout van GWS4all wordt een dead letter met code en tekst.
"""


@dag(
    dag_id="ketenbrug_betaalspecificaties",
    schedule="0 6 5 * *",  # the 5th of each month: the previous month's payments are done
    start_date=pendulum.datetime(2026, 1, 1, tz="Europe/Amsterdam"),
    catchup=False,
    max_active_runs=1,
    tags=["ketenbrug", "betaalspecificaties"],
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
        """Haalt de specificaties van vorige maand op en zet ze bij de zaken (alleen aantallen)."""
        from adapters.esuite.client import EsuiteClient
        from adapters.esuite.document_target import EsuiteDocumentTarget
        from adapters.esuite.hook import EsuiteHook
        from adapters.ssd.client import SsdClient
        from adapters.ssd.hook import SsdHook
        from sync.betaalspecificaties import run_betaalspecificaties

        logical = get_current_context()["logical_date"]
        periode = pendulum.instance(logical).subtract(months=1).format("YYYY-MM")
        hook = SsdHook()
        ssd = SsdClient(hook.get_config())
        esuite = EsuiteClient(EsuiteHook().get_config())
        try:
            return run_betaalspecificaties(
                periode,
                ssd=ssd,
                esuite=EsuiteDocumentTarget(esuite),
                secret=hook.get_secret(),
                run_ref=str(get_current_context()["run_id"]),
            )
        finally:
            ssd.close()
            esuite.close()

    specificaties()


ketenbrug_betaalspecificaties()

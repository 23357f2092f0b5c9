"""Archiefreconciliatie: every night, MyLex (old archive) against the new archive (e-Suite).

Streams both listings and merge-joins them by identificatie and SHA-256; each difference is a
drift item for beheer (``ketenbrug drift list``); a document missing in MyLex is re-archived
from the new archive at once. Publishes ``ketenbrug://archief`` with the report (counts only).
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta

import pendulum
from airflow.sdk import Asset, dag, get_current_context, task

from privacy.masking import install_log_masking

sys.path.append(os.path.dirname(__file__))  # _beheer.py beside it, for any DagBag
from _beheer import melding

install_log_masking()  # every record of a task process is masked (no BSN in a task log)

ARCHIEF_ASSET = Asset("ketenbrug://archief")
DOC_MD = """\
### Archiefreconciliatie: elke nacht MyLex naast het nieuwe archief (e-Suite)

Vergelijkt alle documenten in MyLex (oud archief) met het nieuwe archief op identificatie en
controlegetal. Ontbreekt een document in MyLex, dan zet Ketenbrug het er meteen opnieuw in.
Elk ander verschil is een *drift-item* voor beheer: *Ketenbrug beheer* → Archief. Nieuwe
drift-items staan in de notitie bij de run (en beheer krijgt een melding als die is ingesteld).
"""


@dag(
    dag_id="ketenbrug_archief_reconciliatie",
    schedule="15 3 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="Europe/Amsterdam"),
    catchup=False,
    max_active_runs=1,
    tags=["ketenbrug", "documenten", "archief"],
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
    doc_md=DOC_MD,
)
def ketenbrug_archief_reconciliatie() -> None:
    @task(
        pool="mylex",  # it reads and repairs MyLex: the scarcest system it talks to
        outlets=[ARCHIEF_ASSET],
        on_success_callback=melding("archief_reconciliatie"),
    )
    def reconcile() -> dict[str, object]:
        """Compare, record drift, repair missing MyLex documents; returns the report."""
        from adapters.esuite.hook import EsuiteHook
        from adapters.mylex.hook import MyLexHook
        from sync.archief import run_archief_reconciliatie

        run_id = get_current_context()["run_id"]
        return run_archief_reconciliatie(
            esuite=EsuiteHook().get_config(),
            mylex=MyLexHook().get_config(),
            run_ref=f"airflow:{run_id}",
        )

    reconcile()


ketenbrug_archief_reconciliatie()

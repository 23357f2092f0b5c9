"""Zaken: cases and statuses from the GWS4all inbox into the e-Suite (every 5 minutes).

Thin on purpose: one mapped task per partition of the inbox, capped by the ``esuite`` pool,
then a summary that publishes the ``ketenbrug://zaken`` Asset for flows scheduled on it.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta

import pendulum
from airflow.exceptions import AirflowSkipException
from airflow.sdk import Asset, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowNotFoundException

from adapters import registry
from stuf.privacy import install_log_masking

sys.path.append(os.path.dirname(__file__))  # _beheer.py beside it, for any DagBag
from _beheer import melding

install_log_masking()  # every record of a task process is masked (no BSN in a task log)

ZAKEN_ASSET = Asset("ketenbrug://zaken")
DOC_MD = """\
### Zaken: GWS4all en Allegro → e-Suite (elke 5 minuten)

Zaken en statussen die GWS4all naar de inbox stuurt en die Allegro als exportbestand klaarzet,
gaan naar de e-Suite. Elke zaak en status komt er precies één keer in.

- **resend_requested**: eerst de dead letters die beheer opnieuw aanbood.
- **deliver_gws4all** (per partitie) en **deliver_allegro**: het nieuwe werk.
- **summarize**: telt alles op; de *notitie* bij de run zegt wat er gebeurde.

Een groene run kan toch **dead letters** hebben: die staan in de notitie bij de run en in
*Ketenbrug beheer* → Foutafhandeling. Een rode taak is na drie pogingen niet gelukt
(bijvoorbeeld de e-Suite onbereikbaar); de volgende run pakt het werk weer op.
Technische uitleg: docs/flows/zaken.md.
"""
PARTITIONS = int(os.environ.get("KETENBRUG_PARTITIONS", "4"))
FLOW = "zaken"
#: A task writing to all the flow's targets runs in the scarcest target's pool (the e-Suite's).
TARGETS_POOL = registry.flow_pool(FLOW)


def _targets() -> dict[str, object]:
    """The targets' configs from their Airflow Connections (looked up at run time)."""
    return {r.system: r.config() for r in registry.targets_for(FLOW)}


@dag(
    dag_id="ketenbrug_zaken",
    schedule=timedelta(minutes=5),
    start_date=pendulum.datetime(2026, 1, 1, tz="Europe/Amsterdam"),
    catchup=False,
    max_active_runs=1,
    tags=["ketenbrug", "zaken"],
    default_args={
        "retries": 3,
        "retry_delay": timedelta(seconds=20),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=10),
    },
    doc_md=DOC_MD,
)
def ketenbrug_zaken() -> None:
    @task(pool=TARGETS_POOL)
    def resend_requested() -> dict[str, object]:
        """Deliver the dead letters beheer asked to resend, before new work.

        Runs first, alone: it also brings the state store schema up to date (Alembic), so the
        parallel tasks after it never race to migrate.
        """
        from sync.runner import run_zaken_resends

        return run_zaken_resends(**_targets())  # type: ignore[arg-type]

    @task(pool=TARGETS_POOL, map_index_template="partitie {{ task.op_kwargs['partition'] }}")
    def deliver_gws4all(partition: int) -> dict[str, object]:
        """Drain one inbox partition into the e-Suite; returns counts only (no personal data)."""
        from sync.runner import run_zaken_partition

        run_id = get_current_context()["run_id"]
        result = run_zaken_partition(partition, **_targets(), run_ref=f"airflow:{run_id}")  # type: ignore[arg-type]
        return result.as_dict()

    @task
    def deliver_source(system: str) -> dict[str, object]:
        """Read a registered source's exports (Allegro's over SFTP) into the e-Suite, one file
        per batch; an optional source without a Connection is skipped (not linked)."""
        from sync.runner import run_source_zaken

        registration = registry.get(system)
        try:
            config = registration.config()
        except AirflowNotFoundException as missing:
            if registration.source_spec(FLOW).optional:
                raise AirflowSkipException(f"{registration.title} niet gekoppeld") from missing
            raise
        run_id = get_current_context()["run_id"]
        configs = {**_targets(), system: config}
        result = run_source_zaken(system, **configs, run_ref=f"airflow:{run_id}")
        return result.as_dict()

    @task(outlets=[ZAKEN_ASSET], trigger_rule="none_failed", on_success_callback=melding("zaken"))
    def summarize(
        results: list[dict[str, object]], sources: list[dict[str, object] | None]
    ) -> dict[str, object]:
        from sync.summary import combine

        return combine([*results, *(r for r in sources if r)])

    results = deliver_gws4all.expand(partition=list(range(PARTITIONS)))
    sources = [  # one task per registered cursor source (deliver_allegro), in its own pool
        deliver_source.override(
            task_id=f"deliver_{source.system}", pool=registry.flow_pool(FLOW, source.system)
        )(source.system)
        for source, _spec in registry.cursor_sources(FLOW)
    ]
    resend_requested() >> [results, *sources]
    # XComArgs resolve to the task results at run time
    summarize(results, sources)  # type: ignore[arg-type]


ketenbrug_zaken()

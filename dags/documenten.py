"""Documenten: every document into Xtendis, the new archive (e-Suite) and MyLex, once.

Runs after each zaken run (Asset ``ketenbrug://zaken``): a document needs its zaak in the
e-Suite first. Thin on purpose: resends first (and the schema migration), then one mapped task
per inbox partition for GWS4all's documents, one task for Allegro's exports and one for the
documents added in the e-Suite, then a summary that publishes ``ketenbrug://documenten``. The
sources and targets come from the adapter registry; each task runs in the pool of the scarcest
system it talks to (Allegro's one slot for its exports, else Xtendis').
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from typing import Any

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
DOCUMENTEN_ASSET = Asset("ketenbrug://documenten")
DOC_MD = """\
### Documenten: naar Xtendis, het nieuwe archief (e-Suite) en MyLex

Draait na elke zaken-run: een document heeft eerst zijn zaak in de e-Suite nodig. Documenten
van GWS4all (inbox), van Allegro (exportbestanden) en documenten die een consulent in de
e-Suite toevoegde, gaan elk precies één keer naar elk doelsysteem.

- **resend_requested**: eerst de documenten die beheer opnieuw aanbood.
- **deliver_gws4all**, **deliver_allegro**, **deliver_esuite**: het nieuwe werk.
- **summarize**: telt alles op; de *notitie* bij de run zegt wat er gebeurde.

Dead letters (bijvoorbeeld een onveilige bestandsnaam) staan in de notitie bij de run en in
*Ketenbrug beheer* → Foutafhandeling. Technische uitleg: docs/flows/documenten.md.
"""
PARTITIONS = int(os.environ.get("KETENBRUG_PARTITIONS", "4"))


FLOW = "documenten"
#: A task writing to all the flow's targets runs in the scarcest target's pool.
TARGETS_POOL = registry.flow_pool(FLOW)


def _targets() -> dict[str, object]:
    """The targets' configs from their Airflow Connections (looked up at run time)."""
    return {r.system: r.config() for r in registry.targets_for(FLOW)}


def _run_ref() -> str:
    return f"airflow:{get_current_context()['run_id']}"


@dag(
    dag_id="ketenbrug_documenten",
    schedule=[ZAKEN_ASSET],
    start_date=pendulum.datetime(2026, 1, 1, tz="Europe/Amsterdam"),
    catchup=False,
    max_active_runs=1,
    tags=["ketenbrug", "documenten"],
    default_args={
        "retries": 3,
        "retry_delay": timedelta(seconds=20),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=10),
    },
    doc_md=DOC_MD,
)
def ketenbrug_documenten() -> None:
    @task(pool=TARGETS_POOL)
    def resend_requested() -> dict[str, object]:
        """Deliver the document dead letters beheer asked to resend; migrates the schema first."""
        from sync.documenten import run_documenten_resends

        return run_documenten_resends(**_targets())  # type: ignore[arg-type]

    @task(pool=TARGETS_POOL, map_index_template="partitie {{ task.op_kwargs['partition'] }}")
    def deliver_gws4all(partition: int) -> dict[str, object]:
        """Documents GWS4all pushed (one inbox partition) into the flow's targets."""
        from sync.documenten import run_gws4all_documenten

        result = run_gws4all_documenten(partition, **_targets(), run_ref=_run_ref())  # type: ignore[arg-type]
        return result.as_dict()

    @task
    def deliver_source(system: str) -> dict[str, object]:
        """A registered source's documents (Allegro's exports, the e-Suite's own) into the
        targets; an optional source without a Connection is skipped (not linked)."""
        from sync.documenten import run_source_documenten

        registration = registry.get(system)
        try:
            config = registration.config()
        except AirflowNotFoundException as missing:
            if registration.source_spec(FLOW).optional:
                raise AirflowSkipException(f"{registration.title} niet gekoppeld") from missing
            raise
        configs = {**_targets(), system: config}
        result = run_source_documenten(system, **configs, run_ref=_run_ref())
        return result.as_dict()

    @task(
        outlets=[DOCUMENTEN_ASSET],
        trigger_rule="none_failed",
        on_success_callback=melding("documenten"),
    )
    def summarize(
        gws4all: list[dict[str, object]], sources: list[dict[str, object] | None]
    ) -> dict[str, object]:
        from sync.summary import combine

        return combine([*gws4all, *(r for r in sources if r)])

    gws4all = deliver_gws4all.expand(partition=list(range(PARTITIONS)))
    first: list[Any] = []
    last: list[Any] = []  # run after the other sources, whether they ran or were skipped
    for source, spec in registry.cursor_sources(FLOW):
        task_ = deliver_source.override(
            task_id=f"deliver_{source.system}",
            pool=registry.flow_pool(FLOW, source.system),
            trigger_rule="none_failed" if spec.runs_last else "all_success",
        )(source.system)
        (last if spec.runs_last else first).append(task_)
    resend_requested() >> [gws4all, *first]
    for task_ in last:
        [gws4all, *first] >> task_  # Ketenbrug's own documents are linked before the walk
    # XComArgs resolve to the task results at run time
    summarize(gws4all, [*first, *last])  # type: ignore[arg-type]


ketenbrug_documenten()

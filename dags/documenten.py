"""Documenten: every document into Xtendis, the new archive (e-Suite) and MyLex, once.

Runs after each zaken run (Asset ``ketenbrug://zaken``): a document needs its zaak in the
e-Suite first. Thin on purpose: resends first (and the schema migration), then one mapped task
per inbox partition for GWS4all's documents, one task for Allegro's exports and one for the
documents added in the e-Suite, all capped by the ``documenten`` pool (SFTP sessions), then a
summary that publishes ``ketenbrug://documenten``.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.exceptions import AirflowSkipException
from airflow.sdk import Asset, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowNotFoundException

from stuf.privacy import install_log_masking

install_log_masking()  # every record of a task process is masked (no BSN in a task log)

ZAKEN_ASSET = Asset("ketenbrug://zaken")
DOCUMENTEN_ASSET = Asset("ketenbrug://documenten")
PARTITIONS = int(os.environ.get("KETENBRUG_PARTITIONS", "4"))


def _targets() -> dict[str, object]:
    """The three targets' configs from their Airflow Connections (looked up at run time)."""
    from adapters.esuite.hook import EsuiteHook
    from adapters.mylex.hook import MyLexHook
    from adapters.xtendis.hook import XtendisHook

    return {
        "esuite": EsuiteHook().get_config(),
        "xtendis": XtendisHook().get_config(),
        "mylex": MyLexHook().get_config(),
    }


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
    doc_md=__doc__,
)
def ketenbrug_documenten() -> None:
    @task(pool="documenten")
    def resend_requested() -> dict[str, object]:
        """Deliver the document dead letters beheer asked to resend; migrates the schema first."""
        from sync.documenten import run_documenten_resends

        return run_documenten_resends(**_targets())  # type: ignore[arg-type]

    @task(pool="documenten", map_index_template="partitie {{ task.op_kwargs['partition'] }}")
    def deliver_gws4all(partition: int) -> dict[str, object]:
        """Documents GWS4all pushed (one inbox partition) into the three targets."""
        from sync.documenten import run_gws4all_documenten

        result = run_gws4all_documenten(partition, **_targets(), run_ref=_run_ref())  # type: ignore[arg-type]
        return result.as_dict()

    @task(pool="documenten")
    def deliver_allegro() -> dict[str, object]:
        """Allegro's document exports over SFTP into the three targets."""
        from adapters.allegro.hook import AllegroHook
        from sync.documenten import run_allegro_documenten

        try:
            allegro = AllegroHook().get_config()
        except AirflowNotFoundException as missing:
            raise AirflowSkipException("Allegro niet gekoppeld (geen Connection)") from missing
        result = run_allegro_documenten(**_targets(), allegro=allegro, run_ref=_run_ref())  # type: ignore[arg-type]
        return result.as_dict()

    # Runs after the other sources whether Allegro ran or was skipped (not linked).
    @task(pool="documenten", trigger_rule="none_failed")
    def deliver_esuite() -> dict[str, object]:
        """Documents added in the e-Suite itself into Xtendis and MyLex."""
        from sync.documenten import run_esuite_documenten

        result = run_esuite_documenten(**_targets(), run_ref=_run_ref())  # type: ignore[arg-type]
        return result.as_dict()

    @task(outlets=[DOCUMENTEN_ASSET], trigger_rule="none_failed")
    def summarize(
        gws4all: list[dict[str, object]],
        allegro: dict[str, object] | None,
        esuite: dict[str, object] | None,
    ) -> dict[str, object]:
        from sync.summary import combine

        return combine([*gws4all, *(r for r in (allegro, esuite) if r)])

    gws4all = deliver_gws4all.expand(partition=list(range(PARTITIONS)))
    allegro = deliver_allegro()
    esuite = deliver_esuite()
    resend_requested() >> [gws4all, allegro]
    [gws4all, allegro] >> esuite  # Ketenbrug's own documents are linked before the walk
    # XComArgs resolve to the task results at run time
    summarize(gws4all, allegro, esuite)  # type: ignore[arg-type]


ketenbrug_documenten()

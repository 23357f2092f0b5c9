"""Zaken: cases and statuses from the GWS4all inbox into the e-Suite (every 5 minutes).

Thin on purpose: one mapped task per partition of the inbox, capped by the ``esuite`` pool,
then a summary that publishes the ``ketenbrug://zaken`` Asset for flows scheduled on it.
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
PARTITIONS = int(os.environ.get("KETENBRUG_PARTITIONS", "4"))


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
    doc_md=__doc__,
)
def ketenbrug_zaken() -> None:
    @task(pool="esuite")
    def resend_requested() -> dict[str, object]:
        """Deliver the dead letters beheer asked to resend, before new work.

        Runs first, alone: it also brings the state store schema up to date (Alembic), so the
        parallel tasks after it never race to migrate.
        """
        from adapters.esuite.hook import EsuiteHook
        from sync.runner import run_zaken_resends

        return run_zaken_resends(esuite=EsuiteHook().get_config())

    @task(pool="esuite", map_index_template="partitie {{ task.op_kwargs['partition'] }}")
    def deliver_gws4all(partition: int) -> dict[str, object]:
        """Drain one inbox partition into the e-Suite; returns counts only (no personal data)."""
        from adapters.esuite.hook import EsuiteHook
        from sync.runner import run_zaken_partition

        run_id = get_current_context()["run_id"]
        result = run_zaken_partition(
            partition, esuite=EsuiteHook().get_config(), run_ref=f"airflow:{run_id}"
        )
        return result.as_dict()

    @task(pool="allegro")
    def deliver_allegro() -> dict[str, object]:
        """Read Allegro's zaken exports over SFTP into the e-Suite (one file per batch)."""
        from adapters.allegro.hook import AllegroHook
        from adapters.esuite.hook import EsuiteHook
        from sync.runner import run_allegro_zaken

        try:
            allegro = AllegroHook().get_config()
        except AirflowNotFoundException as missing:
            raise AirflowSkipException("Allegro niet gekoppeld (geen Connection)") from missing
        run_id = get_current_context()["run_id"]
        result = run_allegro_zaken(
            esuite=EsuiteHook().get_config(), allegro=allegro, run_ref=f"airflow:{run_id}"
        )
        return result.as_dict()

    @task(outlets=[ZAKEN_ASSET], trigger_rule="none_failed")
    def summarize(
        results: list[dict[str, object]], allegro: dict[str, object] | None
    ) -> dict[str, object]:
        from sync.summary import combine

        return combine([*results, *([allegro] if allegro else [])])

    results = deliver_gws4all.expand(partition=list(range(PARTITIONS)))
    allegro = deliver_allegro()
    resend_requested() >> [results, allegro]
    # XComArgs resolve to the task results at run time
    summarize(results, allegro)  # type: ignore[arg-type]


ketenbrug_zaken()

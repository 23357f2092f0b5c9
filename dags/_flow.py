"""One builder for the DAGs of the flows that deliver records (zaken, documenten).

Why: both DAGs have the same shape, and the registry decides their tasks. First the resends
beheer asked for (the task also brings the state store schema up to date), then one mapped task
per inbox partition for a system that pushes (GWS4all), one task per registered cursor source
(``deliver_allegro``, ``deliver_esuite``), and a summary that publishes the flow's Asset. Each
task runs in the pool of the scarcest system it talks to (pools are per system, shared by all
municipalities). One DAG per tenant (``dags/_tenants.py``): its tasks read the tenant's own
Connections and state store. Not a DAG file (the leading underscore): the DAG files call it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from _beheer import melding
from _tenants import asset, config, settings, tenant_dag
from airflow.exceptions import AirflowSkipException
from airflow.sdk import DAG, get_current_context, task
from airflow.sdk.exceptions import AirflowNotFoundException

from adapters import registry
from sync.tenants import Tenant

__all__ = ["flow_dag"]

DEFAULT_ARGS = {
    "retries": 3,
    "retry_delay": timedelta(seconds=20),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
}


def _targets(flow: str, tenant: Tenant) -> dict[str, Any]:
    """The targets' configs from the tenant's Airflow Connections (looked up at run time)."""
    return {r.system: config(r, tenant) for r in registry.targets_for(flow)}


def _bsn_sources(tenant: Tenant) -> dict[str, Any]:
    """The configs of the linked systems that hold clients' BSNs (``bsn_lookup``), for a task
    that may deliver any source's documents (the resends): Allegro only when it is linked."""
    found = {}
    for registration in registry.registrations().values():
        if registration.bsn_lookup and registration.conn_id:
            try:
                found[registration.system] = config(registration, tenant)
            except AirflowNotFoundException:
                continue  # not linked: its dossiers are not looked up
    return found


def _run_ref() -> str:
    return f"airflow:{get_current_context()['run_id']}"


def flow_dag(
    flow: str,
    *,
    tenant: Tenant,
    schedule: Any,
    partitions: int,
    doc_md: str,
) -> DAG:
    """The DAG ``ketenbrug_<flow>`` of ``tenant`` (``ketenbrug_<flow>_<code>`` for a named
    one), its tasks built from the adapter registry; its summary publishes the tenant's
    ``ketenbrug://<flow>`` Asset."""
    targets_pool = registry.flow_pool(flow)
    outlet = asset(flow, tenant)

    @tenant_dag(
        flow,
        tenant,
        schedule=schedule,
        labels=[flow],
        default_args=DEFAULT_ARGS,
        doc_md=doc_md,
    )
    def flow_runs() -> None:
        @task(pool=targets_pool)
        def resend_requested() -> dict[str, object]:
            """Deliver the dead letters beheer asked to resend, before new work.

            Runs first, alone: it also brings the state store schema up to date (Alembic), so
            the parallel tasks after it never race to migrate.
            """
            from sync.tasks.flow import flow_kind, run_resends

            configs = {**_bsn_sources(tenant), **_targets(flow, tenant)}
            return run_resends(flow_kind(flow), settings=settings(tenant), **configs)

        @task(pool=targets_pool, map_index_template="partitie {{ task.op_kwargs['partition'] }}")
        def deliver_inbox(partition: int) -> dict[str, object]:
            """Drain one inbox partition into the flow's targets; counts only (no personal data)."""
            from sync.tasks.flow import flow_kind, run_partition

            return run_partition(
                flow_kind(flow),
                partition,
                settings=settings(tenant),
                run_ref=_run_ref(),
                **_targets(flow, tenant),
            ).as_dict()

        @task
        def deliver_source(system: str) -> dict[str, object]:
            """A registered source's records (Allegro's exports, the e-Suite's own documents)
            into the targets; an optional source without a Connection is skipped (not linked)."""
            from sync.tasks.flow import flow_kind, run_source

            registration = registry.get(system)
            try:
                own = config(registration, tenant)
            except AirflowNotFoundException as missing:
                if registration.source_spec(flow).optional:
                    raise AirflowSkipException(f"{registration.title} niet gekoppeld") from missing
                raise
            configs = {**_targets(flow, tenant), system: own}
            return run_source(
                flow_kind(flow), system, settings=settings(tenant), run_ref=_run_ref(), **configs
            ).as_dict()

        @task(
            outlets=[outlet], trigger_rule="none_failed", on_success_callback=melding(flow, tenant)
        )
        def summarize(
            pushed: list[list[dict[str, object]]], sources: list[dict[str, object] | None]
        ) -> dict[str, object]:
            from sync.summary import combine

            return combine([*(r for each in pushed for r in each), *(r for r in sources if r)])

        pushed = [  # one mapped task per inbox partition of a system that pushes (GWS4all)
            deliver_inbox.override(task_id=f"deliver_{source.system}").expand(
                partition=list(range(partitions))
            )
            for source in registry.sources_for(flow)
            if source.source_spec(flow).kind == "inbox"
        ]
        first: list[Any] = []
        last: list[Any] = []  # run after the other sources, whether they ran or were skipped
        for source, spec in registry.cursor_sources(flow):
            task_ = deliver_source.override(
                task_id=f"deliver_{source.system}",
                pool=registry.flow_pool(flow, source.system),
                trigger_rule="none_failed" if spec.runs_last else "all_success",
            )(source.system)
            (last if spec.runs_last else first).append(task_)
        resend_requested() >> [*pushed, *first]
        for task_ in last:
            [*pushed, *first] >> task_  # what the other sources linked, before the walk
        outcomes: Any = pushed  # XComArgs resolve to the results at run time
        summarize(outcomes, [*first, *last])

    return flow_runs()

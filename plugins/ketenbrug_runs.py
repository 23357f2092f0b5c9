"""Airflow plugin: every Ketenbrug DAG run gets a Dutch run note, so the grid tells the story.

Airflow 3's task SDK gives a task no way to write its own DAG run's note (the execution API
has none), and a task may not touch the metadata database. A listener can: Airflow calls
``on_dag_run_success`` / ``on_dag_run_failed`` where the run's state changes (the scheduler,
or ``airflow dags test``), with the run bound to that process's session; the note set here is
committed with the state. The text comes from the state store (:mod:`sync.notify`), so it is
right even for a run whose summary task never ran; it also says when the nightly purge last
ran (``ketenbrug_onderhoud``), so "never" shows on every run.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from airflow.listeners import hookimpl
from airflow.plugins_manager import AirflowPlugin

log = logging.getLogger(__name__)


def _last_purge(dag_run: Any, purge_dag: str) -> Any:
    """End of the last successful purge run, or None: read in the run's own session."""
    from airflow.models.dagrun import DagRun
    from sqlalchemy import func, select
    from sqlalchemy.orm import object_session

    session = object_session(dag_run)
    if session is None:
        return None
    with session.no_autoflush:
        return session.scalar(
            select(func.max(DagRun.end_date)).where(
                DagRun.dag_id == purge_dag, DagRun.state == "success"
            )
        )


def _write_note(dag_run: Any, *, failed: bool) -> None:
    if not str(dag_run.dag_id).startswith("ketenbrug_"):
        return
    try:
        from sync.config import load_settings
        from sync.notify import run_story
        from sync.store.db import open_store
        from sync.tenants import split_dag_id

        flow, tenant = split_dag_id(dag_run.dag_id)  # the municipality's own state store
        store = open_store(load_settings(tenant=tenant.code or None))
        try:
            story = run_story(store, flow, dag_run.run_id)
        finally:
            store.dispose()
        purge_dag = tenant.dag_id("onderhoud")
        last_purge = dag_run.end_date if dag_run.dag_id == purge_dag and not failed else None
        dag_run.note = story.note(
            failed=failed, last_purge=last_purge or _last_purge(dag_run, purge_dag)
        )
    except Exception:  # a note never breaks the scheduler
        log.warning("run note for %s not written", dag_run.run_id, exc_info=True)


@hookimpl
def on_dag_run_success(dag_run: Any, msg: str) -> None:
    _write_note(dag_run, failed=False)


@hookimpl
def on_dag_run_failed(dag_run: Any, msg: str) -> None:
    _write_note(dag_run, failed=True)


class KetenbrugRunsPlugin(AirflowPlugin):
    name = "ketenbrug_runs"
    listeners = [sys.modules[__name__]]

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

PURGE_DAG = "ketenbrug_onderhoud"


def _last_purge(dag_run: Any) -> Any:
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
                DagRun.dag_id == PURGE_DAG, DagRun.state == "success"
            )
        )


def _write_note(dag_run: Any, *, failed: bool) -> None:
    if not str(dag_run.dag_id).startswith("ketenbrug_"):
        return
    try:
        from sync.config import load_settings
        from sync.notify import flow_of, run_story
        from sync.store.db import open_store

        store = open_store(load_settings())
        try:
            story = run_story(store, flow_of(dag_run.dag_id), dag_run.run_id)
        finally:
            store.dispose()
        last_purge = dag_run.end_date if dag_run.dag_id == PURGE_DAG and not failed else None
        dag_run.note = story.note(failed=failed, last_purge=last_purge or _last_purge(dag_run))
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

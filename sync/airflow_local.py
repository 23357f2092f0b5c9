"""Airflow settings Ketenbrug's deployment and its DAGs share: folders, pools, worker name.

Production code: docker-compose names :func:`worker_hostname` as ``[core] hostname_callable``
and ``scripts/airflow-init.sh`` writes the pools with ``python -m sync.airflow_local pools
FILE``. Driving a local Airflow (the demo, the tests) is :mod:`demo.airflow`. No Airflow import.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Mapping
from pathlib import Path

__all__ = [
    "DAGS_FOLDER",
    "PLUGINS_FOLDER",
    "POOLS",
    "connection_env",
    "pools_json",
    "worker_hostname",
]

DAGS_FOLDER = Path(__file__).resolve().parent.parent / "dags"
PLUGINS_FOLDER = Path(__file__).resolve().parent.parent / "plugins"

#: Pools of systems that have no adapter package yet, and of cross-system housekeeping.
_OTHER_POOLS: dict[str, tuple[int, str]] = {
    "suwinet": (2, "Suwinet-Inkijk: parallelle bevragingen"),
    # ketenbrug_archief_reconciliatie lists MyLex and the e-Suite in one task.
    "documenten": (2, "Documenten: taken die e-Suite, Xtendis en MyLex tegelijk beschrijven"),
}


def _pools() -> dict[str, tuple[int, str]]:
    from adapters import registry

    pools = {p.name: (p.slots, p.description) for p in registry.pools().values()}
    return {**pools, **{k: v for k, v in _OTHER_POOLS.items() if k not in pools}}


#: One pool per system (from the adapter registry): caps parallel calls to it across all DAGs.
POOLS: dict[str, tuple[int, str]] = _pools()


def pools_json(pools: Mapping[str, tuple[int, str]] = POOLS) -> str:
    """The pools in ``airflow pools import`` form: one command sets them all."""
    return json.dumps(
        {name: {"slots": slots, "description": text} for name, (slots, text) in pools.items()},
        ensure_ascii=False,
        indent=2,
    )


def worker_hostname() -> str:
    """``[core] hostname_callable``: ``KETENBRUG_WORKER_NAME`` when set, else the FQDN.

    Airflow records this name per task try. Workers that share one host (the Celery test, or
    several workers in one container) set their own name, so a try shows where it ran.
    """
    return os.environ.get("KETENBRUG_WORKER_NAME") or socket.getfqdn()


def connection_env(conn_id: str, connection: Mapping[str, object]) -> dict[str, str]:
    """``AIRFLOW_CONN_<ID>`` in Airflow's JSON form: how tests and the demo pass Connections."""
    return {f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(connection)}


if __name__ == "__main__":
    # ``python -m sync.airflow_local pools FILE``: the pools file the deployment imports.
    if sys.argv[1:2] != ["pools"] or len(sys.argv) != 3:
        sys.exit("usage: python -m sync.airflow_local pools FILE")
    Path(sys.argv[2]).write_text(pools_json() + "\n", encoding="utf-8")

"""The zaken DAG's tasks: zaken and statuses from GWS4all's inbox and Allegro's exports into the
zaaksysteem, and the resends beheer asked for."""

from __future__ import annotations

from typing import Any

from sync.drain import PartitionResult
from sync.flows.zaken import FLOW_NAME, ZAKEN_FUNCTIONS, ZakenFlow
from sync.tasks.flow import FlowKind, run_partition, run_resends, run_source

__all__ = [
    "ZAKEN",
    "run_allegro_zaken",
    "run_source_zaken",
    "run_zaken_partition",
    "run_zaken_resends",
]

ZAKEN = FlowKind(FLOW_NAME, ZakenFlow, ZAKEN_FUNCTIONS)


def run_zaken_partition(partition: int, **arguments: Any) -> PartitionResult:
    """Drain one partition of GWS4all's zaken messages (``sync.tasks.flow.run_partition``)."""
    return run_partition(ZAKEN, partition, **arguments)


def run_source_zaken(system: str, **arguments: Any) -> PartitionResult:
    """Read a registered cursor source of the zaken flow, one file per batch (Allegro)."""
    return run_source(ZAKEN, system, **arguments)


def run_allegro_zaken(**arguments: Any) -> PartitionResult:
    """Read Allegro's zaken exports into the zaaksysteem."""
    return run_source(ZAKEN, "allegro", **arguments)


def run_zaken_resends(**arguments: Any) -> dict[str, object]:
    """Perform the zaken resends beheer asked for since the last run."""
    return run_resends(ZAKEN, **arguments)

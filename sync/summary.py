"""Adding up per-task counts, and the readable summary the demo and beheer read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["combine"]

_COUNTS = ("read", "delivered", "in_step", "dead_lettered", "batches")


def combine(results: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Sum the counts of several task results (one per partition) into one."""
    total: dict[str, Any] = {name: 0 for name in _COUNTS}
    reasons: dict[str, int] = {}
    for result in results:
        for name in _COUNTS:
            total[name] += int(result.get(name, 0))
        for reason, count in dict(result.get("dead_reasons", {})).items():
            reasons[reason] = reasons.get(reason, 0) + int(count)
    total["dead_reasons"] = reasons
    return total

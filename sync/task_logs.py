"""Framework loggers quiet in task logs, as ``[logging] namespace_levels`` asks.

Airflow 3.3 applies ``namespace_levels`` to its structlog loggers only; in a task process the
stdlib loggers of libraries (alembic migrating the state store, paramiko on every SFTP
connection) still log at INFO between Ketenbrug's own lines. The DAG files call
:func:`apply_namespace_levels` at import (through ``dags/_beheer.py``), so the setting that
``./run ui`` and the demo pass means the same for every logger. No Airflow import.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping

__all__ = ["apply_namespace_levels", "parse_namespace_levels"]

ENV = "AIRFLOW__LOGGING__NAMESPACE_LEVELS"


def parse_namespace_levels(value: str) -> dict[str, int]:
    """``"alembic=WARNING paramiko=WARNING"`` (spaces or commas) → logger name to level."""
    levels: dict[str, int] = {}
    for entry in re.split(r"[\s,]+", value.strip()):
        name, _, level = entry.partition("=")
        number = logging.getLevelName(level.strip().upper())
        if name.strip() and isinstance(number, int):
            levels[name.strip()] = number
    return levels


def apply_namespace_levels(env: Mapping[str, str] = os.environ) -> dict[str, int]:
    """Set each named stdlib logger to its level; returns what it set."""
    levels = parse_namespace_levels(env.get(ENV, ""))
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    return levels

"""Options of the chaos run: its time budget per database (``KETENBRUG_CHAOS_SECONDS``)."""

from __future__ import annotations

import os

import pytest


@pytest.fixture
def chaos_seconds() -> float:
    """Seconds of chaos runs per database (default 90): new seeds every time."""
    return float(os.environ.get("KETENBRUG_CHAOS_SECONDS", "90"))

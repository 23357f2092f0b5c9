"""Crash injection for tests: ``KETENBRUG_CRASH_AT=<point>[:<n>]`` kills the process hard.

Used by the crash tests to prove that a run killed at any point and rerun converges. The
process exits with ``os._exit`` (no cleanup, no commit), like a ``kill -9`` would leave it.
Points: ``after_intent``, ``before_target_write``, ``after_target_write`` (the engine) and
``mid_transfer`` (an SFTP upload, after its first chunk went out). Costs one dict lookup when
unset.
"""

from __future__ import annotations

import os

__all__ = ["CRASH_EXIT_CODE", "crash_point"]

CRASH_EXIT_CODE = 137
_hits: dict[str, int] = {}


def crash_point(name: str) -> None:
    """Die here when ``KETENBRUG_CRASH_AT`` names this point (after ``n`` hits, default 1)."""
    wanted = os.environ.get("KETENBRUG_CRASH_AT")
    if not wanted:
        return
    point, _, count = wanted.partition(":")
    if point != name:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] >= int(count or 1):
        os._exit(CRASH_EXIT_CODE)

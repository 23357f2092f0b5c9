"""Crash injection for tests; lives in ``adapters.failpoints`` so adapters can crash mid-transfer.

Re-exported here for the engine and the flows.
"""

from adapters.failpoints import CRASH_EXIT_CODE, crash_point

__all__ = ["CRASH_EXIT_CODE", "crash_point"]

"""The betaal chaos run in CI: seeded random runs of the betaalspecificaties and
Suwinet-verrijking tasks (threads, processes killed at crash points and mid-query) against the
SSD, Suwinet and e-Suite simulators with faults, within a fixed budget (SQLite only).

New seeds each time, printed; a failing run prints its seed, violations, operation log and the
command that replays it (``bench/chaos.py --scenario betaal --seed N``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chaos.betaal_harness import run_many
from tests.chaos.harness import RunResult

#: Runs start within this many seconds (a run takes 15-35 s): the CI cost stays near a minute.
MAX_SECONDS = 25.0


@pytest.mark.slow
def test_chaos_betaal_sqlite(chaos_seconds: float, tmp_path: Path) -> None:
    def show(result: RunResult) -> None:
        state = "ok" if result.ok else "FAIL"
        print(
            f"chaos betaal {state} seed={result.seed} ops={result.operations}"
            f" {result.seconds:.1f}s",
            flush=True,
        )

    results = run_many(seconds=min(chaos_seconds, MAX_SECONDS), workroot=tmp_path, on_result=show)
    failed = [r for r in results if not r.ok]
    operations = sum(r.operations for r in results)
    print(f"chaos betaal: {len(results)} runs, {operations} operations, {len(failed)} failed")
    assert results, "the budget did not fit a single run"
    assert not failed, "\n\n".join(r.report() for r in failed)

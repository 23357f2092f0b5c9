"""The chaos run in CI: a fixed time budget of seeded random runs, on SQLite and PostgreSQL.

Every run drives the real inbox (HTTP), the zaken tasks (in threads and in processes killed at
crash points) and the e-Suite simulator (HTTP, with faults) through a random interleaving, then
checks the invariants (tests/chaos/checker.py). New seeds each time, printed; a failing run
prints its seed, violations, operation log and the command that replays it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chaos.harness import RunResult, run_many


def _budget(db: str, seconds: float, tmp_path: Path) -> None:
    def show(result: RunResult) -> None:
        state = "ok" if result.ok else "FAIL"
        print(f"chaos {state} seed={result.seed} db={db} ops={result.operations}", flush=True)

    results = run_many(seconds=seconds, db=db, workroot=tmp_path, on_result=show)
    failed = [r for r in results if not r.ok]
    operations = sum(r.operations for r in results)
    print(f"chaos {db}: {len(results)} runs, {operations} operations, {len(failed)} failed")
    assert results, "the budget did not fit a single run"
    assert not failed, "\n\n".join(r.report() for r in failed)


@pytest.mark.slow
def test_chaos_sqlite(chaos_seconds: float, tmp_path: Path) -> None:
    _budget("sqlite", chaos_seconds, tmp_path)


@pytest.mark.slow
@pytest.mark.postgres
def test_chaos_postgres(chaos_seconds: float, tmp_path: Path) -> None:
    _budget("postgres", chaos_seconds, tmp_path)

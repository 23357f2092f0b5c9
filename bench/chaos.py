"""Chaos run for longer than CI: ``bench/chaos.py --minutes N [--seed S] [--db sqlite|postgres]``.

``--scenario betaal`` runs the betaalspecificaties and Suwinet-verrijking scenario instead
(``tests/chaos/betaal_harness.py``; SQLite only).

Runs seeded chaos runs (see ``tests/chaos/harness.py`` and docs/chaos.md) back to back until the
time is spent, or once per ``--seed`` (a replay). Prints every failing run with its seed, its
violations, its operation log and the line to replay it; ends with the runs and operations
survived. Exit code 1 when any run found a violation.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.chaos import betaal_harness
from tests.chaos.harness import RunResult, run_many


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--seed", type=int, action="append", help="replay this seed (repeatable)")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--workdir", type=Path, help="keep run folders here (default: temporary)")
    parser.add_argument("--quiet", action="store_true", help="no operation log for failing runs")
    parser.add_argument(
        "--scenario",
        choices=["zaken", "betaal"],
        default="zaken",
        help="zaken (inbox, zaken tasks) or betaal (betaalspecificaties, Suwinet; SQLite only)",
    )
    args = parser.parse_args(argv)
    if args.scenario == "betaal" and args.db != "sqlite":
        parser.error("--scenario betaal runs on SQLite only")

    def show(result: RunResult) -> None:
        if result.ok:
            print(
                f"ok   seed={result.seed} db={result.db} ops={result.operations}"
                f" processes={result.subprocesses} {result.seconds:.1f}s",
                flush=True,
            )
        elif args.quiet:
            print(f"FAIL seed={result.seed} db={result.db}", *result.violations, sep="\n  ")
            print(f"  replay: {result.replay()}", flush=True)
        else:
            print(result.report(), flush=True)

    with tempfile.TemporaryDirectory(prefix="ketenbrug-chaos-") as tmp:
        root = args.workdir or Path(tmp)
        if args.scenario == "betaal":
            results = betaal_harness.run_many(
                seconds=args.minutes * 60, workroot=root, seeds=args.seed, on_result=show
            )
        else:
            results = run_many(
                seconds=args.minutes * 60,
                db=args.db,
                workroot=root,
                seeds=args.seed,
                on_result=show,
            )
    survived = [r for r in results if r.ok]
    failed = [str(r.seed) for r in results if not r.ok]
    print(
        f"\n{len(results)} runs, {sum(r.operations for r in results)} operations on {args.db};"
        f" survived {len(survived)} runs / {sum(r.operations for r in survived)} operations;"
        f" {len(failed)} runs with violations" + (f" (seeds {', '.join(failed)})" if failed else "")
    )
    return 0 if len(survived) == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())

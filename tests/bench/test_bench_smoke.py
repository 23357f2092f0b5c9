"""Every benchmark still runs (#18 item 6): each in its quick mode, as CI's smoke test.

No timing is asserted here (a benchmark prints ratios, it is no timed test). What is asserted:
the script runs to its end with exit code 0, which several of them only give when their own
checks held (every document once in the e-Suite, every status in order, the pool's limit).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

QUICK_RUNS = {
    "zaken_sync": ["--quick"],
    "zaken_parallel": ["--quick"],
    "migratie": ["--documents", "120"],
    "esuite_documenten": ["--quick"],
    "documenten": ["--size-mb", "16"],
    "inbox_http": ["--quick"],
    "gws4all": ["--questions", "60", "--aanvragen", "60"],
    "betaalspecificaties": ["--clients", "300", "--sample", "50"],
    "reconcile": ["--documents", "20000"],
    "stuf_codec": [],
    "slowloris": ["--connections", "200"],
}


@pytest.mark.parametrize("bench", sorted(QUICK_RUNS))
def test_benchmark_runs_in_quick_mode(bench: str, tmp_path: Path) -> None:
    script = ROOT / "bench" / f"{bench}.py"
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, str(script), *QUICK_RUNS[bench]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"{bench} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert done.stdout.strip(), f"{bench} printed nothing"


def test_every_benchmark_has_a_smoke_run() -> None:
    scripts = {p.stem for p in (ROOT / "bench").glob("*.py")} - {"chaos"}  # chaos: tests/chaos
    assert scripts == set(QUICK_RUNS)

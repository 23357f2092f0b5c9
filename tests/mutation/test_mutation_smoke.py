"""CI's mutation smoke check: the most important guarantee-breaking mutations are still killed.

Runs ``scripts/mutate.py --smoke`` (each mutation on its own copy of the repository, with the
tests that must notice it) and fails when any survives or the list drifted from the code.
The full run is ``scripts/mutate.py --all`` (docs/mutation.md).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def test_every_smoke_mutation_is_killed() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "mutate.py"), "--smoke"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "SURVIVED" not in output
    verdicts = [line for line in result.stdout.splitlines() if line.startswith("killed")]
    assert len(verdicts) >= 4, output[-4000:]

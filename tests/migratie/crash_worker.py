"""One migration run in its own process, for the crash tests (``KETENBRUG_CRASH_AT`` kills it).

Usage: ``python -m tests.migratie.crash_worker <esuite url> <mylex config as JSON>``; the state
store and home come from ``KETENBRUG_DATABASE_URL`` and ``KETENBRUG_HOME``, the budget from
``KETENBRUG_MIGRATIE_DOCUMENTEN`` (``sync.tasks.migratie.budget_from_env``). Prints the run's
counts as JSON when it was not killed.
"""

from __future__ import annotations

import json
import sys

from adapters.esuite.config import EsuiteConfig
from adapters.mylex import MyLexConfig
from stuf import Systeem
from sync.engine import RetryPolicy
from sync.tasks.migratie import run_migratie

#: Zaaktypes of debt help: they stay in MyLex (the same as tests/migratie/test_migratie.py).
SCHULDHULP = ("B2010", "B2011", "B2012")


def main(esuite_url: str, mylex_json: str) -> None:
    config = EsuiteConfig(
        url=esuite_url + "/",
        zender=Systeem("1900", "Ketenbrug"),
        ontvanger=Systeem("0153", "e-Suite"),
        timeout_s=5.0,
    )
    result = run_migratie(
        zaaksysteem_config=config,
        mylex=MyLexConfig(**json.loads(mylex_json)),
        retry=RetryPolicy(attempts=3, wait_base_s=0.01, wait_max_s=0.05),
        run_ref="crash-worker",
        allowed=lambda zaaktype: zaaktype not in SCHULDHULP,
    )
    print(json.dumps({k: v for k, v in result.items() if k != "samenvatting"}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

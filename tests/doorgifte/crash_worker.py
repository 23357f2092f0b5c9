"""One doorgifte run in its own process, for the crash tests (``KETENBRUG_CRASH_AT`` kills it).

Usage: ``python -m tests.doorgifte.crash_worker <esuite url> <gws4all url>``; the state store
and home come from ``KETENBRUG_DATABASE_URL`` and ``KETENBRUG_HOME``.
"""

from __future__ import annotations

import sys

from adapters.esuite.client import EsuiteClient
from adapters.esuite.config import EsuiteConfig
from adapters.esuite.zaak_lijst import EsuiteZaakLijst
from adapters.gws4all.outbound import Gws4allClient
from adapters.gws4all.outbound_config import Gws4allOutboundConfig
from adapters.gws4all.outbound_target import Gws4allTarget
from stuf import Systeem
from sync.doorgifte import run_doorgifte
from sync.engine import RetryPolicy


def main(esuite_url: str, gws4all_url: str) -> None:
    config = EsuiteConfig(
        url=esuite_url + "/",
        zender=Systeem("1900", "Ketenbrug"),
        ontvanger=Systeem("0153", "e-Suite"),
        timeout_s=5.0,
    )
    client = EsuiteClient(config)
    gws = Gws4allClient(Gws4allOutboundConfig(url=gws4all_url, timeout_s=3))
    run_doorgifte(
        esuite=client,
        lijst=EsuiteZaakLijst(config, client),
        gws4all=Gws4allTarget(gws),
        retry=RetryPolicy(attempts=3, wait_base_s=0.01, wait_max_s=0.05),
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

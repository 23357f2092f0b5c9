"""One betaalspecificaties or Suwinet task of the chaos run in its own process, so it can be killed.

``python -m tests.chaos.betaal_worker betaal <periode> [<periode>]`` calls what the
betaalspecificaties DAG's task calls (one period after the other); ``suwinet`` what the
Suwinet-verrijking DAG's ``verrijken`` task calls; ``suwinet_resend`` its ``resend_requested``.
Settings come from the ``KETENBRUG_*`` environment like in a task; the simulators' addresses,
the test PKI, the pseudonymisation key and the run reference from ``CHAOS_*`` variables (see
:func:`Endpoints.from_env`). Logging goes to stderr at INFO, as a task's log would: the harness
keeps it and scans it for BSNs.

The harness uses :class:`Endpoints` and :func:`clients` for its in-process tasks too.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.esuite.client import EsuiteClient
from adapters.esuite.config import EsuiteConfig
from adapters.esuite.document_target import EsuiteDocumentTarget
from adapters.ssd.client import SsdClient
from adapters.ssd.config import SsdConfig
from adapters.suwinet.client import SuwinetClient
from adapters.suwinet.config import SuwinetConfig
from stuf import Systeem
from sync.engine import RetryPolicy

__all__ = ["FAST", "Endpoints", "TaskClients", "clients", "run_task"]

FAST = RetryPolicy(attempts=3, wait_base_s=0.01, wait_max_s=0.05)


@dataclass(frozen=True)
class Endpoints:
    """Where the simulators listen, the test PKI's folder and the pseudonymisation key."""

    ssd_url: str
    suwinet_url: str
    esuite_url: str
    pki_dir: Path
    secret: str

    def as_env(self) -> dict[str, str]:
        return {
            "CHAOS_SSD_URL": self.ssd_url,
            "CHAOS_SUWINET_URL": self.suwinet_url,
            "CHAOS_ESUITE_URL": self.esuite_url,
            "CHAOS_PKI_DIR": str(self.pki_dir),
            "CHAOS_SECRET": self.secret,
        }

    @classmethod
    def from_env(cls) -> Endpoints:
        env = os.environ
        return cls(
            env["CHAOS_SSD_URL"],
            env["CHAOS_SUWINET_URL"],
            env["CHAOS_ESUITE_URL"],
            Path(env["CHAOS_PKI_DIR"]),
            env["CHAOS_SECRET"],
        )


@dataclass
class TaskClients:
    """The clients one task uses, as the DAGs build them from their Connections."""

    ssd: SsdClient
    suwinet: SuwinetClient
    esuite: EsuiteDocumentTarget


@contextmanager
def clients(endpoints: Endpoints) -> Iterator[TaskClients]:
    """Fresh SSD, Suwinet and e-Suite clients (mTLS with the test CA); closed afterwards."""
    cert, key = str(endpoints.pki_dir / "client.pem"), str(endpoints.pki_dir / "client.key")
    ca = str(endpoints.pki_dir / "ca.pem")
    ssd = SsdClient(
        SsdConfig(
            url=endpoints.ssd_url + "/SSD/UitkeringsSpecificatieClient-v0600",
            client_cert=cert,
            client_key=key,
            verify=ca,
            timeout_s=5.0,
        )
    )
    suwinet = SuwinetClient(
        SuwinetConfig(
            url=endpoints.suwinet_url + "/suwibroker/soap",
            client_cert=cert,
            client_key=key,
            verify=ca,
            timeout_s=5.0,
        )
    )
    esuite = EsuiteClient(
        EsuiteConfig(
            url=endpoints.esuite_url + "/zds",
            zender=Systeem("0153", "KETENBRUG"),
            ontvanger=Systeem("0153", "ESUITE"),
            timeout_s=5.0,
        )
    )
    try:
        yield TaskClients(ssd, suwinet, EsuiteDocumentTarget(esuite, retry_delay_s=0))
    finally:
        ssd.close()
        suwinet.close()
        esuite.close()


def run_task(
    command: str, periodes: list[str], endpoints: Endpoints, run_ref: str, **extra: Any
) -> list[dict[str, object]]:
    """Run one task the way its DAG does; ``extra`` are ``settings``/``store`` in-process."""
    from sync.betaalspecificaties import run_betaalspecificaties
    from sync.suwinet import run_suwinet, run_suwinet_resends

    with clients(endpoints) as made:
        if command == "betaal":
            return [
                run_betaalspecificaties(
                    periode,
                    ssd=made.ssd,
                    esuite=made.esuite,
                    secret=endpoints.secret,
                    retry=FAST,
                    run_ref=run_ref,
                    **extra,
                )
                for periode in periodes
            ]
        task = {"suwinet": run_suwinet, "suwinet_resend": run_suwinet_resends}[command]
        return [
            task(
                suwinet=made.suwinet,
                zaaksysteem=made.esuite,
                lezer=made.esuite.client,
                secret=endpoints.secret,
                retry=FAST,
                run_ref=run_ref,
                **extra,
            )
        ]


def main(argv: list[str]) -> int:
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s"
    )
    command = argv[0]
    if command not in ("betaal", "suwinet", "suwinet_resend"):
        print(f"unknown command {command!r}", file=sys.stderr)
        return 2
    results = run_task(command, argv[1:], Endpoints.from_env(), os.environ["CHAOS_RUN_REF"])
    print(json.dumps(results, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

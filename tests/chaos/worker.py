"""One task of the chaos run in its own process, so it can be killed at a crash point.

``python -m tests.chaos.worker drain <partition>`` calls what the zaken DAG's partition task
calls; ``resend`` what its first task calls; ``inbox <port-file>`` serves the inbox over plain
HTTP until killed. Settings come from the ``KETENBRUG_*`` environment like in a task, the
e-Suite's address from ``CHAOS_ESUITE_URL``. Logging goes to stderr at INFO, as a task's log
would: the harness keeps it and scans it for BSNs.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path

from adapters.esuite.config import EsuiteConfig
from stuf import Systeem
from sync.engine import RetryPolicy

FAST = RetryPolicy(attempts=3, wait_base_s=0.01, wait_max_s=0.05)


def esuite_config() -> EsuiteConfig:
    return EsuiteConfig(
        url=os.environ["CHAOS_ESUITE_URL"],
        zender=Systeem("1900", "KB"),
        ontvanger=Systeem("0153", "ESUITE"),
        timeout_s=5.0,
    )


def main(argv: list[str]) -> int:
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s"
    )
    command = argv[0]
    if command == "drain":
        from sync.tasks.zaken import run_zaken_partition

        result = run_zaken_partition(int(argv[1]), esuite=esuite_config(), retry=FAST)
        print(json.dumps(result.as_dict()))
    elif command == "resend":
        from sync.tasks.zaken import run_zaken_resends

        print(json.dumps(run_zaken_resends(esuite=esuite_config(), retry=FAST), default=str))
    elif command == "inbox":
        from sync.blobs import BlobStore
        from sync.config import load_settings
        from sync.inbox import Inbox
        from sync.inbox_app import InboxServer
        from sync.store.db import open_store

        settings = load_settings()
        store = open_store(settings, migrate=False)
        server = InboxServer(Inbox(store, blobs=BlobStore(settings.home / "blobs"))).start()
        Path(argv[1]).write_text(server.url)
        while server.thread.is_alive():
            time.sleep(0.1)
    else:
        print(f"unknown command {command!r}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

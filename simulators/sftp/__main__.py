"""Run the three file-based simulators on one real sshd until interrupted.

Why: the demo and ``docker-compose.yml`` need Allegro, Xtendis and MyLex reachable the way the
adapters reach production, over SFTP with a pinned host key, and populated with seeded data.
Usage::

    python -m simulators.sftp --port 2222 --state-dir /var/lib/ketenbrug-sim --seed 42

With ``--state-dir`` the keys survive restarts (pin the printed known_hosts line once).
Folders under the served root: ``allegro/``, ``xtendis/``, ``mylex/``.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import threading
from pathlib import Path

from privacy.masking import install_log_masking
from simulators.allegro import AllegroExporter
from simulators.faults import FaultConfig, FaultInjector
from simulators.mylex import MyLexArchive
from simulators.sftp.server import SshdServer
from simulators.xtendis import XtendisHotFolder


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="listen port (default: a free one)")
    parser.add_argument("--state-dir", type=Path, help="keys, config and served root (kept)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mylex-documents", type=int, default=200)
    parser.add_argument("--allegro-batch", type=int, default=50, help="records per export")
    parser.add_argument("--allegro-interval", type=float, default=60.0, help="seconds")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    install_log_masking()

    faults = FaultInjector(FaultConfig.from_env())
    server = SshdServer(state_dir=args.state_dir, port=args.port).start()
    root = server.root
    allegro = AllegroExporter(root / "allegro", seed=args.seed, faults=faults)
    mylex = MyLexArchive(root / "mylex", seed=args.seed)
    if not any(mylex.archief.iterdir()):
        mylex.populate(args.mylex_documents)
    xtendis = XtendisHotFolder(root / "xtendis", seed=args.seed, faults=faults).start()
    print(json.dumps({
        "host": server.host,
        "port": server.port,
        "username": server.username,
        "client_key_path": str(server.client_key_path),
        "known_hosts": server.host_key_public,
        "folders": {"allegro": "allegro", "xtendis": "xtendis", "mylex": "mylex"},
    }, indent=2), flush=True)  # fmt: skip

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.is_set():
            allegro.write_batch(args.allegro_batch)
            stop.wait(args.allegro_interval)
    except KeyboardInterrupt:
        pass
    finally:
        xtendis.stop()
        server.stop()


if __name__ == "__main__":
    main()

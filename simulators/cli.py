"""Command line for the simulators: ``up`` (serve until Ctrl-C) and ``gws4all-push``.

Its own command, never part of ``ketenbrug`` (production does not import simulators):
``python -m simulators.cli up`` (``./run simulators up``) /
``python -m simulators.cli gws4all-push --url ...``.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

from simulators.faults import FaultConfig
from simulators.registry import REGISTRY, Startable, start_all

__all__ = ["main", "run_gws4all_push", "run_simulators_up"]


def _port_overrides(values: Sequence[str]) -> dict[str, int]:
    ports: dict[str, int] = {}
    for value in values:
        name, sep, port = value.partition("=")
        if not sep or not port.isdigit():
            raise argparse.ArgumentTypeError(f"--port wants NAME=PORT, got {value!r}")
        ports[name] = int(port)
    return ports


def _faults(args: argparse.Namespace) -> FaultConfig | None:
    if args.faults_file:
        return FaultConfig.from_json(Path(args.faults_file).read_text(encoding="utf-8"))
    if args.faults:
        return FaultConfig.from_json(args.faults)
    env = FaultConfig.from_env()
    return None if env.is_quiet else env


def _up_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m simulators.cli up",
        description="Start the HTTP simulators on loopback and serve until Ctrl-C.",
    )
    parser.add_argument(
        "--only", action="append", metavar="NAME", help=f"start only these ({', '.join(REGISTRY)})"
    )
    parser.add_argument(
        "--port", action="append", default=[], metavar="NAME=PORT", help="override a port"
    )
    parser.add_argument(
        "--faults", metavar="JSON", help='fault config, e.g. {"transient_rate": 0.05}'
    )
    parser.add_argument("--faults-file", metavar="PATH", help="fault config as a JSON file")
    return parser


def run_simulators_up(
    argv: Sequence[str] | None = None,
    *,
    stop: threading.Event | None = None,
    ready: Callable[[Mapping[str, Startable]], None] | None = None,
    out: TextIO | None = None,
) -> int:
    """Start the simulators, print their addresses, block until Ctrl-C/SIGTERM (or ``stop``).

    ``stop`` and ``ready`` let a test run this in a thread; from the command line leave them out.
    """
    out = out or sys.stdout
    args = _up_parser().parse_args(argv)
    try:
        started = start_all(args.only, ports=_port_overrides(args.port), faults=_faults(args))
    except (OSError, KeyError, ValueError) as exc:
        print(f"simulators: cannot start: {exc}", file=sys.stderr)
        return 1
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        width = max(len(name) for name in started)
        for name, sim in started.items():
            print(f"{name:<{width}}  {sim.url}   {REGISTRY[name].description}", file=out)
        print("admin: GET <url>/_admin/state, POST <url>/_admin/faults; Ctrl-C stops", file=out)
        out.flush()
        if ready is not None:
            ready(started)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        for sim in started.values():
            sim.stop()
        print("simulators stopped", file=out)
    return 0


def run_gws4all_push(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Push a synthetic GWS4all scenario to an inbound URL and print the report as JSON."""
    from simulators.gws4all import push_scenario
    from simulators.synthetic import SyntheticData

    parser = argparse.ArgumentParser(
        prog="python -m simulators.cli gws4all-push",
        description="Send ZDS 1.1 messages like GWS4all to an inbound URL.",
    )
    parser.add_argument("--url", required=True)
    parser.add_argument("--zaken", type=int, default=10)
    parser.add_argument("--start", type=int, default=0, help="index of the first zaak")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--duplicate-rate", type=float, default=0.0)
    parser.add_argument("--unmapped-rate", type=float, default=0.0)
    parser.add_argument("--malformed", type=int, default=0, help="number of broken messages")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--retries", type=int, default=2, help="resends after 5xx/Fo02/no answer")
    parser.add_argument("--document-scale", type=float, default=0.05)
    parser.add_argument("--no-documents", action="store_true")
    args = parser.parse_args(argv)
    report = push_scenario(
        args.url,
        SyntheticData(args.seed, document_scale=args.document_scale),
        zaken=args.zaken,
        start=args.start,
        duplicate_rate=args.duplicate_rate,
        unmapped_rate=args.unmapped_rate,
        inject_malformed=args.malformed,
        concurrency=args.concurrency,
        include_documents=not args.no_documents,
        seed=args.seed,
        keep_keys=False,
        retries=args.retries,
    )
    print(json.dumps(report.as_dict(), indent=2), file=out or sys.stdout)
    return 0 if report.transport_errors == 0 else 2


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m simulators.cli {up,gws4all-push} ...``"""
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {"up": run_simulators_up, "gws4all-push": run_gws4all_push}
    if not argv or argv[0] not in commands:
        print(f"usage: python -m simulators.cli {{{','.join(commands)}}} ...", file=sys.stderr)
        return 2
    return commands[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main())

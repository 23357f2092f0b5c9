"""``python -m demo [--zaken N] [--seed S]``: the demo; ``python -m demo ui``: its Airflow UI."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    parser.add_argument("--zaken", type=int, default=40, help="number of synthetic zaken")
    parser.add_argument("--seed", type=int, default=2026)
    commands = parser.add_subparsers(dest="command")
    ui = commands.add_parser("ui", help="Airflow's UI (and beheer) on the demo's state")
    ui.add_argument("--home", help="demo folder (default KETENBRUG_DEMO_HOME or .ketenbrug/demo)")
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=int, default=8080)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "ui":
        from demo.ui import demo_home, run_ui

        home = Path(args.home) if args.home else demo_home()
        return run_ui(home, host=args.host, port=args.port)
    from demo.run import run_demo

    return run_demo(zaken=args.zaken, seed=args.seed)


if __name__ == "__main__":
    sys.exit(main())

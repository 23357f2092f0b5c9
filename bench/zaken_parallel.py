"""Benchmark the zaken flow against a slow e-Suite: N partitions x M write threads vs the ideal.

Run on demand (not a test)::

    .venv/bin/python bench/zaken_parallel.py                        # 2,000 zaken, 50 ms per call
    .venv/bin/python bench/zaken_parallel.py --latency-ms 30 --partitions 4 --threads 4
    .venv/bin/python bench/zaken_parallel.py --quick                # a smoke run (CI)

Real e-Suites answer in tens of milliseconds, so a night's sync is bound by waiting, and what
counts is how close the engine keeps the e-Suite busy to the limit beheer allows: the Airflow
pool of the e-Suite (its slots: the partitions drained at once) times the engine's write
threads per task. What it does, in one run:

1. fills the GWS4all inbox of a fresh state store with the messages of N synthetic zaken;
2. starts the e-Suite simulator with a fixed latency per call (``FaultConfig.latency_ms``);
3. the floor, on the same simulator: one raw ``actualiseerZaakstatus`` round trip after the
   other (the real time per call, latency included), and N x M threads of raw round trips side
   by side (what loopback and the simulator manage at that parallelism, no engine);
4. drains every partition at once, one thread per partition as Airflow's mapped tasks in the
   pool, each engine writing with M threads;
5. checks the e-Suite: every zaak there once with every status in the order it happened, and
   the most calls it ever handled at once at most N x M (the pool's limit held).

It prints calls/s beside the ideal N x M / (time per raw call) and the raw parallel floor, and
the ratio (target: at least 80% of the ideal). Exit code 1 only when a check of step 5 fails.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from zaken_sync import fill_inbox

from adapters.base import Operation
from adapters.esuite.client import EsuiteClient
from adapters.esuite.config import EsuiteConfig
from adapters.esuite.target import EsuiteTarget
from mappings import load_tables
from simulators.synthetic import SyntheticData
from stuf import Systeem, Zaak, ZaakStatus
from sync.drain import inbox_batches
from sync.engine import Engine, RetryPolicy
from sync.flows.zaken import FLOW_NAME, ZAKEN_FUNCTIONS, ZakenFlow
from sync.inbox import Inbox, InboxSource
from sync.store.db import Store

QUICK_ZAKEN = 40
START = datetime(2024, 1, 1, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[1]


def esuite_client(url: str) -> EsuiteClient:
    return EsuiteClient(
        EsuiteConfig(url=url, zender=Systeem("1900", "KB"), ontvanger=Systeem("0153", "E"))
    )


class CountingTarget(EsuiteTarget):
    """The e-Suite target, counting the calls it made (writes and checks)."""

    def __init__(self, client: EsuiteClient) -> None:
        super().__init__(client)
        self.calls = 0
        self._lock = threading.Lock()

    def apply(self, operation: Operation) -> None:
        with self._lock:
            self.calls += 1
        super().apply(operation)


def drain_partition(
    store: Store, url: str, partition: int, partitions: int, threads: int, batch_size: int
) -> tuple[int, int]:
    """One mapped task: drain a partition until it is empty. Returns (records, calls)."""
    client = esuite_client(url)
    target = CountingTarget(client)
    engine = Engine(
        store,
        ZakenFlow(),
        {"esuite": target},
        load_tables(),
        retry=RetryPolicy(attempts=3, wait_base_s=0.01, wait_max_s=0.1),
        write_concurrency=threads,
    )
    source = InboxSource(
        store, flow=FLOW_NAME, functions=ZAKEN_FUNCTIONS, partition=partition, partitions=partitions
    )
    records = sum(outcome.read for _ref, outcome in inbox_batches(engine, source, batch_size))
    client.close()
    return records, target.calls


def raw_call_seconds(url: str, calls: int, parallel: int) -> float:
    """Seconds per raw status call when ``parallel`` threads call side by side (wall/calls)."""
    zaak = f"0153-RAW-{parallel:04d}"
    client = esuite_client(url)
    client.creeer_zaak(
        Zaak(
            identificatie=zaak,
            zaaktype_code="B1026",
            omschrijving="floor",
            startdatum=date(2024, 1, 1),
            registratiedatum=date(2024, 1, 1),
            initiator_bsn="999993653",  # a test BSN (passes the 11-proef, belongs to nobody)
        )
    )
    client.close()

    def one(n: int) -> None:
        own = esuite_client(url)
        for i in range(calls // parallel):
            status = ZaakStatus(
                zaak_identificatie=zaak,
                statustype_code="B1026-ST01",
                statustype_volgnummer=1,
                datum_status_gezet=START + timedelta(minutes=n * 10_000 + i),
                zaaktype_code="B1026",
            )
            own.actualiseer_zaakstatus(zaak, status)
        own.close()

    began = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        list(pool.map(one, range(parallel)))
    return (time.perf_counter() - began) / (calls // parallel * parallel)


def check_esuite(url: str, zaken: int) -> list[str]:
    """Every zaak once, its statuses in the order they happened; empty when all is well."""
    state = requests.get(f"{url}/_admin/state", timeout=600).json()
    problems: list[str] = []
    stored = {k: v for k, v in state["zaken"].items() if "-RAW-" not in k}
    if len(stored) != zaken:
        problems.append(f"{len(stored)} zaken in the e-Suite, expected {zaken}")
    for zaak in stored.values():
        dates = [str(s["datum_status_gezet"]) for s in zaak["statussen"]]
        if dates != sorted(dates):
            problems.append(f"statuses of one zaak out of order: {dates}")
        if len(set(dates)) != len(dates):
            problems.append(f"a status of one zaak written twice: {dates}")
    return problems


@contextmanager
def esuite_process(latency_ms: int) -> Iterator[str]:
    """The e-Suite simulator in a process of its own, as a real e-Suite is: its work does not
    share this process's interpreter lock with the engine's."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulators.cli",
            "up",
            "--only",
            "esuite",
            "--faults",
            json.dumps({"latency_ms": latency_ms}),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = line.split()[1]
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def busy(url: str) -> dict[str, int]:
    return dict(requests.get(f"{url}/_admin/faults", timeout=10).json()["busy"])


def _drain(args: tuple[str, str, int, int, int, int]) -> tuple[int, int]:
    database_url, url, partition, partitions, threads, batch_size = args
    store = Store(database_url)
    try:
        return drain_partition(store, url, partition, partitions, threads, batch_size)
    finally:
        store.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zaken", type=int, default=2000)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--partitions", type=int, default=4, help="N: the e-Suite pool's slots")
    parser.add_argument("--threads", type=int, default=4, help="M: write threads per task")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ZAKEN} zaken, 5 ms")
    args = parser.parse_args(argv)
    if args.quick:
        args.zaken, args.latency_ms = QUICK_ZAKEN, 5

    folder = Path(tempfile.mkdtemp(prefix="kb-bench-par-"))
    database_url = args.database_url or f"sqlite:///{folder / 'state.db'}"
    store = Store(database_url)
    store.migrate()
    messages = fill_inbox(Inbox(store), SyntheticData(2026, document_scale=0.05), args.zaken)
    store.dispose()
    parallel = args.partitions * args.threads
    print(
        f"zaken against a slow e-Suite: {args.zaken} zaken ({messages} messages), "
        f"{args.latency_ms} ms per call, {args.partitions} partitions (processes) x "
        f"{args.threads} write threads = {parallel} calls at once; "
        f"state store {database_url.split(':', 1)[0]}"
    )
    with esuite_process(args.latency_ms) as url:
        sample = max(parallel * 8, 40)
        one_call = raw_call_seconds(url, max(sample // 4, 10), 1)
        raw_parallel = raw_call_seconds(url, sample, parallel)
        raw_peak = busy(url)["peak"]
        requests.post(f"{url}/_admin/faults", json={"latency_ms": args.latency_ms}, timeout=10)
        jobs = [
            (database_url, url, p, args.partitions, args.threads, args.batch_size)
            for p in range(args.partitions)
        ]
        began = time.perf_counter()
        with multiprocessing.get_context("spawn").Pool(args.partitions) as pool:
            results = pool.map(_drain, jobs)
        wall = time.perf_counter() - began
        peak = busy(url)["peak"]
        requests.post(f"{url}/_admin/faults", json={}, timeout=10)
        problems = check_esuite(url, args.zaken)
    records = sum(r for r, _ in results)
    calls = sum(c for _, c in results)
    rate = calls / wall
    ideal = parallel / one_call
    floor = 1 / raw_parallel
    print(f"  raw call, one at a time     {one_call * 1e3:8.1f} ms (latency {args.latency_ms} ms)")
    print(f"  ideal N x M / call          {ideal:8.1f} calls/s")
    print(
        f"  raw calls, {parallel:>2} side by side  {floor:8.1f} calls/s "
        f"({floor / ideal:.0%} of ideal; peak {raw_peak} at once)"
    )
    print(f"  engine                      {rate:8.1f} calls/s ({records} records in {wall:.1f} s)")
    print(
        f"  engine / ideal {rate / ideal:.0%} (target ≥ 80%), engine / raw side by side "
        f"{rate / floor:.0%}; most calls at once in the e-Suite: {peak} (limit {parallel})"
    )
    if peak > parallel:
        problems.append(f"{peak} calls at once, more than the limit {parallel}")
    for problem in problems[:10]:
        print(f"FAILED: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

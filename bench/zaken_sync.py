"""Benchmark the zaken flow: full sync, 1% changed, nothing changed; against the physical floor.

Run on demand (not a test)::

    .venv/bin/python bench/zaken_sync.py                 # 100,000 zaken (takes a while)
    .venv/bin/python bench/zaken_sync.py --zaken 10000   # a quicker look
    .venv/bin/python bench/zaken_sync.py --quick         # 30 zaken, a smoke run (CI)
    .venv/bin/python bench/zaken_sync.py --database-url postgresql+psycopg2://...

What it does, in one process: fills the GWS4all inbox of a fresh state store with the messages
of N synthetic zaken (creeerZaak, statuses, einddatum), then runs the zaken engine against the
e-Suite simulator over real HTTP on loopback three times: the full sync, a run after 1% of the
zaken got one new status, and a run with nothing new. It prints records/s, the engine's own time
per record beside the time spent waiting on the e-Suite, and the ratios incremental/full and
no-change/full. Beside them, measured in the same run, the physical floor: a raw SQLAlchemy Core
``executemany`` insert per row into the same database, and a raw HTTP round trip to the same
simulator. Writes run with concurrency 1 here so the split between engine and target is exact.

Targets (issue 6): the 1% run costs at most 3% of the full run, the no-change run well under 1%,
and Airflow task instances grow with partitions and batches, never with records.
"""

from __future__ import annotations

import argparse
import queue
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import requests
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.base import Operation
from adapters.esuite.client import EsuiteClient
from adapters.esuite.config import EsuiteConfig
from adapters.esuite.target import EsuiteTarget
from mappings import load_tables
from simulators.esuite import make_esuite_server
from simulators.gws4all import messages_for_zaak
from simulators.synthetic import SyntheticData
from stuf import (
    ActualiseerZaakstatus,
    Systeem,
    ZaakStatus,
    ZdsVersion,
    build_message,
    new_stuurgegevens,
)
from sync.config import load_settings
from sync.drain import inbox_batches
from sync.engine import Engine, RetryPolicy
from sync.flows.zaken import FLOW_NAME, ZAKEN_FUNCTIONS, ZakenFlow
from sync.inbox import Inbox, InboxSource
from sync.store.db import Store
from sync.store.models import InboxMessage

PARTITIONS = 4
#: GWS4all senders pushing at once while the inbox is filled.
SENDERS = 8
#: Task instances of one ketenbrug_zaken run: resend + allegro + summarize + one per partition.
TASKS_PER_RUN = 3 + PARTITIONS


class TimedTarget(EsuiteTarget):
    """The e-Suite target, adding up the wall time spent waiting for the e-Suite."""

    def __init__(self, client: EsuiteClient) -> None:
        super().__init__(client)
        self.waited = 0.0
        self.calls = 0
        self._lock = threading.Lock()

    def _timed(self, fn, operation: Operation):  # type: ignore[no-untyped-def]
        began = time.perf_counter()
        try:
            return fn(operation)
        finally:
            with self._lock:
                self.waited += time.perf_counter() - began
                self.calls += 1

    def apply(self, operation: Operation) -> None:
        self._timed(super().apply, operation)

    def is_applied(self, operation: Operation) -> bool:
        return bool(self._timed(super().is_applied, operation))


@dataclass
class RunFigures:
    name: str
    seconds: float
    records: int
    delivered: int
    batches: int
    target_wait: float
    target_calls: int
    #: After each batch: (records so far, seconds so far, e-Suite wait so far).
    marks: list[tuple[int, float, float]]

    def tenths(self) -> list[tuple[float, float]]:
        """Per tenth of the records: records/s and the engine's µs per record beside the
        e-Suite. Flat cost shows as ten similar numbers; growth with the ledger as a slope."""
        out: list[tuple[float, float]] = []
        previous = (0, 0.0, 0.0)
        for tenth in range(1, 11):
            goal = self.records * tenth / 10
            mark = next((m for m in self.marks if m[0] >= goal), None)
            if mark is None or mark[0] <= previous[0]:
                continue
            records = mark[0] - previous[0]
            seconds = mark[1] - previous[1]
            engine = seconds - (mark[2] - previous[2])
            out.append((records / seconds if seconds else 0.0, engine / records * 1e6))
            previous = mark
        return out

    def line(self, full: RunFigures | None) -> str:
        per_record = (self.seconds - self.target_wait) / self.records * 1e6 if self.records else 0
        wait = self.target_wait / self.target_calls * 1e3 if self.target_calls else 0.0
        ratio = f"{self.seconds / full.seconds:8.2%}" if full else "    100%"
        rate = self.records / self.seconds if self.seconds else 0.0
        return (
            f"{self.name:<11} {self.seconds:8.2f} s {ratio} {self.records:>9} {self.delivered:>9} "
            f"{rate:>9.0f}/s {per_record:>8.0f} µs {wait:>7.2f} ms {self.batches:>6}"
        )


def fill_inbox(inbox: Inbox, data: SyntheticData, zaken: int, senders: int = SENDERS) -> int:
    """Push every zaak's messages as GWS4all does: one zaak's in order, ``senders`` zaken at
    once (so the inbox's group commit works as it does under real traffic)."""
    work: queue.Queue[list[tuple[bytes, str | None]] | None] = queue.Queue(maxsize=4 * senders)
    counts = [0] * senders
    failures: list[BaseException] = []

    def sender(slot: int) -> None:
        while (zaak := work.get()) is not None:
            try:
                for body, soap_action in zaak:
                    answer = inbox.receive(body, soap_action)
                    if answer.status != 200:
                        raise RuntimeError(f"inbox answered HTTP {answer.status}")
                    counts[slot] += 1
            except BaseException as error:  # raised below, after the rest
                failures.append(error)

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(senders)]
    for thread in threads:
        thread.start()
    for zaak in data.zaken(zaken):
        messages = messages_for_zaak(zaak, include_documents=False)
        work.put([(m.body, m.soap_action) for m in messages])
    for _ in threads:
        work.put(None)
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return sum(counts)


def require_empty(store: Store) -> None:
    """Refuse a state store that already holds messages (a PostgreSQL database used before):
    its records would be counted as this run's."""
    with store.session() as session:
        if session.scalar(select(func.count()).select_from(InboxMessage)):
            raise SystemExit(f"{store.url}: the inbox is not empty; give an empty database")


def new_statuses(inbox: Inbox, data: SyntheticData, zaken: int, share: float) -> int:
    """One new (later) status for ``share`` of the zaken: what a quiet night looks like."""
    step = max(int(1 / share), 1)
    sender = Systeem("1900", "GWS4all")
    count = 0
    for zaak in data.zaken(zaken):
        if zaak.index % step or not zaak.statussen:
            continue
        last = zaak.statussen[-1]
        status = ZaakStatus(
            zaak_identificatie=zaak.identificatie,
            statustype_code="GWS-AV-10",
            statustype_volgnummer=10,
            datum_status_gezet=last.datum_status_gezet + timedelta(days=1),
            zaaktype_code=zaak.zaaktype_code,
        )
        message = ActualiseerZaakstatus(
            new_stuurgegevens("Lk01", sender, Systeem("1900", "CDR"), entiteittype="ZAK"),
            zaak_identificatie=zaak.identificatie,
            wordt=status,
        )
        inbox.receive(build_message(message, ZdsVersion.V1_1), None)
        count += 1
    return count


def sync_run(name: str, store: Store, esuite_url: str, batch_size: int) -> RunFigures:
    """Drain every partition once, as the DAG's mapped tasks do (here one after the other)."""
    client = EsuiteClient(
        EsuiteConfig(url=esuite_url, zender=Systeem("1900", "KB"), ontvanger=Systeem("0153", "E"))
    )
    target = TimedTarget(client)
    engine = Engine(
        store,
        ZakenFlow(),
        {"esuite": target},
        load_tables(),
        retry=RetryPolicy(attempts=3, wait_base_s=0.01, wait_max_s=0.1),
        write_concurrency=1,
    )
    records = delivered = batches = 0
    marks: list[tuple[int, float, float]] = []
    began = time.perf_counter()
    for partition in range(PARTITIONS):
        source = InboxSource(
            store,
            flow=FLOW_NAME,
            functions=ZAKEN_FUNCTIONS,
            partition=partition,
            partitions=PARTITIONS,
        )
        for _ref, outcome in inbox_batches(engine, source, batch_size):  # as the DAG drains
            records += outcome.read
            delivered += outcome.delivered
            batches += 1
            marks.append((records, time.perf_counter() - began, target.waited))
    seconds = time.perf_counter() - began
    client.close()
    return RunFigures(
        name, seconds, records, delivered, batches, target.waited, target.calls, marks
    )


def floor_insert(store: Store, rows: int) -> float:
    """Seconds per row for a raw Core executemany insert into the same database."""
    metadata = MetaData()
    table = Table(
        "bench_floor",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("key", String(250)),
        Column("hash", String(64)),
    )
    metadata.create_all(store.engine)
    payload = [{"key": f"status:{n}", "hash": f"{n:064d}"} for n in range(rows)]
    began = time.perf_counter()
    with store.engine.begin() as connection:
        connection.execute(insert(table), payload)
    return (time.perf_counter() - began) / rows


def floor_http(url: str, calls: int) -> float:
    """Seconds per raw HTTP round trip (GET of the simulator's small fault-config page)."""
    session = requests.Session()
    began = time.perf_counter()
    for _ in range(calls):
        session.get(f"{url.rstrip('/')}/_admin/faults", timeout=10).raise_for_status()
    return (time.perf_counter() - began) / calls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zaken", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--quick", action="store_true", help="30 zaken, a smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.zaken = 30

    folder = Path(tempfile.mkdtemp(prefix="kb-bench-"))
    url = args.database_url or f"sqlite:///{folder / 'state.db'}"
    store = Store(url)
    store.migrate()
    require_empty(store)
    settings = load_settings({"KETENBRUG_DATABASE_URL": url})
    data = SyntheticData(args.seed, document_scale=0.05)
    inbox = Inbox(store)
    print(f"zaken sync benchmark: {args.zaken} zaken, state store {settings.database_url}")

    began = time.perf_counter()
    messages = fill_inbox(inbox, data, args.zaken)
    filled = time.perf_counter() - began
    print(
        f"inbox filled with {messages} messages by {SENDERS} senders in {filled:.1f} s "
        f"({messages / filled:.0f}/s)\n"
    )

    with make_esuite_server() as esuite:
        esuite_url = esuite.url
        full = sync_run("full", store, esuite_url, args.batch_size)
        changed = new_statuses(inbox, data, args.zaken, 0.01)
        incremental = sync_run("1% changed", store, esuite_url, args.batch_size)
        nothing = sync_run("no change", store, esuite_url, args.batch_size)
        insert_s = floor_insert(store, 20_000)
        http_s = floor_http(esuite_url, 500)

    header = (
        f"{'run':<11} {'wall':>10} {'of full':>8} {'records':>9} {'delivered':>9} "
        f"{'rate':>11} {'engine/rec':>11} {'e-Suite/call':>10} {'batches':>6}"
    )
    print(header)
    print("-" * len(header))
    for figures in (full, incremental, nothing):
        print(figures.line(None if figures is full else full))
    print("\nfull run per tenth of its records (flat cost: ten similar numbers):")
    print("  records/s  " + " ".join(f"{rate:>6.0f}" for rate, _ in full.tenths()))
    print("  engine µs  " + " ".join(f"{cost:>6.0f}" for _, cost in full.tenths()))
    print(f"\n1% run: {changed} new statuses")
    engine_per_record = (full.seconds - full.target_wait) / max(full.records, 1)
    wait_per_call = full.target_wait / max(full.target_calls, 1)
    print("physical floor, same run:")
    print(
        f"  raw insert per row        {insert_s * 1e6:8.1f} µs   "
        f"engine per record = {engine_per_record / insert_s:6.1f}x raw insert"
    )
    print(
        f"  raw HTTP round trip       {http_s * 1e3:8.2f} ms   "
        f"e-Suite call = {wait_per_call / http_s:6.1f}x raw round trip"
    )
    print(
        f"\nAirflow task instances per run: {TASKS_PER_RUN} (fixed: {PARTITIONS} partitions + 3), "
        f"whatever the number of records; the full run took {full.batches} batches of "
        f"at most {args.batch_size} inside them."
    )
    incremental_ratio = incremental.seconds / full.seconds
    nothing_ratio = nothing.seconds / full.seconds
    print(
        f"targets: 1% run {incremental_ratio:.2%} of full "
        f"({'PASS' if incremental_ratio <= 0.03 else 'MISS'}, ≤ 3%); "
        f"no-change run {nothing_ratio:.3%} of full "
        f"({'PASS' if nothing_ratio < 0.01 else 'MISS'}, < 1%)"
    )
    store.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())

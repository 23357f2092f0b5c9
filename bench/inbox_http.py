"""Benchmark the inbox over HTTP: concurrent senders against the floor of a raw insert endpoint.

Run on demand (not a test)::

    .venv/bin/python bench/inbox_http.py                         # 4,000 messages, 8 senders
    .venv/bin/python bench/inbox_http.py --database-url postgresql+psycopg2://...
    .venv/bin/python bench/inbox_http.py --quick                 # a smoke run (CI)

GWS4all pushes its messages over HTTP and the inbox answers only after the message is stored
(committed): that is what makes a Bv03 a promise. What it does, in one run, on one database:

1. builds the messages of synthetic zaken (creeerZaak, statuses, einddatum; no documents);
2. the floor: a raw Starlette endpoint on the same kind of server (uvicorn, loopback) that only
   inserts the body into a table and commits, one transaction per request, sent the same
   messages by the same number of concurrent senders (keep-alive sessions);
3. the inbox (``sync.inbox_app``, open door, plain HTTP) sent the same messages the same way:
   checked, decoded once, stored with its records, numbered, answered Bv03;
4. for reference, the inbox in-process (``Inbox.receive`` in a loop, no HTTP).

It prints messages/s of each and the ratio inbox / floor (target: at least 50%), and checks
that the inbox holds every message once. Exit code 1 only when that check fails.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import requests
import uvicorn
from sqlalchemy import Column, Integer, LargeBinary, MetaData, Table, func, insert, select
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulators.gws4all import OutboundMessage, messages_for_zaak
from simulators.synthetic import SyntheticData
from sync.inbox import Inbox
from sync.inbox_app import InboxServer
from sync.store.db import Store
from sync.store.models import InboxMessage

QUICK_MESSAGES = 200


def messages(count: int, seed: int) -> list[OutboundMessage]:
    found: list[OutboundMessage] = []
    for zaak in SyntheticData(seed, document_scale=0.05).zaken(count):
        found.extend(messages_for_zaak(zaak, include_documents=False))
        if len(found) >= count:
            break
    return found[:count]


def floor_app(store: Store) -> Starlette:
    """POST /: insert the body, commit, answer 200. Nothing else."""
    table = Table(
        "bench_inbox_floor",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("body", LargeBinary),
    )
    table.create(store.engine, checkfirst=True)

    def store_body(body: bytes) -> None:
        with store.engine.begin() as connection:
            connection.execute(insert(table).values(body=body))

    async def receive(request: Request) -> Response:
        await run_in_threadpool(store_body, await request.body())
        return Response("ok")

    return Starlette(routes=[Route("/", receive, methods=["POST"])])


@contextmanager
def serving(app: Starlette) -> Iterator[str]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def send_all(url: str, batch: list[OutboundMessage], senders: int) -> float:
    """Messages per second, ``senders`` threads each on its own keep-alive session."""
    chunks = [batch[n::senders] for n in range(senders)]
    failures: list[int] = []

    def sender(chunk: list[OutboundMessage]) -> None:
        session = requests.Session()
        for message in chunk:
            headers = {"Content-Type": "text/xml; charset=utf-8"}
            if message.soap_action:
                headers["SOAPAction"] = message.soap_action
            answer = session.post(url, data=message.body, headers=headers, timeout=60)
            if answer.status_code != 200:
                failures.append(answer.status_code)
        session.close()

    began = time.perf_counter()
    with ThreadPoolExecutor(senders) as pool:
        list(pool.map(sender, chunks))
    seconds = time.perf_counter() - began
    if failures:
        raise RuntimeError(f"{len(failures)} answers were not 200: {sorted(set(failures))}")
    return len(batch) / seconds


def in_process(make_store: Callable[[], Store], batch: list[OutboundMessage]) -> float:
    store = make_store()
    inbox = Inbox(store)
    began = time.perf_counter()
    for message in batch:
        inbox.receive(message.body, message.soap_action)
    rate = len(batch) / (time.perf_counter() - began)
    store.dispose()
    return rate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--senders", type=int, default=8)
    parser.add_argument("--database-url", help="default: SQLite files in a temporary folder")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_MESSAGES} messages")
    args = parser.parse_args(argv)
    count = QUICK_MESSAGES if args.quick else args.messages
    folder = Path(tempfile.mkdtemp(prefix="kb-bench-inbox-"))
    stores: list[Store] = []

    def make_store() -> Store:
        url = args.database_url or f"sqlite:///{folder / f'state{len(stores)}.db'}"
        store = Store(url)
        store.migrate()
        stores.append(store)
        return store

    batch = messages(count, args.seed)
    print(
        f"inbox over HTTP: {len(batch)} messages, {args.senders} concurrent senders, "
        f"state store {(args.database_url or 'sqlite').split(':', 1)[0]}"
    )
    floor_store = make_store()
    with serving(floor_app(floor_store)) as url:
        floor = send_all(url, batch, args.senders)
    inbox_store = make_store()
    with InboxServer(Inbox(inbox_store)) as server:
        rate = send_all(server.url, batch, args.senders)
    with inbox_store.session() as session:
        stored = session.scalar(select(func.count()).select_from(InboxMessage))
    # other messages (another seed): on one PostgreSQL schema these would be duplicates
    reference = in_process(make_store, messages(min(count, 1000), args.seed + 1))
    print(f"  floor: raw Starlette insert + commit   {floor:8.1f} messages/s")
    print(f"  inbox over HTTP                        {rate:8.1f} messages/s")
    print(f"  inbox in-process (no HTTP, reference)  {reference:8.1f} messages/s")
    print(f"  inbox / floor {rate / floor:.0%} (target ≥ 50%)")
    for store in stores:
        store.dispose()
    if stored != len(batch):
        print(f"FAILED: the inbox holds {stored} messages, {len(batch)} were sent")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

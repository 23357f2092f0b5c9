"""Benchmark the betaalspecificaties flow: a month of N clients, beside the raw SSD round trip.

Run on demand (not a test)::

    .venv/bin/python bench/betaalspecificaties.py                   # 50,000 clients (long)
    .venv/bin/python bench/betaalspecificaties.py --quick           # 2,000 clients, a smoke run
    .venv/bin/python bench/betaalspecificaties.py --clients 5000
    .venv/bin/python bench/betaalspecificaties.py --quick --db postgres   # state store on PG

What it does, in one process (the simulators are threads of it, as in ``bench/zaken_sync.py``):

1. starts the GWS4all SSD simulator over real mutual TLS on 127.0.0.1 (a throwaway test CA),
   answering a specification for each of N synthetic clients, and the e-Suite simulator over
   HTTP with one zaak per client, seeded directly in its store (no content kept, only size and
   SHA-256, so 50,000 documents fit);
2. the floor, measured in the same run: the raw SSD round trip (the envelope Ketenbrug's zeep
   client sends, captured once, with each client's BSN and a fresh MessageID put in, POSTed by a
   plain keep-alive ``requests.Session`` over the same mTLS, the answer parsed with lxml) for a
   sample of the clients; and the raw e-Suite write (a prepared ZDS 1.2 voegZaakdocumentToe
   carrying a real specification PDF, POSTed the same way, to zaken of its own); and beside
   them what one PDF costs to render (``specificatie_pdf``, standalone);
3. Ketenbrug: :func:`~sync.betaalspecificaties.run_betaalspecificaties` for the whole month into
   a fresh state store (SQLite under a temporary ``KETENBRUG_HOME``, or a throwaway schema on
   PostgreSQL with ``--db postgres``: ``postgresql+psycopg2://postgres@127.0.0.1:5432/test``
   or ``KETENBRUG_BENCH_PG_URL``), the clients given by a ``clients=`` callable. Measured:
   specs/s, the time spent in SSD (zeep client), in the e-Suite document writes, in the PDF
   rendering and in the doelbinding log's writes (each wrapped with a timer for the run), and
   the peak RSS growth of the process during the run (``VmHWM`` after ``clear_refs``).

It prints specs/s and its ratio to the raw SSD rate and to the combined floor (one raw SSD round
trip + one raw e-Suite write per client, done one after the other as Ketenbrug does), and where
the time per spec goes. Afterwards the e-Suite must hold exactly one document on every client's
zaak and nothing else from the run; if not (or the run dead-lettered or failed anything) it
prints FAIL and exits 1. Otherwise the exit code is 0: a benchmark is no test, rates are not
judged.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import requests
from lxml import etree
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sync.betaalspecificaties as betaal
from adapters.esuite.client import EsuiteClient
from adapters.esuite.config import EsuiteConfig
from adapters.esuite.document_target import EsuiteDocumentTarget
from adapters.esuite.document_upload import DocumentUpload
from adapters.ssd.client import SsdClient, Uitkeringsspecificatie
from adapters.ssd.config import SsdConfig
from simulators.esuite import make_esuite_server
from simulators.esuite_store import EsuiteStore
from simulators.ssd import make_ssd_server
from simulators.synthetic import SyntheticData
from simulators.synthetic_model import bsn_for_index
from simulators.tls import SimulatorPki
from stuf import (
    Document,
    Systeem,
    VoegZaakdocumentToe,
    Zaak,
    ZdsVersion,
    build_message,
    new_stuurgegevens,
    soap_action_for,
)
from sync.betaalspecificaties import ClientZaak, run_betaalspecificaties, specificatie_pdf
from sync.config import load_settings
from sync.doelbinding import DoelbindingLog
from sync.engine import RetryPolicy
from sync.store.db import Store

DEFAULT_CLIENTS = 50_000
QUICK_CLIENTS = 2_000
FLOOR_SAMPLE = 2_000
PERIODE = "2024-02"
ZAAKTYPE = "B1026"
SECRET = "bench-geheim-voor-hmac"  # noqa: S105 - a throwaway HMAC key
PG_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
KETENBRUG = Systeem("0153", "KETENBRUG")
ESUITE = Systeem("0153", "ESUITE")
#: Stand-ins in the prepared e-Suite envelope, replaced per request.
FLOOR_DOC = "BENCHFLOORDOC00000000"
FLOOR_ZAAK = "BENCHFLOORZAAK0000000"
PDF_SAMPLE = 50
PDF_ROUNDS = 4


class BenchFailure(RuntimeError):
    """Something went wrong outright: a floor or the run did not do what it must."""


def zaak_for(index: int) -> str:
    return f"0153ESUITE{9_000_000 + index}"


# ---------------------------------------------------------------------- memory
def _rss_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(field)


def _reset_peak() -> int:
    """The RSS now (kB), with the kernel's high-water mark (VmHWM) reset to it."""
    before = _rss_kb("VmRSS")
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    return before


# ---------------------------------------------------------------------- timing wrappers
class TimedSsd:
    """The SSD client as the source sees it, adding up the time spent in it (zeep + wire)."""

    def __init__(self, inner: SsdClient) -> None:
        self.inner = inner
        self.seconds = 0.0
        self.calls = 0

    def uitkeringsspecificatie(self, bsn: str, periode: str) -> Uitkeringsspecificatie | None:
        began = time.perf_counter()
        try:
            return self.inner.uitkeringsspecificatie(bsn, periode)
        finally:
            self.seconds += time.perf_counter() - began
            self.calls += 1


class TimedWrites:
    """Times the e-Suite document writes (``documents.voeg_toe``) of a target: the sum of their
    durations, and the wall time during which at least one was in flight (the engine writes a
    batch on several threads, so the sum exceeds the wall time)."""

    def __init__(self, target: EsuiteDocumentTarget) -> None:
        self.seconds = 0.0
        self.wall = 0.0
        self.calls = 0
        self._active = 0
        self._since = 0.0
        self._lock = threading.Lock()
        inner = target.documents.voeg_toe

        def voeg_toe(upload: DocumentUpload) -> None:
            began = self._enter()
            try:
                inner(upload)
            finally:
                self._leave(began)

        target.documents.voeg_toe = voeg_toe  # type: ignore[method-assign]

    def _enter(self) -> float:
        now = time.perf_counter()
        with self._lock:
            if self._active == 0:
                self._since = now
            self._active += 1
        return now

    def _leave(self, began: float) -> None:
        now = time.perf_counter()
        with self._lock:
            self._active -= 1
            self.calls += 1
            self.seconds += now - began
            if self._active == 0:
                self.wall += now - self._since


class Stopwatch:
    """Adds up the time spent in the functions it wraps (one thread at a time)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - began
                self.calls += 1

        return timed


@contextmanager
def instrumented() -> Iterator[tuple[Stopwatch, Stopwatch]]:
    """Time the PDF rendering and the doelbinding log's writes inside the run (both happen in
    the source, on the main thread); the originals are back afterwards."""
    pdf, log = Stopwatch(), Stopwatch()
    render, record = betaal.specificatie_pdf, DoelbindingLog.record
    betaal.specificatie_pdf = pdf.wrap(render)
    DoelbindingLog.record = log.wrap(record)  # type: ignore[method-assign]
    try:
        yield pdf, log
    finally:
        betaal.specificatie_pdf = render
        DoelbindingLog.record = record  # type: ignore[method-assign]


# ---------------------------------------------------------------------- set-up
def ssd_config(url: str, pki: SimulatorPki) -> SsdConfig:
    cert, key = pki.client.as_requests_cert
    return SsdConfig(
        url=url + "/SSD/UitkeringsSpecificatieClient-v0600",
        client_cert=cert,
        client_key=key,
        verify=str(pki.ca_file),
        timeout_s=30.0,
    )


def esuite_target(url: str) -> tuple[EsuiteClient, EsuiteDocumentTarget]:
    config = EsuiteConfig(url=f"{url}/zds", zender=KETENBRUG, ontvanger=ESUITE, timeout_s=30.0)
    client = EsuiteClient(config)
    return client, EsuiteDocumentTarget(client, retry_delay_s=0)


def seed_zaken(store: EsuiteStore, clients: Sequence[ClientZaak]) -> None:
    day = date(2024, 1, 15)
    for client in clients:
        zaak = Zaak(
            client.zaak, ZAAKTYPE, startdatum=day, registratiedatum=day, initiator_bsn=client.bsn
        )
        store.create_zaak(zaak)


@contextmanager
def state_store(db: str, folder: Path) -> Iterator[tuple[Store, dict[str, str]]]:
    """A fresh, migrated state store and the environment that names it."""
    env = {"KETENBRUG_HOME": str(folder / "home")}
    schema = ""
    admin = None
    if db == "postgres":
        schema = f"kb_bench_{uuid.uuid4().hex[:12]}"
        admin = create_engine(os.environ.get("KETENBRUG_BENCH_PG_URL", PG_URL))
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        env["KETENBRUG_DATABASE_URL"] = (
            f"{admin.url.render_as_string(hide_password=False)}?options=-csearch_path%3D{schema}"
        )
    store = Store(load_settings(env).database_url)
    try:
        store.migrate()
        yield store, env
    finally:
        store.dispose()
        if admin is not None:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


# ---------------------------------------------------------------------- floors
@dataclass
class Rate:
    name: str
    calls: int
    seconds: float

    @property
    def per_s(self) -> float:
        return self.calls / self.seconds if self.seconds else 0.0

    @property
    def ms(self) -> float:
        return self.seconds / self.calls * 1e3 if self.calls else 0.0


def captured_ssd_request(client: SsdClient, bsn: str) -> tuple[str, bytes, dict[str, str]]:
    """The URL, envelope and headers Ketenbrug's zeep client sends for ``bsn`` (one real call)."""
    transport = client._transport
    original = transport.post
    seen: list[tuple[str, bytes, dict[str, str]]] = []

    def capture(address: str, message: bytes, headers: dict[str, str]) -> Any:
        seen.append((address, message, dict(headers)))
        return original(address, message, headers)

    transport.post = capture  # type: ignore[method-assign]
    try:
        if client.uitkeringsspecificatie(bsn, PERIODE) is None:
            raise BenchFailure("SSD: no specification for a seeded client")
    finally:
        transport.post = original  # type: ignore[method-assign]
    if len(seen) != 1:
        raise BenchFailure(f"SSD: expected one request, captured {len(seen)}")
    return seen[0]


def floor_ssd(client: SsdClient, pki: SimulatorPki, clients: Sequence[ClientZaak]) -> Rate:
    """Raw SSD round trips: the captured envelope per client over a keep-alive mTLS session."""
    url, template, headers = captured_ssd_request(client, clients[0].bsn)
    root = etree.fromstring(template)
    message_id = root.findtext(".//{http://www.w3.org/2005/08/addressing}MessageID") or ""
    if not message_id or template.count(clients[0].bsn.encode()) != 1:
        raise BenchFailure("SSD: the captured envelope has no MessageID or not one BSN")
    head, tail = template.replace(message_id.encode(), b"@MID@").split(clients[0].bsn.encode())
    session = requests.Session()
    session.trust_env = False
    session.cert = pki.client.as_requests_cert
    session.verify = str(pki.ca_file)
    session.post(url, data=template, headers=headers, timeout=30).raise_for_status()  # warm
    began = time.perf_counter()
    for item in clients:
        mid = f"urn:uuid:{uuid.uuid4()}".encode()
        body = head.replace(b"@MID@", mid) + item.bsn.encode() + tail.replace(b"@MID@", mid)
        answer = session.post(url, data=body, headers=headers, timeout=30)
        answer.raise_for_status()
        parsed = etree.fromstring(answer.content)
        if parsed.find(".//UitkeringsSpecificatieClient") is None:
            raise BenchFailure("SSD raw: an answer without a specification")
    seconds = time.perf_counter() - began
    session.close()
    return Rate("raw SSD round trip (mTLS, lxml)", len(clients), seconds)


def floor_esuite(url: str, store: EsuiteStore, pdf: bytes, calls: int) -> Rate:
    """Raw e-Suite writes: a prepared voegZaakdocumentToe with ``pdf`` to zaken of its own."""
    document = Document(
        identificatie=FLOOR_DOC,
        titel="Uitkeringsspecificatie februari 2024",
        zaak_identificatie=FLOOR_ZAAK,
        documenttype_omschrijving="Betaalspecificatie",
        bestandsnaam=f"uitkeringsspecificatie-{PERIODE}.pdf",
        formaat="application/pdf",
        creatiedatum=date(2024, 2, 26),
        vertrouwelijkheid="VERTROUWELIJK",
        auteur="GWS4all",
        inhoud=pdf,
    )
    message = VoegZaakdocumentToe(
        new_stuurgegevens("Lk01", KETENBRUG, ESUITE, entiteittype="EDC"), document
    )
    template = build_message(message, ZdsVersion.V1_2)
    action = soap_action_for(message, ZdsVersion.V1_2)
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{action}"'}
    day = date(2024, 1, 15)
    for n in range(calls + 1):
        store.create_zaak(Zaak(f"BENCHFLOORZAAK{n:07d}", ZAAKTYPE, startdatum=day))
    session = requests.Session()
    session.trust_env = False

    def post(n: int) -> None:
        body = template.replace(FLOOR_DOC.encode(), f"BENCHFLOORDOC{n:08d}".encode()).replace(
            FLOOR_ZAAK.encode(), f"BENCHFLOORZAAK{n:07d}".encode()
        )
        answer = session.post(f"{url}/zds", data=body, headers=headers, timeout=30)
        if answer.status_code != 200 or b"Bv03" not in answer.content:
            raise BenchFailure(f"e-Suite raw: HTTP {answer.status_code} {answer.text[:200]}")

    post(calls)  # warm
    began = time.perf_counter()
    for n in range(calls):
        post(n)
    seconds = time.perf_counter() - began
    session.close()
    return Rate("raw e-Suite write (voegZaakdocumentToe)", calls, seconds)


def pdf_cost(client: SsdClient, clients: Sequence[ClientZaak]) -> tuple[Rate, Rate, bytes]:
    """The zeep client per call, and one PDF rendered, standalone; and one PDF for the floor."""
    specs: list[Uitkeringsspecificatie] = []
    began = time.perf_counter()
    for item in clients[:PDF_SAMPLE]:
        spec = client.uitkeringsspecificatie(item.bsn, PERIODE)
        if spec is None:
            raise BenchFailure("SSD: no specification for a seeded client")
        specs.append(spec)
    zeep = Rate("SSD through SsdClient (zeep)", len(specs), time.perf_counter() - began)
    pdf = specificatie_pdf(specs[0])
    began = time.perf_counter()
    for _ in range(PDF_ROUNDS):
        for spec in specs:
            specificatie_pdf(spec)
    rendered = Rate("PDF render (specificatie_pdf)", PDF_ROUNDS * len(specs), 0.0)
    rendered.seconds = time.perf_counter() - began
    return zeep, rendered, pdf


# ---------------------------------------------------------------------- the run
@dataclass
class RunFigures:
    seconds: float
    outcome: dict[str, object]
    ssd: TimedSsd
    writes: TimedWrites
    pdf: Stopwatch
    log: Stopwatch
    growth_kb: int
    baseline_kb: int


def ketenbrug_run(
    env: dict[str, str],
    store: Store,
    ssd: SsdClient,
    esuite_url: str,
    clients: Sequence[ClientZaak],
) -> RunFigures:
    settings = load_settings(env)
    timed_ssd = TimedSsd(ssd)
    client, target = esuite_target(esuite_url)
    writes = TimedWrites(target)

    def month(_store: Store) -> Sequence[ClientZaak]:
        return clients

    baseline = _reset_peak()
    began = time.perf_counter()
    try:
        with instrumented() as (pdf, log):
            outcome = run_betaalspecificaties(
                PERIODE,
                ssd=timed_ssd,
                esuite=target,
                secret=SECRET,
                settings=settings,
                store=store,
                clients=month,
                retry=RetryPolicy(attempts=3, wait_base_s=0.05, wait_max_s=0.5),
                budget_s=86_400.0,
                run_ref="bench",
            )
    finally:
        client.close()
    seconds = time.perf_counter() - began
    growth = _rss_kb("VmHWM") - baseline
    return RunFigures(seconds, outcome, timed_ssd, writes, pdf, log, growth, baseline)


def check(
    outcome: dict[str, object], store: EsuiteStore, clients: Sequence[ClientZaak]
) -> list[str]:
    """What is wrong with the run's result: every client's zaak holds exactly one document."""
    problems = []
    wrong = [c.zaak for c in clients if len(store.documents_of(c.zaak)) != 1]
    if wrong:
        problems.append(f"{len(wrong)} zaken without exactly one document (first: {wrong[0]})")
    for key, expected in (("delivered", len(clients)), ("dead_lettered", 0), ("niets_gevonden", 0)):
        if outcome.get(key) != expected:
            problems.append(f"{key} = {outcome.get(key)}, expected {expected}")
    return problems


def run(count: int, sample: int, db: str, seed: int) -> int:
    folder = Path(tempfile.mkdtemp(prefix="kb-bench-betaal-"))
    failures: list[str] = []
    print(
        f"betaalspecificaties benchmark: {count:,} clients, periode {PERIODE}, "
        f"state store {db}; floor sample {sample:,} clients"
    )
    print(
        f"machine: {os.cpu_count()} cores, simulators in this process (threads), loopback only: "
        "compare ratios within one run rather than rates across runs\n"
    )
    try:
        began = time.perf_counter()
        pki = SimulatorPki.create(folder / "pki")
        data = SyntheticData(seed)
        clients = [ClientZaak(bsn_for_index(i, seed), zaak_for(i)) for i in range(count)]
        ssd_server = make_ssd_server(tls=pki, data=data, client_count=count)
        esuite_server = make_esuite_server(keep_content=False)
        with ssd_server, esuite_server, state_store(db, folder) as (store, env):
            esuite_store = esuite_server.app.store  # type: ignore[attr-defined]
            assert isinstance(esuite_store, EsuiteStore)
            seed_zaken(esuite_store, clients)
            ssd = SsdClient(ssd_config(ssd_server.url, pki))
            print(f"set-up (CA, {count:,} zaken seeded): {time.perf_counter() - began:.1f} s")
            try:
                raw_ssd = floor_ssd(ssd, pki, clients[:sample])
                zeep, pdf_rate, pdf = pdf_cost(ssd, clients)
                raw_esuite = floor_esuite(esuite_server.url, esuite_store, pdf, min(sample, 1_000))
                floor_docs = esuite_store.counts()["documenten"]
                print(f"floors measured; Ketenbrug run of {count:,} clients starting", flush=True)
                figures = ketenbrug_run(env, store, ssd, esuite_server.url, clients)
            finally:
                ssd.close()
            failures += check(figures.outcome, esuite_store, clients)
            total_docs = esuite_store.counts()["documenten"]
            if total_docs != floor_docs + count:
                failures.append(
                    f"e-Suite holds {total_docs} documents, expected {floor_docs} + {count}"
                )
        report(count, raw_ssd, raw_esuite, zeep, pdf_rate, len(pdf), figures)
    except Exception as exc:  # the set-up, a floor or the run failed outright
        failures.append(f"{type(exc).__name__}: {exc}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for failure in failures:
        print(f"FAIL: {failure}")
    if not failures:
        print(f"check: every one of the {count:,} zaken holds exactly one document: OK")
    return 1 if failures else 0


def report(
    count: int,
    raw_ssd: Rate,
    raw_esuite: Rate,
    zeep: Rate,
    pdf: Rate,
    pdf_size: int,
    figures: RunFigures,
) -> None:
    rate = count / figures.seconds
    per_spec_ms = figures.seconds / count * 1e3
    combined_ms = raw_ssd.ms + raw_esuite.ms
    ssd_ms = figures.ssd.seconds / max(figures.ssd.calls, 1) * 1e3
    writes = figures.writes
    write_wall_ms = writes.wall / count * 1e3
    write_call_ms = writes.seconds / max(writes.calls, 1) * 1e3
    pdf_ms = figures.pdf.seconds / count * 1e3
    log_ms = figures.log.seconds / count * 1e3
    rest_ms = per_spec_ms - ssd_ms - write_wall_ms - pdf_ms - log_ms
    header = f"{'what':<44} {'calls':>7} {'wall':>9} {'rate':>10} {'per call':>10}"
    print(header)
    print("-" * len(header))
    for item in (raw_ssd, raw_esuite, zeep, pdf):
        print(
            f"{item.name:<44} {item.calls:>7} {item.seconds:7.2f} s {item.per_s:8.0f}/s "
            f"{item.ms:7.2f} ms"
        )
    print(
        f"{'Ketenbrug run_betaalspecificaties':<44} {count:>7} {figures.seconds:7.2f} s "
        f"{rate:8.1f}/s {per_spec_ms:7.2f} ms"
    )
    print(f"\nrun outcome: {figures.outcome}")
    print(
        f"specs/s {rate:.1f} = {rate / raw_ssd.per_s:.3f}x the raw SSD round trip rate "
        f"({raw_ssd.per_s:.0f}/s); {combined_ms / per_spec_ms:.3f}x the combined floor "
        f"(raw SSD + raw e-Suite write one after the other: {1e3 / combined_ms:.0f}/s)"
    )
    print(f"where a spec's {per_spec_ms:.2f} ms of wall time go (measured inside the run):")
    print(
        f"  SSD through zeep        {ssd_ms:7.2f} ms  ({ssd_ms / raw_ssd.ms:.1f}x the raw round "
        "trip; the source asks one client after the other)"
    )
    print(
        f"  e-Suite document writes {write_wall_ms:7.2f} ms  wall with a write in flight "
        f"(each write {write_call_ms:.2f} ms = {write_call_ms / raw_esuite.ms:.1f}x the raw "
        f"write, on the engine's write threads; PDF of {pdf_size:,} bytes)"
    )
    print(f"  PDF render              {pdf_ms:7.2f} ms  ({pdf.ms:.2f} ms standalone)")
    print(
        f"  doelbinding log         {log_ms:7.2f} ms  ({figures.log.calls / count:.0f} rows per "
        f"query, {figures.log.seconds / max(figures.log.calls, 1) * 1e3:.2f} ms each, "
        "each its own commit)"
    )
    print(f"  the rest                {rest_ms:7.2f} ms  (blob store, ledger, engine, batching)")
    print(
        f"peak RSS growth during the run: {figures.growth_kb / 1024:.1f} MB "
        f"(process RSS before: {figures.baseline_kb / 1024:.0f} MB, simulators included); "
        f"projected time for 50,000 clients at this rate: {50_000 / rate / 60:.1f} min"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=DEFAULT_CLIENTS)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_CLIENTS:,} clients")
    parser.add_argument(
        "--sample", type=int, default=FLOOR_SAMPLE, help="clients in the raw SSD floor"
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    count = QUICK_CLIENTS if args.quick else args.clients
    if count < 1:
        parser.error("--clients must be at least 1")
    return run(count, max(1, min(args.sample, count)), args.db, args.seed)


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark the GWS4all side: questions answered from the e-Suite, and the doorgifte.

Run on demand (not a test)::

    .venv/bin/python bench/gws4all.py            # 2,000 questions, 2,000 aanvragen
    .venv/bin/python bench/gws4all.py --quick    # 200 and 200, a smoke run
    .venv/bin/python bench/gws4all.py --questions 5000 --aanvragen 500
    .venv/bin/python bench/gws4all.py --skip-doorgifte --esuite-latency-ms 20

What it measures, in one process (simulators and the inbox server are threads of it, plain HTTP
on 127.0.0.1, as in the other benches), each part beside its physical floor measured in the same
run:

1. **Questions** (issue #14: "the time Ketenbrug adds to a question over asking the e-Suite
   directly", goal p50 adds at most 20%, p99 under 2x). 100 zaken with statuses are seeded
   straight into the e-Suite simulator's store. The floor (A) is the raw round trip: a prepared
   ZDS 1.2 geefZaakdetails POSTed to the e-Suite with a keep-alive ``requests.Session``.
   Ketenbrug (B) is a prepared ZDS 1.1 geefZaakdetails (as GWS4all asks it) POSTed to the inbox
   (:class:`~sync.inbox_app.InboxServer`, the :class:`~sync.vragen.Vragen` answerer configured
   as ``tests/vragen`` does), which asks the e-Suite and translates back. After a warm-up, A and
   B are interleaved (A, B, A, B, ...) over the zaken; it prints p50/p90/p99 of each, the ratios
   B/A and the verdict "goal met"/"goal missed" (p50 ratio <= 1.2 and p99 ratio < 2.0). Beside
   them C, a bare GET of the inbox server's ``/health`` after each pair: the cost of the extra
   hop alone; and where B's time goes, timed inside the inbox (identity map, e-Suite call,
   read-your-writes lookup, translation, building the answer). ``--esuite-latency-ms`` makes the
   e-Suite simulator answer that much later (A and B alike): a real e-Suite is no loopback
   thread, and the goal is about the share Ketenbrug adds.
2. **Doorgifte throughput**: M aanvragen (zaaktype B1026, in ``mappings/doorgifte.csv``) with one
   document of about 20 KB each, seeded in the e-Suite store. The floor: a prepared ZDS 1.1
   creeerZaak and a voegZaakdocumentToe of the same size POSTed with a keep-alive session for a
   sample of distinct zaken to a *second*, fresh GWS4all backoffice simulator (the measured
   run's stays clean): zaken/s at two round trips per zaak. Ketenbrug:
   :func:`~sync.doorgifte.run_doorgifte` into a fresh SQLite state store under a temporary
   ``KETENBRUG_HOME``: aanvragen/s, the ratio to the floor, the peak RSS growth, and the time
   spent reading from the e-Suite beside the time handing over (timed inside the run). Afterwards
   GWS4all must hold exactly M zaken and M documents, each received once; if not (or anything
   failed outright) it prints FAIL and exits 1. Otherwise the exit code is 0: a benchmark
   reports, a missed goal is no failure.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sync.vragen as vragen_module
from adapters.esuite.client import EsuiteClient
from adapters.esuite.config import EsuiteConfig
from adapters.esuite.zaak_lijst import EsuiteZaakLijst
from adapters.gws4all.outbound import Gws4allClient
from adapters.gws4all.outbound_config import Gws4allOutboundConfig
from adapters.gws4all.outbound_target import Gws4allTarget
from mappings.tables import load_tables
from simulators.esuite import make_esuite_server
from simulators.esuite_store import EsuiteStore
from simulators.faults import FaultConfig
from simulators.gws4all_backoffice import make_gws4all_backoffice_server
from stuf import (
    CreeerZaak,
    Document,
    GeefZaakdetails,
    Systeem,
    VoegZaakdocumentToe,
    Zaak,
    ZaakdetailsAntwoord,
    ZaakStatus,
    ZdsVersion,
    build_message,
    new_stuurgegevens,
    parse_message,
    soap_action_for,
)
from sync.blobs import BlobStore
from sync.config import load_settings
from sync.doorgifte import DoorgifteSource, run_doorgifte
from sync.engine import Engine, RetryPolicy
from sync.inbox import Inbox
from sync.inbox_app import InboxServer
from sync.store.db import Store
from sync.vragen import Vragen

DEFAULT_QUESTIONS = 2_000
QUICK_QUESTIONS = 200
DEFAULT_AANVRAGEN = 2_000
QUICK_AANVRAGEN = 200
QUESTION_ZAKEN = 100
WARM_UP = 100
FLOOR_SAMPLE = 500
DOCUMENT_BYTES = 20 * 1024
ZAAKTYPE = "B1026"
GWS4ALL_ZAAKTYPE = "PW-LO-AANV"  # B1026 in GWS4all's codes (zaaktypen / doorgifte.csv)
BSN = "999993653"  # a test BSN (11-proof), never printed
GOAL_P50 = 1.2
GOAL_P99 = 2.0

GWS4ALL = Systeem(organisatie="1900", applicatie="GWS4all", gebruiker="Gebruiker")
CDR = Systeem(organisatie="1900", applicatie="CDR")
KETENBRUG = Systeem(organisatie="1900", applicatie="Ketenbrug")
ESUITE = Systeem(organisatie="0153", applicatie="e-Suite")
#: Stand-ins in the prepared floor envelopes, replaced per request (same length as the real).
FLOOR_ZAAK = "0153FLOOR0000000"
FLOOR_DOC = "0153FLOOR0000000-D0"
HEADERS = {"Content-Type": "text/xml; charset=utf-8"}
TODAY = datetime.now(ZoneInfo("Europe/Amsterdam")).date()


class BenchFailure(RuntimeError):
    """Something went wrong outright: a floor or the run did not do what it must."""


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


def _headers(action: str) -> dict[str, str]:
    return {**HEADERS, "SOAPAction": f'"{action}"'}


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    return session


def fresh_state(folder: Path) -> tuple[Store, dict[str, str]]:
    """A migrated SQLite state store under ``folder`` (its ``KETENBRUG_HOME``)."""
    env = {"KETENBRUG_HOME": str(folder)}
    store = Store(load_settings(env).database_url)
    store.migrate()
    return store, env


# ====================================================================== part 1: questions
def question_zaak(n: int) -> str:
    return f"1900KB{n:010d}"


def seed_question_zaken(store: EsuiteStore, count: int) -> list[str]:
    """``count`` bijstandsaanvragen with three statuses each, in the e-Suite's own codes."""
    zaken = []
    for n in range(count):
        zaak = question_zaak(n)
        store.create_zaak(
            Zaak(
                identificatie=zaak,
                zaaktype_code=ZAAKTYPE,
                zaaktype_omschrijving="Aanvraag levensonderhoud Participatiewet",
                omschrijving="Aanvraag levensonderhoud",
                startdatum=date(2026, 3, 1),
                registratiedatum=date(2026, 3, 1),
                initiator_bsn=BSN,
            )
        )
        for volgnummer in (1, 2, 3):
            store.add_status(
                zaak,
                ZaakStatus(
                    zaak_identificatie=zaak,
                    statustype_code=f"{ZAAKTYPE}-ST0{volgnummer}",
                    statustype_volgnummer=volgnummer,
                    datum_status_gezet=datetime(2026, 3, 1 + volgnummer, 9, 30, tzinfo=UTC),
                    zaaktype_code=ZAAKTYPE,
                ),
            )
        zaken.append(zaak)
    return zaken


def prepared_question(zaak: str, version: ZdsVersion) -> tuple[bytes, dict[str, str]]:
    """geefZaakdetails for ``zaak``: as GWS4all asks Ketenbrug (1.1) or Ketenbrug the e-Suite
    (1.2, the stuurgegevens the vragen answerer uses)."""
    zender, ontvanger = (GWS4ALL, CDR) if version is ZdsVersion.V1_1 else (KETENBRUG, ESUITE)
    message = GeefZaakdetails(
        new_stuurgegevens("Lv01", zender, ontvanger, entiteittype="ZAK"), zaak_identificatie=zaak
    )
    return build_message(message, version), _headers(soap_action_for(message, version))


@dataclass
class Latencies:
    name: str
    seconds: list[float]

    def pct(self, p: float) -> float:
        """The ``p``-th percentile in ms (nearest rank on the sorted samples)."""
        ordered = sorted(self.seconds)
        rank = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        return ordered[rank] * 1e3


class Stopwatch:
    """Adds up the time spent in the function it wraps (on any thread: the engine writes on
    several, so the sum may exceed the wall time)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.seconds = 0.0
        self.calls = 0
        self._lock = threading.Lock()

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent = time.perf_counter() - began
                with self._lock:
                    self.seconds += spent
                    self.calls += 1

        return timed

    def reset(self) -> None:
        self.seconds, self.calls = 0.0, 0

    @property
    def ms(self) -> float:
        return self.seconds / self.calls * 1e3 if self.calls else 0.0


@contextmanager
def instrumented(inbox: Inbox, answerer: Vragen) -> Iterator[dict[str, Stopwatch]]:
    """Time the stages of a question inside the inbox (instance attributes and two names in
    :mod:`sync.vragen`, put back afterwards): where Ketenbrug's share of a question goes."""
    watches = {
        name: Stopwatch(name)
        for name in ("receive", "zaakdetails", "key", "esuite", "pending", "build")
    }
    inbox.receive_file = watches["receive"].wrap(inbox.receive_file)  # type: ignore[method-assign]
    answerer._zaakdetails = watches["zaakdetails"].wrap(answerer._zaakdetails)  # type: ignore[method-assign]
    answerer._esuite_key = watches["key"].wrap(answerer._esuite_key)  # type: ignore[method-assign]
    client = answerer.client
    client.geef_zaakdetails = watches["esuite"].wrap(client.geef_zaakdetails)  # type: ignore[method-assign]
    pending, build = vragen_module.pending_zaak, vragen_module.zaken_antwoord
    vragen_module.pending_zaak = watches["pending"].wrap(pending)
    vragen_module.zaken_antwoord = watches["build"].wrap(build)
    try:
        yield watches
    finally:
        vragen_module.pending_zaak = pending
        vragen_module.zaken_antwoord = build


def check_answer(content: bytes, zaak: str) -> None:
    """A Ketenbrug answer holds the zaak in GWS4all's codes with its three statuses."""
    reply = parse_message(content)
    if not isinstance(reply, ZaakdetailsAntwoord) or reply.zaak is None:
        raise BenchFailure(f"inbox: no zaakdetails for a seeded zaak ({type(reply).__name__})")
    if reply.zaak.identificatie != zaak or reply.zaak.zaaktype_code != GWS4ALL_ZAAKTYPE:
        raise BenchFailure(f"inbox: unexpected zaak {reply.zaak.identificatie} in the answer")
    if len(reply.statussen) != 3:
        raise BenchFailure(f"inbox: {len(reply.statussen)} statuses, expected 3")


@dataclass
class QuestionFigures:
    direct: Latencies
    keten: Latencies
    hop: Latencies
    stages: dict[str, Stopwatch]


def questions(count: int, folder: Path, latency_ms: int = 0) -> QuestionFigures:
    """Interleaved direct (A) and through-Ketenbrug (B) questions, and after each pair a bare
    round trip to the inbox server (C, its ``/health``): what the extra hop GWS4all -> Ketenbrug
    costs before Ketenbrug does anything; and the stages of B, timed inside the inbox."""
    store, _env = fresh_state(folder / "vragen")
    esuite_server = make_esuite_server(faults=FaultConfig(latency_ms=latency_ms))
    with esuite_server:
        esuite_store = esuite_server.app.store  # type: ignore[attr-defined]
        zaken = seed_question_zaken(esuite_store, QUESTION_ZAKEN)
        config = EsuiteConfig(
            url=esuite_server.url + "/zds", zender=KETENBRUG, ontvanger=ESUITE, timeout_s=10.0
        )
        vragen = Vragen(
            store,
            EsuiteClient(config),
            mappings=load_tables(),
            budget_s=10.0,
            blob_root=folder / "vragen" / "blobs",
        )
        inbox = Inbox(store, blobs=BlobStore(folder / "vragen" / "blobs"), questions=vragen.answer)
        direct_q = [prepared_question(z, ZdsVersion.V1_2) for z in zaken]
        keten_q = [prepared_question(z, ZdsVersion.V1_1) for z in zaken]
        esuite_url = esuite_server.url + "/zds"
        direct, keten, hop = _session(), _session(), _session()
        try:
            with InboxServer(inbox) as inbox_server, instrumented(inbox, vragen) as stages:
                inbox_url = inbox_server.url

                def ask_direct(i: int) -> bytes:
                    body, headers = direct_q[i]
                    answer = direct.post(esuite_url, data=body, headers=headers, timeout=10)
                    if answer.status_code != 200:
                        raise BenchFailure(f"e-Suite direct: HTTP {answer.status_code}")
                    return answer.content

                def ask_keten(i: int) -> bytes:
                    body, headers = keten_q[i]
                    answer = keten.post(inbox_url, data=body, headers=headers, timeout=10)
                    if answer.status_code != 200:
                        raise BenchFailure(f"inbox: HTTP {answer.status_code}")
                    return answer.content

                for i in range(WARM_UP):
                    z = i % len(zaken)
                    if zaken[z].encode() not in ask_direct(z):
                        raise BenchFailure("e-Suite direct: the answer lacks the zaak")
                    check_answer(ask_keten(z), zaken[z])
                health = inbox_url + "health"
                hop.get(health, timeout=10).raise_for_status()
                for watch in stages.values():
                    watch.reset()
                a: list[float] = []
                b: list[float] = []
                c: list[float] = []
                clock = time.perf_counter
                for i in range(count):
                    z = i % len(zaken)
                    began = clock()
                    ask_direct(z)
                    a.append(clock() - began)
                    began = clock()
                    content = ask_keten(z)
                    b.append(clock() - began)
                    if b"antwoord" not in content:
                        raise BenchFailure("inbox: an answer without antwoord")
                    began = clock()
                    hop.get(health, timeout=10)
                    c.append(clock() - began)
        finally:
            direct.close()
            keten.close()
            hop.close()
            vragen.close()
            store.dispose()
    return QuestionFigures(
        Latencies("A e-Suite direct (ZDS 1.2, raw)", a),
        Latencies("B through Ketenbrug (1.1)", b),
        Latencies("C inbox /health GET (hop floor)", c),
        stages,
    )


def report_questions(count: int, figures: QuestionFigures, latency_ms: int = 0) -> None:
    a, b, c = figures.direct, figures.keten, figures.hop
    slow = f", e-Suite latency {latency_ms} ms added" if latency_ms else ""
    print(f"\n== 1. questions: geefZaakdetails, {count:,} of each, interleaved A, B, (C){slow}")
    header = f"{'':<34} {'p50':>9} {'p90':>9} {'p99':>9} {'mean':>9}"
    print(header)
    print("-" * len(header))
    for item in (a, b, c):
        mean = statistics.fmean(item.seconds) * 1e3
        print(
            f"{item.name:<34} {item.pct(50):6.2f} ms {item.pct(90):6.2f} ms "
            f"{item.pct(99):6.2f} ms {mean:6.2f} ms"
        )
    r50, r90, r99 = (b.pct(p) / a.pct(p) for p in (50, 90, 99))
    print(f"{'ratio B/A (Ketenbrug/direct)':<34} {r50:8.2f}x {r90:8.2f}x {r99:8.2f}x")
    added = b.pct(50) - a.pct(50)
    own = added - c.pct(50)
    print(
        f"Ketenbrug adds {added:.2f} ms at p50 ({r50 - 1:+.0%}): the extra hop to the inbox "
        f"{c.pct(50):.2f} ms (C), Ketenbrug's own work about {own:.2f} ms (B - A - C); "
        f"with no work at all the ratio would be {(a.pct(50) + c.pct(50)) / a.pct(50):.2f}x"
    )
    w = figures.stages
    b_mean = statistics.fmean(b.seconds) * 1e3
    a_mean = statistics.fmean(a.seconds) * 1e3
    zaak = w["zaakdetails"].ms
    esuite = w["esuite"].ms
    translate = zaak - w["key"].ms - esuite - w["pending"].ms - w["build"].ms
    print(f"where B's {b_mean:.2f} ms go on average (timed inside the inbox):")
    for label, ms, note in (
        ("HTTP to the inbox, app, spool", b_mean - w["receive"].ms, "C is the bare hop"),
        ("decode 1.1, budget thread pool", w["receive"].ms - zaak, "hand-off to kb-vraag"),
        ("identity map lookup", w["key"].ms, "a SQLite session"),
        ("e-Suite through EsuiteClient", esuite, f"A = {a_mean:.2f} ms: build, POST, parse"),
        ("read-your-writes (pending)", w["pending"].ms, "a SQLite session"),
        ("translate codes back", translate, "mapping tables"),
        ("build the 1.1 answer", w["build"].ms, "zakLa01"),
    ):
        print(f"  {label:<32} {ms:6.2f} ms  ({note})")
    verdict = "goal met" if r50 <= GOAL_P50 and r99 < GOAL_P99 else "goal missed"
    print(f"goal p50 ratio <= {GOAL_P50} and p99 ratio < {GOAL_P99}: {verdict}")


# ====================================================================== part 2: doorgifte
def aanvraag_zaak(n: int) -> str:
    return f"0153ESUITE{6_000_000 + n}"


def document_content(n: int) -> bytes:
    """About 20 KB, distinct per zaak (the SHA-256 of each document differs)."""
    head = b"%PDF-1.4 " + str(n).encode() + b" "
    return head + bytes([n % 251]) * (DOCUMENT_BYTES - len(head))


def aanvraag_document(zaak: str, content: bytes) -> Document:
    return Document(
        f"{zaak}-D0",
        "Bijlage aanvraag",
        zaak_identificatie=zaak,
        documenttype_omschrijving="Bijlage aanvraag",
        vertrouwelijkheid="VERTROUWELIJK",
        auteur="MijnLoket",
        bestandsnaam="bijlage.pdf",
        formaat="application/pdf",
        creatiedatum=TODAY,
        inhoud=content,
    )


def aanvraag(zaak: str) -> Zaak:
    return Zaak(
        zaak,
        ZAAKTYPE,
        omschrijving="Aanvraag via MijnLoket",
        startdatum=TODAY - timedelta(days=1),
        registratiedatum=TODAY - timedelta(days=1),
        initiator_bsn=BSN,
    )


def seed_aanvragen(store: EsuiteStore, count: int) -> list[str]:
    zaken = []
    for n in range(count):
        zaak = aanvraag_zaak(n)
        store.create_zaak(aanvraag(zaak))
        store.add_document(aanvraag_document(zaak, document_content(n)))
        zaken.append(zaak)
    return zaken


@dataclass
class Rate:
    name: str
    count: int
    seconds: float

    @property
    def per_s(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0


def floor_doorgifte(sample: int) -> Rate:
    """Raw SOAP to a fresh backoffice: creeerZaak + voegZaakdocumentToe per distinct zaak."""
    sg_zaak = new_stuurgegevens("Lk01", KETENBRUG, GWS4ALL, entiteittype="ZAK")
    sg_doc = new_stuurgegevens("Lk01", KETENBRUG, GWS4ALL, entiteittype="EDC")
    zaak = dataclasses.replace(aanvraag(FLOOR_ZAAK), zaaktype_code=GWS4ALL_ZAAKTYPE)
    creeer = CreeerZaak(sg_zaak, zaak=zaak)
    voeg = VoegZaakdocumentToe(sg_doc, aanvraag_document(FLOOR_ZAAK, document_content(0)))
    templates = [
        (build_message(m, ZdsVersion.V1_1), _headers(soap_action_for(m, ZdsVersion.V1_1)))
        for m in (creeer, voeg)
    ]
    if base64.b64encode(document_content(0)) not in templates[1][0]:
        raise BenchFailure("floor: the prepared voegZaakdocumentToe lacks its content")
    bodies = [
        [
            body.replace(FLOOR_DOC.encode(), f"{floor_zaak(n)}-D0".encode()).replace(
                FLOOR_ZAAK.encode(), floor_zaak(n).encode()
            )
            for body, _ in templates
        ]
        for n in range(sample + 1)
    ]
    server = make_gws4all_backoffice_server()
    session = _session()
    with server:
        url = server.url + "/stuf"

        def post(n: int) -> None:
            for body, (_, headers) in zip(bodies[n], templates, strict=True):
                answer = session.post(url, data=body, headers=headers, timeout=30)
                if answer.status_code != 200 or b"Bv03" not in answer.content:
                    raise BenchFailure(
                        f"GWS4all raw: HTTP {answer.status_code} {answer.text[:200]}"
                    )

        post(sample)  # warm
        began = time.perf_counter()
        for n in range(sample):
            post(n)
        seconds = time.perf_counter() - began
        held = server.snapshot()
        session.close()
    if len(held["zaken"]) != sample + 1 or len(held["documenten"]) != sample + 1:
        raise BenchFailure("floor: the second backoffice does not hold what was sent")
    return Rate("raw creeerZaak + voegZaakdocumentToe", sample, seconds)


def floor_zaak(n: int) -> str:
    return f"0153FLOOR{n:07d}"


@dataclass
class DoorgifteRun:
    seconds: float
    outcome: dict[str, object]
    growth_kb: int
    baseline_kb: int
    stages: dict[str, Stopwatch]


@contextmanager
def doorgifte_stages(client: EsuiteClient, gws: Gws4allClient) -> Iterator[dict[str, Stopwatch]]:
    """Time the reading (the source: e-Suite to blobs) and the handing over (the engine's
    batches) of the run, and each HTTP call to either side; the originals back afterwards."""
    watches = {name: Stopwatch(name) for name in ("read", "write", "esuite", "gws4all")}
    read_batch, run_batch = DoorgifteSource.read_batch, Engine.run_batch
    DoorgifteSource.read_batch = watches["read"].wrap(read_batch)  # type: ignore[method-assign]
    Engine.run_batch = watches["write"].wrap(run_batch)  # type: ignore[method-assign]
    client.post = watches["esuite"].wrap(client.post)  # type: ignore[method-assign]
    gws.post = watches["gws4all"].wrap(gws.post)  # type: ignore[method-assign]
    try:
        yield watches
    finally:
        DoorgifteSource.read_batch = read_batch  # type: ignore[method-assign]
        Engine.run_batch = run_batch  # type: ignore[method-assign]


def doorgifte_run(esuite_url: str, gws_url: str, env: dict[str, str], store: Store) -> DoorgifteRun:
    config = EsuiteConfig(url=esuite_url + "/", zender=KETENBRUG, ontvanger=ESUITE, timeout_s=30)
    client = EsuiteClient(config)
    gws = Gws4allClient(Gws4allOutboundConfig(url=gws_url + "/stuf", timeout_s=30))
    settings = load_settings({**env, "KETENBRUG_DATABASE_URL": store.url})
    baseline = _reset_peak()
    began = time.perf_counter()
    try:
        with doorgifte_stages(client, gws) as stages:
            outcome = run_doorgifte(
                esuite=client,
                lijst=EsuiteZaakLijst(config, client),
                gws4all=Gws4allTarget(gws),
                settings=settings,
                store=store,
                retry=RetryPolicy(attempts=3, wait_base_s=0.05, wait_max_s=0.5),
                budget_s=86_400.0,
                run_ref="bench",
            )
    finally:
        client.close()
        gws.close()
    seconds = time.perf_counter() - began
    return DoorgifteRun(seconds, outcome, _rss_kb("VmHWM") - baseline, baseline, stages)


def check_doorgifte(
    held: dict[str, Any], zaken: Sequence[str], outcome: dict[str, Any]
) -> list[str]:
    """What is wrong: GWS4all holds exactly the M zaken and M documents, each received once."""
    problems = []
    for kind, expected in (("zaken", set(zaken)), ("documenten", {f"{z}-D0" for z in zaken})):
        got = set(held[kind])
        if got != expected:
            problems.append(
                f"GWS4all holds {len(got)} {kind}, expected {len(expected)} "
                f"({len(expected - got)} missing, {len(got - expected)} not seeded)"
            )
    for kind in ("zaken", "documenten"):
        twice = [k for k, count in held["received"][kind].items() if count != 1]
        if twice:
            problems.append(f"{len(twice)} {kind} not received exactly once")
    if outcome.get("dead_lettered"):
        problems.append(f"dead_lettered = {outcome.get('dead_lettered')}")
    return problems


def doorgifte(count: int, folder: Path) -> tuple[Rate, DoorgifteRun, list[str]]:
    sample = min(FLOOR_SAMPLE, count)
    floor = floor_doorgifte(sample)
    print(f"floor measured ({sample:,} zaken); Ketenbrug run of {count:,} aanvragen", flush=True)
    store, env = fresh_state(folder / "doorgifte")
    try:
        with make_esuite_server() as esuite_server, make_gws4all_backoffice_server() as gws:
            zaken = seed_aanvragen(esuite_server.app.store, count)  # type: ignore[attr-defined]
            figures = doorgifte_run(esuite_server.url, gws.url, env, store)
            problems = check_doorgifte(gws.snapshot(), zaken, figures.outcome)
    finally:
        store.dispose()
    return floor, figures, problems


def report_doorgifte(count: int, floor: Rate, run: DoorgifteRun) -> None:
    rate = count / run.seconds
    print(f"\n== 2. doorgifte: {count:,} aanvragen, one document of {DOCUMENT_BYTES:,} bytes each")
    header = f"{'what':<40} {'zaken':>7} {'wall':>9} {'rate':>10} {'per zaak':>10}"
    print(header)
    print("-" * len(header))
    for name, n, seconds in (
        (floor.name, floor.count, floor.seconds),
        ("Ketenbrug run_doorgifte", count, run.seconds),
    ):
        print(
            f"{name:<40} {n:>7} {seconds:7.2f} s {n / seconds:8.1f}/s {seconds / n * 1e3:7.2f} ms"
        )
    print(f"run outcome: {run.outcome}")
    print(
        f"aanvragen/s {rate:.1f} = {rate / floor.per_s:.3f}x the floor ({floor.per_s:.0f} zaken/s "
        "at 2 raw round trips each)"
    )
    w = run.stages
    per = 1e3 / count
    print(
        f"where an aanvraag's {run.seconds * per:.2f} ms go (timed inside the run; batches of "
        "reading and handing over alternate, they do not overlap):"
    )
    print(
        f"  read from the e-Suite      {w['read'].seconds * per:6.2f} ms  "
        f"({w['esuite'].calls / count:.1f} ZDS 1.2 calls per aanvraag, {w['esuite'].ms:.2f} ms "
        "each: zaakdetails, document list, document read to the blob store)"
    )
    print(
        f"  hand over (engine batches) {w['write'].seconds * per:6.2f} ms  "
        f"({w['gws4all'].calls / count:.1f} GWS4all calls per aanvraag, {w['gws4all'].ms:.2f} ms "
        f"each on the engine's write threads vs {floor.seconds / floor.count / 2 * 1e3:.2f} ms raw "
        "one at a time; plan, ledger, identity map)"
    )
    rest = run.seconds - w["read"].seconds - w["write"].seconds
    print(f"  listing, selection, rest   {rest * per:6.2f} ms")
    print(
        f"peak RSS growth during the run: {run.growth_kb / 1024:.1f} MB (process RSS before: "
        f"{run.baseline_kb / 1024:.0f} MB, simulators and their seeded store included)"
    )


# ====================================================================== main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--questions", type=int, default=DEFAULT_QUESTIONS)
    parser.add_argument("--aanvragen", type=int, default=DEFAULT_AANVRAGEN)
    parser.add_argument("--quick", action="store_true", help="200 questions, 200 aanvragen")
    parser.add_argument(
        "--esuite-latency-ms",
        type=int,
        default=0,
        help="questions: the e-Suite simulator waits this long before each answer (A and B alike)",
    )
    parser.add_argument("--skip-questions", action="store_true")
    parser.add_argument("--skip-doorgifte", action="store_true")
    args = parser.parse_args(argv)
    n_questions = QUICK_QUESTIONS if args.quick else args.questions
    n_aanvragen = QUICK_AANVRAGEN if args.quick else args.aanvragen
    if n_questions < 1 or n_aanvragen < 1:
        parser.error("--questions and --aanvragen must be at least 1")
    parts = []
    if not args.skip_questions:
        parts.append(f"{n_questions:,} questions over {QUESTION_ZAKEN} zaken")
    if not args.skip_doorgifte:
        parts.append(f"{n_aanvragen:,} aanvragen")
    print(
        f"GWS4all benchmark: {', '.join(parts) or 'nothing'}; machine: {os.cpu_count()} cores, "
        "simulators and inbox in this process (threads), loopback only: compare ratios within "
        "one run"
    )
    folder = Path(tempfile.mkdtemp(prefix="kb-bench-gws4all-"))
    failures: list[str] = []
    try:
        if not args.skip_questions:
            try:
                figures = questions(n_questions, folder, args.esuite_latency_ms)
                report_questions(n_questions, figures, args.esuite_latency_ms)
            except Exception as exc:  # the set-up or a question failed outright
                failures.append(f"questions: {type(exc).__name__}: {exc}")
        if not args.skip_doorgifte:
            try:
                floor, run, problems = doorgifte(n_aanvragen, folder)
                report_doorgifte(n_aanvragen, floor, run)
                failures += [f"doorgifte: {p}" for p in problems]
                if not problems:
                    print(
                        f"check: GWS4all holds exactly the {n_aanvragen:,} zaken and "
                        f"{n_aanvragen:,} documents, each received once: OK"
                    )
            except Exception as exc:
                failures.append(f"doorgifte: {type(exc).__name__}: {exc}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

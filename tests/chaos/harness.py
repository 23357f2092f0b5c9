"""The chaos run: random, seeded interleavings of the real inbox, engine tasks and e-Suite.

One run: a fresh state store (SQLite file or a PostgreSQL schema), the e-Suite simulator over
HTTP, the inbox over plain HTTP, and a few hundred operations drawn from one
``random.Random(seed)``: pushes (duplicates, out of order, future-dated, unmapped, huge, broken,
documents), drains of a partition (alone, two at once in threads or in two processes), resends
(alone or two at once), beheer's resend requests, faults at the e-Suite (transient, permanent,
down), repartitioning, a mapping fixed, and kills of a task process at a crash point. Then a
quiesce phase (faults off, the sender re-sends what got no answer, drains and resends until
nothing changes) and :func:`tests.chaos.checker.check_all`.

The operation sequence follows from the seed; what the processes do in parallel does not, so a
replay (``bench/chaos.py --seed N``) runs the same operations, usually to the same finding.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import shutil
import subprocess
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import create_engine, text

from adapters.esuite.config import EsuiteConfig
from mappings.tables import DEFAULT_DIR
from privacy.masking import mask_text
from simulators.esuite import make_esuite_server
from simulators.faults import FaultConfig
from simulators.http import SimulatorServer
from stuf import Systeem
from sync.blobs import BlobStore
from sync.config import Settings, load_settings
from sync.engine import RetryPolicy
from sync.inbox import Inbox
from sync.inbox_app import InboxServer
from sync.resend import ResendRefused, request_resend
from sync.store.db import Store
from sync.tasks.zaken import run_zaken_partition, run_zaken_resends
from tests.chaos import messages
from tests.chaos.checker import check_all
from tests.chaos.model import FUTURE_YEAR, Model, Push

__all__ = ["CRASH_POINTS", "ChaosRun", "RunResult", "run_many"]

log = logging.getLogger("chaos")

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get(
    "KETENBRUG_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
)
FAST = RetryPolicy(attempts=3, wait_base_s=0.01, wait_max_s=0.05)
#: Claims (work batches, resends) of a run that failed in this process expire after this; a
#: killed process's claims are stale at once. Short, so the quiesce phase can wait it out.
LEASE_S = 3.0
BASE = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

#: Crash points and the task that passes them. Points not (yet) in the code never fire: the
#: process then simply finishes, which the run accepts.
CRASH_POINTS: dict[str, str] = {
    "after_intent": "drain",
    "before_target_write": "drain",
    "after_target_write": "drain",
    "resend_after_claim": "resend",
    "resend_before_outcome": "resend",
    "inbox_after_store": "inbox",
}

# (operation, weight)
OPERATIONS: tuple[tuple[str, int], ...] = (
    ("push_creeer", 10),
    ("push_status", 24),
    ("push_duplicate", 5),
    ("push_resent_copy", 4),
    ("push_out_of_order", 5),
    ("push_future", 2),
    ("push_unmapped", 3),
    ("push_broken", 2),
    ("push_huge", 1),
    ("push_document", 2),
    ("push_document_late_marker", 1),
    ("drain", 12),
    ("drain_concurrent", 4),
    ("resend", 4),
    ("resend_concurrent", 2),
    ("request_resends", 4),
    ("fix_mapping", 1),
    ("faults_transient", 3),
    ("faults_permanent", 1),
    ("faults_down", 2),
    ("faults_off", 3),
    ("repartition", 2),
    ("kill", 3),
    ("retry_unanswered", 2),
)


@dataclass
class RunResult:
    seed: int
    db: str
    operations: int
    violations: list[str]
    oplog: list[str]
    seconds: float
    subprocesses: int = 0

    @property
    def ok(self) -> bool:
        return not self.violations

    def replay(self) -> str:
        return f"bench/chaos.py --seed {self.seed} --db {self.db}"

    def report(self) -> str:
        lines = [
            f"chaos run seed={self.seed} db={self.db}: {self.operations} operations,"
            f" {len(self.violations)} violation(s), {self.seconds:.1f} s",
            *(f"  VIOLATION {v}" for v in self.violations),
            "  operations:",
            *(f"    {line}" for line in self.oplog),
            f"  replay: {self.replay()}",
        ]
        return "\n".join(lines)


@dataclass
class _Zaak:
    ident: str
    bsn: str
    created: bool = False
    moments: set[datetime] = field(default_factory=set)

    def newest(self) -> datetime:
        normal = [m for m in self.moments if m.year < FUTURE_YEAR]
        return max(normal, default=BASE)


class ChaosRun:
    """One seeded run in ``workdir`` against SQLite or PostgreSQL."""

    def __init__(
        self,
        seed: int,
        workdir: Path,
        *,
        db: str = "sqlite",
        operations: int | None = None,
        max_subprocesses: int = 4,
    ) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.db = db
        self.workdir = workdir
        self.home = workdir / "home"
        self.logs = workdir / "logs"
        self.mappings = workdir / "mappings"
        self.n_operations = operations or self.rng.randint(120, 260)
        self.n_zaken = self.rng.randint(6, 16)
        self.batch_size = self.rng.choice([2, 3, 5, 8, 20])
        self.partitions = self.rng.choice([1, 2, 3, 4])
        self.max_subprocesses = max_subprocesses
        self.subprocesses = 0
        self.model = Model()
        self.oplog: list[str] = []
        self.errors: list[str] = []
        self.zaken: list[_Zaak] = []
        self.documents = 0
        self._schema: str | None = None
        self._procs: list[subprocess.Popen[bytes]] = []

    # -- set-up ---------------------------------------------------------------------------
    def _database_url(self) -> str:
        if self.db == "sqlite":
            return f"sqlite:///{self.home / 'ketenbrug.db'}"
        self._schema = f"chaos_{uuid.uuid4().hex[:12]}"
        admin = create_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{self._schema}"'))
        admin.dispose()
        return f"{PG_URL}?options=-csearch_path%3D{self._schema}"

    def _drop_schema(self) -> None:
        if self._schema is None:
            return
        admin = create_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{self._schema}" CASCADE'))
        admin.dispose()

    def _settings(self) -> Settings:
        return load_settings(self._env())

    def _env(self) -> dict[str, str]:
        return {
            "KETENBRUG_HOME": str(self.home),
            "KETENBRUG_DATABASE_URL": self.url,
            "KETENBRUG_MAPPINGS_DIR": str(self.mappings),
            "KETENBRUG_PARTITIONS": str(self.partitions),
            "KETENBRUG_BATCH_SIZE": str(self.batch_size),
            "KETENBRUG_CLAIM_LEASE_S": str(LEASE_S),
        }

    def _esuite_config(self) -> EsuiteConfig:
        return EsuiteConfig(
            url=self.esuite.url,
            zender=Systeem("1900", "KB"),
            ontvanger=Systeem("0153", "ESUITE"),
            timeout_s=5.0,
        )

    # -- the run --------------------------------------------------------------------------
    def run(self) -> RunResult:
        started = time.monotonic()
        for folder in (self.home, self.logs, self.mappings):
            folder.mkdir(parents=True, exist_ok=True)
        for csv in DEFAULT_DIR.glob("*.csv"):
            shutil.copy(csv, self.mappings / csv.name)
        self.zaken = [
            _Zaak(f"CHAOS-{self.seed % 100000}-{n:03d}", messages.synthetic_bsn(n))
            for n in range(self.n_zaken)
        ]
        self.model.bsns = {z.ident: z.bsn for z in self.zaken}
        handler = logging.FileHandler(self.logs / "harness.log", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
        root = logging.getLogger()
        old_level = root.level
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        old_lease = os.environ.get("KETENBRUG_CLAIM_LEASE_S")
        os.environ["KETENBRUG_CLAIM_LEASE_S"] = str(LEASE_S)
        self.url = self._database_url()
        self.store = Store(self.url)
        violations: list[str] = []
        try:
            self.store.migrate()
            self.blobs = BlobStore(self.home / "blobs")
            self.esuite: SimulatorServer = make_esuite_server(
                faults=FaultConfig(seed=self.seed)
            ).start()
            self.inbox = InboxServer(Inbox(self.store, blobs=self.blobs)).start()
            self.log(
                f"setup zaken={self.n_zaken} batch_size={self.batch_size}"
                f" partitions={self.partitions} operations={self.n_operations}"
            )
            names = [name for name, _ in OPERATIONS]
            weights = [weight for _, weight in OPERATIONS]
            for index in range(self.n_operations):
                name = self.rng.choices(names, weights)[0]
                self._step(index, name)
            violations = self._quiesce()
            snapshot = self.esuite.app.store.snapshot()  # type: ignore[attr-defined]
            handler.flush()
            violations += check_all(
                self.model,
                self.store,
                snapshot,
                self.home / "blobs",
                sorted(self.logs.glob("*.log")),
            )
        finally:
            for proc in self._procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            if hasattr(self, "inbox"):
                self.inbox.stop()
            if hasattr(self, "esuite"):
                self.esuite.stop()
            self.store.dispose()
            self._drop_schema()
            if old_lease is None:
                os.environ.pop("KETENBRUG_CLAIM_LEASE_S", None)
            else:
                os.environ["KETENBRUG_CLAIM_LEASE_S"] = old_lease
            root.removeHandler(handler)
            root.setLevel(old_level)
            handler.close()
        return RunResult(
            self.seed,
            self.db,
            self.n_operations,
            violations,
            self.oplog,
            time.monotonic() - started,
            self.subprocesses,
        )

    def log(self, line: str) -> None:
        self.oplog.append(line)
        log.info("chaos %s", line)

    def _step(self, index: int, name: str) -> None:
        action: Callable[[], str] = getattr(self, f"_op_{name}")
        try:
            detail = action()
        except Exception as exc:  # an operation failing is data, not the end of the run
            detail = f"raised {type(exc).__name__}: {mask_text(str(exc))[:120]}"
            log.warning("chaos operation failed: %s", mask_text(traceback.format_exc()))
        self.log(f"{index:03d} {name} {detail}")

    # -- pushes ---------------------------------------------------------------------------
    def _push(self, push: Push, url: str | None = None) -> str:
        try:
            answer = requests.post(
                url or self.inbox.url,
                data=push.body,
                headers={"Content-Type": "text/xml; charset=utf-8"},
                timeout=60,
            )
        except requests.RequestException as exc:
            push.answers.append("no_answer")
            return f"no answer ({type(exc).__name__})"
        if answer.status_code == 200 and b"Bv03" in answer.content:
            push.answers.append("bv03")
            return "Bv03"
        push.answers.append("fault")
        return f"HTTP {answer.status_code}"

    def _zaak(self, created: bool | None = None) -> _Zaak:
        pool = [z for z in self.zaken if created is None or z.created == created]
        return self.rng.choice(pool or self.zaken)

    def _moment(self, zaak: _Zaak, *, older: bool = False) -> datetime:
        newest = zaak.newest()
        while True:
            if older and newest > BASE:
                span = int((newest - BASE).total_seconds() // 60)
                moment = BASE + timedelta(minutes=self.rng.randint(0, max(span - 1, 0)))
            else:
                moment = newest + timedelta(minutes=self.rng.randint(1, 600))
            if moment not in zaak.moments:
                zaak.moments.add(moment)
                return moment

    def _status_push(self, zaak: _Zaak, moment: datetime, code: str | None = None) -> Push:
        volgnummer = self.rng.randint(1, 12)
        code = code or f"GWS-AV-{volgnummer:02d}"
        body = messages.status(zaak.ident, code, volgnummer, moment)
        return Push("status", body, zaak=zaak.ident, gezet=moment, code=code)

    def _op_push_creeer(self) -> str:
        zaak = self._zaak(created=False)
        zaak.created = True
        push = self.model.add(
            Push("zaak", messages.creeer_zaak(zaak.ident, zaak.bsn), zaak=zaak.ident)
        )
        return f"{zaak.ident} -> {self._push(push)}"

    def _op_push_status(self) -> str:
        zaak = self._zaak(created=self.rng.random() < 0.9)
        push = self.model.add(self._status_push(zaak, self._moment(zaak)))
        return f"{zaak.ident} {push.code} {push.gezet:%Y-%m-%dT%H:%M} -> {self._push(push)}"

    def _op_push_out_of_order(self) -> str:
        zaak = self._zaak(created=True)
        push = self.model.add(self._status_push(zaak, self._moment(zaak, older=True)))
        return f"{zaak.ident} {push.code} {push.gezet:%Y-%m-%dT%H:%M} -> {self._push(push)}"

    def _op_push_future(self) -> str:
        zaak = self._zaak(created=True)
        moment = self._moment(zaak).replace(year=FUTURE_YEAR)
        zaak.moments.add(moment)
        push = self.model.add(self._status_push(zaak, moment))
        return f"{zaak.ident} {push.code} {moment:%Y-%m-%dT%H:%M} -> {self._push(push)}"

    def _op_push_unmapped(self) -> str:
        zaak = self._zaak(created=True)
        push = self.model.add(
            self._status_push(zaak, self._moment(zaak), code=self.model.unmapped_code)
        )
        return f"{zaak.ident} {push.code} {push.gezet:%Y-%m-%dT%H:%M} -> {self._push(push)}"

    def _op_push_duplicate(self) -> str:
        sent = [p for p in self.model.pushes if p.kind != "broken"]
        if not sent:
            return "nothing sent yet"
        push = self.rng.choice(sent)
        return f"same bytes again: {push.kind} {push.zaak} -> {self._push(push)}"

    def _op_push_resent_copy(self) -> str:
        """GWS4all sends a status again: new stuurgegevens, same status."""
        sent = [p for p in self.model.pushes if p.kind == "status"]
        if not sent:
            return "no status sent yet"
        old = self.rng.choice(sent)
        assert old.zaak is not None and old.gezet is not None and old.code is not None
        volgnummer = int(old.code[-2:]) if old.code[-2:].isdigit() else 5
        body = messages.status(old.zaak, old.code, volgnummer, old.gezet)
        push = self.model.add(Push("status", body, zaak=old.zaak, gezet=old.gezet, code=old.code))
        return f"{old.zaak} {old.code} {old.gezet:%Y-%m-%dT%H:%M} copy -> {self._push(push)}"

    def _op_push_broken(self) -> str:
        zaak = self._zaak()
        whole = messages.status(zaak.ident, "GWS-AV-01", 1, self._moment(zaak))
        body = messages.broken(whole, self.rng.randint(50, len(whole)))
        push = self.model.add(Push("broken", body, zaak=zaak.ident))
        return f"{len(body)} bytes cut -> {self._push(push)}"

    def _op_push_huge(self) -> str:
        zaak = self._zaak(created=True)
        push = self._status_push(zaak, self._moment(zaak))
        push.body = messages.padded(push.body, self.rng.choice([70_000, 300_000, 2_000_000]))
        self.model.add(push)
        return f"{zaak.ident} {len(push.body)} bytes -> {self._push(push)}"

    def _document(self, late_marker: bool) -> str:
        zaak = self._zaak(created=True)
        self.documents += 1
        doc_id = f"DOC-{self.seed % 100000}-{self.documents:03d}"
        size = self.rng.choice([100, 5_000, 300_000])
        body = messages.document(doc_id, zaak.ident, messages.pdf_bytes(self.documents, size))
        if late_marker:
            body = messages.padded(body, 70_000)
        push = self.model.add(Push("document", body, zaak=zaak.ident, document_id=doc_id))
        return f"{doc_id} {len(body)} bytes -> {self._push(push)}"

    def _op_push_document(self) -> str:
        return self._document(late_marker=False)

    def _op_push_document_late_marker(self) -> str:
        return self._document(late_marker=True)

    def _op_retry_unanswered(self) -> str:
        pending = self.model.unanswered()
        return ", ".join(f"{p.kind} -> {self._push(p)}" for p in pending) or "none"

    # -- tasks ----------------------------------------------------------------------------
    def _drain(self, partition: int) -> str:
        result = run_zaken_partition(
            partition,
            esuite=self._esuite_config(),
            settings=self._settings(),
            store=self.store,
            retry=FAST,
        ).as_dict()
        return "read={read} delivered={delivered} in_step={in_step} dead={dead_lettered}".format(
            **result
        )

    def _resend(self) -> str:
        result = run_zaken_resends(
            esuite=self._esuite_config(), settings=self._settings(), store=self.store, retry=FAST
        )
        return f"resends={result['resends']} delivered={result['delivered']}"

    def _threads(self, work: Callable[[], str]) -> str:
        """The same task twice at once, released together."""
        barrier = threading.Barrier(2)
        results: list[str] = ["", ""]

        def one(slot: int) -> None:
            barrier.wait()
            try:
                results[slot] = work()
            except Exception as exc:
                results[slot] = f"raised {type(exc).__name__}"
                log.warning("chaos thread failed: %s", mask_text(traceback.format_exc()))

        threads = [threading.Thread(target=one, args=(slot,)) for slot in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return " | ".join(results)

    def _op_drain(self) -> str:
        partition = self.rng.randrange(self.partitions)
        return f"p{partition}/{self.partitions} {self._drain(partition)}"

    def _op_drain_concurrent(self) -> str:
        partition = self.rng.randrange(self.partitions)
        if self.rng.random() < 0.3 and self.subprocesses + 2 <= self.max_subprocesses:
            procs = [self._spawn(["drain", str(partition)]) for _ in range(2)]
            codes = [self._wait(proc) for proc in procs]
            return f"p{partition}/{self.partitions} in 2 processes: exit {codes}"
        return f"p{partition}/{self.partitions} in 2 threads: " + self._threads(
            lambda: self._drain(partition)
        )

    def _op_resend(self) -> str:
        return self._resend()

    def _op_resend_concurrent(self) -> str:
        return self._threads(self._resend)

    def _op_request_resends(self) -> str:
        with self.store.session() as session:
            rows = session.execute(
                text("SELECT id, reason FROM dead_letter WHERE state = 'open' ORDER BY id")
            ).all()
        if not rows:
            return "no open dead letters"
        chosen = self.rng.sample(rows, min(len(rows), self.rng.randint(1, 3)))
        done = []
        for letter_id, reason in chosen:
            presses = self.rng.choice([1, 1, 2])
            for _ in range(presses):
                with contextlib.suppress(ResendRefused):
                    request_resend(self.store, letter_id, actor="chaos-beheer")
            done.append(f"{letter_id}({reason})x{presses}")
        return " ".join(done)

    def _op_fix_mapping(self) -> str:
        if self.model.mapping_fixed:
            return "already fixed"
        with (self.mappings / "statussen.csv").open("a", encoding="utf-8") as handle:
            handle.write(f"gws4all;{self.model.unmapped_code};5;Nieuwe code (chaos)\n")
        self.model.mapping_fixed = True
        return f"{self.model.unmapped_code} mapped"

    def _faults(self, config: FaultConfig) -> None:
        self.esuite.faults.configure(config)

    def _op_faults_transient(self) -> str:
        variants = self.rng.sample(
            ["http_503", "reset", "timeout", "lost_response", "fo02"], self.rng.randint(1, 3)
        )
        rate = self.rng.choice([0.1, 0.3, 0.6])
        self._faults(
            FaultConfig(
                transient_rate=rate,
                transient_variants=tuple(variants),
                hang_s=0.2,
                latency_ms=self.rng.choice([0, 2, 10]),
                duplicate_rate=0.0,
                seed=self.rng.randrange(1 << 30),
            )
        )
        return f"rate={rate} {','.join(variants)}"

    def _op_faults_permanent(self) -> str:
        self._faults(
            FaultConfig(
                permanent_rate=0.1,
                permanent_variants=("fo03",),
                seed=self.rng.randrange(1 << 30),
            )
        )
        return "fo03 rate=0.1"

    def _op_faults_down(self) -> str:
        self._faults(FaultConfig(transient_rate=1.0, transient_variants=("http_503",)))
        return "e-Suite down (every call 503)"

    def _op_faults_off(self) -> str:
        self._faults(FaultConfig())
        return "faults off"

    def _op_repartition(self) -> str:
        old = self.partitions
        self.partitions = self.rng.choice([n for n in (1, 2, 3, 4) if n != old])
        return f"KETENBRUG_PARTITIONS {old} -> {self.partitions}"

    # -- processes ------------------------------------------------------------------------
    def _spawn(self, args: list[str], crash_at: str | None = None) -> subprocess.Popen[bytes]:
        self.subprocesses += 1
        env = {
            **os.environ,
            **self._env(),
            "CHAOS_ESUITE_URL": self.esuite.url,
            "PYTHONPATH": str(ROOT),
        }
        env.pop("KETENBRUG_CRASH_AT", None)
        if crash_at:
            env["KETENBRUG_CRASH_AT"] = crash_at
        logfile = self.logs / f"proc-{self.subprocesses:02d}-{args[0]}.log"
        with logfile.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "tests.chaos.worker", *args],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self._procs.append(proc)
        return proc

    def _wait(self, proc: subprocess.Popen[bytes], timeout: float = 120) -> int:
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()

    def _op_kill(self) -> str:
        if self.subprocesses >= self.max_subprocesses:
            return "process budget spent"
        point = self.rng.choice(sorted(CRASH_POINTS))
        crash_at = f"{point}:{self.rng.randint(1, 3)}"
        task = CRASH_POINTS[point]
        if task == "inbox":
            return self._kill_inbox(crash_at)
        if task == "resend":
            self._op_request_resends()
            code = self._wait(self._spawn(["resend"], crash_at))
            return f"resend at {crash_at}: exit {code}"
        partition = self.rng.randrange(self.partitions)
        code = self._wait(self._spawn(["drain", str(partition)], crash_at))
        return f"drain p{partition}/{self.partitions} at {crash_at}: exit {code}"

    def _kill_inbox(self, crash_at: str) -> str:
        """An inbox process that dies at ``crash_at`` while the sender pushes to it."""
        port_file = self.workdir / f"inbox-port-{self.subprocesses}"
        proc = self._spawn(["inbox", str(port_file)], crash_at)
        deadline = time.monotonic() + 30
        while not port_file.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if not port_file.exists():
            return f"inbox process did not start (exit {proc.poll()})"
        url = port_file.read_text()
        answers = []
        for _ in range(3):
            if proc.poll() is not None:
                break
            zaak = self._zaak(created=True)
            push = self.model.add(self._status_push(zaak, self._moment(zaak)))
            answers.append(f"{zaak.ident} -> {self._push(push, url)}")
        proc.kill()
        code = self._wait(proc)
        return f"inbox at {crash_at}: {'; '.join(answers)}; exit {code}"

    # -- quiesce --------------------------------------------------------------------------
    def _fingerprint(self) -> tuple[Any, ...]:
        with self.store.session() as session:
            parts = [
                tuple(session.execute(text(sql)).all())
                for sql in (
                    "SELECT state, COUNT(*) FROM inbox_message GROUP BY state ORDER BY state",
                    "SELECT state, COUNT(*) FROM dead_letter GROUP BY state ORDER BY state",
                    "SELECT state, COUNT(*) FROM ledger_entry GROUP BY state ORDER BY state",
                    "SELECT state, COUNT(*) FROM work_batch GROUP BY state ORDER BY state",
                )
            ]
        counts = self.esuite.app.store.counts()  # type: ignore[attr-defined]
        return (*parts, counts["statussen"], counts["zaken"])

    def _quiesce(self) -> list[str]:
        """Faults off, answers for every push, then tasks until nothing changes."""
        violations: list[str] = []
        self._faults(FaultConfig())
        for push in self.model.unanswered():
            self.log(f"quiesce re-push {push.kind} {push.zaak} -> {self._push(push)}")
        beheer_done = False
        waited = 0
        for round_ in range(10):
            before = self._fingerprint()
            for partition in range(self.partitions):
                try:
                    self.log(f"quiesce drain p{partition} {self._drain(partition)}")
                except Exception as exc:
                    violations.append(
                        f"quiesce: drain of partition {partition} failed with faults off:"
                        f" {type(exc).__name__}: {str(exc)[:160]}"
                    )
            if not beheer_done:
                self.log(f"quiesce beheer {self._beheer_resends()}")
                beheer_done = True
            try:
                self.log(f"quiesce resend {self._resend()}")
            except Exception as exc:
                violations.append(
                    f"quiesce: resends failed with faults off: {type(exc).__name__}: {exc}"[:240]
                )
            if self._fingerprint() == before and round_ > 0:
                if not self._claims_held() or waited >= 2:
                    break
                waited += 1  # a claim of a failed run in this process: wait for its lease
                self.log(f"quiesce waiting {LEASE_S + 1:.0f} s for claims to expire")
                time.sleep(LEASE_S + 1)
        else:
            violations.append("quiesce: state still changing after 10 rounds")
        return violations

    def _claims_held(self) -> bool:
        with self.store.session() as session:
            held = session.execute(
                text(
                    "SELECT (SELECT COUNT(*) FROM work_batch WHERE state = 'open')"
                    " + (SELECT COUNT(*) FROM dead_letter WHERE state = 'resending')"
                )
            ).scalar()
        return bool(held)

    def _beheer_resends(self) -> str:
        """Beheer asks a resend of what a fix can help: a mapping added, a zaak now there."""
        with self.store.session() as session:
            rows = session.execute(
                text("SELECT id, reason FROM dead_letter WHERE state = 'open' ORDER BY id")
            ).all()
        asked = []
        for letter_id, reason in rows:
            if reason == "unmapped" and not self.model.mapping_fixed:
                continue
            if reason in ("invalid_message",):
                continue
            try:
                request_resend(self.store, letter_id, actor="chaos-beheer")
                asked.append(f"{letter_id}({reason})")
            except ResendRefused:
                pass
        return "requested " + (" ".join(asked) or "none")


def run_many(
    *,
    seconds: float,
    db: str,
    workroot: Path,
    seeds: list[int] | None = None,
    on_result: Callable[[RunResult], None] | None = None,
) -> list[RunResult]:
    """Runs with new seeds (or the given ones) until ``seconds`` are spent."""
    deadline = time.monotonic() + seconds
    results: list[RunResult] = []
    queue = list(seeds or [])
    while (queue and seeds) or (not seeds and time.monotonic() < deadline):
        seed = queue.pop(0) if queue else random.SystemRandom().randrange(1, 10**9)
        workdir = workroot / f"run-{seed}-{db}"
        result = ChaosRun(seed, workdir, db=db).run()
        if result.ok:
            shutil.rmtree(workdir, ignore_errors=True)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results

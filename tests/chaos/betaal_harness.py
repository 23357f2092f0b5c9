"""The betaal chaos run: random, seeded interleavings of the betaalspecificaties and
Suwinet-verrijking tasks against the SSD, Suwinet and e-Suite simulators.

One run: a fresh SQLite state store, the GWS4all SSD and Suwinet-Inkijk simulators over mTLS
(test CA) and the e-Suite simulator over HTTP, all in this process, and 30-70 operations drawn
from one ``random.Random(seed)``: new bijstandsaanvragen in the e-Suite, betaalspecificaties
runs (one or two periods; two at once in threads released by a barrier or in two processes),
corrections of a delivered specification in the SSD simulator (also one made while two runs
are asking, right after the first of them got the old version), Suwinet-verrijking runs (alone,
two at once), beheer's resend requests and ``run_suwinet_resends``, faults at each simulator,
and task processes killed at an engine crash point or at the moment the simulator receives
their n-th query (the query made, its answer and its doelbinding row never). Then a quiesce
phase and :func:`tests.chaos.betaal_checker.check_all`.

What the simulators saw is tapped in-process (every query with its full BSN and the operation
it came in), so the checker can compare it with the doelbinding log and the ledger without the
simulators' bounded, masked audit trail. The betaalspecificaties flow has no resend task, so
beheer's resend requests go to Suwinet dead letters only.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import text

from mappings.tables import DEFAULT_DIR
from privacy.masking import mask_text
from simulators.esuite import make_esuite_server
from simulators.faults import FaultConfig
from simulators.http import SimulatorServer
from simulators.ssd import make_ssd_server
from simulators.suwinet import make_suwinet_server
from simulators.synthetic import BetaalRegel, SyntheticData
from simulators.tls import SimulatorPki
from stuf import Zaak
from sync.betaalspecificaties import document_identificatie, specificatie_pdf
from sync.config import Settings, load_settings
from sync.identity import IdentityMap
from sync.pseudonym import bsn_ref
from sync.resend import ResendRefused, request_resend
from sync.store.db import Store
from tests.chaos.betaal_checker import BetaalModel, Query, check_all
from tests.chaos.betaal_worker import Endpoints, clients, run_task
from tests.chaos.harness import CRASH_POINTS, RunResult

__all__ = ["BetaalChaosRun", "BetaalRunResult", "run_many"]

log = logging.getLogger("chaos.betaal")

ROOT = Path(__file__).resolve().parents[2]
SECRET = "chaos-geheim-voor-hmac"
#: The simulators' population: a client index at or beyond it gets NietsGevonden from SSD.
CLIENT_COUNT = 400
PERIODS = ("2024-03", "2024-04")
AANVRAAG = date(2024, 12, 15)
ROUTED = "B1026"  # specificatie_routering.csv: gws4all -> esuite, and a bijstandsaanvraag
ENRICHED = ("B1026", "B1027")  # suwinet_verrijking.csv
OTHER = "B2010"  # neither: no specification, no Suwinet
LEASE_S = 3.0

#: Engine and resend crash points (tests/chaos/harness.py) and the tasks that pass them.
KILL_TASKS: dict[str, tuple[str, ...]] = {
    point: ("betaal", "suwinet") if task == "drain" else ("suwinet_resend",)
    for point, task in CRASH_POINTS.items()
    if task in ("drain", "resend")
}

OPERATIONS: tuple[tuple[str, int], ...] = (
    ("add_aanvraag", 8),
    ("betaal", 9),
    ("betaal_concurrent", 4),
    ("correction", 5),
    ("correction_during_runs", 3),
    ("suwinet", 8),
    ("suwinet_concurrent", 3),
    ("request_resends", 3),
    ("suwinet_resend", 3),
    ("faults_transient", 5),
    ("faults_permanent", 1),
    ("faults_off", 3),
    ("kill", 3),
    ("kill_mid_query", 2),
)


class BetaalRunResult(RunResult):
    """A run's result; replayed with ``bench/chaos.py --scenario betaal``."""

    def replay(self) -> str:
        return f"bench/chaos.py --scenario betaal --seed {self.seed}"


@dataclass
class _KillTrigger:
    """Kill ``proc`` when a simulator receives the ``remaining``-th query of this operation."""

    remaining: int
    ready: threading.Event = field(default_factory=threading.Event)
    proc: subprocess.Popen[bytes] | None = None
    fired: tuple[str, str] | None = None


@dataclass
class _Hold:
    """Hold the first e-Suite write of one document until a second write of it is done."""

    identificatie: str
    writes: int = 0
    second_done: threading.Event = field(default_factory=threading.Event)


#: How long a held write waits for the second one: below the clients' 5 s timeout.
HOLD_S = 3.0


class BetaalChaosRun:
    """One seeded run in ``workdir``; ``pki_dir`` holds a test CA (made once per workroot)."""

    def __init__(
        self,
        seed: int,
        workdir: Path,
        pki_dir: Path,
        *,
        operations: int | None = None,
        max_subprocesses: int = 5,
    ) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.workdir = workdir
        self.pki_dir = pki_dir
        self.home = workdir / "home"
        self.logs = workdir / "logs"
        self.n_operations = operations or self.rng.randint(30, 70)
        self.batch_size = self.rng.choice([2, 3, 5, 20])
        self.max_subprocesses = max_subprocesses
        self.subprocesses = 0
        self.model = BetaalModel(secret=SECRET, periods=PERIODS)
        self.oplog: list[str] = []
        self.op = 0
        self.corrections: dict[tuple[int, str], int] = {}
        self.mid_run_correction: tuple[int, str] | None = None
        self.periods_run: set[str] = set()
        self._lock = threading.Lock()
        self._trigger: _KillTrigger | None = None
        self._hold: _Hold | None = None
        self._recording = True
        self._procs: list[subprocess.Popen[bytes]] = []
        self._next_zaak = 0
        self._next_client = 0

    # -- set-up ---------------------------------------------------------------------------
    def _env(self) -> dict[str, str]:
        return {
            "KETENBRUG_HOME": str(self.home),
            "KETENBRUG_DATABASE_URL": self.url,
            "KETENBRUG_MAPPINGS_DIR": str(DEFAULT_DIR),
            "KETENBRUG_BATCH_SIZE": str(self.batch_size),
            "KETENBRUG_CLAIM_LEASE_S": str(LEASE_S),
        }

    def _settings(self) -> Settings:
        return load_settings(self._env())

    def _tap(self, server: SimulatorServer) -> None:
        """Record every query the simulator answers (full BSN, operation) before it answers."""
        app: Any = server.app
        original = app._record

        def record(service: str, bsn: str, outcome: str, environ: Any, **extra: str) -> None:
            original(service, bsn, outcome, environ, **extra)
            with self._lock:
                if not self._recording:
                    return
                self.model.queries.append(Query(service, bsn, outcome, self.op))
                trigger = self._trigger
                if trigger is None or trigger.fired is not None:
                    return
                trigger.remaining -= 1
                if trigger.remaining > 0:
                    return
                trigger.fired = (service, bsn)
            # Outside the lock: the answer is not sent yet, the asking process dies first.
            trigger.ready.wait(30)
            if trigger.proc is not None and trigger.proc.poll() is None:
                os.kill(trigger.proc.pid, signal.SIGKILL)
                trigger.proc.wait()

        app._record = record

    def _hold_writes(self, store: Any) -> None:
        """With a hold set: the first write of its document lands after the second one."""
        for name in (
            "add_document",
            "add_streamed_document",
            "update_document",
            "update_streamed_document",
        ):
            original = getattr(store, name)

            def write(document: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
                with self._lock:
                    hold = self._hold
                    mine = 0
                    if hold is not None and document.identificatie == hold.identificatie:
                        hold.writes += 1
                        mine = hold.writes
                if mine == 1 and hold is not None:
                    hold.second_done.wait(HOLD_S)
                try:
                    return _original(document, *args, **kwargs)
                finally:
                    if mine == 2 and hold is not None:
                        hold.second_done.set()

            setattr(store, name, write)

    def _corrected(self, data: SyntheticData) -> None:
        """Corrections beheer makes in GWS4all: the latest version of a period's spec."""
        original = data.betaalspecificatie

        def betaalspecificatie(index: int, periode: str, **kwargs: Any) -> Any:
            spec, correction = original(index, periode, **kwargs)
            spec = correction or spec
            with self._lock:
                count = self.corrections.get((index, periode), 0)
                if self.mid_run_correction == (index, periode):
                    # The first asker got the old version; everyone after it the new one.
                    self.corrections[(index, periode)] = count + 1
                    self.mid_run_correction = None
            if count:
                extra = BetaalRegel("COR", f"Correctie {count}", 100 * count + 7)
                spec = dataclasses.replace(
                    spec, versie=spec.versie + count, regels=(*spec.regels, extra)
                )
            return spec, None

        setattr(data, "betaalspecificatie", betaalspecificatie)  # noqa: B010 (an instance patch)

    # -- the run --------------------------------------------------------------------------
    def run(self) -> RunResult:
        started = time.monotonic()
        for folder in (self.home, self.logs):
            folder.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(self.logs / "harness.log", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
        root = logging.getLogger()
        old_level = root.level
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        old_lease = os.environ.get("KETENBRUG_CLAIM_LEASE_S")
        os.environ["KETENBRUG_CLAIM_LEASE_S"] = str(LEASE_S)
        self.url = f"sqlite:///{self.home / 'ketenbrug.db'}"
        self.store = Store(self.url)
        violations: list[str] = []
        servers: list[SimulatorServer] = []
        try:
            self.store.migrate()
            pki = SimulatorPki.load_or_create(self.pki_dir)
            ssd_data = SyntheticData(0)
            self._corrected(ssd_data)
            self.ssd = make_ssd_server(
                tls=pki, data=ssd_data, client_count=CLIENT_COUNT, faults=FaultConfig()
            ).start()
            servers.append(self.ssd)
            self.suwinet = make_suwinet_server(
                tls=pki, data=SyntheticData(0), client_count=CLIENT_COUNT, faults=FaultConfig()
            ).start()
            servers.append(self.suwinet)
            self.esuite = make_esuite_server(faults=FaultConfig(seed=self.seed)).start()
            servers.append(self.esuite)
            self._tap(self.ssd)
            self._tap(self.suwinet)
            self._hold_writes(self.esuite.app.store)  # type: ignore[attr-defined]
            self.endpoints = Endpoints(
                self.ssd.url, self.suwinet.url, self.esuite.url, self.pki_dir, SECRET
            )
            for _ in range(self.rng.randint(4, 8)):
                self._add_zaak(self._zaaktype(), self._new_client())
            self.log(
                f"setup zaken={len(self.model.zaken)} batch_size={self.batch_size}"
                f" operations={self.n_operations}"
            )
            self._settle()
            names = [name for name, _ in OPERATIONS]
            weights = [weight for _, weight in OPERATIONS]
            for _ in range(self.n_operations):
                self._step(self.rng.choices(names, weights)[0])
            violations = self._quiesce()
            with self._lock:
                self._recording = False
            handler.flush()
            found, notes = check_all(
                self.model,
                self.store,
                self.esuite.app.store,  # type: ignore[attr-defined]
                self._expected(),
                self.home / "blobs",
                sorted(self.logs.glob("*.log")),
                killed=sum(1 for p in self._procs if p.returncode in (137, -signal.SIGKILL)),
            )
            violations += found
            self.oplog += [f"note: {note}" for note in notes]
        finally:
            for proc in self._procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            for server in servers:
                server.stop()
            self.store.dispose()
            if old_lease is None:
                os.environ.pop("KETENBRUG_CLAIM_LEASE_S", None)
            else:
                os.environ["KETENBRUG_CLAIM_LEASE_S"] = old_lease
            root.removeHandler(handler)
            root.setLevel(old_level)
            handler.close()
        return BetaalRunResult(
            self.seed,
            "sqlite",
            self.n_operations,
            violations,
            self.oplog,
            time.monotonic() - started,
            self.subprocesses,
        )

    def log(self, line: str) -> None:
        self.oplog.append(line)
        log.info("chaos %s", line)

    def _step(self, name: str) -> None:
        self.op += 1
        action: Callable[[], str] = getattr(self, f"_op_{name}")
        try:
            detail = action()
        except Exception as exc:  # an operation failing is data, not the end of the run
            detail = f"raised {type(exc).__name__}: {mask_text(str(exc))[:120]}"
            log.warning("chaos operation failed: %s", mask_text(traceback.format_exc()))
        self._settle()
        self.log(f"{self.op:03d} {name} {detail}")

    def _settle(self) -> None:
        """After each operation: which Suwinet zaken the ledger now calls delivered."""
        with self.store.session() as session:
            keys = session.execute(
                text(
                    "SELECT source_key FROM ledger_entry"
                    " WHERE flow = 'suwinet' AND state = 'delivered'"
                )
            ).scalars()
            for key in keys:
                self.model.delivered_op.setdefault(key.removeprefix("suwinet:"), self.op)

    # -- the e-Suite's zaken ----------------------------------------------------------------
    def _new_client(self) -> int:
        """A new person: mostly one the SSD knows, sometimes one with no payment at all."""
        self._next_client += 1
        if self.rng.random() < 0.25:
            index = CLIENT_COUNT + 600 + self._next_client  # elfproef-valid, no client
        else:
            index = self.rng.randrange(CLIENT_COUNT)
            while index in self.model.bsns:
                index = (index + 1) % CLIENT_COUNT
        self.model.bsns[index] = SyntheticData(0).client(index).bsn
        return index

    def _zaaktype(self) -> str:
        return self.rng.choices([ROUTED, "B1027", OTHER], [6, 2, 1])[0]

    def _add_zaak(self, zaaktype: str, client: int) -> str:
        self._next_zaak += 1
        zaak = f"0153ESUITE{self.seed % 10_000:04d}{self._next_zaak:04d}"
        self.esuite.app.store.create_zaak(  # type: ignore[attr-defined]
            Zaak(
                zaak,
                zaaktype,
                startdatum=AANVRAAG,
                registratiedatum=AANVRAAG,
                initiator_bsn=self.model.bsns[client],
            )
        )
        with self.store.session() as session:
            IdentityMap(session).register("zaak", "esuite", zaak)
        self.model.add_zaak(zaak, zaaktype, client, self.op)
        return zaak

    def _op_add_aanvraag(self) -> str:
        known = sorted(self.model.bsns)
        client = self.rng.choice(known) if self.rng.random() < 0.2 else self._new_client()
        zaaktype = self._zaaktype()
        return f"{self._add_zaak(zaaktype, client)} {zaaktype} client {client}"

    # -- tasks ----------------------------------------------------------------------------
    def _task(self, command: str, periodes: list[str], slot: int = 0) -> str:
        results = run_task(
            command,
            periodes,
            self.endpoints,
            f"chaos-{self.op:03d}-t{slot}",
            settings=self._settings(),
            store=self.store,
        )
        return "; ".join(_summary(result) for result in results)

    def _threads(self, works: Sequence[Callable[[], str]]) -> str:
        """Tasks at once, released together by a barrier."""
        barrier = threading.Barrier(len(works))
        results = [""] * len(works)

        def one(slot: int) -> None:
            barrier.wait()
            try:
                results[slot] = works[slot]()
            except Exception as exc:
                results[slot] = f"raised {type(exc).__name__}: {mask_text(str(exc))[:80]}"
                log.warning("chaos thread failed: %s", mask_text(traceback.format_exc()))

        threads = [threading.Thread(target=one, args=(slot,)) for slot in range(len(works))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return " | ".join(results)

    def _periodes(self) -> list[str]:
        if self.rng.random() < 0.3:
            return list(PERIODS)
        return [self.rng.choice(PERIODS)]

    def _op_betaal(self) -> str:
        periodes = self._periodes()
        self.periods_run.update(periodes)
        return f"{','.join(periodes)} {self._task('betaal', periodes)}"

    def _op_betaal_concurrent(self) -> str:
        same = self.rng.random() < 0.7
        first = self.rng.choice(PERIODS)
        periodes = [first, first if same else next(p for p in PERIODS if p != first)]
        self.periods_run.update(periodes)
        if self.rng.random() < 0.3 and self.subprocesses + 2 <= self.max_subprocesses:
            procs = [self._spawn("betaal", [p], slot=n) for n, p in enumerate(periodes)]
            return f"{periodes} in 2 processes: exit {[self._wait(p) for p in procs]}"
        works = [functools.partial(self._task, "betaal", [p], n) for n, p in enumerate(periodes)]
        return f"{periodes} in 2 threads: {self._threads(works)}"

    def _paid_clients(self) -> list[int]:
        return sorted(
            {z.client for z in self.model.zaken if z.zaaktype == ROUTED and z.client < CLIENT_COUNT}
        )

    def _op_correction(self) -> str:
        clients_ = self._paid_clients()
        if not self.periods_run or not clients_:
            return "no period delivered yet"
        key = (self.rng.choice(clients_), self.rng.choice(sorted(self.periods_run)))
        with self._lock:
            self.corrections[key] = self.corrections.get(key, 0) + 1
            version = self.corrections[key]
        rerun = self.rng.random() < 0.6
        detail = f"client {key[0]} {key[1]} correction {version}"
        if rerun:
            detail += f"; rerun {self._task('betaal', [key[1]])}"
        return detail

    def _op_correction_during_runs(self) -> str:
        """Two runs of one period; the correction lands right after the first got the old, and
        the first write of the client's document reaches the e-Suite after the second."""
        clients_ = self._paid_clients()
        if not clients_:
            return "no paid client yet"
        key = (self.rng.choice(clients_), self.rng.choice(PERIODS))
        self.periods_run.add(key[1])
        ref = bsn_ref(SECRET, self.model.bsns[key[0]])
        with self._lock:
            self.mid_run_correction = key
            self._hold = _Hold(document_identificatie("gws4all", key[1], ref))
        works = [functools.partial(self._task, "betaal", [key[1]], n) for n in (0, 1)]
        outcome = self._threads(works)
        with self._lock:
            self.mid_run_correction = None
            writes = self._hold.writes if self._hold else 0
            self._hold = None
        return f"client {key[0]} {key[1]} ({writes} writes of its document): {outcome}"

    def _op_suwinet(self) -> str:
        return self._task("suwinet", [])

    def _op_suwinet_concurrent(self) -> str:
        commands = ["suwinet", self.rng.choice(["suwinet", "suwinet_resend"])]
        works = [functools.partial(self._task, c, [], n) for n, c in enumerate(commands)]
        return f"{commands}: {self._threads(works)}"

    def _op_suwinet_resend(self) -> str:
        return self._task("suwinet_resend", [])

    def _open_letters(self, flow: str) -> list[Any]:
        with self.store.session() as session:
            return list(
                session.execute(
                    text(
                        "SELECT id, reason FROM dead_letter WHERE state = 'open' AND flow = :flow"
                        " ORDER BY id"
                    ),
                    {"flow": flow},
                ).all()
            )

    def _op_request_resends(self) -> str:
        rows = self._open_letters("suwinet")
        if not rows:
            return "no open Suwinet dead letters"
        done = []
        for letter_id, reason in self.rng.sample(rows, min(len(rows), self.rng.randint(1, 3))):
            presses = self.rng.choice([1, 1, 2])
            for _ in range(presses):
                with contextlib.suppress(ResendRefused):
                    request_resend(self.store, letter_id, actor="chaos-beheer")
            done.append(f"{letter_id}({reason})x{presses}")
        return " ".join(done)

    # -- faults ---------------------------------------------------------------------------
    def _servers(self) -> dict[str, SimulatorServer]:
        return {"ssd": self.ssd, "suwinet": self.suwinet, "esuite": self.esuite}

    def _op_faults_transient(self) -> str:
        done = []
        for name in self.rng.sample(sorted(self._servers()), self.rng.randint(1, 3)):
            pool = ["http_503", "reset", "timeout", "lost_response"]
            if name == "esuite":
                pool.append("fo02")
            variants = self.rng.sample(pool, self.rng.randint(1, 3))
            rate = self.rng.choice([0.1, 0.3, 0.6])
            self._servers()[name].faults.configure(
                FaultConfig(
                    transient_rate=rate,
                    transient_variants=tuple(variants),
                    hang_s=0.2,
                    seed=self.rng.randrange(1 << 30),
                )
            )
            done.append(f"{name} rate={rate} {','.join(variants)}")
        return "; ".join(done)

    def _op_faults_permanent(self) -> str:
        """A refusal (FWI fault) at SSD or Suwinet: dead letters for beheer."""
        name = self.rng.choice(["ssd", "suwinet"])
        variant = self.rng.choice(["fwi", "soap_fault"])
        self._servers()[name].faults.configure(
            FaultConfig(
                permanent_rate=0.1,
                permanent_variants=(variant,),
                seed=self.rng.randrange(1 << 30),
            )
        )
        return f"{name} {variant} rate=0.1"

    def _faults_off(self) -> None:
        for server in self._servers().values():
            server.faults.configure(FaultConfig())

    def _op_faults_off(self) -> str:
        self._faults_off()
        return "faults off"

    # -- processes ------------------------------------------------------------------------
    def _spawn(
        self, command: str, periodes: list[str], crash_at: str | None = None, slot: int = 0
    ) -> subprocess.Popen[bytes]:
        self.subprocesses += 1
        env = {
            **os.environ,
            **self._env(),
            **self.endpoints.as_env(),
            "CHAOS_RUN_REF": f"chaos-{self.op:03d}-p{slot}",
            "PYTHONPATH": str(ROOT),
        }
        env.pop("KETENBRUG_CRASH_AT", None)
        if crash_at:
            env["KETENBRUG_CRASH_AT"] = crash_at
        logfile = self.logs / f"proc-{self.subprocesses:02d}-{command}.log"
        with logfile.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "tests.chaos.betaal_worker", command, *periodes],
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

    def _kill_task(self) -> tuple[str, list[str]]:
        command = self.rng.choice(["betaal", "betaal", "suwinet", "suwinet_resend"])
        if command == "suwinet_resend":
            self._op_request_resends()
        return command, (self._periodes() if command == "betaal" else [])

    def _op_kill(self) -> str:
        if self.subprocesses >= self.max_subprocesses:
            return "process budget spent"
        point = self.rng.choice(sorted(KILL_TASKS))
        command = self.rng.choice(KILL_TASKS[point])
        if command == "suwinet_resend":
            self._op_request_resends()
        periodes = self._periodes() if command == "betaal" else []
        self.periods_run.update(periodes)
        crash_at = f"{point}:{self.rng.randint(1, 3)}"
        code = self._wait(self._spawn(command, periodes, crash_at))
        return f"{command} {','.join(periodes)} at {crash_at}: exit {code}"

    def _op_kill_mid_query(self) -> str:
        """A task process killed when the simulator gets its n-th query, before the answer."""
        if self.subprocesses >= self.max_subprocesses:
            return "process budget spent"
        command, periodes = self._kill_task()
        self.periods_run.update(periodes)
        trigger = _KillTrigger(remaining=self.rng.randint(1, 6))
        with self._lock:
            self._trigger = trigger
        try:
            trigger.proc = self._spawn(command, periodes)
            trigger.ready.set()
            code = self._wait(trigger.proc)
        finally:
            trigger.ready.set()
            with self._lock:
                self._trigger = None
        if trigger.fired is not None:
            service, bsn = trigger.fired
            self.model.killed_mid_query.append((self.op, service, bsn))
            return f"{command} {','.join(periodes)} killed at query {service}: exit {code}"
        return f"{command} {','.join(periodes)} finished first: exit {code}"

    # -- quiesce --------------------------------------------------------------------------
    def _fingerprint(self) -> tuple[Any, ...]:
        with self.store.session() as session:
            parts = [
                tuple(session.execute(text(sql)).all())
                for sql in (
                    "SELECT flow, state, COUNT(*) FROM ledger_entry GROUP BY flow, state"
                    " ORDER BY flow, state",
                    "SELECT flow, state, COUNT(*) FROM dead_letter GROUP BY flow, state"
                    " ORDER BY flow, state",
                )
            ]
        snapshot = self.esuite.app.store.snapshot()  # type: ignore[attr-defined]
        documents = tuple(sorted((k, v["sha256"]) for k, v in snapshot["documenten"].items()))
        return (*parts, documents)

    def _claims_held(self) -> bool:
        with self.store.session() as session:
            held = session.execute(
                text(
                    "SELECT (SELECT COUNT(*) FROM work_batch WHERE state = 'open')"
                    " + (SELECT COUNT(*) FROM dead_letter WHERE state = 'resending')"
                )
            ).scalar()
        return bool(held)

    def _quiesce_task(self, command: str, periodes: list[str]) -> str | None:
        self.op += 1
        try:
            detail = self._task(command, periodes)
        except Exception as exc:
            self._settle()
            return (
                f"quiesce: {command} failed with faults off: {type(exc).__name__}: "
                + mask_text(str(exc))[:160]
            )
        self._settle()
        self.log(f"{self.op:03d} quiesce {command} {','.join(periodes)} {detail}")
        return None

    def _quiesce(self) -> list[str]:
        """Faults off, every Suwinet dead letter resent, then tasks until nothing changes."""
        self._faults_off()
        asked = []
        for letter_id, reason in self._open_letters("suwinet"):
            try:
                request_resend(self.store, letter_id, actor="chaos-beheer")
                asked.append(f"{letter_id}({reason})")
            except ResendRefused:
                pass
        self.log(f"quiesce beheer requested {' '.join(asked) or 'none'}")
        violations: list[str] = []
        waited = 0
        for round_ in range(8):
            before = self._fingerprint()
            for command, periodes in (
                ("suwinet_resend", []),
                ("suwinet", []),
                ("betaal", list(PERIODS)),
            ):
                failed = self._quiesce_task(command, periodes)
                if failed and round_ > 0:
                    violations.append(failed)
            if self._fingerprint() == before and round_ > 0:
                if not self._claims_held() or waited >= 2:
                    break
                waited += 1
                self.log(f"quiesce waiting {LEASE_S + 1:.0f} s for claims to expire")
                time.sleep(LEASE_S + 1)
        else:
            violations.append("quiesce: state still changing after 8 rounds")
        return violations

    def _expected(self) -> dict[tuple[int, str], str | None]:
        """The SHA-256 of each paid client's latest specification as the flow renders it."""
        expected: dict[tuple[int, str], str | None] = {}
        with clients(self.endpoints) as made:
            for client in self.model.betaal_clients():
                for periode in PERIODS:
                    spec = made.ssd.uitkeringsspecificatie(self.model.bsns[client], periode)
                    expected[(client, periode)] = (
                        hashlib.sha256(specificatie_pdf(spec)).hexdigest() if spec else None
                    )
        return expected


def _summary(result: dict[str, object]) -> str:
    keys = ("clienten", "zaken", "uitgevraagd", "resends", "delivered", "in_step", "niets_gevonden")
    shown = [f"{key}={result[key]}" for key in keys if key in result]
    shown += [f"dead={result.get('dead_lettered', 0)}", f"deferred={result.get('deferred', 0)}"]
    return " ".join(shown)


def run_many(
    *,
    seconds: float,
    workroot: Path,
    seeds: list[int] | None = None,
    on_result: Callable[[RunResult], None] | None = None,
) -> list[RunResult]:
    """Runs with new seeds (or the given ones) until ``seconds`` are spent."""
    deadline = time.monotonic() + seconds
    pki_dir = workroot / "pki"
    SimulatorPki.load_or_create(pki_dir)
    results: list[RunResult] = []
    queue = list(seeds or [])
    while (queue and seeds) or (not seeds and time.monotonic() < deadline):
        seed = queue.pop(0) if queue else random.SystemRandom().randrange(1, 10**9)
        workdir = workroot / f"betaal-{seed}"
        result = BetaalChaosRun(seed, workdir, pki_dir).run()
        if result.ok:
            shutil.rmtree(workdir, ignore_errors=True)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results

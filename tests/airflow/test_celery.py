"""The zaken flow on a real CeleryExecutor: scheduler, dag-processor, api-server, two workers.

Everything runs as local processes against Redis (broker) and PostgreSQL (Airflow's metadata
database and the state store), and the DAG runs because the scheduler schedules it (unpause,
trigger), never through ``dags test``. Mid-run one worker is killed with SIGKILL, process group
and all, as a lost machine would be; Airflow notices the missing heartbeats and retries the
lost task on the other worker, and the e-Suite still holds every status exactly once. The
zaken runs publish their Asset, so the scheduler then runs the documenten DAG, which must put
every letter once in the e-Suite, Xtendis (hot folder over a real sshd) and MyLex.
"""

from __future__ import annotations

import itertools
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
import requests
from sqlalchemy import bindparam, create_engine, func, make_url, select, text
from sqlalchemy.engine import Engine

from demo.airflow import CeleryAirflow, LocalAirflow, celery_env
from demo.run import esuite_connection
from simulators.esuite import make_esuite_server
from simulators.faults import FaultConfig
from simulators.gws4all import push_scenario
from simulators.mylex import MyLexArchive
from simulators.sftp.server import SshdServer
from simulators.sftp.testing import SftpArea
from simulators.xtendis import XtendisHotFolder
from sync.airflow_local import POOLS, connection_env
from sync.blobs import BlobStore
from sync.flows.zaken import FLOW_NAME
from sync.inbox import Inbox
from sync.inbox_app import InboxServer
from sync.store.db import Store
from sync.store.models import (
    BatchState,
    InboxMessage,
    InboxState,
    LedgerEntry,
    LedgerState,
    WorkBatch,
)
from tests.airflow.test_documenten_dag import sftp_connection
from tests.airflow.test_zaken_dag import expected_statuses

pytestmark = [pytest.mark.airflow, pytest.mark.slow, pytest.mark.postgres]

DAG_ID = "ketenbrug_zaken"
DOCUMENTEN = "ketenbrug_documenten"  # scheduled by the Asset every zaken run publishes
WORKERS = ("worker-a", "worker-b")
ESUITE_SLOTS = 2  # below the workers' 2 x 2 slots, so the pool, not the workers, is the cap
HEARTBEAT_TIMEOUT_S = 20
DEADLINE_S = 420


def _free_port() -> int:
    """A free port below the kernel's ephemeral range (32768-60999 here).

    The api-server binds its port a minute after it was picked; a port from the ephemeral
    range may be handed to someone's ``bind(0)`` or outgoing connection in between.
    """
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(20000, 32000)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below the ephemeral range")


def _redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """Redis on 127.0.0.1:6379, or a throwaway redis-server on a free port when none answers."""
    if _redis_answers("redis://127.0.0.1:6379/0"):
        yield "redis://127.0.0.1:6379/0"
        return
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail(
            "no Redis on 127.0.0.1:6379 and no redis-server (scripts/install-system-deps.sh)"
        )
    port = _free_port()
    folder = tempfile.mkdtemp(prefix="ketenbrug-redis-")
    process = subprocess.Popen(
        [server, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--dir", folder],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 20
        while not _redis_answers(url):
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail("the throwaway redis-server did not start")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def databases(pg_url: str) -> Iterator[tuple[str, str]]:
    """Two fresh databases on the test PostgreSQL: Airflow's metadata and the state store."""
    suffix = secrets.token_hex(5)
    names = (f"kb_airflow_{suffix}", f"kb_state_{suffix}")
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = make_url(pg_url)
    try:
        yield (
            base.set(database=names[0]).render_as_string(hide_password=False),
            base.set(database=names[1]).render_as_string(hide_password=False),
        )
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _forget_queue(url: str, queue: str) -> None:
    """Drop the test's queue and the lost worker's unacknowledged message from a shared Redis."""
    client = redis.Redis.from_url(url)
    client.delete(queue)
    for tag, raw in client.hgetall("unacked").items():
        if queue.encode() in raw:
            client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)


@dataclass
class Watch:
    """What the monitor saw while the runs went: the caps must hold at every look."""

    max_pool_running: int = 0
    max_runs_running: int = 0
    hosts_seen: set[str] = field(default_factory=set)
    victim: str | None = None
    lost_task: tuple[str, int] | None = None
    lost_batches: set[int] = field(default_factory=set)
    looks: int = 0


def _look(meta: Engine, watch: Watch) -> list[tuple[str, str]]:
    """One sample of the metadata database; returns the runs' (run_id, state)."""
    with meta.connect() as conn:
        pool_running = conn.execute(
            text("SELECT count(*) FROM task_instance WHERE pool = 'esuite' AND state = 'running'")
        ).scalar_one()
        runs = [
            (f"{dag_id}/{run_id}", str(state))
            for dag_id, run_id, state in conn.execute(
                text("SELECT dag_id, run_id, state FROM dag_run WHERE dag_id IN (:d, :e)"),
                {"d": DAG_ID, "e": DOCUMENTEN},
            )
        ]
        hosts = conn.execute(
            text("SELECT DISTINCT hostname FROM task_instance WHERE dag_id = :d"), {"d": DAG_ID}
        ).scalars()
        watch.hosts_seen.update(h for h in hosts if h)
    watch.looks += 1
    watch.max_pool_running = max(watch.max_pool_running, int(pool_running))
    for dag_id in (DAG_ID, DOCUMENTEN):
        running = sum(r.startswith(f"{dag_id}/") and s == "running" for r, s in runs)
        watch.max_runs_running = max(watch.max_runs_running, running)
    return runs


def _writing_partition(meta: Engine) -> tuple[str, str, int] | None:
    """A running ``deliver_gws4all`` try and the worker it runs on, if there is one."""
    with meta.connect() as conn:
        row = conn.execute(
            text(
                "SELECT hostname, run_id, map_index FROM task_instance WHERE dag_id = :d "
                "AND task_id = 'deliver_gws4all' AND state = 'running' AND hostname IN :hosts "
                "ORDER BY start_date LIMIT 1"
            ).bindparams(bindparam("hosts", expanding=True)),
            {"d": DAG_ID, "hosts": WORKERS},
        ).first()
    return (str(row[0]), str(row[1]), int(row[2])) if row else None


def test_celery_workers_survive_a_killed_worker_exactly_once(
    tmp_path: Path,
    redis_url: str,
    databases: tuple[str, str],
    sshd_server: SshdServer,
    sftp_area: SftpArea,
) -> None:
    started = time.monotonic()
    metadata_url, state_url = databases
    store = Store(state_url)
    store.migrate()
    queue = f"ketenbrug-test-{secrets.token_hex(4)}"
    api_port = _free_port()
    slow = FaultConfig(latency_ms=250)  # slow enough that a worker dies mid-partition
    meta = create_engine(metadata_url)
    with (
        make_esuite_server(faults=slow) as esuite,
        InboxServer(Inbox(store, blobs=BlobStore(tmp_path / "blobs"))) as inbox,
    ):
        pushed = push_scenario(inbox.url, zaken=24, duplicate_rate=0.1, seed=12)
        documents = {key.split(":")[2] for key in pushed.keys if key.startswith("document:")}
        assert documents, "the scenario pushed letters"
        env = {
            **celery_env(
                metadata_url=metadata_url,
                broker_url=redis_url,
                api_url=f"http://127.0.0.1:{api_port}",
                jwt_secret=secrets.token_urlsafe(32),
                queue=queue,
            ),
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": str(HEARTBEAT_TIMEOUT_S),
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "2",
            "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
            "KETENBRUG_HOME": str(tmp_path),
            "KETENBRUG_DATABASE_URL": state_url,
            "KETENBRUG_BATCH_SIZE": "20",
            **connection_env("ketenbrug_esuite", esuite_connection(esuite.url)),
            **connection_env(
                "ketenbrug_xtendis",
                sftp_connection(
                    sshd_server,
                    sshd_server.port,
                    hotfolder_dir=f"{sftp_area.remote}/xtendis/hotfolder",
                    receipts_dir=f"{sftp_area.remote}/xtendis/receipts",
                ),
            ),
            **connection_env(
                "ketenbrug_mylex",
                sftp_connection(
                    sshd_server, sshd_server.port, root_dir=f"{sftp_area.remote}/mylex"
                ),
            ),
        }
        (sftp_area.local / "mylex" / "archief").mkdir(parents=True)
        mylex = MyLexArchive(sftp_area.local / "mylex")
        airflow = LocalAirflow(tmp_path / "airflow", extra_env=env)
        airflow.prepare(pools={**POOLS, "esuite": (ESUITE_SLOTS, POOLS["esuite"][1])})
        cluster = CeleryAirflow(airflow)
        watch = Watch()
        xtendis = XtendisHotFolder(sftp_area.local / "xtendis", poll_interval=0.05).start()
        try:
            cluster.start("dag-processor", "dag-processor")
            cluster.start(
                "api-server",
                *("api-server", "--apps", "execution", "--host", "127.0.0.1"),
                *("--port", str(api_port), "--workers", "1"),
            )
            cluster.start("scheduler", "scheduler")
            for worker in WORKERS:
                cluster.start_worker(worker, queue)
            _wait_for_dag(meta, cluster, api_port)
            # As an operator would: unpause (the scheduler creates the due run) and one
            # manual run on top, which max_active_runs=1 must hold back until the first ends.
            assert airflow.airflow("dags", "unpause", DOCUMENTEN) == 0
            assert airflow.airflow("dags", "unpause", DAG_ID) == 0
            assert airflow.airflow("dags", "trigger", DAG_ID) == 0
            runs = _drive(meta, store, cluster, esuite, watch)
        finally:
            cluster.stop()
            xtendis.stop()
            meta.dispose()
            if _redis_answers(redis_url):
                _forget_queue(redis_url, queue)

        logs = "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-2500:]}"
            for p in sorted(airflow.home.glob("*.log"))
        )
        assert watch.victim is not None, f"no worker was ever seen running a partition\n{logs}"
        assert {s for _, s in runs} == {"success"}, f"{runs}\n{logs}"

        # Every status reached the e-Suite exactly once.
        expected = expected_statuses(pushed.keys)
        counts = esuite.app.store.counts()  # type: ignore[attr-defined]
        state = esuite.app.store.snapshot()  # type: ignore[attr-defined]
        delivered = [
            f"{zaak_id}:{status['volgnummer']}"
            for zaak_id, zaak in state["zaken"].items()
            for status in zaak["statussen"]
        ]
        assert len(delivered) == len(set(delivered)) == len(expected)
        assert counts["duplicate_statussen"] == 0
        assert counts["zaken"] == pushed.zaken
        # Every letter once in the e-Suite, in Xtendis and in MyLex, with the same content.
        esuite_documents = {d: doc["sha256"] for d, doc in state["documenten"].items()}
        assert set(esuite_documents) == documents
        kenmerken = Counter(_kenmerk(folder) for folder in xtendis.documents())
        assert set(kenmerken) == documents and max(kenmerken.values()) == 1, kenmerken
        assert {doc.identificatie: doc.sha256 for doc in mylex.inventory()} == esuite_documents
        with store.session() as session:
            left = session.query(InboxMessage).filter_by(state=InboxState.RECEIVED).count()
            lost = {
                batch.id: batch.state
                for batch in session.query(WorkBatch).filter(WorkBatch.id.in_(watch.lost_batches))
            }
            in_flight = session.query(LedgerEntry).filter_by(state=LedgerState.IN_FLIGHT).count()
        assert left == 0 and in_flight == 0
        # The batch the killed try held was released (its claim's owner was dead) and redone.
        assert set(lost.values()) == {BatchState.RELEASED}, lost
    store.dispose()

    # The lost try failed on the killed worker; Airflow retried it on the other one.
    survivor = next(w for w in WORKERS if w != watch.victim)
    tries = _tries(metadata_url, watch)
    assert tries[0] == watch.victim, tries
    assert tries[-1] == survivor and len(tries) >= 2, tries
    # Caps held across the two workers at every look.
    assert 0 < watch.max_pool_running <= ESUITE_SLOTS, watch
    assert watch.max_runs_running == 1, watch
    assert _runs_never_overlapped(metadata_url)
    assert set(WORKERS) <= watch.hosts_seen, watch
    print(f"celery test: {time.monotonic() - started:.0f} s, {watch.looks} looks, {tries}")


def _kenmerk(folder: Path) -> str:
    """The document a drop in Xtendis' archive is of (``kenmerk`` in its index.xml)."""
    match = re.search(rb"<(?:\w+:)?kenmerk>([^<]+)<", (folder / "index.xml").read_bytes())
    assert match, folder
    return match.group(1).decode()


def _wait_for_dag(meta: Engine, cluster: CeleryAirflow, api_port: int) -> None:
    """Until the dag-processor serialized the DAG (unpause needs it) and the api-server answers."""
    deadline = time.monotonic() + 240
    health = f"http://127.0.0.1:{api_port}/execution/health"
    while time.monotonic() < deadline:
        for name in cluster.processes:
            assert cluster.running(name), f"{name} died, see {cluster.airflow.home}/{name}.log"
        with meta.connect() as conn:
            found = conn.execute(
                text("SELECT count(DISTINCT dag_id) FROM serialized_dag WHERE dag_id IN (:d, :e)"),
                {"d": DAG_ID, "e": DOCUMENTEN},
            ).scalar_one()
        if found == 2 and _answers(health):
            return
        time.sleep(1)
    pytest.fail("the DAGs never serialized or the api-server never answered, see logs")


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _drive(
    meta: Engine, store: Store, cluster: CeleryAirflow, esuite: object, watch: Watch
) -> list[tuple[str, str]]:
    """Watch the runs; kill the worker of a partition caught between intent and outcome.

    The worker is frozen first (SIGSTOP on its process group), so the check that its batch is
    still open and its writes in flight cannot be overtaken by its own commit; then SIGKILL.
    """
    deadline = time.monotonic() + DEADLINE_S
    runs: list[tuple[str, str]] = []
    while time.monotonic() < deadline:
        runs = _look(meta, watch)
        zaken = [s for r, s in runs if r.startswith(f"{DAG_ID}/")]
        if len(zaken) == 2 and len(runs) > 2 and all(s in ("success", "failed") for _, s in runs):
            return runs
        writing = _writing_partition(meta) if watch.victim is None else None
        if writing and _open_batches(store, writing[2]):
            victim, run_id, map_index = writing
            cluster.signal(victim, signal.SIGSTOP)
            held = _open_batches(store, map_index)
            if held:
                cluster.kill(victim)
                watch.victim, watch.lost_task, watch.lost_batches = (
                    victim,
                    (run_id, map_index),
                    held,
                )
                esuite.faults.configure(FaultConfig())  # type: ignore[attr-defined]
            else:  # it committed just before the freeze: let it go on, try again
                cluster.signal(victim, signal.SIGCONT)
        time.sleep(0.25)
    return runs


def _open_batches(store: Store, partition: int) -> set[int]:
    """The partition's claimed batches, if the ledger also has writes in flight."""
    with store.session() as session:
        held = set(
            session.scalars(
                select(WorkBatch.id).where(
                    WorkBatch.flow == FLOW_NAME,
                    WorkBatch.partition == partition,
                    WorkBatch.state == BatchState.OPEN,
                )
            )
        )
        in_flight = session.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.flow == FLOW_NAME, LedgerEntry.state == LedgerState.IN_FLIGHT)
        )
    return held if in_flight else set()


def _tries(metadata_url: str, watch: Watch) -> list[str]:
    """Hostnames of the lost task's tries, in order (history, then the current try)."""
    assert watch.lost_task is not None
    run_id, map_index = watch.lost_task
    # Fixed SQL; only the values are bound.
    where = "dag_id = :d AND task_id = 'deliver_gws4all' AND run_id = :r AND map_index = :m"
    params = {"d": DAG_ID, "r": run_id, "m": map_index}
    engine = create_engine(metadata_url)
    try:
        with engine.connect() as conn:
            history = conn.execute(
                text(f"SELECT try_number, hostname FROM task_instance_history WHERE {where}"),  # noqa: S608
                params,
            ).all()
            current = conn.execute(
                text(f"SELECT try_number, hostname FROM task_instance WHERE {where}"),  # noqa: S608
                params,
            ).one()
    finally:
        engine.dispose()
    return [str(host) for _, host in sorted([*history, current])]


def _runs_never_overlapped(metadata_url: str) -> bool:
    """max_active_runs=1: each DAG's runs, ordered by start, end before the next starts."""
    engine = create_engine(metadata_url)
    try:
        with engine.connect() as conn:
            spans = {
                dag_id: conn.execute(
                    text(
                        "SELECT start_date, end_date FROM dag_run WHERE dag_id = :d "
                        "ORDER BY start_date"
                    ),
                    {"d": dag_id},
                ).all()
                for dag_id in (DAG_ID, DOCUMENTEN)
            }
    finally:
        engine.dispose()
    return all(
        earlier[1] <= later[0]
        for runs in spans.values()
        for earlier, later in itertools.pairwise(runs)
    )

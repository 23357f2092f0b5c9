"""Run Airflow for real on this machine: its own home, metadata database, pools and DAG tests.

Used by the demo, ``python -m demo ui`` and the tests; not production code (it lives beside
``sync/``, which never imports it). It drives the ``airflow`` command in a child process (so a
crash test can kill it), and imports nothing of Airflow itself.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from sync.airflow_local import DAGS_FOLDER, PLUGINS_FOLDER, POOLS, pools_json

__all__ = ["CeleryAirflow", "DagRunResult", "LocalAirflow", "celery_env", "free_port"]

_STATE = re.compile(r"DagRun Finished: dag_id=(\S+),.*?state=(\w+)")


def free_port(host: str = "127.0.0.1") -> int:
    """A port free on ``host`` now (for a server started just after)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class DagRunResult:
    dag_id: str
    state: str
    returncode: int
    log_path: Path


@dataclass
class LocalAirflow:
    """An Airflow installation in ``home``, with Ketenbrug's DAG folder and pools."""

    home: Path
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "AIRFLOW_HOME": str(self.home),
                "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
                "AIRFLOW__CORE__PLUGINS_FOLDER": str(PLUGINS_FOLDER),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.home / 'airflow.db'}",
                "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.home / "logs"),
                "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            }
        )
        env.update(self.extra_env)
        return env

    def airflow(self, *args: str, log_name: str | None = None, timeout: float = 900) -> int:
        """Run one ``airflow`` command; its output goes to a log file under ``home``."""
        self.home.mkdir(parents=True, exist_ok=True)
        log_path = self.home / (log_name or f"airflow-{args[0]}.log")
        command = [str(Path(sys.executable).parent / "airflow"), *args]
        with log_path.open("ab") as log:
            completed = subprocess.run(
                command, env=self.env(), stdout=log, stderr=subprocess.STDOUT, timeout=timeout
            )
        return completed.returncode

    def prepare(self, pools: Mapping[str, tuple[int, str]] = POOLS) -> None:
        """Metadata database and pools; safe to run again."""
        if self.airflow("db", "migrate") != 0:
            raise RuntimeError(f"airflow db migrate failed, see {self.home}/airflow-db.log")
        pools_file = self.home / "pools.json"
        pools_file.write_text(pools_json(pools), encoding="utf-8")
        if self.airflow("pools", "import", str(pools_file)) != 0:
            raise RuntimeError(f"airflow pools import failed, see {self.home}/airflow-pools.log")

    def start_dag_test(
        self, dag_id: str, *, log_name: str | None = None
    ) -> subprocess.Popen[bytes]:
        """Start ``airflow dags test`` without waiting: for tests that kill it from outside."""
        self.home.mkdir(parents=True, exist_ok=True)
        log = (self.home / (log_name or f"dagrun-{dag_id}.log")).open("ab")
        command = [str(Path(sys.executable).parent / "airflow"), "dags", "test", dag_id]
        return subprocess.Popen(command, env=self.env(), stdout=log, stderr=subprocess.STDOUT)

    def test_dag(
        self, dag_id: str, *, log_name: str | None = None, use_executor: bool = False
    ) -> DagRunResult:
        """One real DAG run in a child ``airflow dags test`` (tasks really execute).

        By default the tasks run in-process: quick, but they leave no task log files, so
        Airflow's UI cannot open their logs. With ``use_executor`` each task runs as the
        scheduler would run it (the LocalExecutor's supervised task process writes its log
        under ``logs/``); that needs an execution API server (:meth:`execution_api`).
        """
        name = log_name or f"dagrun-{dag_id}.log"
        log_path = self.home / name
        start = log_path.stat().st_size if log_path.exists() else 0
        args = ("dags", "test", dag_id, *(("--use-executor",) if use_executor else ()))
        returncode = self.airflow(*args, log_name=name)
        with log_path.open("rb") as handle:
            handle.seek(start)
            text = handle.read().decode("utf-8", "replace")
        states = [state for dag, state in _STATE.findall(text) if dag == dag_id]
        return DagRunResult(dag_id, states[-1] if states else "unknown", returncode, log_path)

    @contextlib.contextmanager
    def execution_api(self, *, timeout: float = 180) -> Iterator[str]:
        """``airflow api-server`` while the block runs, for ``test_dag(use_executor=True)``.

        Task processes report to the execution API at
        ``AIRFLOW__CORE__EXECUTION_API_SERVER_URL`` (which must be set, with a shared
        ``AIRFLOW__API_AUTH__JWT_SECRET``); the server listens where that URL points.
        Yields the server's base URL; stops it (and only it) when the block ends.
        """
        env = self.env()
        api_url = env.get("AIRFLOW__CORE__EXECUTION_API_SERVER_URL", "")
        if not api_url or "AIRFLOW__API_AUTH__JWT_SECRET" not in env:
            raise ValueError("execution_api needs EXECUTION_API_SERVER_URL and a JWT secret")
        base = api_url.split("/execution", 1)[0].rstrip("/")
        host, _, port = base.split("://", 1)[1].partition(":")
        server = CeleryAirflow(self)
        server.start("execution-api", "api-server", "--host", host, "--port", port)
        deadline = time.monotonic() + timeout
        try:
            while not _healthy(f"{base}/api/v2/monitor/health"):
                if not server.running("execution-api"):
                    raise RuntimeError(f"airflow api-server stopped; see {self.home}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"airflow api-server not up within {timeout:.0f} s")
                time.sleep(0.5)
            yield base
        finally:
            server.stop()


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 (loopback URL)
            return bool(answer.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def celery_env(
    *,
    metadata_url: str,
    broker_url: str,
    api_url: str,
    jwt_secret: str,
    queue: str = "default",
) -> dict[str, str]:
    """Airflow settings of one CeleryExecutor installation, shared by all its processes.

    The same variables configure docker-compose (there from Docker secrets, as ``*_CMD``).
    Airflow 3 workers run tasks through the task SDK: they talk to the api-server's execution
    API, which checks the token the scheduler signed with ``jwt_secret``.
    """
    return {
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url,
        "AIRFLOW__CELERY__BROKER_URL": broker_url,
        "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + metadata_url,
        "AIRFLOW__OPERATORS__DEFAULT_QUEUE": queue,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": api_url.rstrip("/") + "/execution/",
        "AIRFLOW__API__BASE_URL": api_url,
        "AIRFLOW__API_AUTH__JWT_SECRET": jwt_secret,
        "AIRFLOW__API__SECRET_KEY": jwt_secret,
        "AIRFLOW__CORE__HOSTNAME_CALLABLE": "sync.airflow_local.worker_hostname",
    }


@dataclass
class CeleryAirflow:
    """Airflow's long-running processes (scheduler, workers, ...) started as children.

    Each runs in its own session (process group), so :meth:`kill` takes a whole worker down,
    pool children and task processes included, the way a lost machine would.
    """

    airflow: LocalAirflow
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _logs: list[IO[bytes]] = field(default_factory=list)

    def start(self, name: str, *args: str, env: Mapping[str, str] | None = None) -> None:
        """Start ``airflow <args>`` as ``name``; its output goes to ``home/<name>.log``."""
        self.airflow.home.mkdir(parents=True, exist_ok=True)
        log = (self.airflow.home / f"{name}.log").open("ab")
        self._logs.append(log)
        command = [str(Path(sys.executable).parent / "airflow"), *args]
        self.processes[name] = subprocess.Popen(
            command,
            env={**self.airflow.env(), **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_worker(self, name: str, queue: str, concurrency: int = 2) -> None:
        """One Celery worker named ``name`` (its tasks record it as their hostname)."""
        self.start(
            name,
            "celery",
            "worker",
            "--queues",
            queue,
            "--concurrency",
            str(concurrency),
            "--celery-hostname",
            f"{name}@{socket.gethostname()}",
            "--skip-serve-logs",
            env={"KETENBRUG_WORKER_NAME": name},
        )

    def signal(self, name: str, sig: int) -> None:
        """Send ``sig`` to every process of ``name``'s session, in every process group.

        Airflow's task supervisor puts each task in a process group of its own, so signalling
        the worker's group alone would leave its tasks running: a lost machine loses them all.
        """
        session = self.processes[name].pid
        signalled: set[int] = set()
        while groups := _session_groups(session) - signalled:  # again: a task may just fork
            for group in groups:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(group, sig)
            signalled |= groups

    def kill(self, name: str) -> None:
        """SIGKILL everything ``name`` started (the worker and its tasks) and reap it."""
        self.signal(name, signal.SIGKILL)
        self.processes[name].wait(timeout=30)

    def running(self, name: str) -> bool:
        return self.processes[name].poll() is None

    def stop(self, grace_s: float = 10.0) -> None:
        """SIGTERM every process, SIGKILL what is left after ``grace_s`` (tasks included)."""
        for name in self.processes:
            self.signal(name, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        for name, process in self.processes.items():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            self.signal(name, signal.SIGKILL)  # stragglers of the session, too
            process.wait()
        for log in self._logs:
            log.close()
        self._logs.clear()


def _session_groups(session: int) -> set[int]:
    """Process groups of the live processes in ``session`` (Linux: read from /proc)."""
    groups: set[int] = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if os.getsid(int(entry.name)) == session:
                    groups.add(os.getpgid(int(entry.name)))
    return groups

"""``./run ui`` (``python -m demo ui``): Airflow's UI on the demo's state, to look at what it did.

Starts ``airflow api-server``, ``scheduler`` and ``dag-processor`` on the demo's Airflow home
and ``KETENBRUG_HOME`` (the state store the beheer pages read), with Airflow's
SimpleAuthManager and two demo logins: a beheerder who may operate and a kijker who may only
look. Stops every process it started on Ctrl-C. Imports nothing of Airflow (it drives the
``airflow`` command, through :mod:`demo.airflow`).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import httpx

from demo.airflow import CeleryAirflow, LocalAirflow, free_port

__all__ = [
    "DEMO_USERS",
    "NOISY_LOGGERS",
    "SIMPLE_AUTH_MANAGER",
    "RunningUi",
    "demo_home",
    "run_ui",
    "start_ui",
    "ui_env",
]

SIMPLE_AUTH_MANAGER = (
    "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
)
#: name -> (SimpleAuthManager role, password). ``op`` may run flows and see Connections.
DEMO_USERS: dict[str, tuple[str, str]] = {
    "beheerder": ("op", "beheer-demo"),
    "kijker": ("viewer", "kijk-demo"),
}
#: Loggers that fill a task log with framework detail at INFO; Ketenbrug's own stay at INFO.
NOISY_LOGGERS = (
    "httpx=WARNING httpcore=WARNING paramiko=WARNING asyncssh=WARNING "
    "sqlalchemy=WARNING alembic=WARNING urllib3=WARNING airflow.task.hooks=WARNING"
)
PROCESSES = ("api-server", "scheduler", "dag-processor")


def demo_home() -> Path:
    """Where ``./run demo`` left its state (``KETENBRUG_DEMO_HOME`` or ``.ketenbrug/demo``)."""
    return Path(os.environ.get("KETENBRUG_DEMO_HOME", Path.cwd() / ".ketenbrug" / "demo"))


def _secret(home: Path) -> str:
    """One secret per Airflow home, kept (0600) so tokens survive a restart of ``ui``."""
    path = home / "ui-secret"
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


def ui_env(
    home: Path, url: str, users: Mapping[str, tuple[str, str]] = DEMO_USERS
) -> dict[str, str]:
    """Airflow settings shared by the three processes (and by the demo's own runs)."""
    airflow_home = home / "airflow"
    passwords = airflow_home / "passwords.json"
    airflow_home.mkdir(parents=True, exist_ok=True)
    passwords.write_text(json.dumps({name: pw for name, (_, pw) in users.items()}))
    passwords.chmod(0o600)
    secret = _secret(airflow_home)
    return {
        "KETENBRUG_HOME": str(home),
        "KETENBRUG_DATABASE_URL": f"sqlite:///{home / 'ketenbrug.db'}",
        "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH_MANAGER,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(
            f"{name}:{role}" for name, (role, _) in users.items()
        ),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{url}/execution/",
        "AIRFLOW__API__BASE_URL": url,
        "AIRFLOW__API__SECRET_KEY": secret,
        "AIRFLOW__API_AUTH__JWT_SECRET": secret,
        "AIRFLOW__LOGGING__NAMESPACE_LEVELS": NOISY_LOGGERS,
    }


@dataclass
class RunningUi:
    url: str
    processes: CeleryAirflow

    def stop(self) -> None:
        self.processes.stop(grace_s=20)


def start_ui(
    home: Path, *, host: str = "127.0.0.1", port: int = 0, timeout: float = 180
) -> RunningUi:
    """Prepare the demo's Airflow home and start its three processes; returns once healthy."""
    port = port or free_port(host)
    url = f"http://{host}:{port}"
    env = ui_env(home, url)
    airflow = LocalAirflow(home / "airflow", extra_env=env)
    airflow.prepare()  # metadata database and pools: a no-op after the demo
    processes = CeleryAirflow(airflow)
    processes.start("api-server", "api-server", "--host", host, "--port", str(port))
    processes.start("scheduler", "scheduler")
    processes.start("dag-processor", "dag-processor")
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            for name in PROCESSES:
                if not processes.running(name):
                    log = airflow.home / f"{name}.log"
                    raise RuntimeError(f"airflow {name} stopped; see {log}")
            try:
                if httpx.get(f"{url}/api/v2/monitor/health", timeout=2).status_code == 200:
                    return RunningUi(url, processes)
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"Airflow answered not within {timeout:.0f} s; see {airflow.home}")
    except BaseException:
        processes.stop()
        raise


def run_ui(
    home: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    out: TextIO | None = None,
    started: Callable[[RunningUi], None] | None = None,
) -> int:
    """Start, print the address and the logins, wait for Ctrl-C (or SIGTERM), stop cleanly."""
    import sys

    out = out or sys.stdout
    if not (home / "airflow" / "airflow.db").exists():
        print(
            f"Nog geen demo in {home}: start eerst ./run demo (de UI start wel, maar leeg).",
            file=out,
        )
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        print(f"Airflow starten op de demo in {home} ...", file=out, flush=True)
        ui = start_ui(home, host=host, port=port)
        try:
            print(f"\nAirflow UI:        {ui.url}/", file=out)
            print(f"Ketenbrug beheer:  {ui.url}/beheer/ (ook in het menu van Airflow)", file=out)
            for name, (role, password) in DEMO_USERS.items():
                what = "mag bedienen" if role != "viewer" else "alleen kijken"
                print(f"  inloggen: {name} / {password}  ({what})", file=out)
            print(f"Logs van Airflow: {home / 'airflow'}/*.log", file=out)
            print("Stoppen: Ctrl-C", file=out, flush=True)
            if started is not None:
                started(ui)
            while not stop.wait(1.0):
                for name in PROCESSES:
                    if not ui.processes.running(name):
                        print(f"airflow {name} stopte onverwacht; alles stoppen", file=out)
                        return 1
        finally:
            print("Airflow stoppen ...", file=out, flush=True)
            ui.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("gestopt", file=out, flush=True)
    return 0

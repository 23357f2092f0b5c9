"""The demo: every flow against the simulators, run through Airflow, with a readable summary.

What it shows (``./run demo``): GWS4all pushes zaken and statuses to the inbox (some twice,
some broken, one with a status code nobody mapped); Airflow runs the zaken DAG for real; the
e-Suite simulator ends up with each status exactly once; a second round of the same pushes
changes nothing. Faults are injected on the e-Suite side so the retries have work to do.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from stuf.privacy import install_log_masking
from sync.airflow_local import LocalAirflow, connection_env
from sync.config import Settings, load_settings
from sync.inbox import Inbox
from sync.inbox_app import InboxServer
from sync.store.db import open_store
from sync.store.models import utcnow
from sync.summary import flow_report, format_report

__all__ = ["esuite_connection", "run_demo"]


def esuite_connection(url: str) -> dict[str, object]:
    """The ``ketenbrug_esuite`` Connection (JSON form) for an e-Suite at ``url``."""
    scheme, rest = url.split("://", 1)
    hostport, _, path = rest.partition("/")
    host, _, port = hostport.partition(":")
    return {
        "conn_type": "http",
        "host": host,
        "port": int(port) if port else None,
        "schema": scheme,
        "extra": {
            "path": "/" + path,
            "timeout_s": 10,
            "zender": {"organisatie": "1900", "applicatie": "Ketenbrug"},
            "ontvanger": {"organisatie": "0153", "applicatie": "ESUITE"},
        },
    }


def _settings_for(home: Path) -> Settings:
    env = dict(os.environ)
    env["KETENBRUG_HOME"] = str(home)
    env.pop("KETENBRUG_DATABASE_URL", None)
    return load_settings(env)


def allegro_connection(host: str, port: int, username: str, key: str, host_key: str) -> dict:
    """The ``ketenbrug_allegro`` Connection (JSON form): SFTP with the host key pinned."""
    return {
        "conn_type": "sftp",
        "host": host,
        "port": port,
        "login": username,
        "extra": {
            "private_key_path": key,
            "known_hosts_line": host_key,
            "export_dir": "allegro/export",
            "return_dir": "allegro/return",
        },
    }


def run_demo(*, zaken: int = 40, seed: int = 2026) -> int:
    from simulators.allegro import AllegroExporter
    from simulators.esuite import make_esuite_server
    from simulators.faults import FaultConfig
    from simulators.gws4all import push_scenario
    from simulators.sftp.client import pinned_line
    from simulators.sftp.server import SshdServer

    install_log_masking()
    home = Path(os.environ.get("KETENBRUG_DEMO_HOME", Path.cwd() / ".ketenbrug" / "demo"))
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    settings = _settings_for(home)
    store = open_store(settings)
    started = utcnow()
    faults = FaultConfig(transient_rate=0.1, seed=seed, transient_variants=("http_503",))
    file_faults = FaultConfig(
        transient_rate=0.15, permanent_rate=0.1, duplicate_rate=0.15, seed=seed
    )
    print(f"Ketenbrug demo in {home}")
    with (
        make_esuite_server(faults=faults) as esuite,
        InboxServer(Inbox(store)) as inbox,
        SshdServer(state_dir=home / "sftp") as sshd,
    ):
        exporter = AllegroExporter(
            sshd.root / "allegro", seed=seed, faults=file_faults, unmapped_rate=0.03
        )
        print(f"  e-Suite simulator (ZDS 1.2)  {esuite.url}")
        print(f"  Ketenbrug inbox (ZDS 1.1)    {inbox.url}")
        print(f"  Allegro (SFTP, echte sshd)   sftp://{sshd.host}:{sshd.port}/allegro")
        host_key = pinned_line(sshd)
        airflow = LocalAirflow(
            home / "airflow",
            extra_env={
                "KETENBRUG_HOME": str(home),
                "KETENBRUG_DATABASE_URL": settings.database_url,
                **connection_env("ketenbrug_esuite", esuite_connection(esuite.url)),
                **connection_env(
                    "ketenbrug_allegro",
                    allegro_connection(
                        sshd.host, sshd.port, sshd.username, str(sshd.client_key_path), host_key
                    ),
                ),
            },
        )
        print("  Airflow: metadata database en pools klaarzetten ...")
        airflow.prepare()

        for round_nr in (1, 2):
            pushed = push_scenario(
                inbox.url,
                zaken=zaken,
                duplicate_rate=0.1,
                inject_malformed=2,
                unmapped_rate=0.03,
                include_documents=False,
                seed=seed,
                concurrency=4,
            )
            files = [f for _ in range(3) for f in exporter.write_batch(max(zaken // 2, 5))]
            files += exporter.flush_late()
            print(
                f"\nRonde {round_nr}: GWS4all stuurde {pushed.sent} berichten "
                f"({pushed.duplicates} dubbel, {pushed.malformed} kapot); "
                f"Allegro zette {len(files)} exportbestanden klaar"
            )
            round_start = utcnow()
            began = time.monotonic()
            result = airflow.test_dag("ketenbrug_zaken")
            took = time.monotonic() - began
            print(f"  Airflow DAG ketenbrug_zaken: {result.state} in {took:.1f} s")
            for title, system in (
                ("zaken (GWS4all → e-Suite)", "gws4all"),
                ("zaken (Allegro → e-Suite)", "allegro"),
            ):
                report = flow_report(store, "zaken", since=round_start, source_system=system)
                print(format_report(f"  {title}", report))
            if result.state != "success":
                print(f"  zie het Airflow-log: {result.log_path}")
                return 1
            exporter.process_returns()  # what Allegro does with Ketenbrug's return files
        counts = esuite.app.store.counts()  # type: ignore[attr-defined]
        print(
            f"\ne-Suite: {counts['zaken']} zaken, {counts['statussen']} statussen, "
            f"{counts['duplicate_statussen']} dubbel"
        )
        total = flow_report(store, "zaken", since=started)
        print(format_report("Totaal zaken-flow (beide rondes)", total))
    store.dispose()
    print(f"\nDemo-map (state store, Airflow-logs): {home}; een nieuwe demo begint leeg.")
    return 0

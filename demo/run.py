"""The demo: every flow against the simulators, run through Airflow, with a readable summary.

What it shows (``./run demo``): GWS4all pushes zaken, statuses and letters to the inbox
(some twice, some broken, one with a status code nobody mapped) and Allegro publishes zaken
and document exports on SFTP; Airflow runs the zaken DAG and then the documenten DAG for real;
the e-Suite holds each status and document exactly once, Xtendis and MyLex each document
once; a second round of the same pushes changes nothing. Then drift is injected into MyLex
and the nightly archive reconciliation finds it, repairs the missing document and leaves the
rest as drift items for beheer. Faults are injected on the e-Suite side and in the files so
the retries and dead letters have work to do. The newer chains (betaalspecificaties, doorgifte,
GWS4all's questions, Suwinet) follow, in :mod:`demo.ketens`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

from demo.airflow import DagRunResult, LocalAirflow, free_port
from demo.archief import demo_archief
from demo.ketens import run_ketens, start_keten_simulators
from demo.ui import demo_home, ui_env
from privacy.masking import install_log_masking
from sync.blobs import BlobStore
from sync.config import Settings, load_settings
from sync.inbox import Inbox
from sync.inbox_app import Door, InboxServer
from sync.inbox_door import load_senders
from sync.inbox_guard import server_tls_context
from sync.store.db import Store, open_store
from sync.store.models import utcnow
from sync.summary import flow_report, flow_sources, format_report

if TYPE_CHECKING:
    from simulators.esuite_store import EsuiteStore
    from simulators.http import SimulatorServer
    from simulators.mylex import MyLexArchive
    from simulators.tls import CertPair, SimulatorPki

__all__ = ["demo_airflow", "esuite_connection", "run_dag", "run_demo", "sftp_connection"]


def esuite_connection(url: str, *, notificaties: bool = False) -> dict[str, object]:
    """The ``ketenbrug_esuite`` Connection (JSON form) for an e-Suite at ``url``; with
    ``notificaties`` its documenten source reads the e-Suite's notificaties between rondes."""
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
            "documenten_notificaties": notificaties,
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


def sftp_connection(
    host: str, port: int, username: str, key: str, host_key: str, **extra: object
) -> dict[str, object]:
    """An SFTP Connection (JSON form) with the host key pinned, plus system-specific extras."""
    return {
        "conn_type": "sftp",
        "host": host,
        "port": port,
        "login": username,
        "extra": {"private_key_path": key, "known_hosts_line": host_key, **extra},
    }


def run_demo(*, zaken: int = 40, seed: int = 2026) -> int:
    from simulators.allegro import AllegroExporter
    from simulators.esuite import make_esuite_server
    from simulators.faults import FaultConfig
    from simulators.gws4all import push_scenario
    from simulators.mylex import MyLexArchive
    from simulators.sftp.client import pinned_line
    from simulators.sftp.server import SshdServer
    from simulators.xtendis import XtendisHotFolder

    install_log_masking()
    home = demo_home()
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
    pki, gws4all_cert, nrc_auth = _inbox_pki(home)
    door = Door(senders=load_senders(home / "inbox-senders.json"))
    inbox_tls = server_tls_context(pki.server.cert, pki.server.key, pki.ca_file)
    with (
        contextlib.ExitStack() as running,
        make_esuite_server(faults=faults) as esuite,
        InboxServer(
            Inbox(store, blobs=BlobStore(settings.home / "blobs")), door=door, tls=inbox_tls
        ) as inbox,
        SshdServer(state_dir=home / "sftp") as sshd,
    ):
        exporter = AllegroExporter(
            sshd.root / "allegro", seed=seed, faults=file_faults, unmapped_rate=0.03
        )
        (sshd.root / "mylex" / "archief").mkdir(parents=True, exist_ok=True)
        mylex = MyLexArchive(sshd.root / "mylex", seed=seed)
        xtendis = XtendisHotFolder(sshd.root / "xtendis", poll_interval=0.05).start()
        print(f"  e-Suite simulator (ZDS 1.2)  {esuite.url}")
        print(f"  Ketenbrug inbox (ZDS 1.1)    {inbox.url} (mTLS: GWS4all-certificaat)")
        print(f"  Allegro (SFTP, echte sshd)   sftp://{sshd.host}:{sshd.port}/allegro")
        print(f"  Xtendis hot folder (SFTP)    sftp://{sshd.host}:{sshd.port}/xtendis")
        print(f"  MyLex oud archief (SFTP)     sftp://{sshd.host}:{sshd.port}/mylex")
        esuite_store: EsuiteStore = esuite.app.store  # type: ignore[attr-defined]
        sims = start_keten_simulators(running, pki, seed)
        _subscribe_inbox(esuite, f"{inbox.url}notificaties", nrc_auth, str(pki.ca_file))
        print("  e-Suite NRC: abonnement op kanaal 'zaken' -> inbox /notificaties (basic auth)")
        host_key = pinned_line(sshd)
        ssh = (sshd.host, sshd.port, sshd.username, str(sshd.client_key_path), host_key)
        connections = {
            "ketenbrug_esuite": esuite_connection(esuite.url, notificaties=True),
            "ketenbrug_allegro": allegro_connection(*ssh),
            "ketenbrug_xtendis": sftp_connection(
                *ssh, hotfolder_dir="xtendis/hotfolder", receipts_dir="xtendis/receipts"
            ),
            "ketenbrug_mylex": sftp_connection(*ssh, root_dir="mylex"),
            **sims.connections(),
        }
        airflow = demo_airflow(home, settings.database_url)
        print("  Airflow: metadata database, pools en Connections klaarzetten ...")
        airflow.prepare()
        _connections_in_airflow(airflow, connections)
        running.enter_context(airflow.execution_api())  # the runs' tasks report to it

        for round_nr in (1, 2):
            pushed = push_scenario(
                inbox.url,
                zaken=zaken,
                duplicate_rate=0.1,
                inject_malformed=2,
                unmapped_rate=0.03,
                include_documents=True,
                seed=seed,
                concurrency=4,
                cert=gws4all_cert.as_requests_cert,
                verify=str(pki.ca_file),
            )
            files = [f for _ in range(3) for f in exporter.write_batch(max(zaken // 2, 5))]
            files += exporter.flush_late()
            if round_nr == 1:
                exporter.write_documents(6, document_faults={2: "unsafe_bestandsnaam"})
            print(
                f"\nRonde {round_nr}: GWS4all stuurde {pushed.sent} berichten "
                f"({pushed.duplicates} dubbel, {pushed.malformed} kapot); "
                f"Allegro zette {len(files)} zaakexports"
                + (
                    " en 1 documentexport (6 documenten, 1 met een onveilige naam)"
                    if round_nr == 1
                    else ""
                )
                + " klaar"
            )
            round_start = utcnow()
            result = run_dag(airflow, "ketenbrug_zaken")
            if result.state == "success":
                _consulent_adds_letter(esuite_store, round_nr)
                asked_before = _document_questions(esuite_store)
                result = run_dag(airflow, "ketenbrug_documenten")
                _print_documenten_bron(store, esuite_store, round_nr, asked_before)
            for flow, system, title in flow_sources():
                report = flow_report(store, flow, since=round_start, source_system=system)
                print(format_report(f"  {title}", report))
            if round_nr == 1:
                print(
                    "  Functiescheiding (mappings/zaaktype_routering.csv): Allegro's "
                    "schuldhulpzaken gaan niet naar de e-Suite of MijnLoket ('al in de pas': niets "
                    "te schrijven), hun documenten niet naar de e-Suite of MyLex"
                )
            if result.state != "success":
                print(f"  zie het Airflow-log: {result.log_path}")
                return 1
            exporter.process_returns()  # what Allegro does with Ketenbrug's return files
        counts = esuite_store.counts()
        print(
            f"\ne-Suite: {counts['zaken']} zaken, {counts['statussen']} statussen, "
            f"{counts['duplicate_statussen']} dubbel, {counts['documenten']} documenten"
        )
        in_mylex = sum(1 for _ in mylex.inventory())
        print(f"Xtendis: {len(xtendis.documents())} documenten; MyLex: {in_mylex} documenten")
        total = flow_report(store, "zaken", since=started)
        print(format_report("Totaal zaken-flow (beide rondes)", total))
        total = flow_report(store, "documenten", since=started)
        print(format_report("Totaal documenten-flow (beide rondes)", total))
        if _reconcile(airflow, store, mylex) != 0:
            return 1
        if demo_archief(airflow, store, mylex, esuite_store, run_dag) != 0:
            return 1
        ketens = (airflow, store, esuite, sims, exporter, xtendis)
        if run_ketens(*ketens, inbox_url=inbox.url, gws4all_cert=gws4all_cert) != 0:
            return 1
        xtendis.stop()
    store.dispose()
    print(f"\nDemo-map (state store, Airflow-logs): {home}; een nieuwe demo begint leeg.")
    print("Bekijken in Airflow en de beheerpagina's (runs, task-logs): ./run ui")
    return 0


def demo_airflow(home: Path, database_url: str) -> LocalAirflow:
    """The demo's Airflow, set up as ``./run ui`` sets it up (same secret, logins, quiet
    framework loggers), with an execution API on a free port for :func:`run_dag`."""
    env = ui_env(home, f"http://127.0.0.1:{free_port()}")
    env["KETENBRUG_DATABASE_URL"] = database_url
    # The LocalExecutor of ``dags test --use-executor`` forks this many workers up front.
    env["AIRFLOW__CORE__PARALLELISM"] = "4"
    return LocalAirflow(home / "airflow", extra_env=env)


def run_dag(airflow: LocalAirflow, dag_id: str) -> DagRunResult:
    """One DAG run whose tasks run as the scheduler runs them (LocalExecutor, supervised task
    processes), so each leaves its task log for Airflow's UI; inside ``execution_api()``."""
    began = time.monotonic()
    result = airflow.test_dag(dag_id, use_executor=True)
    print(f"  Airflow DAG {dag_id}: {result.state} in {time.monotonic() - began:.1f} s")
    return result


def _connections_in_airflow(airflow: LocalAirflow, connections: dict[str, dict]) -> None:
    """The Connections in Airflow's metadata database (``airflow connections import``), so
    beheer sees them on the Connections page and can test them there; replaced on every demo."""
    import json

    path = airflow.home / "connections.json"
    path.write_text(json.dumps(connections, indent=2))
    path.chmod(0o600)
    if airflow.airflow("connections", "import", "--overwrite", str(path)) != 0:
        raise RuntimeError(f"airflow connections import failed, see {airflow.home}")


def _inbox_pki(home: Path) -> tuple[SimulatorPki, CertPair, str]:
    """The simulators' test CA, a client certificate for GWS4all and the inbox's senders file.

    Two senders: GWS4all by that certificate (SHA-256), with zender 1900/GWS4all, and the
    e-Suite's notificatierouteringscomponent by HTTP basic auth (only a hash in the file),
    which may post notificaties only. Returns the ``Authorization`` value for the latter.
    """
    import base64
    import hashlib
    import json
    import secrets

    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    from simulators.tls import SimulatorPki
    from sync.inbox_door import hash_password

    pki = SimulatorPki.create(home / "pki")
    pair = pki.issue("gws4all")
    der = x509.load_pem_x509_certificate(pair.cert.read_bytes()).public_bytes(Encoding.DER)
    sender = {
        "name": "gws4all",
        "zender": [{"organisatie": "1900", "applicatie": "GWS4all"}],
        "certificate_sha256": hashlib.sha256(der).hexdigest(),
    }
    password = secrets.token_urlsafe(24)
    nrc = {
        "name": "esuite-notificaties",
        "notificaties": True,
        "username": "esuite-nrc",
        "password_hash": hash_password(password),
    }
    senders = {"senders": [sender, nrc]}
    (home / "inbox-senders.json").write_text(json.dumps(senders, indent=2))
    return pki, pair, "Basic " + base64.b64encode(f"esuite-nrc:{password}".encode()).decode()


def _reconcile(airflow: LocalAirflow, store: Store, mylex: MyLexArchive) -> int:
    """Drift in MyLex (one document gone, one changed, one stray), then the nightly check."""
    from sync.archief import open_drift

    removed, changed = mylex.pick(2)
    mylex.remove_document(removed)
    mylex.change_checksum(changed, mode="metadata")
    stray = mylex.add_extra_document()
    print(
        f"\nDrift in MyLex aangebracht: {removed} verwijderd, {changed} gewijzigd, "
        f"{stray.identificatie} extra"
    )
    result = run_dag(airflow, "ketenbrug_archief_reconciliatie")
    if result.state != "success":
        print(f"  zie het Airflow-log: {result.log_path}")
        return 1
    report = flow_report(store, "archief_reconciliatie")
    print(f"  reconciliaties: {report['runs']}, hersteld in MyLex: {report['delivered']}")
    print("  open drift-items voor beheer (ketenbrug drift list):")
    for item in open_drift(store):
        print(f"    #{item['id']} {item['soort']}: {item['identificatie']}")
    back = {doc.identificatie for doc in mylex.inventory()}
    print(f"  {removed} weer in MyLex: {'ja' if removed in back else 'NEE'}")
    return 0 if removed in back else 1


def _consulent_adds_letter(store: EsuiteStore, round_nr: int) -> None:
    """A consulent adds a letter to a zaak in the e-Suite itself: the documenten flow takes it
    to Xtendis and MyLex (the first night by its ronde, the next by the e-Suite's notificatie)."""
    from datetime import date

    from simulators.pdf import pdf_bytes
    from stuf.model import Document

    zaak = sorted(store.snapshot()["zaken"])[round_nr - 1]
    store.add_document(
        Document(
            identificatie=f"ESUITE-DOC-{round_nr:04d}",
            titel="Brief van de consulent",
            zaak_identificatie=zaak,
            documenttype_omschrijving="Brief",
            bestandsnaam="brief-consulent.pdf",
            formaat="application/pdf",
            creatiedatum=date(2026, 11, 23),
            auteur="consulent",
            inhoud=pdf_bytes("Brief van de consulent", ("Uw aanvraag is in behandeling.",)),
        )
    )
    print(f"  een consulent voegde in de e-Suite een brief toe aan zaak {zaak}")


def _subscribe_inbox(esuite: SimulatorServer, callback_url: str, auth: str, ca_file: str) -> None:
    """As the e-Suite's beheerder would: an abonnement on kanaal ``zaken`` for the inbox."""
    import requests

    esuite.app.notificaties.verify = ca_file  # type: ignore[attr-defined]
    response = requests.post(
        f"{esuite.url}/notificaties/api/v1/abonnement",
        json={"callbackUrl": callback_url, "auth": auth, "kanalen": [{"naam": "zaken"}]},
        timeout=10,
    )
    response.raise_for_status()


def _document_questions(store: EsuiteStore) -> int:
    """How often the e-Suite was asked for a zaak's list of documents (geefLijstZaakdocumenten)."""
    return int(store.counts()["calls"].get("GeefLijstZaakdocumenten", 0))


def _notificaties(store: Store) -> int:
    from sqlalchemy import func, select

    from sync.store.models import ZgwNotificatie

    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(ZgwNotificatie)) or 0)


def _print_documenten_bron(store: Store, esuite: EsuiteStore, round_nr: int, before: int) -> None:
    """What the e-Suite documenten source asked: the first night a ronde, then notificaties."""
    asked = _document_questions(esuite) - before
    zaken = esuite.counts()["zaken"]
    how = "een ronde langs alle zaken" if round_nr == 1 else "alleen de genotificeerde zaken"
    print(
        f"  e-Suite-documentenbron: {how}: {asked} van de {zaken} zaken gevraagd naar hun "
        f"documenten ({_notificaties(store)} notificaties van de e-Suite ontvangen tot nu)"
    )

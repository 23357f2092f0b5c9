"""Benchmark the migration MyLex → new archive (e-Suite) against the physical floor.

Run on demand (not a test)::

    .venv/bin/python bench/migratie.py                      # 100,000 old documents
    .venv/bin/python bench/migratie.py --documents 10000
    .venv/bin/python bench/migratie.py --quick              # 300 documents, a smoke run

What it does, in one run:

1. starts a real sshd (MyLex) and the e-Suite simulator (``keep_content=False``), and seeds
   MyLex on the local disk with N small old documents (a few KB each, three files per document:
   content and two MDTO sidecars): 80% belong to clients (20 per client: historisch dossiers),
   20% to zaken the e-Suite already knows (10 per zaak, linked in the identity map);
2. in a child process: the reconciliation (``run_archief_reconciliatie``, ``repair=False``),
   which lists both archives and writes the work list;
3. in another child process: one migration run with a budget covering all documents
   (``run_migratie``), sampling its RSS after every batch (at 10%, 50% and 100% of the run);
4. the floor, in the parent, on the same sshd and simulator: raw paramiko reads of every byte
   of the three files of a sample of documents (before and after the migration; the faster
   counts), and raw ``voegZaakdocumentToe`` writes of that sample straight through the e-Suite
   client (one after the other, no engine, no ledger, no blob store).

It prints docs/s of the migration beside the floor (per document: raw read + raw write), the
ratio, and the RSS: flat memory means RSS at 100% ≈ RSS at 10%. It checks that the e-Suite
holds every document once. Exit code 0 unless a step failed: a benchmark is no test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.esuite.config import EsuiteConfig
from adapters.mylex.config import MyLexConfig
from simulators.esuite import make_esuite_server
from simulators.mylex import MyLexArchive
from simulators.sftp.client import pinned_line, pinned_ssh_client
from simulators.sftp.server import SshdServer
from stuf import Systeem, Zaak
from sync.store.db import Store

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DOCUMENTS = 100_000
QUICK_DOCUMENTS = 300
DOCS_PER_CLIENT = 20
DOCS_PER_ZAAK = 10
FLOOR_SAMPLE = 300
CHILD_TIMEOUT_S = 6 * 3600.0


# ---------------------------------------------------------------------- child side
def _rss_mb(field: str = "VmRSS") -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(field)


def _esuite_config(url: str) -> EsuiteConfig:
    return EsuiteConfig(
        url=url + "/",
        zender=Systeem("1900", "Ketenbrug"),
        ontvanger=Systeem("0153", "e-Suite"),
        timeout_s=30.0,
    )


def _child_reconcile(spec: dict[str, Any]) -> dict[str, Any]:
    from sync.archief import run_archief_reconciliatie
    from sync.config import load_settings

    settings = load_settings(spec["env"])
    began = time.perf_counter()
    report = run_archief_reconciliatie(
        esuite=_esuite_config(spec["esuite_url"]),
        mylex=MyLexConfig(**spec["mylex"]),
        settings=settings,
        repair=False,
    )
    seconds = time.perf_counter() - began
    return {
        "seconds": seconds,
        "missing": report["ontbreekt_in_nieuw_archief"],
        "peak_rss_mb": _rss_mb("VmHWM"),
    }


def _child_migrate(spec: dict[str, Any]) -> dict[str, Any]:
    from sync.config import load_settings
    from sync.engine import Engine, RetryPolicy
    from sync.migratie import Budget
    from sync.tasks.migratie import run_migratie

    total = int(spec["documents"])
    samples: list[tuple[float, float]] = []  # (fraction done, RSS MB)
    done = 0
    run_batch = Engine.run_batch
    trace = bool(spec.get("trace"))
    snapshots: list[tracemalloc.Snapshot] = []
    if trace:
        tracemalloc.start(12)

    def sampled(self: Engine, batch: Any, **kwargs: Any) -> Any:
        nonlocal done
        outcome = run_batch(self, batch, **kwargs)
        before = done / total
        done += len(batch.records)
        samples.append((done / total, _rss_mb()))
        if trace and before < 0.10 <= done / total:
            snapshots.append(tracemalloc.take_snapshot())
        return outcome

    Engine.run_batch = sampled  # type: ignore[method-assign]
    settings = load_settings(spec["env"])
    rss_start = _rss_mb()
    began = time.perf_counter()
    result = run_migratie(
        zaaksysteem_config=_esuite_config(spec["esuite_url"]),
        mylex=MyLexConfig(**spec["mylex"]),
        settings=settings,
        retry=RetryPolicy(attempts=5, wait_base_s=0.05, wait_max_s=1.0),
        run_ref="bench",
        budget=Budget(documenten=total, megabytes=1_000_000),
        allowed=lambda _zaaktype: True,
    )
    seconds = time.perf_counter() - began
    growth: list[str] = []
    if trace and snapshots:
        stats = tracemalloc.take_snapshot().compare_to(snapshots[0], "traceback")
        for stat in stats[:5]:
            frames = [f"{f.filename.rsplit('/', 2)[-1]}:{f.lineno}" for f in stat.traceback]
            growth.append(
                f"{stat.size_diff / 1024:+.0f} KB in {stat.count_diff:+d} blocks: "
                + " < ".join(frames[-6:])
            )

    def at(fraction: float) -> float:
        return next((rss for done_, rss in samples if done_ >= fraction), samples[-1][1])

    return {
        "seconds": seconds,
        "gemigreerd": result["gemigreerd"],
        "dead_letters": result["dead_letters"],
        "rss_start_mb": rss_start,
        "rss_10_mb": at(0.10),
        "rss_50_mb": at(0.50),
        "rss_100_mb": samples[-1][1] if samples else rss_start,
        "peak_rss_mb": _rss_mb("VmHWM"),
        "samenvatting": result["samenvatting"],
        "growth": growth,
    }


def child_main(kind: str, spec_json: str) -> int:
    spec = json.loads(spec_json)
    runner = {"reconcile": _child_reconcile, "migrate": _child_migrate}[kind]
    print(json.dumps(runner(spec)), flush=True)
    return 0


# ---------------------------------------------------------------------- parent side
def run_child(kind: str, spec: dict[str, Any], folder: Path) -> dict[str, Any]:
    errors = folder / f"{kind}.stderr"
    with open(errors, "w") as stderr:
        child = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--child", kind, json.dumps(spec)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            timeout=CHILD_TIMEOUT_S,
            env={**os.environ, **spec["env"]},
        )
    if child.returncode != 0:
        tail = errors.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{kind}: child exited with {child.returncode}\n{tail}")
    result: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    return result


def seed(archive: MyLexArchive, count: int, esuite_store: Any, db_url: str) -> list[Any]:
    """``count`` old documents: 80% of clients, 20% of zaken the e-Suite knows (linked)."""
    from sync.identity import IdentityMap

    store = Store(db_url)
    written = []
    fsync = os.fsync
    os.fsync = lambda fd: None  # the seeding writes a disposable tree: no need to sync it
    by_zaak = count // 5
    zaken = [f"0153Z-OUD-{n:06d}" for n in range(max(1, -(-by_zaak // DOCS_PER_ZAAK)))]
    with store.session() as session:
        identity = IdentityMap(session)
        for zaak in zaken if by_zaak else []:
            esuite_store.create_zaak(Zaak(zaak, "B1026", startdatum=date(2016, 1, 4)))
            identity.link("zaak", "gws4all", zaak, "esuite", zaak)
    for n in range(count):
        if n < by_zaak:
            doc = archive.add_old_document(year=2016, zaak=zaken[n // DOCS_PER_ZAAK], size=3000)
        else:
            client = f"K{(n - by_zaak) // DOCS_PER_CLIENT:06d}"
            doc = archive.add_old_document(year=2010 + n % 8, client=client, size=3000)
        written.append(doc)
    os.fsync = fsync
    store.dispose()
    return written


def floor_reads(server: SshdServer, root: str, docs: list[Any]) -> float:
    """Seconds per document to read every byte of its three files over raw paramiko SFTP."""
    ssh = pinned_ssh_client(
        server.host,
        server.port,
        username=server.username,
        key_path=server.client_key_path,
        known_hosts_line=pinned_line(server),
    )
    sftp = ssh.open_sftp()
    try:
        began = time.perf_counter()
        for doc in docs:
            folder, naam = doc.path.rsplit("/", 1)
            base = f"{root}/archief/{folder}"
            for name in (f"{doc.identificatie}.MDTO.xml", f"{naam}.bestand.MDTO.xml", naam):
                with sftp.open(f"{base}/{name}", "rb") as handle:
                    handle.prefetch()
                    while handle.read(1 << 20):
                        pass
        return (time.perf_counter() - began) / len(docs)
    finally:
        sftp.close()
        ssh.close()


def floor_writes(esuite_url: str, archief: Path, docs: list[Any], esuite_store: Any) -> float:
    """Seconds per document of a raw voegZaakdocumentToe (e-Suite client, no engine)."""
    from adapters.esuite.client import EsuiteClient
    from adapters.esuite.document_delivery import EsuiteDocumentDelivery
    from adapters.esuite.document_upload import DocumentUpload
    from stuf import Document

    esuite_store.create_zaak(Zaak("0153Z-FLOOR", "B1026", startdatum=date(2016, 1, 4)))
    delivery = EsuiteDocumentDelivery(EsuiteClient(_esuite_config(esuite_url)))
    uploads = [
        DocumentUpload(
            Document(
                identificatie=f"FLOOR-{n:06d}",
                titel="Vloer",
                zaak_identificatie="0153Z-FLOOR",
                documenttype_omschrijving="Document uit oud archief",
                auteur="MyLex",
                bestandsnaam=f"FLOOR-{n:06d}.pdf",
                formaat="application/pdf",
                creatiedatum=date(2016, 1, 4),
                taal="nld",
                vertrouwelijkheid="VERTROUWELIJK",
            ),
            str(archief / doc.path),
            doc.sha256,
            doc.omvang,
        )
        for n, doc in enumerate(docs)
    ]
    began = time.perf_counter()
    for upload in uploads:
        delivery.voeg_toe(upload)
    return (time.perf_counter() - began) / len(uploads)


def run(count: int, seed_value: int, *, trace: bool = False) -> int:
    folder = Path(tempfile.mkdtemp(prefix="kb-bench-migratie-"))
    print(
        f"Migratie MyLex → nieuw archief: {count:,} old documents; machine: {os.cpu_count()} "
        "cores, loopback, possibly shared with other work (compare ratios within one run)"
    )
    failures: list[str] = []
    listed: dict[str, Any] = {}
    migrated: dict[str, Any] = {}
    read_s = write_s = 0.0
    try:
        home = folder / "home"
        home.mkdir()
        env = {
            "KETENBRUG_HOME": str(home),
            "KETENBRUG_DATABASE_URL": f"sqlite:///{home / 'state.db'}",
        }
        with (
            SshdServer(state_dir=folder / "sshd") as server,
            make_esuite_server(keep_content=False) as esuite,
        ):
            esuite_store = esuite.app.store  # type: ignore[attr-defined]
            archive = MyLexArchive(server.root / "mylex", seed=seed_value)
            store = Store(env["KETENBRUG_DATABASE_URL"])
            store.migrate()
            store.dispose()
            began = time.perf_counter()
            docs = seed(archive, count, esuite_store, env["KETENBRUG_DATABASE_URL"])
            seeded = time.perf_counter() - began
            print(f"  seeded {count:,} documents on local disk in {seeded:.1f} s")
            mylex = MyLexConfig(
                host=server.host,
                port=server.port,
                username=server.username,
                key_path=str(server.client_key_path),
                known_hosts_line=pinned_line(server),
                root_dir="mylex",
                timeout_s=60.0,
            )
            spec = {"env": env, "esuite_url": esuite.url, "mylex": asdict(mylex)}
            sample = docs[:: max(1, len(docs) // FLOOR_SAMPLE)][:FLOOR_SAMPLE]
            read_before = floor_reads(server, "mylex", sample)
            listed = run_child("reconcile", spec, folder)
            if listed["missing"] != count:
                failures.append(f"reconciliation listed {listed['missing']}, expected {count}")
            migrated = run_child("migrate", {**spec, "documents": count, "trace": trace}, folder)
            held = esuite_store.counts()["documenten"]
            if migrated["gemigreerd"] != count or held != count:
                failures.append(
                    f"migrated {migrated['gemigreerd']}, e-Suite holds {held}, expected {count}"
                )
            # the faster of two read floors (before and after): the machine may be shared
            read_s = min(read_before, floor_reads(server, "mylex", sample))
            write_s = floor_writes(esuite.url, archive.archief, sample, esuite_store)
    except Exception as exc:  # report what was measured
        failures.append(f"{type(exc).__name__}: {exc}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    if migrated:
        rate = migrated["gemigreerd"] / migrated["seconds"]
        floor_s = read_s + write_s
        floor_rate = 1 / floor_s if floor_s else 0.0
        print(
            f"  reconciliation (listing both archives): {listed['seconds']:7.1f} s, "
            f"{count / listed['seconds']:,.0f} docs/s, peak RSS {listed['peak_rss_mb']:.0f} MB"
        )
        print(
            f"  migration (one run, budget covers all): {migrated['seconds']:7.1f} s, "
            f"{rate:,.1f} docs/s"
        )
        print(
            f"  floor per document: raw SFTP read of its 3 files {read_s * 1000:.2f} ms + raw "
            f"voegZaakdocumentToe {write_s * 1000:.2f} ms = {floor_s * 1000:.2f} ms "
            f"({floor_rate:,.1f} docs/s, sequential; sample of {FLOOR_SAMPLE})"
        )
        if floor_rate:
            print(f"  ratio migration / floor: {rate / floor_rate:.2f}")
        print(
            f"  RSS of the migration: start {migrated['rss_start_mb']:.0f} MB, at 10% "
            f"{migrated['rss_10_mb']:.0f} MB, 50% {migrated['rss_50_mb']:.0f} MB, 100% "
            f"{migrated['rss_100_mb']:.0f} MB, peak {migrated['peak_rss_mb']:.0f} MB"
        )
        if count >= 1000:
            hours = 100_000 / rate / 3600
            print(f"  projection for 100,000 documents at this rate: {hours:.1f} h")
        print(f"  {migrated['samenvatting']}")
        for line in migrated.get("growth", []):
            print(f"  tracemalloc, growth from 10% to 100%: {line}")
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--documents", type=int, default=DEFAULT_DOCUMENTS)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_DOCUMENTS} documents")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--trace",
        action="store_true",
        help="tracemalloc in the migration (slower): where memory grew from 10%% to 100%%",
    )
    parser.add_argument("--child", nargs=2, metavar=("KIND", "SPEC"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child_main(*args.child)
    return run(QUICK_DOCUMENTS if args.quick else args.documents, args.seed, trace=args.trace)


if __name__ == "__main__":
    sys.exit(main())

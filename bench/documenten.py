"""Benchmark one big document through Ketenbrug's streaming paths, beside the raw SFTP floor.

Run on demand (not a test)::

    .venv/bin/python bench/documenten.py               # a 500 MB document (a few minutes)
    .venv/bin/python bench/documenten.py --quick       # 64 MB, a smoke run
    .venv/bin/python bench/documenten.py --size-mb 200

What it does, in one run (MB = MiB throughout):

1. generates the document once: a ``%PDF`` header and seeded pseudo-random bytes written 1 MiB at
   a time, with its SHA-256;
2. the floor: a raw paramiko SFTP upload of that file to the same sshd (pipelined writes of the
   adapters' chunk size, no hashing, the same cipher defaults), measured before and after the
   Ketenbrug paths; and raw SHA-256 hashing of the file;
3. the Ketenbrug paths, each in a fresh child process that measures its own peak RSS growth
   (``VmHWM`` after ``clear_refs`` minus the RSS just before):

   * **inbox**: the parent pushes a ZDS 1.1 ``voegZaakdocumentToe`` (base64 streamed from the
     file) over HTTP to an :class:`~sync.inbox_app.InboxServer` in the child; the content lands
     in the blob store. Measured: the child (the receiving side);
   * **mylex**: :meth:`MyLexTarget.apply` of that blob (streamed SFTP put + MDTO sidecars);
   * **xtendis**: :meth:`XtendisTarget.apply` of that blob (drop + wait for the receipt), with
     the simulator's importer polling the hot folder in the parent.

It prints MB/s per path, its ratio to the raw SFTP rate (for the inbox: to a raw HTTP upload of
the same push to a bare Starlette endpoint on uvicorn that only writes the body to a temp file),
the peak RSS growth and whether it stayed under the bound. The exit code is
0 unless a path failed outright (an error, wrong bytes, not applied): a benchmark is no test.

Target (issue: documents): a 500 MB document moves with peak memory growth under 64 MB.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.base import Operation
from adapters.document import ARCHIVEER_DOCUMENT, DROP_DOCUMENT
from adapters.mylex.config import MyLexConfig
from adapters.sftp.pinned import CHUNK_SIZE
from adapters.xtendis.config import XtendisConfig
from simulators.sftp.client import pinned_line, pinned_ssh_client
from simulators.sftp.server import SshdServer
from simulators.xtendis import ImportResult, XtendisHotFolder
from stuf import (
    Document,
    Systeem,
    VoegZaakdocumentToe,
    ZdsVersion,
    build_message,
    new_stuurgegevens,
    soap_action_for,
)

ROOT = Path(__file__).resolve().parents[1]
MB = 1 << 20
DEFAULT_MB = 500
QUICK_MB = 64
BOUND_MB = 64.0
#: A fixed, valid (elfproef) test BSN: Xtendis indexes every drop under a client dossier.
BSN = "111222333"
DOCUMENT_ID = "1900KBD9000000001"
ZAAK_ID = "1900KB9000000001"
GWS4ALL = Systeem(organisatie="1900", applicatie="GWS4all", gebruiker="Gebruiker")
CDR = Systeem(organisatie="1900", applicatie="CDR")
#: Raw bytes per base64 piece pushed to the inbox: a multiple of 3, so pieces concatenate.
B64_PIECE = 3 * 256 * 1024
CHILD_TIMEOUT_S = 3600.0


class PathFailedError(RuntimeError):
    """A measured path did not complete (child error, wrong bytes, not applied)."""


# ---------------------------------------------------------------------- child side
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


def _measured(action: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    before = _reset_peak()
    began = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - began
    growth_kb = _rss_kb("VmHWM") - before
    return {**result, "seconds": seconds, "growth_kb": growth_kb, "baseline_kb": before}


def _child_raw_hash(spec: dict[str, Any]) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        digest = hashlib.sha256()
        with open(spec["file"], "rb") as handle:
            while chunk := handle.read(MB):
                digest.update(chunk)
        return {"sha256": digest.hexdigest()}

    return _measured(work)


def _child_raw_sftp(spec: dict[str, Any]) -> dict[str, Any]:
    config = spec["config"]
    ssh = pinned_ssh_client(
        config["host"],
        config["port"],
        username=config["username"],
        key_path=config["key_path"],
        known_hosts_line=config["known_hosts_line"],
    )
    sftp = ssh.open_sftp()
    transport = ssh.get_transport()
    cipher = transport.local_cipher if transport is not None else "?"
    remote = spec["remote"]

    def work() -> dict[str, Any]:
        with open(spec["file"], "rb") as source, sftp.open(remote, "wb") as handle:
            handle.set_pipelined(True)
            while chunk := source.read(CHUNK_SIZE):
                handle.write(chunk)
        return {"cipher": cipher}

    try:
        return _measured(work)
    finally:
        sftp.remove(remote)
        sftp.close()
        ssh.close()


def _child_inbox(spec: dict[str, Any]) -> dict[str, Any]:
    from sqlalchemy import select

    from sync.blobs import BlobStore
    from sync.inbox import Inbox
    from sync.inbox_app import InboxServer
    from sync.store.db import Store
    from sync.store.models import InboxMessage

    home = Path(spec["home"])
    store = Store(f"sqlite:///{home / 'state.db'}")
    store.migrate()
    with InboxServer(Inbox(store, blobs=BlobStore(home / "blobs"))) as server:
        before = _reset_peak()
        print(server.url, flush=True)
        sys.stdin.readline()  # the parent has its answer
        growth_kb = _rss_kb("VmHWM") - before
    with store.session() as session:
        rows = session.execute(
            select(InboxMessage.function, InboxMessage.record_json, InboxMessage.state)
        ).all()
    store.dispose()
    records = [
        json.loads(record)
        for function, record, _ in rows
        if function == "voegZaakdocumentToe" and record is not None
    ]
    return {
        "growth_kb": growth_kb,
        "baseline_kb": before,
        "records": records,
        "states": [str(state) for *_, state in rows],
    }


def _child_raw_http(spec: dict[str, Any]) -> dict[str, Any]:
    """The floor of a push: a bare Starlette endpoint that writes the body to a temp file."""
    from inbox_http import serving  # the raw server of the inbox benchmark
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def upload(request: Request) -> Response:
        size = 0
        with tempfile.TemporaryFile(prefix="kb-raw-") as spool:
            async for chunk in request.stream():
                spool.write(chunk)
                size += len(chunk)
        return Response(str(size))

    with serving(Starlette(routes=[Route("/", upload, methods=["POST"])])) as url:
        before = _reset_peak()
        print(url, flush=True)
        sys.stdin.readline()  # the parent has its answer
        growth_kb = _rss_kb("VmHWM") - before
    return {"growth_kb": growth_kb, "baseline_kb": before}


def _child_target(spec: dict[str, Any]) -> dict[str, Any]:
    operation = Operation(**spec["operation"])
    target: Any
    if spec["kind"] == "mylex":
        from adapters.mylex.mdto import mdto_errors
        from adapters.mylex.target import MyLexTarget

        target = MyLexTarget(MyLexConfig(**spec["config"]))
        mdto_errors(b"<MDTO xmlns='https://www.nationaalarchief.nl/mdto'/>")  # load the XSD
    else:
        from adapters.xtendis.target import XtendisTarget

        target = XtendisTarget(
            XtendisConfig(**spec["config"]),
            dossier_bsn=lambda _zaak: BSN,
            receipt_timeout_s=CHILD_TIMEOUT_S,
            poll_s=0.05,
        )
    if target.is_applied(operation):  # connects before the baseline; must be False here
        raise PathFailedError(f"{spec['kind']}: already applied before the run")

    def work() -> dict[str, Any]:
        target.apply(operation)
        return {}

    result = _measured(work)
    result["applied"] = target.is_applied(operation)
    target.close()
    return result


def child_main(kind: str, spec_json: str) -> int:
    spec = json.loads(spec_json)
    spec["kind"] = kind
    runners: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
        "raw_hash": _child_raw_hash,
        "raw_sftp": _child_raw_sftp,
        "raw_http": _child_raw_http,
        "inbox": _child_inbox,
        "mylex": _child_target,
        "xtendis": _child_target,
    }
    result = runners[kind](spec)
    print(json.dumps(result), flush=True)
    return 0


# ---------------------------------------------------------------------- parent side
def run_child(
    kind: str,
    spec: dict[str, Any],
    folder: Path,
    *,
    interact: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run ``kind`` in a fresh interpreter; its last stdout line is its JSON result.

    With ``interact`` the child first prints one line (the inbox URL), the parent acts on it and
    then tells the child it is done. Temporary files of the child (the inbox's spool) go to
    ``folder/tmp``, so the cleanup at the end finds them whatever happened.
    """
    tmp = folder / "tmp"
    tmp.mkdir(exist_ok=True)
    errors = folder / f"{kind}.stderr"
    with open(errors, "w") as stderr:
        child = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--child", kind, json.dumps(spec)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env={**os.environ, "TMPDIR": str(tmp)},
        )
        assert child.stdin is not None and child.stdout is not None
        failure: BaseException | None = None
        try:
            if interact is not None:
                line = child.stdout.readline().strip()
                try:
                    interact(line)
                except BaseException as exc:  # the child must still be told
                    failure = exc
                child.stdin.write("done\n")
                child.stdin.flush()
            out, _ = child.communicate(timeout=CHILD_TIMEOUT_S)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
    if failure is not None:
        raise PathFailedError(f"{kind}: {type(failure).__name__}: {failure}") from failure
    if child.returncode != 0:
        tail = errors.read_text(errors="replace")[-1500:]
        raise PathFailedError(f"{kind}: child exited with {child.returncode}\n{tail}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def generate(path: Path, size_mb: int, seed: int) -> tuple[str, int]:
    """``size_mb`` MiB of seeded pseudo-random bytes behind a %PDF header; (sha256, size)."""
    rng = random.Random(seed)
    digest = hashlib.sha256()
    size = 0
    with open(path, "wb") as handle:
        for number in range(-1, size_mb):
            piece = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" if number < 0 else rng.randbytes(MB)
            digest.update(piece)
            handle.write(piece)
            size += len(piece)
    return digest.hexdigest(), size


def message_parts() -> tuple[bytes, bytes, str]:
    """Head and tail of a voegZaakdocumentToe around its base64 inhoud, and its SOAPAction."""
    marker = b"KBMARKERKBMARKER"
    document = Document(
        identificatie=DOCUMENT_ID,
        titel="Beschikking levensonderhoud (benchmark)",
        zaak_identificatie=ZAAK_ID,
        documenttype_omschrijving="Beschikking",
        bestandsnaam=f"{DOCUMENT_ID}.pdf",
        formaat="application/pdf",
        creatiedatum=date(2026, 3, 2),
        vertrouwelijkheid="VERTROUWELIJK",
        auteur="GWS4all",
        inhoud=marker,
    )
    stuurgegevens = new_stuurgegevens("Lk01", GWS4ALL, CDR, entiteittype="EDC")
    message = VoegZaakdocumentToe(stuurgegevens, document=document)
    whole = build_message(message, ZdsVersion.V1_1)
    head, tail = whole.split(base64.b64encode(marker))
    return head, tail, soap_action_for(message, ZdsVersion.V1_1)


@dataclass
class Figure:
    path: str
    seconds: float
    size: int
    floor_name: str
    floor_rate: float
    growth_kb: int | None
    bounded: bool = True
    note: str = ""

    @property
    def rate(self) -> float:
        return self.size / MB / self.seconds if self.seconds else 0.0

    @property
    def growth_mb(self) -> float | None:
        return None if self.growth_kb is None else self.growth_kb / 1024

    @property
    def held(self) -> bool | None:
        growth = self.growth_mb
        return None if growth is None else growth < BOUND_MB

    def line(self) -> str:
        ratio = ""
        if self.floor_name and self.floor_rate > 0:
            ratio = f"{self.rate / self.floor_rate:5.2f}x {self.floor_name}"
        growth = "" if self.growth_mb is None else f"{self.growth_mb:7.1f} MB"
        if not self.bounded or self.held is None:
            verdict = "(floor)"
        else:
            verdict = "PASS" if self.held else "FAIL"
        return (
            f"{self.path:<34} {self.seconds:8.2f} s {self.rate:8.1f} {ratio:<20} "
            f"{growth:>10}  {verdict:<7} {self.note}"
        )


class TimedHotFolder(XtendisHotFolder):
    """The Xtendis importer, adding up the time it spends importing (hash + copy to archive)."""

    def __init__(self, root: Path, *, poll_interval: float) -> None:
        super().__init__(root, poll_interval=poll_interval)
        self.import_seconds = 0.0

    def _import(self, name: str, pdf: Path, xml: Path) -> ImportResult:
        began = time.perf_counter()
        try:
            return super()._import(name, pdf, xml)
        finally:
            self.import_seconds += time.perf_counter() - began


def document_fields(record: dict[str, Any]) -> dict[str, Any]:
    fields = record.get("document")
    if not isinstance(fields, dict):
        raise PathFailedError("inbox: record without document fields")
    return fields


class Pusher:
    """Pushes the document as one voegZaakdocumentToe (base64 streamed from the file), timed."""

    def __init__(self, source: Path) -> None:
        self.source = source
        self.head, self.tail, self.action = message_parts()
        self.timings: dict[str, float] = {}

    def body(self) -> Iterator[bytes]:
        yield self.head
        with open(self.source, "rb") as handle:
            while piece := handle.read(B64_PIECE):
                yield base64.b64encode(piece)
        yield self.tail
        self.timings["sent"] = time.perf_counter()

    def push(self, url: str, expect: bytes | None = None) -> None:
        if not url.startswith("http"):
            raise PathFailedError(f"child did not start ({url!r})")
        self.timings.clear()
        self.timings["began"] = time.perf_counter()
        answer = requests.post(
            url,
            data=self.body(),
            headers={
                "Content-Type": "text/xml; charset=utf-8",
                "SOAPAction": f'"{self.action}"',
            },
            timeout=(10, CHILD_TIMEOUT_S),
        )
        self.timings["answered"] = time.perf_counter()
        if answer.status_code != 200 or (expect is not None and expect not in answer.content):
            raise PathFailedError(f"answered {answer.status_code}: {answer.text[:300]}")

    @property
    def seconds(self) -> float:
        return self.timings["answered"] - self.timings["began"]

    @property
    def after_last_byte(self) -> float:
        return self.timings["answered"] - self.timings.get("sent", self.timings["answered"])


def measure_raw_http(folder: Path, source: Path, size: int) -> Figure:
    """The same push to a bare upload endpoint (uvicorn, loopback): the inbox's floor."""
    pusher = Pusher(source)
    result = run_child("raw_http", {}, folder, interact=pusher.push)
    return Figure(
        "raw HTTP upload (same push)",
        pusher.seconds,
        size,
        "",
        0.0,
        result["growth_kb"],
        False,
        note=f"{pusher.after_last_byte:.1f} s after the last byte",
    )


def measure_inbox(
    folder: Path, source: Path, sha256: str, size: int, upload_rate: float
) -> tuple[Figure, dict[str, Any]]:
    """Push the document to an inbox in a child; returns its figure and the stored record."""
    pusher = Pusher(source)

    def push(url: str) -> None:
        pusher.push(url, expect=b"Bv03")

    result = run_child("inbox", {"home": str(folder / "inbox")}, folder, interact=push)
    records = result["records"]
    if len(records) != 1:
        raise PathFailedError(f"inbox: {len(records)} document messages stored, expected 1")
    record = records[0]
    content = record["content"]
    blob = Path(content["path"])
    if content["sha256"] != sha256 or content["size"] != size or blob.stat().st_size != size:
        raise PathFailedError("inbox: the blob is not the document that was sent")
    figure = Figure(
        "inbox (push → blob store)",
        pusher.seconds,
        size,
        "raw HTTP",
        upload_rate,
        result["growth_kb"],
        note=f"{pusher.after_last_byte:.1f} s after the last byte (decoded while it arrives)",
    )
    return figure, record


def mylex_operation(record: dict[str, Any]) -> Operation:
    fields = document_fields(record)
    jaar = int(str(fields.get("creatiedatum") or "2026")[:4])
    return Operation(
        target_system="mylex",
        name=ARCHIVEER_DOCUMENT,
        ledger_key=f"bench:{DOCUMENT_ID}:mylex",
        target_key=DOCUMENT_ID,
        data={"document": fields, "content": record["content"], "jaar": jaar, "waardering": "V"},
    )


def xtendis_operation(record: dict[str, Any]) -> Operation:
    return Operation(
        target_system="xtendis",
        name=DROP_DOCUMENT,
        ledger_key=f"bench:{DOCUMENT_ID}:xtendis",
        target_key=DOCUMENT_ID,
        data={
            "document": document_fields(record),
            "content": record["content"],
            "archief": "WERK_INKOMEN",
            "drop_name": f"bench-{DOCUMENT_ID}",
        },
    )


def operation_spec(operation: Operation) -> dict[str, Any]:
    return {**asdict(operation), "data": dict(operation.data)}


def measure_raw_sftp(
    folder: Path, server: SshdServer, source: Path, size: int, label: str
) -> tuple[Figure, str]:
    (server.root / "floor").mkdir(exist_ok=True)
    spec = {
        "file": str(source),
        "remote": "floor/raw.bin",
        "config": {
            "host": server.host,
            "port": server.port,
            "username": server.username,
            "key_path": str(server.client_key_path),
            "known_hosts_line": pinned_line(server),
        },
    }
    result = run_child("raw_sftp", spec, folder)
    figure = Figure(
        f"raw SFTP upload ({label})", result["seconds"], size, "", 0.0, result["growth_kb"], False
    )
    return figure, str(result["cipher"])


def free_gb(path: Path) -> float:
    return shutil.disk_usage(path).free / (1 << 30)


def measure_target(
    kind: str,
    config: MyLexConfig | XtendisConfig,
    operation: Operation,
    folder: Path,
    size: int,
    stored: Callable[[], list[Path]],
) -> dict[str, Any]:
    """Apply ``operation`` in a child; check it is applied and the stored pdf has the size."""
    spec = {"config": asdict(config), "operation": operation_spec(operation)}
    result = run_child(kind, spec, folder)
    sizes = [path.stat().st_size for path in stored()]
    if not result["applied"] or sizes != [size]:
        raise PathFailedError(f"{kind}: applied={result['applied']}, stored pdf sizes {sizes}")
    return result


def run_paths(
    folder: Path, source: Path, sha256: str, size: int, figures: dict[str, Figure]
) -> tuple[str, list[str]]:
    """The floors and the three paths; fills ``figures``; returns the cipher and the failures.

    A failing path is reported and the next one still runs (the targets need the inbox's blob,
    so they are skipped when the inbox failed).
    """
    failures: list[str] = []
    hashed = run_child("raw_hash", {"file": str(source)}, folder)
    if hashed["sha256"] != sha256:
        raise PathFailedError("raw hashing read other bytes than were written")
    figures["hash"] = Figure(
        "raw sha256 of the file", hashed["seconds"], size, "", 0.0, hashed["growth_kb"], False
    )
    with SshdServer(state_dir=folder / "sshd") as server:
        figures["raw_before"], cipher = measure_raw_sftp(folder, server, source, size, "before")
        try:
            figures["raw_http"] = measure_raw_http(folder, source, size)
            figures["inbox"], record = measure_inbox(
                folder, source, sha256, size, figures["raw_http"].rate
            )
        except Exception as exc:
            failures.append(f"inbox: {type(exc).__name__}: {exc}")
            return cipher, failures
        common: dict[str, Any] = {
            "host": server.host,
            "port": server.port,
            "username": server.username,
            "key_path": str(server.client_key_path),
            "known_hosts_line": pinned_line(server),
            "timeout_s": 60.0,
        }
        mylex_root = server.root / "mylex"
        try:
            result = measure_target(
                "mylex",
                MyLexConfig(**common, root_dir="mylex"),
                mylex_operation(record),
                folder,
                size,
                lambda: list(mylex_root.rglob(f"{DOCUMENT_ID}.pdf")),
            )
            figures["mylex"] = Figure(
                "mylex (MyLexTarget.apply)",
                result["seconds"],
                size,
                "raw SFTP",
                0.0,
                result["growth_kb"],
                note="streamed put + SHA-256 + 2 MDTO sidecars",
            )
        except Exception as exc:
            failures.append(f"mylex: {type(exc).__name__}: {exc}")
        finally:
            shutil.rmtree(mylex_root, ignore_errors=True)  # keep the disk use bounded

        hotfolder = TimedHotFolder(server.root / "xtendis", poll_interval=0.05)
        name = f"bench-{DOCUMENT_ID}.pdf"
        try:
            with hotfolder:
                result = measure_target(
                    "xtendis",
                    XtendisConfig(
                        **common, hotfolder_dir="xtendis/hotfolder", receipts_dir="xtendis/receipts"
                    ),
                    xtendis_operation(record),
                    folder,
                    size,
                    lambda: [stored / name for stored in hotfolder.documents()],
                )
            seconds, importer = result["seconds"], hotfolder.import_seconds
            rest_rate = size / MB / max(seconds - importer, 1e-9)
            figures["xtendis"] = Figure(
                "xtendis (XtendisTarget.apply)",
                seconds,
                size,
                "raw SFTP",
                0.0,
                result["growth_kb"],
                note=(
                    f"drop + receipt wait; the simulated importer (parent: hash + copy) took "
                    f"{importer:.1f} s of it, the rest ≈ {rest_rate:.1f} MB/s"
                ),
            )
        except Exception as exc:
            failures.append(f"xtendis: {type(exc).__name__}: {exc}")
        finally:
            shutil.rmtree(server.root / "xtendis", ignore_errors=True)

        figures["raw_after"], _ = measure_raw_sftp(folder, server, source, size, "after")
    return cipher, failures


def run(size_mb: int, seed: int) -> int:
    folder = Path(tempfile.mkdtemp(prefix="kb-bench-docs-"))
    needed_gb = size_mb * 4.5 / 1024 + 0.5
    print(
        f"documenten streaming benchmark: one document of {size_mb} MB (MB = MiB), "
        f"memory bound: peak RSS growth < {BOUND_MB:.0f} MB per path"
    )
    print(
        f"machine: {os.cpu_count()} cores, loopback only, possibly shared with other work: rates "
        "are noisy; compare ratios within one run rather than rates across runs"
    )
    figures: dict[str, Figure] = {}
    failures: list[str] = []
    cipher = "?"
    try:
        if free_gb(folder) < needed_gb:
            raise PathFailedError(
                f"not enough disk: {free_gb(folder):.1f} GB free, about {needed_gb:.1f} GB needed"
            )
        source = folder / "document.pdf"
        began = time.perf_counter()
        sha256, size = generate(source, size_mb, seed)
        print(
            f"generated {size:,} bytes in {time.perf_counter() - began:.1f} s, "
            f"sha256 {sha256[:16]}…\n"
        )
        cipher, failures = run_paths(folder, source, sha256, size, figures)
    except Exception as exc:  # a floor or the set-up failed: report what was measured
        failures.append(f"{type(exc).__name__}: {exc}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # the document, the blob, the remote copies

    floors = [figures[k].rate for k in ("raw_before", "raw_after") if k in figures]
    for key in ("mylex", "xtendis"):
        if key in figures and floors:
            figures[key].floor_rate = max(floors)
    header = (
        f"{'path':<34} {'wall':>10} {'MB/s':>8} {'ratio to floor':<20} "
        f"{'peak RSS +':>10}  {'< 64 MB':<7} note"
    )
    print(header)
    print("-" * len(header))
    order = ("hash", "raw_before", "raw_after", "raw_http", "inbox", "mylex", "xtendis")
    for key in order:
        if key in figures:
            print(figures[key].line())
    if floors:
        print(
            f"\nSFTP cipher (paramiko defaults, the same for the floor and the adapters): "
            f"{cipher}. Ratios of the SFTP paths are to the faster raw upload "
            f"({max(floors):.1f} MB/s); the inbox's is to the raw HTTP upload of the same push "
            "(its target: >= 0.50x)."
        )
    measured = [figures[k] for k in ("inbox", "mylex", "xtendis") if k in figures]
    held = [f.path for f in measured if f.held]
    missed = [f.path for f in measured if not f.held]
    print(f"memory bound < {BOUND_MB:.0f} MB held for: {', '.join(held) or 'none'}")
    if missed:
        print(f"memory bound MISSED for: {', '.join(missed)}")
    for failure in failures:
        print(f"FAILED: {failure}")
    print("(peak RSS growth: VmHWM after clear_refs minus the RSS just before, in a fresh child)")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument("--size-mb", type=int, default=DEFAULT_MB, help="document size in MiB")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_MB} MB, a smoke run")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--child", nargs=2, metavar=("KIND", "SPEC"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child_main(*args.child)
    return run(QUICK_MB if args.quick else args.size_mb, args.seed)


if __name__ == "__main__":
    sys.exit(main())

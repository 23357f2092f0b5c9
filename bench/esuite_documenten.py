"""Benchmark the e-Suite's documenten source: a full ronde, a quiet night, a 1% night (#18, item 5).

Run on demand (not a test)::

    .venv/bin/python bench/esuite_documenten.py                # 10,000 zaken
    .venv/bin/python bench/esuite_documenten.py --zaken 2000
    .venv/bin/python bench/esuite_documenten.py --quick        # 60 zaken, a smoke run (CI)

What it does, in one process: the e-Suite simulator (ZDS, its Zaken API and its
notificatierouteringscomponent) and Ketenbrug's inbox over real HTTP on loopback, a fresh state
store. N zaken are in the e-Suite, each known to Ketenbrug (identity map) with one document
Ketenbrug took before. Then three nights of the documenten source
(``sync.sources.esuite_documents``), each with a fresh source as a run builds one:

1. the ronde: every zaak asked for its documents (what every night cost before #18);
2. a quiet night after the e-Suite's abonnement was made: no notificatie, so no call;
3. a night after a consulent added a document to 1% of the zaken: the e-Suite notified the
   inbox (``/notificaties``) and the source asks those zaken only.

It prints each night's wall time and e-Suite calls and their share of the ronde; beside them,
measured in the same run, the floor: a raw HTTP round trip to the same simulator, and the
ronde's cost per zaak as a multiple of it. Exit code 1 when a night found other documents than
were added (a benchmark is no test, but a wrong answer is no measurement either).

Target (issue 18): a quiet night costs at most 1% of a ronde.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import requests
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from zaken_sync import floor_http  # the same raw round trip as the zaken benchmark

from adapters.base import Operation, SourceRecord
from adapters.document import VOEG_ZAAKDOCUMENT_TOE
from adapters.esuite.client import EsuiteClient
from adapters.esuite.config import EsuiteConfig
from adapters.esuite.document_target import EsuiteDocumentTarget
from adapters.esuite.document_upload import upload_from_data
from adapters.esuite.zaak_lijst import EsuiteZaakLijst
from simulators.esuite import make_esuite_server
from stuf import Systeem, Zaak
from sync.blobs import BlobStore
from sync.engine import RetryPolicy
from sync.inbox import Inbox
from sync.inbox_app import InboxServer
from sync.sources.esuite_documents import EsuiteDocumentSource
from sync.store.db import Store
from sync.store.models import IdentityLink

DAY = date(2026, 12, 1)
BATCH = 500


@dataclass
class Night:
    name: str
    seconds: float
    calls: int
    found: int

    def line(self, ronde: Night | None) -> str:
        share = f"{self.seconds / ronde.seconds:8.3%}" if ronde else "    100%"
        calls = f"{self.calls / ronde.calls:8.3%}" if ronde and ronde.calls else "    100%"
        return (
            f"{self.name:<12} {self.seconds:9.3f} s {share} {self.calls:>8} {calls} {self.found:>7}"
        )


def document_operation(identificatie: str, zaak: str, path: Path, content: bytes) -> Operation:
    return Operation(
        target_system="esuite",
        name=VOEG_ZAAKDOCUMENT_TOE,
        ledger_key=f"doc:{identificatie}",
        target_key=identificatie,
        data={
            "document": {
                "identificatie": identificatie,
                "titel": "Brief van de consulent",
                "zaak_identificatie": zaak,
                "documenttype": "Brief",
                "bestandsnaam": f"{identificatie}.pdf",
                "formaat": "application/pdf",
                "creatiedatum": "2026-12-01",
                "vertrouwelijkheid": "vertrouwelijk",
                "auteur": "consulent",
                "taal": "nld",
            },
            "content": {
                "path": str(path),
                "sha256": hashlib.sha256(content).hexdigest(),
                "size": len(content),
            },
        },
    )


def seed(esuite_store, store: Store, zaken: list[str]) -> None:  # type: ignore[no-untyped-def]
    """N zaken in the e-Suite, each with a document Ketenbrug knows (taken before)."""
    links = []
    for number, zaak in enumerate(zaken):
        esuite_store.create_zaak(Zaak(zaak, "PW-LO-AANV", startdatum=DAY, registratiedatum=DAY))
        document = f"0153ESUITED1{number:06d}"
        data = document_operation(document, zaak, Path("/dev/null"), b"").data
        esuite_store.add_document(upload_from_data(data).document)
        links += [
            {"entity_type": "zaak", "canonical_id": f"z{number}", "system": "esuite", "key": zaak},
            {
                "entity_type": "document",
                "canonical_id": f"d{number}",
                "system": "esuite",
                "key": document,
            },
        ]
    with store.engine.begin() as connection:
        connection.execute(insert(IdentityLink), links)


def night(
    name: str, source: EsuiteDocumentSource, cursor: str | None, calls: Callable[[], int]
) -> tuple[Night, list[str], str | None]:
    """One run of the source from ``cursor``, read batch after batch as the engine does."""
    before = calls()
    found: list[str] = []
    began = time.perf_counter()
    while (batch := source.read_batch(cursor, BATCH)) is not None:
        found += [
            r.data["document"]["identificatie"]
            for r in batch.records
            if isinstance(r, SourceRecord)
        ]
        cursor = batch.cursor_after
    seconds = time.perf_counter() - began
    return Night(name, seconds, calls() - before, len(found)), found, cursor


def wait_delivered(esuite_url: str, timeout_s: float = 120.0) -> dict[str, int]:
    deadline = time.monotonic() + timeout_s
    while True:
        state = requests.get(f"{esuite_url}/_admin/notificaties", timeout=10).json()
        if not state["pending"] or time.monotonic() > deadline:
            return dict(state)
        time.sleep(0.05)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zaken", type=int, default=10_000)
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    parser.add_argument("--quick", action="store_true", help="60 zaken, a smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.zaken = 60

    folder = Path(tempfile.mkdtemp(prefix="kb-bench-docs-"))
    store = Store(args.database_url or f"sqlite:///{folder / 'state.db'}")
    store.migrate()
    zaken = [f"0153ESUITE{n:07d}" for n in range(args.zaken)]
    today = [DAY]
    with (
        make_esuite_server() as esuite,
        InboxServer(Inbox(store, blobs=BlobStore(folder / "blobs"))) as inbox,
    ):
        esuite_store = esuite.app.store  # type: ignore[attr-defined]
        seed(esuite_store, store, zaken)
        config = EsuiteConfig(
            url=f"{esuite.url}/zds",
            zender=Systeem("0153", "KETENBRUG"),
            ontvanger=Systeem("0153", "ESUITE"),
        )
        client = EsuiteClient(config)
        target = EsuiteDocumentTarget(client, retry_delay_s=0)
        lijst = EsuiteZaakLijst(config)
        asked = [0]

        class CountedZaken:
            def identificatie_van(self, url: str) -> str | None:
                asked[0] += 1
                return lijst.identificatie_van(url)

        def source() -> EsuiteDocumentSource:
            return EsuiteDocumentSource(
                store,
                target,
                BlobStore(folder / "blobs"),
                zaken=CountedZaken(),
                today=lambda: today[0],
                retry=RetryPolicy(attempts=3, wait_base_s=0.01, wait_max_s=0.1),
            )

        def calls() -> int:  # every call Ketenbrug makes: ZDS operations and zaak lookups
            return sum(esuite_store.calls.values()) + asked[0]

        print(f"e-Suite documenten benchmark: {args.zaken} zaken, state store {store.url}")
        ronde, found_ronde, cursor = night("ronde", source(), None, calls)

        subscribed = requests.post(
            f"{esuite.url}/notificaties/api/v1/abonnement",
            json={
                "callbackUrl": f"{inbox.url}notificaties",
                "auth": "Bearer bench",
                "kanalen": [{"naam": "zaken"}],
            },
            timeout=10,
        )
        subscribed.raise_for_status()
        today[0] += timedelta(days=1)
        quiet, found_quiet, cursor = night("quiet night", source(), cursor, calls)

        step = 100
        added = []
        for number, zaak in enumerate(zaken[::step]):
            identificatie = f"0153ESUITED2{number:06d}"
            content = f"nieuw document {identificatie}".encode()
            path = folder / f"{identificatie}.pdf"
            path.write_bytes(content)
            target.apply(document_operation(identificatie, zaak, path, content))
            added.append(identificatie)
        delivery = wait_delivered(esuite.url)
        today[0] += timedelta(days=1)
        one_percent, found_one, cursor = night("1% night", source(), cursor, calls)
        http_s = floor_http(esuite.url, 300)
        client.close()

    header = f"{'night':<12} {'wall':>11} {'of ronde':>8} {'calls':>8} {'of ronde':>8} {'found':>7}"
    print(header)
    print("-" * len(header))
    print(ronde.line(None))
    print(quiet.line(ronde))
    print(one_percent.line(ronde))
    print(
        f"\nnotificaties: {delivery['published']} published by the e-Suite, "
        f"{delivery['delivered']} delivered to the inbox, {delivery['failed']} failed"
    )
    per_zaak = ronde.seconds / max(len(zaken), 1)
    print("physical floor, same run:")
    print(
        f"  raw HTTP round trip   {http_s * 1e3:7.2f} ms   "
        f"ronde per zaak {per_zaak * 1e3:7.2f} ms = {per_zaak / http_s:5.1f}x raw round trip"
    )
    share = quiet.seconds / ronde.seconds
    print(
        f"target: quiet night {share:.3%} of the ronde "
        f"({'PASS' if share <= 0.01 else 'MISS'}, ≤ 1%); 1% night "
        f"{one_percent.seconds / ronde.seconds:.2%} of the ronde"
    )
    right = found_ronde == [] and found_quiet == [] and sorted(found_one) == sorted(added)
    if not right:
        print(f"WRONG: the 1% night found {len(found_one)} documents, {len(added)} were added")
    store.dispose()
    return 0 if right else 1


if __name__ == "__main__":
    sys.exit(main())

"""Archive reconciliation against the state store: drift recorded once, repaired, resolved."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select

from mappings import load_tables
from stuf.model import Document
from sync.archief import HerstelFlow, open_drift, reconcile_archives
from sync.blobs import BlobStore
from sync.engine import Engine, RetryPolicy
from sync.reconcile import ArchiveEntry
from sync.store.db import Store
from sync.store.models import DriftItemRow, DriftState
from tests.sync.fakes import FakeTarget


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Archive:
    """Both a listing (unsorted, as ZGW pages come) and a reader of document content."""

    def __init__(self, documents: dict[str, bytes]) -> None:
        self.documents = documents
        self.reads = 0

    def iter_documents(self) -> Iterator[ArchiveEntry]:
        for identificatie in sorted(self.documents, reverse=True):
            data = self.documents[identificatie]
            yield ArchiveEntry(identificatie, _sha(data), len(data))

    def read_document(self, identificatie: str, sink: BinaryIO) -> tuple[Any, str, int]:
        self.reads += 1
        data = self.documents[identificatie]
        sink.write(data)
        document = Document(
            identificatie=identificatie,
            titel=f"Brief {identificatie}",
            zaak_identificatie="1900KB1",
            creatiedatum=date(2026, 3, 2),
        )
        return document, _sha(data), len(data)


class MyLex:
    def __init__(self, entries: list[ArchiveEntry]) -> None:
        self.entries = entries

    def iter_listing(self) -> Iterator[ArchiveEntry]:
        return iter(sorted(self.entries))


def _run(store: Store, archive: Archive, mylex: MyLex, tmp: Path, run: str) -> tuple[Any, Any]:
    target = FakeTarget(system="mylex")
    engine = Engine(
        store, HerstelFlow(), {"mylex": target}, load_tables(None), retry=RetryPolicy(1, 0, 0)
    )
    result = reconcile_archives(
        store,
        mylex=mylex,
        archive=archive,
        reader=archive,
        engine=engine,
        blobs=BlobStore(tmp / "blobs"),
        run_ref=run,
        sort_chunk=2,  # force the external sort to spill
    )
    return result, target


def test_drift_is_found_recorded_and_the_safe_part_repaired(store: Store, tmp_path: Path) -> None:
    archive = Archive({f"D{i}": f"brief {i}".encode() for i in range(6)})
    entries = [ArchiveEntry(k, _sha(v), len(v)) for k, v in archive.documents.items()]
    mylex = MyLex(
        [e for e in entries if e.identificatie not in ("D1", "D4")]  # two missing in MyLex
        + [ArchiveEntry("D9", _sha(b"oud"), 3)]  # MyLex only
    )
    mylex.entries = [
        e._replace(sha256=_sha(b"anders")) if e.identificatie == "D2" else e for e in mylex.entries
    ]

    result, target = _run(store, archive, mylex, tmp_path, "run-1")

    report = result.as_dict()
    assert report["ontbreekt_in_mylex"] == 2
    assert report["ontbreekt_in_nieuw_archief"] == 1
    assert report["andere_checksum"] == 1
    assert report["in_orde"] == 3  # D0, D3, D5
    assert report["hersteld"] == 2
    assert sorted(op for op in target.writes) == sorted(
        f"herstel:{d}:{_sha(archive.documents[d])[:16]}:run-1" for d in ("D1", "D4")
    )
    with store.session() as session:
        rows = {(r.kind, r.identificatie): r.state for r in session.scalars(select(DriftItemRow))}
    assert rows == {
        ("MISSING_IN_LEFT", "D1"): DriftState.HERSTELD,
        ("MISSING_IN_LEFT", "D4"): DriftState.HERSTELD,
        ("MISSING_IN_RIGHT", "D9"): DriftState.OPEN,
        ("DIFFERENT_CHECKSUM", "D2"): DriftState.OPEN,
    }
    assert {item["identificatie"] for item in open_drift(store)} == {"D2", "D9"}
    assert report["open_drift"] == 2


def test_a_rerun_of_the_same_run_repairs_nothing_twice(store: Store, tmp_path: Path) -> None:
    archive = Archive({"D1": b"een", "D2": b"twee"})
    mylex = MyLex([ArchiveEntry("D2", _sha(b"twee"), 4)])
    _first, target = _run(store, archive, mylex, tmp_path, "run-1")
    # the crash came before MyLex's listing showed the repair: the same run starts again
    again, target_again = _run(store, archive, mylex, tmp_path, "run-1")
    assert sum(target.writes.values()) == 1
    assert sum(target_again.writes.values()) == 0, "the ledger knows the repair was made"
    assert again.as_dict()["hersteld"] == 1  # counted as in step


def test_drift_that_is_gone_is_marked_opgelost_and_seen_again_updates_one_row(
    store: Store, tmp_path: Path
) -> None:
    archive = Archive({"D1": b"een"})
    mylex = MyLex([ArchiveEntry("D1", _sha(b"een"), 3), ArchiveEntry("D7", _sha(b"x"), 1)])
    _run(store, archive, mylex, tmp_path, "run-1")
    _run(store, archive, mylex, tmp_path, "run-2")
    with store.session() as session:
        assert len(session.scalars(select(DriftItemRow)).all()) == 1, "one row while it lasts"
    mylex.entries = mylex.entries[:1]  # beheer removed the stray document
    result, _ = _run(store, archive, mylex, tmp_path, "run-3")
    assert result.resolved == 1
    with store.session() as session:
        [row] = session.scalars(select(DriftItemRow)).all()
    assert row.state == DriftState.OPGELOST

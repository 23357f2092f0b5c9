"""The checker has teeth: each invariant flags a state that breaks it (fast, no chaos run)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from sync.blobs import BlobStore
from sync.inbox import Inbox
from sync.store.db import Store
from tests.chaos import messages
from tests.chaos.checker import check_all
from tests.chaos.model import Model, Push

ZAAK = "CHAOS-T-001"
EARLY = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LATE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _acknowledged(store: Store, blobs: BlobStore, model: Model, gezet: datetime) -> None:
    body = messages.status(ZAAK, "GWS-AV-01", 1, gezet)
    answer = Inbox(store, blobs=blobs).receive(body, None)
    assert answer.status == 200
    push = Push("status", body, zaak=ZAAK, gezet=gezet, code="GWS-AV-01")
    push.answers.append("bv03")
    model.add(push)


def _snapshot(*moments: datetime) -> dict[str, object]:
    statussen = [{"datum_status_gezet": m.isoformat()} for m in moments]
    return {"zaken": {ZAAK: {"statussen": statussen}}}


def _kinds(found: list[str]) -> set[str]:
    return {violation.split(":", 1)[0] for violation in found}


def test_each_invariant_flags_its_breach(sqlite_store: Store, tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    model = Model(bsns={ZAAK: messages.synthetic_bsn(1)})
    _acknowledged(sqlite_store, blobs, model, EARLY)
    _acknowledged(sqlite_store, blobs, model, LATE)
    logs: list[Path] = []

    def check(snapshot: dict[str, object]) -> set[str]:
        return _kinds(check_all(model, sqlite_store, snapshot, blobs.root, logs))

    # Still in the inbox (never drained): stuck, and lost in the e-Suite.
    assert {"stuck", "lost"} <= check(_snapshot())
    with sqlite_store.session() as session:
        session.execute(text("UPDATE inbox_message SET state = 'processed'"))
    assert check(_snapshot(EARLY, LATE)) == set(), "a correct state passes"
    assert "twice" in check(_snapshot(EARLY, LATE, LATE))
    assert "order" in check(_snapshot(LATE, EARLY))
    assert "lost" in check(_snapshot(EARLY))

    blobs.root.mkdir(parents=True, exist_ok=True)
    (blobs.root / ".blob-x.part").write_bytes(b"half")
    assert "orphan" in check(_snapshot(EARLY, LATE))
    (blobs.root / ".blob-x.part").unlink()

    log = tmp_path / "task.log"
    log.write_text(f"INFO something about {model.bsns[ZAAK]}\n")
    logs.append(log)
    assert check(_snapshot(EARLY, LATE)) == {"bsn"}

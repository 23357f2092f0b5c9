"""The invariants, checked after the run's quiesce phase against the model and every system.

Each check returns readable violations (no BSN in them). The checker reads the state store
with plain SQL on columns every schema version has, so it keeps working while the schema grows.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from privacy.masking import mask_bsn
from sync.store.db import Store
from sync.summary import flow_report
from tests.chaos.model import FUTURE_YEAR, Model, StatusKey

__all__ = ["check_all"]

ZAKEN_FUNCTIONS = ("creeerZaak", "updateZaak", "actualiseerZaakstatus")


def _instant(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _rows(store: Store, sql: str, **params: Any) -> list[Any]:
    with store.session() as session:
        return list(session.execute(text(sql), params).all())


class _State:
    """What the state store holds, loaded once."""

    def __init__(self, store: Store) -> None:
        self.inbox = {
            row.content_hash: row
            for row in _rows(
                store,
                "SELECT id, content_hash, state, function, batch_id, record_json"
                " FROM inbox_message",
            )
        }
        self.letters = _rows(
            store, "SELECT id, source_key, payload_ref, reason, state FROM dead_letter"
        )
        self.ledger = _rows(store, "SELECT source_key, state, operation FROM ledger_entry")
        self.batches = _rows(store, "SELECT id, partition, state FROM work_batch")
        # What beheer sees: the superseded count of the flow's summary.
        self.counted_superseded: int | None = int(flow_report(store, "zaken")["superseded"])

    def open_letter(self, refs: set[str], key: str | None = None) -> Any | None:
        for letter in self.letters:
            if letter.state == "open" and (
                letter.payload_ref in refs or (key is not None and letter.source_key == key)
            ):
                return letter
        return None


def _esuite_statuses(snapshot: dict[str, Any]) -> dict[str, list[datetime]]:
    return {
        zaak: [_instant(s["datum_status_gezet"]) for s in data["statussen"]]
        for zaak, data in snapshot.get("zaken", {}).items()
    }


def _ledger_statuses(state: _State) -> dict[StatusKey, str]:
    found: dict[StatusKey, str] = {}
    for row in state.ledger:
        if not row.source_key.startswith("status:"):
            continue
        _, zaak, _code, moment = row.source_key.split(":", 3)
        try:
            found[(zaak, _instant(moment))] = row.state
        except ValueError:
            continue
    return found


def _key_at(source_key: str, moment: datetime) -> bool:
    try:
        return _instant(source_key.split(":", 3)[3]) == moment
    except (IndexError, ValueError):
        return False


def check_statuses(model: Model, state: _State, snapshot: dict[str, Any]) -> list[str]:
    violations: list[str] = []
    delivered = _esuite_statuses(snapshot)
    ledger = _ledger_statuses(state)
    resent = {
        letter.source_key for letter in state.letters if letter.state in ("resent", "resending")
    }
    for zaak, moments in delivered.items():
        for index, moment in enumerate(moments):
            if index and moment < max(moments[:index]):
                key = next(
                    (k for k in resent if k.startswith(f"status:{zaak}:") and _key_at(k, moment)),
                    None,
                )
                how = "by a resend of its dead letter" if key else "by a retry of a deferred write"
                violations.append(
                    f"order: zaak {zaak}: status {moment.isoformat()} written after the newer"
                    f" {max(moments[:index]).isoformat()} ({how})"
                )
    superseded = 0
    for key, pushes in sorted(model.statuses().items()):
        zaak, moment = key
        count = delivered.get(zaak, []).count(moment)
        refs = {f"inbox:{state.inbox[p.sha256].id}" for p in pushes if p.sha256 in state.inbox}
        letter = state.open_letter(refs)
        what = f"status {moment.isoformat()} of zaak {zaak} ({pushes[0].code})"
        if not refs:
            violations.append(f"lost: acknowledged {what} is not in the inbox")
            continue
        if count > 1:
            violations.append(f"twice: {what} is in the e-Suite {count} times")
        if moment.year >= FUTURE_YEAR:
            if count:
                violations.append(f"future: {what} was delivered (expected a dead letter)")
            elif letter is None:
                violations.append(f"lost: future-dated {what} has no open dead letter")
            continue
        if count:
            continue
        if letter is not None:
            continue
        if ledger.get(key) == "superseded":
            superseded += 1
            later = [m for m in delivered.get(zaak, []) if m > moment]
            if not later:
                violations.append(f"silent: {what} superseded, but no later status delivered")
            elif all(m.year >= FUTURE_YEAR for m in later):
                violations.append(f"silent: {what} superseded by a future-dated status only")
            continue
        violations.append(
            f"lost: acknowledged {what} not delivered, no open dead letter"
            f" (ledger: {ledger.get(key, 'none')})"
        )
    in_ledger = sum(1 for s in ledger.values() if s == "superseded")
    if state.counted_superseded is not None and state.counted_superseded < in_ledger:
        violations.append(
            f"silent: {in_ledger} statuses superseded in the ledger,"
            f" the summary counted {state.counted_superseded}"
        )
    return violations


def check_zaken(model: Model, state: _State, snapshot: dict[str, Any]) -> list[str]:
    violations: list[str] = []
    in_esuite = set(snapshot.get("zaken", {}))
    for push in model.acknowledged("zaak"):
        assert push.zaak is not None
        row = state.inbox.get(push.sha256)
        if row is None:
            violations.append(f"lost: acknowledged creeerZaak {push.zaak} is not in the inbox")
            continue
        if push.zaak in in_esuite:
            continue
        if state.open_letter({f"inbox:{row.id}"}, f"zaak:{push.zaak}") is None:
            violations.append(f"lost: zaak {push.zaak} not in the e-Suite, no open dead letter")
    return violations


def check_documents(model: Model, state: _State) -> list[str]:
    """An acknowledged document must be stored with its record and its content blob."""
    violations: list[str] = []
    for push in model.acknowledged("document"):
        row = state.inbox.get(push.sha256)
        what = f"document {push.document_id} ({len(push.body)} bytes)"
        if row is None:
            violations.append(f"lost: acknowledged {what} is not in the inbox")
            continue
        record = json.loads(row.record_json) if row.record_json else {}
        content = record.get("content") or {}
        if "document" not in record:
            open_letter = state.open_letter({f"inbox:{row.id}"})
            if open_letter is None:
                violations.append(
                    f"lost: acknowledged {what} stored without a record (state {row.state}),"
                    " no dead letter: nothing will ever deliver it"
                )
        elif not content.get("path") or not Path(content["path"]).is_file():
            violations.append(f"lost: acknowledged {what}: its content blob is missing")
    return violations


def check_refused(model: Model, state: _State) -> list[str]:
    """A refused push (Fo01) is stored as dead, with a dead letter beheer can see."""
    violations: list[str] = []
    for push in model.pushes:
        if push.acknowledged or "fault" not in push.answers:
            continue
        row = state.inbox.get(push.sha256)
        if row is None:
            continue  # refused before it was stored (size limits): the sender knows
        if state.open_letter({f"inbox:{row.id}"}) is None and row.state != "dead":
            violations.append(f"refused {push.kind} push stored as {row.state}, no dead letter")
    return violations


def check_claims(state: _State) -> list[str]:
    violations: list[str] = []
    for letter in state.letters:
        if letter.state in ("resending", "resend_requested"):
            violations.append(
                f"stuck: dead letter {letter.id} ({letter.reason}) still {letter.state}"
            )
    for batch in state.batches:
        if batch.state == "open":
            violations.append(f"stuck: work_batch {batch.id} (partition {batch.partition}) open")
    for row in state.inbox.values():
        if row.state == "received" and row.function in ZAKEN_FUNCTIONS:
            where = f"claimed by batch {row.batch_id}" if row.batch_id else "never claimed"
            violations.append(f"stuck: inbox message {row.id} ({row.function}) received, {where}")
    return violations


def check_blobs(state: _State, blob_root: Path) -> list[str]:
    if not blob_root.is_dir():
        return []
    referenced: set[str] = set()
    for row in state.inbox.values():
        record = json.loads(row.record_json) if row.record_json else {}
        for path in ((record.get("content") or {}).get("path"), record.get("raw_blob")):
            if path:
                referenced.add(str(Path(path).resolve()))
    orphans = [
        path
        for path in blob_root.rglob("*")
        if path.is_file() and str(path.resolve()) not in referenced
    ]
    return [f"orphan: blob {path.relative_to(blob_root)} referenced by nothing" for path in orphans]


def check_logs(model: Model, logs: list[Path]) -> list[str]:
    violations: list[str] = []
    for log in logs:
        if not log.is_file():
            continue
        content = log.read_text(encoding="utf-8", errors="replace")
        for zaak, bsn in model.bsns.items():
            if bsn in content:
                line = next(x for x in content.splitlines() if bsn in x)
                shown = line.replace(bsn, mask_bsn(bsn))[:160]
                violations.append(f"bsn: BSN of zaak {zaak} unmasked in {log.name}: {shown}")
                break
    return violations


def check_all(
    model: Model, store: Store, snapshot: dict[str, Any], blob_root: Path, logs: list[Path]
) -> list[str]:
    """Every invariant; the empty list means the run survived."""
    state = _State(store)
    return (
        check_zaken(model, state, snapshot)
        + check_statuses(model, state, snapshot)
        + check_documents(model, state)
        + check_refused(model, state)
        + check_claims(state)
        + check_blobs(state, blob_root)
        + check_logs(model, logs)
    )

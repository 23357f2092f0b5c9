"""The ledger rows of a batch as the engine reads and writes them: plain rows, in bulk.

Why not ORM objects: the engine touches every ledger row of a batch twice (intent, outcome) and
needs a few columns of each. Building, tracking and flushing an ORM object per row cost more
than the SQL itself (#18); here a batch's rows are read in a few ``SELECT``\\s, the new ones
inserted with one ``INSERT ... RETURNING`` and the changed ones updated with one
``executemany`` per set of columns. Only :mod:`sync.engine` uses this; every other reader of
the ledger keeps using :class:`~sync.store.models.LedgerEntry`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from sync.store.models import LedgerEntry, utcnow

__all__ = ["IN_CHUNK", "LedgerRow", "insert_rows", "load_rows", "update_rows"]

_TABLE = cast(Table, LedgerEntry.__table__)
#: Keys per ``IN (...)`` query: well under SQLite's and PostgreSQL's parameter limits.
IN_CHUNK = 500

RowKey = tuple[str, str, str]  # (source_system, target_system, source_key)


@dataclass(slots=True)
class LedgerRow:
    """One ``ledger_entry`` row; ``id`` is None until it is inserted."""

    flow: str
    source_system: str
    source_key: str
    target_system: str
    target_key: str | None
    operation: str
    content_hash: str
    ordering_key: str | None
    ordering_value: str | None
    state: str
    attempts: int
    id: int | None = None

    @property
    def key(self) -> RowKey:
        return (self.source_system, self.target_system, self.source_key)


_COLUMNS = [f.name for f in fields(LedgerRow) if f.name != "id"]


def load_rows(session: Session, flow: str, source_keys: Collection[str]) -> dict[RowKey, LedgerRow]:
    """The flow's ledger rows under ``source_keys`` (any source and target system)."""
    found: dict[RowKey, LedgerRow] = {}
    ordered = sorted(source_keys)
    wanted = [_TABLE.c.id, *(_TABLE.c[name] for name in _COLUMNS)]
    for start in range(0, len(ordered), IN_CHUNK):
        chunk = ordered[start : start + IN_CHUNK]
        rows = session.execute(
            select(*wanted).where(_TABLE.c.flow == flow, _TABLE.c.source_key.in_(chunk))
        )
        for row in rows:
            ledger_row = LedgerRow(**row._mapping)
            found[ledger_row.key] = ledger_row
    return found


def insert_rows(session: Session, rows: Sequence[LedgerRow]) -> None:
    """Insert new rows in one statement and set each one's ``id``.

    The ids come back with each row's unique key, so their order does not matter (SQLite cannot
    return them in the order of the rows, which made the ORM insert one statement per row).
    """
    if not rows:
        return
    now = utcnow()
    by_key = {row.key: row for row in rows}
    returned = session.execute(
        insert(_TABLE).returning(
            _TABLE.c.id, _TABLE.c.source_system, _TABLE.c.target_system, _TABLE.c.source_key
        ),
        [
            {
                **{name: getattr(row, name) for name in _COLUMNS},
                "created_at": now,
                "updated_at": now,
            }
            for row in rows
        ],
    )
    for ledger_id, source_system, target_system, source_key in returned:
        by_key[(source_system, target_system, source_key)].id = ledger_id


def update_rows(session: Session, changes: Sequence[dict[str, Any]], now: datetime) -> None:
    """Apply ``{"id": ..., column: value, ...}`` changes; ``updated_at`` is set to ``now``.

    One ``executemany`` per set of columns changed. ``updated_at`` matters: an in-flight row's
    age decides whether it still holds back older changes of its object.
    """
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for change in changes:
        by_columns.setdefault(tuple(sorted(c for c in change if c != "id")), []).append(change)
    for columns, group in by_columns.items():
        values: dict[str, Any] = {c: bindparam(f"new_{c}") for c in columns}
        values["updated_at"] = bindparam("new_updated_at")
        session.execute(
            update(_TABLE).where(_TABLE.c.id == bindparam("ledger_id")).values(values),
            [
                {
                    "ledger_id": change["id"],
                    "new_updated_at": now,
                    **{f"new_{c}": change[c] for c in columns},
                }
                for change in group
            ],
        )

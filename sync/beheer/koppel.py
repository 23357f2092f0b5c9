"""Koppeltabellen: the mapping tables, the codes that arrived unmapped, and adding a mapping.

An unmapped code is read from its dead letter's message ("code 'X' staat niet in
mappingtabel 'T'", see :class:`adapters.errors.UnmappedCodeError`). A mapping beheer adds is
validated and written by :func:`mappings.edit.put_mapping` in ``KETENBRUG_MAPPINGS_DIR``,
audited with its old and new value; the dead letters it blocked can then be resent at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from mappings.edit import EDITABLE, put_mapping, read_table
from mappings.tables import DEFAULT_DIR, STATUSSEN, STATUSTYPEN, ZAAKTYPEN, MappingError
from privacy.masking import mask_text
from sync.audit import audit_mapping_change
from sync.beheer.fouten import ActionResult, resend
from sync.store.db import Store
from sync.store.models import DeadLetter, DeadLetterState

__all__ = [
    "MappingRefused",
    "TableView",
    "UnmappedCode",
    "add_mapping",
    "blocked_letters",
    "mapping_tables",
    "resend_blocked",
    "unmapped_codes",
]

_UNMAPPED = re.compile(r"code '(?P<code>[^']*)' staat niet in mappingtabel '(?P<table>[^']*)'")
_TABLE_FILES = {"esuite_statustypen": STATUSTYPEN, "zaaktypen": ZAAKTYPEN, "statussen": STATUSSEN}


class MappingRefused(Exception):
    """The mapping was not stored; ``findings`` say why (Dutch, for beheer)."""

    def __init__(self, findings: list[str]) -> None:
        super().__init__("; ".join(findings))
        self.findings = findings


@dataclass
class TableView:
    name: str
    header: list[str]
    rows: list[dict[str, str]]
    editable: bool


def mapping_tables(folder: Path | None) -> list[TableView]:
    """The three tables as beheer's folder holds them (or the shipped ones when none is set)."""
    source = folder or DEFAULT_DIR
    views = []
    for name, file_name in _TABLE_FILES.items():
        header, rows = read_table(source, file_name)
        views.append(
            TableView(name, header, rows, editable=folder is not None and name in EDITABLE)
        )
    return views


@dataclass
class UnmappedCode:
    system: str
    table: str
    code: str
    count: int = 0
    example_id: int = 0
    example_key: str = ""
    letter_ids: list[int] = field(default_factory=list)
    mapped_now: bool = False  # the table has the code by now: resending is what is left

    @property
    def editable(self) -> bool:
        return self.table in EDITABLE


def _parse(message: str) -> tuple[str, str] | None:
    match = _UNMAPPED.search(message or "")
    return (match["table"], match["code"]) if match else None


def _mapped(folder: Path | None, table: str, system: str, code: str) -> bool:
    if table not in EDITABLE:
        return False
    file_name, _, _ = EDITABLE[table]
    _, rows = read_table(folder or DEFAULT_DIR, file_name)
    return any((r.get("bronsysteem"), r.get("broncode")) == (system, code) for r in rows)


def unmapped_codes(store: Store, folder: Path | None = None) -> list[UnmappedCode]:
    """Open dead letters with reason ``unmapped``, grouped per system, table and code."""
    found: dict[tuple[str, str, str], UnmappedCode] = {}
    with store.session() as session:
        rows = session.execute(
            select(
                DeadLetter.id, DeadLetter.source_system, DeadLetter.source_key, DeadLetter.message
            )
            .where(DeadLetter.reason == "unmapped", DeadLetter.state == DeadLetterState.OPEN)
            .order_by(DeadLetter.id)
        ).all()
    for letter_id, system, key, message in rows:
        parsed = _parse(message)
        if parsed is None:
            continue
        slot = (system, *parsed)
        code = found.setdefault(
            slot,
            UnmappedCode(
                system, parsed[0], parsed[1], example_id=letter_id, example_key=mask_text(key)
            ),
        )
        code.count += 1
        code.letter_ids.append(letter_id)
    for code in found.values():
        code.mapped_now = _mapped(folder, code.table, code.system, code.code)
    return sorted(found.values(), key=lambda c: (-c.count, c.system, c.table, c.code))


def blocked_letters(store: Store, system: str, table: str, code: str) -> list[int]:
    """The open dead letters this code blocked."""
    for unmapped in unmapped_codes(store):
        if (unmapped.system, unmapped.table, unmapped.code) == (system, table, code):
            return unmapped.letter_ids
    return []


def add_mapping(
    store: Store, folder: Path | None, table: str, values: dict[str, str], *, actor: str
) -> dict[str, str] | None:
    """Validate and store one mapping row, audited with old and new value; return the old row."""
    if folder is None:
        raise MappingRefused(
            [
                "KETENBRUG_MAPPINGS_DIR is niet ingesteld: "
                "de meegeleverde tabellen zijn niet te wijzigen"
            ]
        )
    try:
        old = put_mapping(folder, table, values)
    except MappingError as error:
        raise MappingRefused([mask_text(f) for f in error.findings]) from error
    _, columns, key_columns = EDITABLE[table]
    new = {c: " ".join((values.get(c) or "").split()) for c in columns}
    with store.session() as session:
        audit_mapping_change(
            session,
            actor=actor,
            table=table,
            key=":".join(new[c] for c in key_columns),
            old=old,
            new=new,
        )
    return old


def resend_blocked(store: Store, system: str, table: str, code: str, *, actor: str) -> ActionResult:
    """Request a resend of every open dead letter this code blocked."""
    return resend(store, blocked_letters(store, system, table, code), actor=actor)

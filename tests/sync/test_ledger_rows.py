"""The engine's bulk ledger rows: ids matched by key, changes applied by id, updated_at fresh."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from sync.ledger_rows import LedgerRow, insert_rows, load_rows, update_rows
from sync.store.db import Store
from sync.store.models import LedgerEntry, LedgerState, as_utc, utcnow


def _row(key: str, target: str = "esuite") -> LedgerRow:
    return LedgerRow(
        flow="zaken",
        source_system="gws4all",
        source_key=key,
        target_system=target,
        target_key=f"t-{key}",
        operation="creeer_zaak",
        content_hash="h" * 64,
        ordering_key=key,
        ordering_value="2026-01-01",
        state=LedgerState.IN_FLIGHT,
        attempts=1,
    )


def test_inserted_rows_get_their_own_ids_and_load_back(store: Store) -> None:
    rows = [_row(f"k{n}", target) for n in range(300) for target in ("esuite", "xtendis")]
    with store.session() as session:
        insert_rows(session, rows)
    with store.session() as session:
        loaded = load_rows(session, "zaken", {row.source_key for row in rows})
        by_id = {e.id: e for e in session.scalars(select(LedgerEntry))}
    assert len(loaded) == len(rows) == len(by_id)
    for row in rows:
        stored = by_id[row.id]  # type: ignore[index]
        assert (stored.source_key, stored.target_system) == (row.source_key, row.target_system)
        assert loaded[row.key] == row


def test_changes_are_applied_by_id_with_a_fresh_updated_at(store: Store) -> None:
    rows = [_row("a"), _row("b"), _row("c")]
    with store.session() as session:
        insert_rows(session, rows)
        long_ago = utcnow() - timedelta(days=2)
        session.execute(update(LedgerEntry).values(updated_at=long_ago))
    now = utcnow()
    with store.session() as session:
        update_rows(
            session,
            [
                {"id": rows[0].id, "state": LedgerState.DELIVERED},
                {"id": rows[1].id, "state": LedgerState.DEAD, "last_error": "geweigerd"},
            ],
            now,
        )
    with store.session() as session:
        stored = {e.source_key: e for e in session.scalars(select(LedgerEntry))}
    assert (stored["a"].state, stored["a"].last_error) == (LedgerState.DELIVERED, None)
    assert (stored["b"].state, stored["b"].last_error) == (LedgerState.DEAD, "geweigerd")
    assert stored["c"].state == LedgerState.IN_FLIGHT, "a row not named is left alone"
    # An in-flight row's age decides whether it still holds back older changes of its object.
    assert as_utc(stored["a"].updated_at) >= now - timedelta(seconds=1)
    assert as_utc(stored["b"].updated_at) >= now - timedelta(seconds=1)
    assert as_utc(stored["c"].updated_at) < now - timedelta(days=1)

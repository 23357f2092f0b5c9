"""The state store on SQLite and PostgreSQL: migrations, identity map, numbering, dead letters."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from sync.deadletters import record_dead_letter
from sync.identity import IdentityMap
from sync.inbox import next_number
from sync.store.db import Store
from sync.store.models import Base, DeadLetter

TABLES = {
    "sync_run",
    "cursor",
    "work_batch",
    "inbox_message",
    "ledger_entry",
    "identity_link",
    "dead_letter",
    "audit_log",
    "numbering",
    "alembic_version",
}


def test_migrations_create_every_table_and_match_the_models(store: Store) -> None:
    assert set(inspect(store.engine).get_table_names()) >= TABLES
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == [], "models changed without a migration"


def test_migrate_twice_is_harmless(store: Store) -> None:
    store.migrate()
    assert set(inspect(store.engine).get_table_names()) >= TABLES


def test_identity_map_links_keys_across_systems(store: Store) -> None:
    with store.session() as session:
        ids = IdentityMap(session)
        canonical = ids.link("zaak", "gws4all", "Z-1", "esuite", "0153ESUITE0000001")
        assert ids.link("zaak", "esuite", "0153ESUITE0000001", "gws4all", "Z-1") == canonical
        ids.link("zaak", "gws4all", "Z-1", "xtendis", "XD-1")
    with store.session() as session:
        ids = IdentityMap(session)
        assert ids.lookup("zaak", "gws4all", "Z-1", "esuite") == "0153ESUITE0000001"
        assert ids.lookup("zaak", "esuite", "0153ESUITE0000001", "xtendis") == "XD-1"
        assert ids.lookup("zaak", "gws4all", "Z-2", "esuite") is None
        assert ids.lookup("document", "gws4all", "Z-1", "esuite") is None


def test_numbering_never_hands_out_a_number_twice(store: Store) -> None:
    def take(_: int) -> int:
        with store.session() as session:
            return next_number(session, "zaak")

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(take, range(80)))
    assert sorted(numbers) == list(range(1, 81))


def test_one_open_dead_letter_per_record_with_masked_message(store: Store) -> None:
    for _ in range(3):
        with store.session() as session:
            record_dead_letter(
                session,
                flow="zaken",
                source_system="gws4all",
                source_key="status:Z-1",
                reason="unmapped",
                message="BSN 111222333 heeft onbekende code",
                payload_ref="inbox:1",
            )
    with store.session() as session:
        letter = session.scalars(select(DeadLetter)).one()
    assert letter.attempts == 3
    assert "111222333" not in letter.message and "*****2333" in letter.message

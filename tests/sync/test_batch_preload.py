"""A batch reads its identity links and zaak kenmerken once, not once per record (#18).

The cost per record must not include a query (and, through autoflush, a flush of every row the
batch added so far). These tests count the statements sent to the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from sync.identity import IdentityMap
from sync.store.db import Store
from sync.zaak_kenmerken import ZaakKenmerken


@contextmanager
def counted(store: Store) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(store.engine, "before_cursor_execute", count)


def test_preloaded_links_answer_lookup_and_origin_without_a_query(store: Store) -> None:
    with store.session() as session:
        identity = IdentityMap(session)
        for n in range(20):
            identity.link("zaak", "esuite", f"Z{n}", "gws4all", f"Z{n}")  # started in e-Suite
        identity.link("zaak", "gws4all", "G1", "esuite", "G1")  # started in GWS4all
    with store.session() as session:
        identity = IdentityMap(session)
        keys = [f"Z{n}" for n in range(20)] + ["G1", "nobody"]
        with counted(store) as statements:
            identity.preload("zaak", "gws4all", keys)
        assert len(statements) == 2  # the keys, then their groups
        with counted(store) as statements:
            assert identity.lookup("zaak", "gws4all", "Z7", "esuite") == "Z7"
            assert identity.origin("zaak", "gws4all", "Z7") == "esuite"
            assert identity.origin("zaak", "gws4all", "G1") == "gws4all"
            assert identity.lookup("zaak", "gws4all", "nobody", "esuite") is None
            assert identity.lookup("zaak", "gws4all", "Z7", "allegro") is None  # not linked
        assert statements == []


def test_a_link_made_after_preload_is_found_and_its_origin_known(store: Store) -> None:
    with store.session() as session:
        identity = IdentityMap(session)
        identity.preload("zaak", "gws4all", ["NEW"])
        identity.preload("zaak", "esuite", ["NEW"])
        identity.link("zaak", "gws4all", "NEW", "esuite", "NEW")
        with counted(store) as statements:
            assert identity.lookup("zaak", "gws4all", "NEW", "esuite") == "NEW"
            assert identity.origin("zaak", "esuite", "NEW") == "gws4all"
        assert statements == []
    with store.session() as session:  # and it was stored once
        assert IdentityMap(session).lookup("zaak", "esuite", "NEW", "gws4all") == "NEW"


def test_kenmerken_shared_by_a_session_find_a_row_added_before_its_flush(store: Store) -> None:
    with store.session() as session:
        ZaakKenmerken(session).preload(["Z1", "Z2"])
        with counted(store) as statements:
            ZaakKenmerken(session).record("Z1", bron="gws4all", zaaktype="B1026")
            # another instance on the same session: the pending row, not a second one
            ZaakKenmerken(session).record("Z1", bron="gws4all", startdatum="2024-03-01")
            found = ZaakKenmerken(session).lookup("Z1")
        assert statements == []
        assert found is not None and found.zaaktype == "B1026" and found.startjaar == 2024
    with store.session() as session:
        again = ZaakKenmerken(session).lookup("Z1")
        assert again is not None and again.zaaktype == "B1026" and again.startjaar == 2024

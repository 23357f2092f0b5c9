"""Planning documents: three targets, the e-Suite zaak from the identity map, never a BSN."""

from __future__ import annotations

import json

import pytest

from adapters.base import SourceRecord
from adapters.errors import ZaakOnbekendError
from mappings import load_tables
from sync.engine import PlanContext
from sync.flows.documenten import DocumentenFlow, drop_name
from sync.identity import IdentityMap
from sync.store.db import Store

SHA = "ab" * 32


def _record(
    source: str = "gws4all", zaak: str | None = "1900KB7", ident: str = "D1"
) -> SourceRecord:
    return SourceRecord(
        source_system=source,
        key=f"{source}-doc:{ident}:{SHA[:16]}",
        kind="document",
        data={
            "document": {
                "identificatie": ident,
                "titel": "Beschikking",
                "zaak_identificatie": zaak,
            },
            "content": {"path": "/blobs/ab/" + SHA, "sha256": SHA, "size": 10},
        },
        payload_ref="inbox:1",
    )


def test_a_document_goes_to_the_esuite_zaak_xtendis_and_mylex(store: Store) -> None:
    with store.session() as session:
        identity = IdentityMap(session)
        identity.link("zaak", "gws4all", "1900KB7", "esuite", "ES-7")
        operations = DocumentenFlow().plan(_record(), PlanContext(identity, load_tables(None)))
        assert identity.lookup("document", "gws4all", "D1", "mylex") == "D1"
    by_target = {op.target_system: op for op in operations}
    assert set(by_target) == {"esuite", "xtendis", "mylex"}
    assert by_target["esuite"].data["document"]["zaak_identificatie"] == "ES-7"
    assert by_target["xtendis"].data["archief"] == "WERK_INKOMEN"
    assert by_target["xtendis"].data["drop_name"] == f"gws4all-D1-{SHA[:12]}"
    assert all(op.data["content"]["sha256"] == SHA for op in operations)
    assert "bsn" not in json.dumps([op.data for op in operations]).lower()


def test_a_document_whose_zaak_the_esuite_lacks_is_a_dead_letter_zaak_onbekend(
    store: Store,
) -> None:
    with store.session() as session, pytest.raises(ZaakOnbekendError) as raised:
        DocumentenFlow().plan(_record(), PlanContext(IdentityMap(session), load_tables(None)))
    assert raised.value.reason == "zaak_onbekend"


def test_a_document_from_the_esuite_goes_to_xtendis_and_mylex_only(store: Store) -> None:
    with store.session() as session:
        operations = DocumentenFlow().plan(
            _record(source="esuite"), PlanContext(IdentityMap(session), load_tables(None))
        )
    assert {op.target_system for op in operations} == {"xtendis", "mylex"}


def test_drop_names_are_safe_whatever_the_identificatie() -> None:
    name = drop_name(_record(ident="../../etc/passwd nul\x00"))
    assert name.endswith(SHA[:12]) and "/" not in name and ".." not in name and "\x00" not in name


def test_an_update_with_content_is_updatezaakdocument_and_without_content_nothing(
    store: Store,
) -> None:
    update = _record()
    update = SourceRecord(
        **{**update.__dict__, "data": {**update.data, "functie": "updateZaakdocument"}}
    )
    metadata_only = SourceRecord(**{**update.__dict__, "data": {**update.data, "content": None}})
    with store.session() as session:
        identity = IdentityMap(session)
        identity.link("zaak", "gws4all", "1900KB7", "esuite", "ES-7")
        context = PlanContext(identity, load_tables(None))
        operations = DocumentenFlow().plan(update, context)
        assert DocumentenFlow().plan(metadata_only, context) == []
    assert {op.target_system: op.name for op in operations} == {
        "esuite": "update_zaakdocument",
        "xtendis": "drop_document",
        "mylex": "archiveer_document",
    }

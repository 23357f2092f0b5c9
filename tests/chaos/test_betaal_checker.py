"""The betaal chaos checker itself: each invariant reports the breach it names (no simulators)."""

from __future__ import annotations

from typing import Any

from sync.pseudonym import bsn_ref
from tests.chaos.betaal_checker import BetaalModel, Query, check_betaal, check_eenmalig

BSN = "111222333"
OTHER_BSN = "123456782"


def _model() -> BetaalModel:
    model = BetaalModel(secret="s", periods=("2024-03",))
    model.bsns = {1: BSN, 2: OTHER_BSN}
    model.add_zaak("Z1", "B1026", 1, 0)
    model.add_zaak("Z2", "B1026", 2, 0)
    return model


def _doc(zaak: str, sha: str) -> dict[str, Any]:
    return {"zaak": zaak, "bestandsnaam": "uitkeringsspecificatie-2024-03.pdf", "sha256": sha}


def test_two_documents_for_one_period_are_twice_and_an_old_version_is_stale() -> None:
    expected: dict[tuple[int, str], str | None] = {(1, "2024-03"): "new", (2, "2024-03"): "b"}
    documents = {"D1": _doc("Z1", "old"), "D2": _doc("Z1", "new"), "D3": _doc("Z2", "x")}
    violations, _ = check_betaal(_model(), documents, expected, [])
    assert any(v.startswith("twice: client 1 2024-03") for v in violations)
    assert any(v.startswith("stale: client 2 2024-03") for v in violations)
    assert not any(BSN in v or OTHER_BSN in v for v in violations)


def test_a_missing_document_is_lost_unless_its_dead_letter_is_open() -> None:
    expected: dict[tuple[int, str], str | None] = {(1, "2024-03"): "a", (2, "2024-03"): None}
    violations, _ = check_betaal(_model(), {}, expected, [])
    assert violations == ["lost: client 1 2024-03 paid, no document, no open dead letter"]

    class Letter:
        flow = "betaalspecificaties"
        source_key = f"betaalspec:gws4all:2024-03:{bsn_ref('s', BSN)}"

    violations, notes = check_betaal(_model(), {}, expected, [Letter()])
    assert violations == [] and len(notes) == 1


def test_a_query_after_delivery_is_a_requery_but_one_before_is_not() -> None:
    model = _model()
    model.delivered_op["Z1"] = 3
    model.queries = [
        Query("BRPDossierPersoonGSD", BSN, "ok", 3),  # the run that delivered it
        Query("BRPDossierPersoonGSD", BSN, "ok", 5),  # a later run: never
    ]
    violations, _ = check_eenmalig(model)
    assert violations == [
        "requery: zaak Z1 delivered in op 3, Suwinet asked again (BRPDossierPersoonGSD) in op 5"
    ]
    model.add_zaak("Z3", "B1027", 1, 4)  # a new aanvraag of the same person: asked again
    assert check_eenmalig(model)[0] == []

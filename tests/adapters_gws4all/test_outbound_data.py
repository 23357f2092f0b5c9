"""The operation data the flow builds: plain JSON that gives the same zaak back, and the
backoffice's geefLijstZaakdocumenten (ZDS 1.1) that is_applied reads documents with."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from adapters.errors import InvalidMessageError
from adapters.gws4all.outbound_target import (
    CREEER_ZAAK_GWS4ALL,
    VOEG_DOCUMENT_TOE_GWS4ALL,
    Gws4allTarget,
    document_operation,
    zaak_from_data,
    zaak_operation,
)
from simulators.testing import Gws4allBackofficeHandle
from stuf import (
    Fout,
    GeefLijstZaakdocumenten,
    LijstZaakdocumentenAntwoord,
    NoValue,
    Systeem,
    Zaak,
    new_stuurgegevens,
)
from tests.adapters_gws4all.conftest import ZAAK_ID, Blob, doc_operation, document_fields, new_zaak


def test_zaak_operation_data_is_json_and_round_trips() -> None:
    zaak = Zaak(
        identificatie=ZAAK_ID,
        zaaktype_code="PW-LO-AANV",
        zaaktype_omschrijving=NoValue.GEEN_WAARDE,
        omschrijving="Aanvraag",
        toelichting="",
        startdatum=date(2026, 11, 30),
        einddatum=NoValue.NIL,
        einddatum_gepland=date(2027, 1, 31),
        initiator_bsn="111222333",
    )
    operation = zaak_operation(zaak)
    assert (operation.name, operation.target_key) == (CREEER_ZAAK_GWS4ALL, ZAAK_ID)
    assert operation.target_system == "gws4all"
    assert zaak_from_data(json.loads(json.dumps(operation.data))) == zaak


def test_document_operation_is_the_shared_document_contract(tmp_path: Path) -> None:
    content = {"path": str(tmp_path / "a.pdf"), "sha256": "A" * 64, "size": 3}
    operation = document_operation(document_fields("DOC-1"), content)
    assert (operation.name, operation.target_key) == (VOEG_DOCUMENT_TOE_GWS4ALL, "DOC-1")
    assert operation.data["content"] == {**content, "sha256": "a" * 64}
    assert operation.data["document"]["zaak_identificatie"] == ZAAK_ID
    with pytest.raises(InvalidMessageError, match="zonder zaak"):
        document_operation(document_fields("DOC-2", zaak_id=""), content)


def test_the_backoffice_lists_a_zaaks_documents_in_zds_11(
    gws4all_backoffice: Gws4allBackofficeHandle, blob: Blob, target: Gws4allTarget
) -> None:
    sg = new_stuurgegevens("Lv01", Systeem("1900", "Ketenbrug"), Systeem("1900", "GWS4all"), "ZAK")
    _, unknown = gws4all_backoffice.call(GeefLijstZaakdocumenten(sg, ZAAK_ID))
    assert isinstance(unknown, Fout) and unknown.berichtcode == "Fo02"
    assert "niet gevonden" in unknown.omschrijving
    gws4all_backoffice.server.store.create_zaak(new_zaak())
    _, empty = gws4all_backoffice.call(GeefLijstZaakdocumenten(sg, ZAAK_ID))
    assert isinstance(empty, LijstZaakdocumentenAntwoord) and empty.documenten == []
    for name in ("DOC-1", "DOC-2"):
        path, sha = blob(name.encode())
        target.apply(doc_operation(name, path, sha, 5))
    _, answer = gws4all_backoffice.call(GeefLijstZaakdocumenten(sg, ZAAK_ID))  # schema-checked
    assert isinstance(answer, LijstZaakdocumentenAntwoord) and answer.zaak_identificatie == ZAAK_ID
    assert [d.identificatie for d in answer.documenten] == ["DOC-1", "DOC-2"]
    assert answer.documenten[0].titel == "Aanvraagformulier" and answer.documenten[0].inhoud is None

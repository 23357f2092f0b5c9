"""The e-Suite simulator's document services: identificatie, list, read, update."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from simulators.synthetic import SyntheticData
from simulators.testing import SimulatorHandle, esuite, esuite_simulator
from stuf import (
    Bevestiging,
    CreeerZaak,
    Document,
    DocumentIdentificatieAntwoord,
    Fout,
    GeefLijstZaakdocumenten,
    GeefZaakdocumentLezen,
    GenereerDocumentIdentificatie,
    LijstZaakdocumentenAntwoord,
    Systeem,
    UpdateZaakdocument,
    VoegZaakdocumentToe,
    Zaak,
    ZaakdocumentAntwoord,
    new_stuurgegevens,
)

__all__ = ["esuite", "esuite_simulator"]

KETENBRUG = Systeem("0153", "KETENBRUG")
ESUITE = Systeem("0153", "ESUITE")
ZAAK_ID = "0153ESUITE2000001"


def _sg(berichtcode: str, **kwargs: Any) -> Any:
    return new_stuurgegevens(berichtcode, KETENBRUG, ESUITE, **kwargs)


def _document(identificatie: str, content: bytes, titel: str = "Beschikking") -> Document:
    return Document(
        identificatie=identificatie,
        titel=titel,
        zaak_identificatie=ZAAK_ID,
        documenttype_omschrijving="Brief",
        bestandsnaam=f"{identificatie}.pdf",
        formaat="application/pdf",
        creatiedatum=date(2025, 3, 4),
        vertrouwelijkheid="VERTROUWELIJK",
        auteur="Ketenbrug",
        inhoud=content,
        content_type="application/pdf",
    )


def _with_zaak_and_document(esuite: SimulatorHandle, content: bytes) -> str:
    zaak = Zaak(
        ZAAK_ID, "PW-LO-AANV", startdatum=date(2025, 3, 3), registratiedatum=date(2025, 3, 3)
    )
    esuite.call(CreeerZaak(_sg("Lk01", entiteittype="ZAK"), zaak=zaak))
    _, answer = esuite.call(
        GenereerDocumentIdentificatie(_sg("Di02", functie="genereerDocumentidentificatie"))
    )
    assert isinstance(answer, DocumentIdentificatieAntwoord)
    assert answer.identificatie == "0153ESUITED1000001"
    message = VoegZaakdocumentToe(
        _sg("Lk01", entiteittype="EDC"), document=_document(answer.identificatie, content)
    )
    assert isinstance(esuite.call(message)[1], Bevestiging)
    return answer.identificatie


def test_list_and_read_documents(esuite: SimulatorHandle) -> None:
    content = SyntheticData(1, document_scale=0.05).zaak(0).documenten[0].read_bytes()
    doc_id = _with_zaak_and_document(esuite, content)
    _, listing = esuite.call(
        GeefLijstZaakdocumenten(_sg("Lv01", entiteittype="ZAK"), zaak_identificatie=ZAAK_ID)
    )
    assert isinstance(listing, LijstZaakdocumentenAntwoord)
    assert [d.identificatie for d in listing.documenten] == [doc_id]
    _, read = esuite.call(
        GeefZaakdocumentLezen(_sg("Lv01", entiteittype="EDC"), document_identificatie=doc_id)
    )
    assert isinstance(read, ZaakdocumentAntwoord) and read.document is not None
    assert read.document.inhoud == content
    state = esuite.state(ZAAK_ID)
    assert state["documenten"][doc_id]["sha256"] == hashlib.sha256(content).hexdigest()


def test_update_document_replaces_content(esuite: SimulatorHandle) -> None:
    doc_id = _with_zaak_and_document(esuite, b"%PDF-1.4 v1\n%%EOF\n")
    new = b"%PDF-1.4 v2, corrected\n%%EOF\n"
    message = UpdateZaakdocument(
        _sg("Di02", functie="updateZaakdocument"),
        was=_document(doc_id, b"", titel="Beschikking"),
        wordt=_document(doc_id, new, titel="Beschikking (gecorrigeerd)"),
        checked_out_id="abc",
    )
    _, answer = esuite.call(message)
    assert isinstance(answer, Bevestiging) and answer.berichtcode == "Bv02"
    stored = esuite.store.document(doc_id)
    assert stored is not None and stored.content == new
    assert stored.document.titel == "Beschikking (gecorrigeerd)"


def test_unknown_documents_and_zaken(esuite: SimulatorHandle) -> None:
    _, listing = esuite.call(
        GeefLijstZaakdocumenten(_sg("Lv01", entiteittype="ZAK"), zaak_identificatie="ONBEKEND-9")
    )
    assert isinstance(listing, Fout) and listing.berichtcode == "Fo02"
    _, read = esuite.call(
        GeefZaakdocumentLezen(_sg("Lv01", entiteittype="EDC"), document_identificatie="GEEN-DOC")
    )
    assert isinstance(read, Fout) and "niet gevonden" in read.omschrijving
    orphan = VoegZaakdocumentToe(
        _sg("Lk01", entiteittype="EDC"), document=_document("WEES-DOC-1", b"x")
    )
    _, answer = esuite.call(orphan)
    assert isinstance(answer, Fout) and answer.berichtcode == "Fo03"

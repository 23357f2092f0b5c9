"""The questions GWS4all asks (ZDS 1.1), and e-Suite data to answer them from."""

from __future__ import annotations

from datetime import UTC, date, datetime

from simulators.esuite_store import EsuiteStore
from stuf import (
    Document,
    GeefLijstZaakdocumenten,
    GeefZaakdetails,
    GeefZaakdocumentLezen,
    Stuurgegevens,
    Zaak,
    ZaakStatus,
    ZdsVersion,
    build_message,
    new_stuurgegevens,
    validate,
)
from tests.sync.messages import BSN, CDR, GWS4ALL

__all__ = ["BSN", "CDR", "GWS4ALL"]


def _sg(entiteittype: str) -> Stuurgegevens:
    return new_stuurgegevens("Lv01", GWS4ALL, CDR, entiteittype=entiteittype)


def geef_zaakdetails(zaak_id: str) -> tuple[bytes, Stuurgegevens]:
    sg = _sg("ZAK")
    return build_message(GeefZaakdetails(sg, zaak_identificatie=zaak_id), ZdsVersion.V1_1), sg


def geef_lijst(zaak_id: str) -> tuple[bytes, Stuurgegevens]:
    sg = _sg("ZAK")
    message = GeefLijstZaakdocumenten(sg, zaak_identificatie=zaak_id)
    return build_message(message, ZdsVersion.V1_1), sg


def geef_lezen(document_id: str) -> tuple[bytes, Stuurgegevens]:
    sg = _sg("EDC")
    message = GeefZaakdocumentLezen(sg, document_identificatie=document_id)
    return build_message(message, ZdsVersion.V1_1), sg


def esuite_zaak(store: EsuiteStore, esuite_id: str, *, status: bool = True) -> None:
    """A bijstandsaanvraag in the e-Suite (its own zaaktype and statustype codes)."""
    store.create_zaak(
        Zaak(
            identificatie=esuite_id,
            zaaktype_code="B1026",
            zaaktype_omschrijving="Aanvraag levensonderhoud Participatiewet",
            omschrijving="Aanvraag levensonderhoud",
            startdatum=date(2026, 3, 1),
            registratiedatum=date(2026, 3, 1),
            initiator_bsn=BSN,
        )
    )
    if status:
        store.add_status(
            esuite_id,
            ZaakStatus(
                zaak_identificatie=esuite_id,
                statustype_code="B1026-ST01",
                statustype_volgnummer=1,
                datum_status_gezet=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
                zaaktype_code="B1026",
                statustype_omschrijving="Ontvangen",
            ),
        )


def esuite_document(store: EsuiteStore, doc_id: str, zaak_id: str, content: bytes) -> None:
    store.add_document(
        Document(
            identificatie=doc_id,
            titel="Beschikking",
            zaak_identificatie=zaak_id,
            documenttype_omschrijving="Beschikking",
            bestandsnaam=f"{doc_id}.pdf",
            formaat="application/pdf",
            creatiedatum=date(2026, 3, 2),
            vertrouwelijkheid="VERTROUWELIJK",
            auteur="e-Suite",
            inhoud=content,
        )
    )


def assert_valid_11(body: bytes) -> None:
    findings = validate(body, ZdsVersion.V1_1)
    assert findings == [], f"answer not valid ZDS 1.1: {findings[:3]}"

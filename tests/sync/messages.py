"""ZDS 1.1 messages as GWS4all sends them, built with the codec, for inbox and flow tests."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime

from stuf import (
    ActualiseerZaakstatus,
    CreeerZaak,
    Document,
    GenereerZaakIdentificatie,
    Systeem,
    UpdateZaakdocument,
    VoegZaakdocumentToe,
    Zaak,
    ZaakStatus,
    ZdsVersion,
    build_message,
    new_stuurgegevens,
)

GWS4ALL = Systeem(organisatie="1900", applicatie="GWS4all", gebruiker="Gebruiker")
CDR = Systeem(organisatie="1900", applicatie="CDR")
BSN = "111222333"


def creeer_zaak(zaak_id: str, zaaktype: str = "PW-LO-AANV") -> bytes:
    zaak = Zaak(
        identificatie=zaak_id,
        zaaktype_code=zaaktype,
        omschrijving="Aanvraag levensonderhoud",
        startdatum=date(2026, 3, 1),
        registratiedatum=date(2026, 3, 1),
        initiator_bsn=BSN,
    )
    sg = new_stuurgegevens("Lk01", GWS4ALL, CDR, entiteittype="ZAK")
    return build_message(CreeerZaak(sg, zaak=zaak), ZdsVersion.V1_1)


def status(
    zaak_id: str,
    code: str,
    volgnummer: int,
    day: int,
    zaaktype: str = "PW-LO-AANV",
    *,
    year: int = 2026,
) -> bytes:
    wordt = ZaakStatus(
        zaak_identificatie=zaak_id,
        statustype_code=code,
        statustype_volgnummer=volgnummer,
        datum_status_gezet=datetime(year, 3, day, 9, 30, tzinfo=UTC),
        zaaktype_code=zaaktype,
    )
    sg = new_stuurgegevens("Lk01", GWS4ALL, CDR, entiteittype="ZAK")
    return build_message(
        ActualiseerZaakstatus(sg, zaak_identificatie=zaak_id, wordt=wordt), ZdsVersion.V1_1
    )


def genereer_zaakidentificatie() -> bytes:
    sg = new_stuurgegevens("Di02", GWS4ALL, CDR, functie="genereerZaakidentificatie")
    return build_message(GenereerZaakIdentificatie(sg), ZdsVersion.V1_1)


def voeg_document(doc_id: str, zaak_id: str, content: bytes, titel: str = "Beschikking") -> bytes:
    """voegZaakdocumentToe (edcLk01) as GWS4all pushes a letter for a zaak."""
    document = Document(
        identificatie=doc_id,
        titel=titel,
        zaak_identificatie=zaak_id,
        documenttype_omschrijving="Beschikking",
        bestandsnaam=f"{doc_id}.pdf",
        formaat="application/pdf",
        creatiedatum=date(2026, 3, 2),
        vertrouwelijkheid="VERTROUWELIJK",
        auteur="GWS4all",
        inhoud=content,
    )
    sg = new_stuurgegevens("Lk01", GWS4ALL, CDR, entiteittype="EDC")
    return build_message(VoegZaakdocumentToe(sg, document=document), ZdsVersion.V1_1)


def voeg_document_parts(doc_id: str, zaak_id: str) -> tuple[bytes, bytes]:
    """Head and tail of a voegZaakdocumentToe around its base64 inhoud, to stream a big one."""
    marker = b"KBMARKERKBMARKER"
    whole = voeg_document(doc_id, zaak_id, marker)
    head, tail = whole.split(base64.b64encode(marker))
    return head, tail


def update_document(doc_id: str, zaak_id: str, content: bytes | None) -> bytes:
    """updateZaakdocument (Di02 with edcLk02 was/wordt): a new version of a letter."""
    wordt = Document(
        identificatie=doc_id,
        titel="Beschikking (gecorrigeerd)",
        zaak_identificatie=zaak_id,
        documenttype_omschrijving="Beschikking",
        bestandsnaam=f"{doc_id}.pdf",
        formaat="application/pdf",
        creatiedatum=date(2026, 3, 2),
        vertrouwelijkheid="VERTROUWELIJK",
        auteur="GWS4all",
        inhoud=content,
    )
    sg = new_stuurgegevens("Di02", GWS4ALL, CDR, functie="updateZaakdocument")
    was = Document(identificatie=doc_id, titel=None, taal=None)
    message = UpdateZaakdocument(sg, was=was, wordt=wordt, checked_out_id="co-1")
    return build_message(message, ZdsVersion.V1_1)

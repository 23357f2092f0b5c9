"""Pushes the chaos run makes: GWS4all ZDS 1.1 messages built with the codec, plus bad ones.

Each build gets a fresh referentienummer (new bytes); an exact duplicate is the same bytes
pushed again. Every zaak carries its own synthetic BSN, so the log scan knows what to look for.
"""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime

from stuf import (
    ActualiseerZaakstatus,
    CreeerZaak,
    Document,
    Systeem,
    VoegZaakdocumentToe,
    Zaak,
    ZaakStatus,
    ZdsVersion,
    build_message,
    new_stuurgegevens,
)

__all__ = [
    "GWS4ALL",
    "broken",
    "creeer_zaak",
    "document",
    "padded",
    "status",
    "synthetic_bsn",
]

GWS4ALL = Systeem(organisatie="1900", applicatie="GWS4all", gebruiker="Gebruiker")
CDR = Systeem(organisatie="1900", applicatie="CDR")


def synthetic_bsn(n: int) -> str:
    """The ``n``-th nine-digit number passing the elfproef, from a range no fixture uses."""
    candidate = 700_000_000 + n * 97
    while True:
        digits = f"{candidate:09d}"
        weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
        if sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 == 0:
            return digits
        candidate += 1


def creeer_zaak(zaak_id: str, bsn: str, zaaktype: str = "PW-LO-AANV") -> bytes:
    zaak = Zaak(
        identificatie=zaak_id,
        zaaktype_code=zaaktype,
        omschrijving="Aanvraag levensonderhoud",
        startdatum=date(2026, 3, 1),
        registratiedatum=date(2026, 3, 1),
        initiator_bsn=bsn,
    )
    sg = new_stuurgegevens("Lk01", GWS4ALL, CDR, entiteittype="ZAK")
    return build_message(CreeerZaak(sg, zaak=zaak), ZdsVersion.V1_1)


def status(
    zaak_id: str,
    code: str,
    volgnummer: int,
    gezet: datetime,
    *,
    toelichting: str | None = None,
    zaaktype: str = "PW-LO-AANV",
) -> bytes:
    wordt = ZaakStatus(
        zaak_identificatie=zaak_id,
        statustype_code=code,
        statustype_volgnummer=volgnummer,
        datum_status_gezet=gezet.astimezone(UTC),
        zaaktype_code=zaaktype,
        toelichting=toelichting,
    )
    sg = new_stuurgegevens("Lk01", GWS4ALL, CDR, entiteittype="ZAK")
    return build_message(
        ActualiseerZaakstatus(sg, zaak_identificatie=zaak_id, wordt=wordt), ZdsVersion.V1_1
    )


def document(doc_id: str, zaak_id: str, content: bytes) -> bytes:
    """voegZaakdocumentToe (edcLk01) for a zaak."""
    doc = Document(
        identificatie=doc_id,
        titel="Beschikking",
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
    return build_message(VoegZaakdocumentToe(sg, document=doc), ZdsVersion.V1_1)


def padded(message: bytes, size: int) -> bytes:
    """The message with an XML comment of ``size`` bytes before its envelope (still valid).

    A big comment or SOAP header is legal; it pushes the message element far from the start.
    """
    declaration, _, rest = message.partition(b"?>")
    return declaration + b"?>\n<!-- " + b"x" * size + b" -->\n" + rest


def broken(message: bytes, cut: int) -> bytes:
    """The message cut off after ``cut`` bytes: not well-formed, must be refused (Fo01)."""
    return message[: max(1, min(cut, len(message) - 10))]


def pdf_bytes(seed: int, size: int) -> bytes:
    """Deterministic content for a document of ``size`` bytes."""
    block = base64.b64encode(seed.to_bytes(8, "big") * 8)
    whole = b"%PDF-1.4\n" + block * (size // len(block) + 1)
    return whole[:size]

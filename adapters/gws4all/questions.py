"""The ZDS 1.1 answers Ketenbrug gives GWS4all's questions (zakLa01, edcLa01, Du02, Bv02, Fo0x).

Pure: no I/O. Every answer carries the stuurgegevens the standard asks for: zender and
ontvanger of the question swapped, crossRefnummer the question's referentienummer, a fresh
referentienummer and tijdstipBericht. What goes in the answer (already in GWS4all's keys and
codes) is decided by :mod:`sync.vragen`.
"""

from __future__ import annotations

from privacy.masking import mask_text
from stuf import (
    Bevestiging,
    Document,
    Fout,
    LijstZaakdocumentenAntwoord,
    Stuurgegevens,
    Systeem,
    Zaak,
    ZaakdetailsAntwoord,
    ZaakdocumentAntwoord,
    ZaakdocumentBewerkenAntwoord,
    ZaakScope,
    ZaakStatus,
    ZaakstatusAntwoord,
    ZdsVersion,
    build_fault,
    build_message,
    new_stuurgegevens,
)

__all__ = [
    "TRANSIENT_CODE",
    "bewerken_antwoord",
    "bv02_antwoord",
    "fout_antwoord",
    "lezen_antwoord",
    "lijst_antwoord",
    "zaakdetails_antwoord",
    "zaken_antwoord",
]

#: StUF 03.01 foutcode "try again later": GWS4all (and any StUF client) asks again.
TRANSIENT_CODE = "StUF049"
_DEFAULT_ASKER = Systeem(organisatie="1900", applicatie="GWS4all")
_DEFAULT_SELF = Systeem(organisatie="1900", applicatie="CDR")


def _answer_sg(
    question: Stuurgegevens | None,
    berichtcode: str,
    entiteittype: str | None,
    functie: str | None = None,
) -> Stuurgegevens:
    asker = question.zender if question is not None else _DEFAULT_ASKER
    answerer = question.ontvanger if question is not None else _DEFAULT_SELF
    return new_stuurgegevens(
        berichtcode,
        answerer,
        asker,
        entiteittype=entiteittype,
        functie=functie,
        cross_refnummer=(question.referentienummer if question is not None else None) or "onbekend",
    )


def zaakdetails_antwoord(
    question: Stuurgegevens, zaak: Zaak | None, statussen: list[ZaakStatus]
) -> bytes:
    """geefZaakdetails_La01; ``zaak`` None is the standard's "no object matches" (no antwoord)."""
    sg = _answer_sg(question, "La01", "ZAK")
    return build_message(ZaakdetailsAntwoord(sg, zaak, statussen), ZdsVersion.V1_1)


def zaken_antwoord(
    question: Stuurgegevens,
    zaken: list[tuple[Zaak, list[ZaakStatus]]],
    *,
    scope: ZaakScope | None = None,
    status: bool = False,
    vervolg: bool = False,
) -> bytes:
    """geefZaakdetails_La01 (``status``: geefZaakstatus_La01) with zaken in answer order.

    No zaken: no antwoord (the standard's "no object matches"). ``scope`` leaves out the
    related entities not asked for; ``vervolg`` is indicatorVervolgvraag (more zaken match).
    """
    sg = _answer_sg(question, "La01", "ZAK")
    first, statussen = zaken[0] if zaken else (None, [])
    kind = ZaakstatusAntwoord if status else ZaakdetailsAntwoord
    answer = kind(sg, first, statussen, zaken[1:], vervolg=vervolg, scope=scope)
    return build_message(answer, ZdsVersion.V1_1)


def lijst_antwoord(question: Stuurgegevens, zaak: str, documenten: list[Document]) -> bytes:
    """geefLijstZaakdocumenten_La01: the zaak with its documents (metadata, no content)."""
    sg = _answer_sg(question, "La01", "ZAK")
    return build_message(LijstZaakdocumentenAntwoord(sg, zaak, documenten), ZdsVersion.V1_1)


def lezen_antwoord(question: Stuurgegevens, document: Document | None) -> bytes:
    """geefZaakdocumentLezen_La01 (edcLa01) with the content; None: no object matches."""
    sg = _answer_sg(question, "La01", "EDC")
    return build_message(ZaakdocumentAntwoord(sg, document), ZdsVersion.V1_1)


def bewerken_antwoord(question: Stuurgegevens, document: Document, checked_out_id: str) -> bytes:
    """geefZaakdocumentbewerken_Du02: the document with its content and the checkedOutId."""
    sg = _answer_sg(question, "Du02", None, "geefZaakdocumentbewerken")
    answer = ZaakdocumentBewerkenAntwoord(sg, document, checked_out_id)
    return build_message(answer, ZdsVersion.V1_1)


def bv02_antwoord() -> bytes:
    """Bv02, the standard's "done" to a Di02 (cancelCheckout).

    The ZDS 1.1 schema gives a Bv02 no stuurgegevens beyond its berichtcode: it cannot carry
    a crossRefnummer; the HTTP exchange pairs it with its question.
    """
    return build_message(Bevestiging(berichtcode="Bv02"), ZdsVersion.V1_1)


def fout_antwoord(
    question: Stuurgegevens | None,
    code: str,
    omschrijving: str,
    *,
    plek: str = "server",
    berichtcode: str = "Fo01",
) -> bytes:
    """A Fo0x in a SOAP Fault: the synchronous answer to a vraag that could not be answered.

    Fo01, not Fo02: the ZDS 1.1 schema gives a Fo02 no stuurgegevens beyond its berichtcode,
    and the asker must be able to match the fault to its question (crossRefnummer). A
    refused check-out, check-in or cancelCheckout (a Di02) is a Fo03: the same body, full
    stuurgegevens. A transient cause carries :data:`TRANSIENT_CODE`.
    """
    sg = _answer_sg(question, berichtcode, None)
    fout = Fout(
        berichtcode=berichtcode,
        code=code,
        plek=plek,
        omschrijving=mask_text(omschrijving)[:200],
        stuurgegevens=sg,
    )
    return build_fault(fout, ZdsVersion.V1_1)

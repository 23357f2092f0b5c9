"""The ZDS 1.1 answers the inbox gives GWS4all's pushes: Bv03, Fo01/Fo02/Fo03, Du02 numbers.

Pure: no I/O. The inbox (:mod:`sync.inbox`) stores a message, or decides it cannot, and asks
this module for the StUF bytes that say so. What the tenant contributes comes in as plain
values (the zender :class:`Systeem`, built with :func:`ketenbrug_zender` from its
gemeentecode), so this adapter needs nothing of :mod:`sync`. The answers to GWS4all's
questions (vragen) are in :mod:`adapters.gws4all.questions`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from adapters.gws4all.questions import fout_antwoord
from privacy.masking import mask_text
from stuf import (
    Bevestiging,
    DocumentIdentificatieAntwoord,
    Fout,
    Stuurgegevens,
    Systeem,
    ZaakIdentificatieAntwoord,
    ZdsVersion,
    build_fault,
    build_message,
    new_stuurgegevens,
)

__all__ = [
    "GENERATE_FUNCTIONS",
    "KETENBRUG_APPLICATIE",
    "MAX_IDENTIFICATIE",
    "UNKNOWN_SENDER",
    "InboxAnswer",
    "bv03_answer",
    "checkout_refused_answer",
    "default_asker",
    "identificatie_answer",
    "ketenbrug_zender",
    "referentie_in",
    "refused_answer",
    "unavailable_answer",
]

#: Ketenbrug's applicatie as zender of every inbox answer (the organisatie is the tenant's).
KETENBRUG_APPLICATIE = "CDR"
#: The ontvanger of a refusal of a message whose zender could not be read.
UNKNOWN_SENDER = Systeem(organisatie=None, applicatie="ONBEKEND")
#: StUF-ZKN's maxLength of a zaak's and a document's identificatie (ZaakIdentificatie,
#: DocumentIdentificatie).
MAX_IDENTIFICATIE = 40
#: The Di02s Ketenbrug answers with a new number (Du02) instead of storing them.
GENERATE_FUNCTIONS = ("genereerZaakIdentificatie", "genereerDocumentIdentificatie")
_REFERENTIE = re.compile(rb"referentienummer>\s*([^<\s]{1,40})\s*<")


@dataclass(frozen=True)
class InboxAnswer:
    """HTTP status and SOAP body to send back to the pusher."""

    status: int
    body: bytes
    message_id: int | None = None


def ketenbrug_zender(gemeentecode: str | None) -> Systeem:
    """Ketenbrug as the zender of an inbox answer: the tenant's gemeentecode, applicatie CDR."""
    return Systeem(organisatie=gemeentecode, applicatie=KETENBRUG_APPLICATIE)


def default_asker(gemeentecode: str | None) -> Systeem:
    """The ontvanger of an answer to a message without a readable zender."""
    return Systeem(organisatie=gemeentecode, applicatie="GWS4all")


def referentie_in(body: bytes) -> str | None:
    """The sender's referentienummer from a message too broken to parse, for crossRefnummer."""
    found = _REFERENTIE.search(body[:16384])
    return found.group(1).decode("utf-8", "replace") if found else None


def bv03_answer(
    zender: Systeem, asker: Systeem, referentienummer: str | None, message_id: int
) -> InboxAnswer:
    """Bv03, HTTP 200: the message is stored (``message_id``)."""
    stuurgegevens = new_stuurgegevens("Bv03", zender, asker, cross_refnummer=referentienummer)
    answer = Bevestiging(berichtcode="Bv03", stuurgegevens=stuurgegevens)
    return InboxAnswer(200, build_message(answer, ZdsVersion.V1_1), message_id)


def refused_answer(
    zender: Systeem, body: bytes, omschrijving: str, message_id: int | None
) -> InboxAnswer:
    """Fo01 (StUF055), HTTP 500, to a message that cannot be understood (stored dead).

    ``body`` is (the head of) what was sent: its referentienummer, when one can be found,
    becomes the crossRefnummer. The omschrijving is masked: it may quote the message.
    """
    fout = Fout(
        berichtcode="Fo01",
        code="StUF055",
        plek="client",
        omschrijving=mask_text(omschrijving)[:200],
        stuurgegevens=new_stuurgegevens(
            "Fo01",
            zender,
            UNKNOWN_SENDER,
            cross_refnummer=referentie_in(body) or "onbekend",
        ),
    )
    return InboxAnswer(500, build_fault(fout, ZdsVersion.V1_1), message_id)


def unavailable_answer(referentienummer: str | None, zender: Systeem) -> InboxAnswer:
    """Fo02 with HTTP 503: not stored, send again later (the database could not be reached).

    StUF049 is a transient code, so a StUF sender (and Ketenbrug's own client) retries.
    """
    fout = Fout(
        berichtcode="Fo02",
        code="StUF049",
        plek="server",
        omschrijving="Ketenbrug kan het bericht nu niet opslaan; stuur het later opnieuw",
        stuurgegevens=new_stuurgegevens(
            "Fo02",
            zender,
            UNKNOWN_SENDER,
            cross_refnummer=referentienummer or "onbekend",
        ),
    )
    return InboxAnswer(503, build_fault(fout, ZdsVersion.V1_1))


def checkout_refused_answer(sg: Stuurgegevens, code: str, omschrijving: str) -> InboxAnswer:
    """Fo03, HTTP 500, to a check-in the check-out does not allow (see docs/flows/vragen.md)."""
    return InboxAnswer(500, fout_antwoord(sg, code, omschrijving, berichtcode="Fo03"))


def identificatie_answer(
    function: str,
    zender: Systeem,
    asker: Systeem,
    referentienummer: str | None,
    identificatie: str,
) -> InboxAnswer:
    """Du02, HTTP 200, to genereerZaakIdentificatie / genereerDocumentIdentificatie."""
    stuurgegevens = new_stuurgegevens(
        "Du02", zender, asker, functie=function, cross_refnummer=referentienummer
    )
    answer: ZaakIdentificatieAntwoord | DocumentIdentificatieAntwoord
    if function == "genereerZaakIdentificatie":
        answer = ZaakIdentificatieAntwoord(stuurgegevens, identificatie=identificatie)
    else:
        answer = DocumentIdentificatieAntwoord(stuurgegevens, identificatie=identificatie)
    return InboxAnswer(200, build_message(answer, ZdsVersion.V1_1))

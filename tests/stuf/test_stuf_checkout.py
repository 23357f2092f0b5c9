"""Editing through check-out: geefZaakdocumentbewerken Di02/Du02 and cancelCheckout Di02."""

from __future__ import annotations

from dataclasses import replace

import pytest

from stuf import (
    CancelCheckout,
    GeefZaakdocumentBewerken,
    StufError,
    Stuurgegevens,
    UpdateZaakdocument,
    ZaakdocumentBewerkenAntwoord,
    ZdsVersion,
    build_message,
    parse_message,
    soap_action_for,
    validate,
)
from tests.stuf.conftest import DOC, sg, xpath


def _di02(functie: str) -> Stuurgegevens:
    """A question's stuurgegevens: a Di02 refers to nothing (no crossRefnummer)."""
    return replace(sg("Di02", functie=functie), cross_refnummer=None)


BEWERKEN = GeefZaakdocumentBewerken(_di02("geefZaakdocumentbewerken"), "DOC-0001")
ANTWOORD = ZaakdocumentBewerkenAntwoord(
    sg("Du02", functie="geefZaakdocumentbewerken"), DOC, "co-7f3a", "GWS4all"
)
CANCEL = CancelCheckout(_di02("cancelCheckout"), "DOC-0001", "co-7f3a")
MESSAGES = [BEWERKEN, ANTWOORD, CANCEL]


@pytest.mark.parametrize("version", list(ZdsVersion))
@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: type(m).__name__)
def test_check_out_messages_are_schema_valid_and_read_back_equal(
    message: object, version: ZdsVersion
) -> None:
    data = build_message(message, version)  # type: ignore[arg-type]
    assert validate(data, version) == []
    assert parse_message(data) == message


def test_the_du02_carries_the_content_the_checked_out_id_and_the_cross_reference() -> None:
    data = build_message(ANTWOORD, ZdsVersion.V1_1)
    assert xpath(data, "string(//ZKN:parameters/ZKN:checkedOutId)") == ["co-7f3a"]
    assert xpath(data, "string(//StUF:crossRefnummer)") == ["cross-0001"]
    reply = parse_message(data)
    assert isinstance(reply, ZaakdocumentBewerkenAntwoord)
    assert reply.document.inhoud == DOC.inhoud


def test_the_actions_are_those_of_the_vrije_berichten_wsdl() -> None:
    base = "http://www.egem.nl/StUF/sector/zkn/0310/"
    assert soap_action_for(BEWERKEN, ZdsVersion.V1_1) == base + "geefZaakdocumentbewerken_Di02"
    assert soap_action_for(CANCEL, ZdsVersion.V1_1) == base + "cancelCheckout_Di02"


def test_a_du02_without_a_required_document_field_is_not_built() -> None:
    with pytest.raises(StufError, match="auteur"):
        build_message(replace(ANTWOORD, document=replace(DOC, auteur=None)), ZdsVersion.V1_1)


def test_a_du02_without_checked_out_id_is_refused_when_read() -> None:
    data = build_message(ANTWOORD, ZdsVersion.V1_1).replace(b"co-7f3a", b"")
    with pytest.raises(StufError, match="checkedOutId"):
        parse_message(data)


def test_the_check_in_reads_its_checked_out_id_trimmed() -> None:
    update = UpdateZaakdocument(
        sg("Di02", functie="updateZaakdocument"),
        was=replace(DOC, inhoud=None),
        wordt=DOC,
        checked_out_id="co-7f3a",
    )
    data = build_message(update, ZdsVersion.V1_1).replace(b">co-7f3a<", b"> co-7f3a\n<")
    parsed = parse_message(data)
    assert isinstance(parsed, UpdateZaakdocument) and parsed.checked_out_id == "co-7f3a"

"""The doorgifte target against the GWS4all backoffice simulator: delivery, stuurgegevens,
exactly-once after a lost answer, "bestaat al", and the read-only is_applied."""

from __future__ import annotations

import pytest

from adapters.base import Operation, Target
from adapters.errors import AlreadyExistsError, AmbiguousWriteError, TargetRejectedError
from adapters.gws4all.outbound import Gws4allClient
from adapters.gws4all.outbound_target import Gws4allTarget
from simulators.testing import Gws4allBackofficeHandle
from stuf import CreeerZaak, Systeem, parse_message
from tests.adapters_gws4all.conftest import (
    BSN,
    ZAAK_ID,
    Blob,
    RecordingSession,
    doc_operation,
)

CONTENT = b"%PDF-1.4 aanvraagformulier\n" * 50


def test_creeer_zaak_then_document_reach_gws4all_with_right_stuurgegevens(
    gws4all_backoffice: Gws4allBackofficeHandle,
    target: Gws4allTarget,
    session: RecordingSession,
    zaak_op: Operation,
    blob: Blob,
) -> None:
    assert isinstance(target, Target)
    path, sha = blob(CONTENT)
    target.apply(zaak_op)
    target.apply(doc_operation("DOC-1", path, sha, len(CONTENT)))

    state = gws4all_backoffice.snapshot()
    zaak = state["zaken"][ZAAK_ID]
    assert zaak["zaaktype_code"] == "PW-LO-AANV" and zaak["startdatum"] == "2026-11-30"
    assert zaak["initiator_bsn"] == "*****2333" and zaak["received"] == 1
    assert zaak["documenten"] == ["DOC-1"]
    document = state["documenten"]["DOC-1"]
    assert (document["sha256"], document["size"], document["received"]) == (sha, len(CONTENT), 1)
    assert document["zaak"] == ZAAK_ID and document["bestandsnaam"] == "DOC-1.pdf"

    (zaak_action, zaak_body), (doc_action, doc_head) = session.sent
    assert zaak_action.endswith("/creeerZaak_Lk01") and doc_action.endswith(
        "/voegZaakdocumentToe_Lk01"
    )
    message = parse_message(zaak_body)
    assert isinstance(message, CreeerZaak) and message.zaak.initiator_bsn == BSN
    sg = message.stuurgegevens
    assert (sg.berichtcode, sg.entiteittype) == ("Lk01", "ZAK")
    assert sg.zender == Systeem("1900", "Ketenbrug")
    assert sg.ontvanger == Systeem("1900", "GWS4all")
    assert b"<StUF:mutatiesoort>T</StUF:mutatiesoort>" in zaak_body
    for part in (
        b"<StUF:berichtcode>Lk01</StUF:berichtcode>",
        b"<StUF:entiteittype>EDC</StUF:entiteittype>",
        b"<StUF:applicatie>Ketenbrug</StUF:applicatie>",
        b"<StUF:applicatie>GWS4all</StUF:applicatie>",
    ):
        assert part in doc_head, part


def test_lost_answers_then_apply_again_delivers_each_exactly_once(
    gws4all_backoffice: Gws4allBackofficeHandle,
    target: Gws4allTarget,
    zaak_op: Operation,
    blob: Blob,
) -> None:
    server = gws4all_backoffice.server
    path, sha = blob(CONTENT)
    doc_op = doc_operation("DOC-1", path, sha, len(CONTENT))
    server.lose_responses(1)
    with pytest.raises(AmbiguousWriteError):
        target.apply(zaak_op)
    target.apply(zaak_op)  # reads back first: it landed
    server.lose_responses(1)
    with pytest.raises(AmbiguousWriteError):
        target.apply(doc_op)
    target.apply(doc_op)

    state = gws4all_backoffice.snapshot()
    assert list(state["zaken"]) == [ZAAK_ID] and state["zaken"][ZAAK_ID]["received"] == 1
    assert list(state["documenten"]) == ["DOC-1"] and state["documenten"]["DOC-1"]["received"] == 1
    assert state["calls"]["creeerZaak"] == 1 and state["calls"]["voegZaakdocumentToe"] == 1
    assert server.commands_applied()["lost"] == 2


def test_a_resend_that_finds_it_there_counts_as_delivered(
    gws4all_backoffice: Gws4allBackofficeHandle,
    client: Gws4allClient,
    zaak_op: Operation,
    blob: Blob,
) -> None:
    """A fresh target (say after a crash) sends again: "bestaat al" with the zaak there, or
    the document with the same SHA-256, is delivered; other content is refused for good."""
    path, sha = blob(CONTENT)
    doc_op = doc_operation("DOC-1", path, sha, len(CONTENT))
    Gws4allTarget(client).apply(zaak_op)
    Gws4allTarget(client).apply(doc_op)
    with pytest.raises(AlreadyExistsError):
        Gws4allTarget(client).apply(zaak_op)
    with pytest.raises(AlreadyExistsError):
        Gws4allTarget(client).apply(doc_op)
    other_path, other_sha = blob(b"%PDF-1.4 iets anders")
    with pytest.raises(TargetRejectedError, match="bestaat al met andere inhoud") as caught:
        Gws4allTarget(client).apply(doc_operation("DOC-1", other_path, other_sha, 20))
    assert not isinstance(caught.value, AlreadyExistsError)
    state = gws4all_backoffice.snapshot()
    assert state["zaken"][ZAAK_ID]["received"] == 2 and len(state["zaken"]) == 1
    assert state["documenten"]["DOC-1"]["received"] == 3
    assert state["documenten"]["DOC-1"]["sha256"] == sha


def test_bestaat_al_without_the_zaak_readable_is_not_delivered(
    gws4all_backoffice: Gws4allBackofficeHandle, target: Gws4allTarget, zaak_op: Operation
) -> None:
    gws4all_backoffice.server.refuse("StUF058", f"Zaak {ZAAK_ID} bestaat al", count=1)
    with pytest.raises(TargetRejectedError, match="kent de zaak niet") as caught:
        target.apply(zaak_op)
    assert not isinstance(caught.value, AlreadyExistsError)


def test_is_applied_reads_whether_zaak_and_document_are_there(
    gws4all_backoffice: Gws4allBackofficeHandle,
    target: Gws4allTarget,
    zaak_op: Operation,
    blob: Blob,
) -> None:
    path, sha = blob(CONTENT)
    doc_op = doc_operation("DOC-1", path, sha, len(CONTENT))
    assert target.is_applied(zaak_op) is False
    assert target.is_applied(doc_op) is False  # zaak unknown
    target.apply(zaak_op)
    assert target.is_applied(zaak_op) is True
    assert target.is_applied(doc_op) is False  # zaak there, document not
    target.apply(doc_op)
    assert target.is_applied(doc_op) is True
    calls = gws4all_backoffice.snapshot()["calls"]
    assert calls["creeerZaak"] == 1 and calls["voegZaakdocumentToe"] == 1  # reads only
    assert calls["geefZaakdetails"] == 2 and calls["geefLijstZaakdocumenten"] == 3

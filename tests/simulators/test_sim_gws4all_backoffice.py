"""The GWS4all backoffice simulator over real HTTP: receives ZDS 1.1, keeps, answers, misbehaves."""

from __future__ import annotations

import base64
import hashlib
import os
import threading
import tracemalloc
from datetime import date, datetime
from typing import Any

import pytest
import requests

from simulators.testing import (
    Gws4allBackofficeHandle,
    gws4all_backoffice,
    gws4all_backoffice_simulator,
)
from stuf import (
    ActualiseerZaakstatus,
    Bevestiging,
    CreeerZaak,
    Document,
    Fout,
    GeefZaakdetails,
    Systeem,
    VoegZaakdocumentToe,
    Zaak,
    ZaakdetailsAntwoord,
    ZaakStatus,
    ZdsVersion,
    build_message,
    new_stuurgegevens,
    parse_message,
    soap_action_for,
)
from stuf.values import AMSTERDAM

__all__ = ["gws4all_backoffice", "gws4all_backoffice_simulator"]  # fixtures used below

KETENBRUG = Systeem("1900", "KETENBRUG")
GWS4ALL = Systeem("1900", "GWS4all")
BSN = "111222333"
ZAAK_ID = "0153ESUITE1000042"


def _sg(berichtcode: str, entiteittype: str) -> Any:
    return new_stuurgegevens(berichtcode, KETENBRUG, GWS4ALL, entiteittype=entiteittype)


def _creeer(identificatie: str = ZAAK_ID) -> CreeerZaak:
    zaak = Zaak(
        identificatie=identificatie,
        zaaktype_code="PW-LO-AANV",
        omschrijving="Aanvraag levensonderhoud",
        startdatum=date(2026, 11, 30),
        registratiedatum=date(2026, 11, 30),
        initiator_bsn=BSN,
    )
    return CreeerZaak(_sg("Lk01", "ZAK"), zaak=zaak)


def _voeg_toe(zaak_id: str = ZAAK_ID, doc_id: str = "DOC-1", inhoud: bytes = b"%PDF-1.4 a") -> Any:
    document = Document(
        identificatie=doc_id,
        titel="Aanvraagformulier",
        documenttype_omschrijving="Aanvraagformulier",
        zaak_identificatie=zaak_id,
        bestandsnaam="aanvraag.pdf",
        formaat="application/pdf",
        creatiedatum=date(2026, 11, 30),
        vertrouwelijkheid="VERTROUWELIJK",
        auteur="e-Suite",
        inhoud=inhoud,
        content_type="application/pdf",
    )
    return VoegZaakdocumentToe(_sg("Lk01", "EDC"), document=document)


def _fout(answer: Any) -> Fout:
    assert isinstance(answer, Fout), answer
    return answer


def test_creeerzaak_and_document_are_kept_with_a_gws_key(
    gws4all_backoffice: Gws4allBackofficeHandle,
) -> None:
    response, answer = gws4all_backoffice.call(_creeer())
    assert response.status_code == 200 and isinstance(answer, Bevestiging)
    content = b"%PDF-1.4 aanvraagformulier"
    response, answer = gws4all_backoffice.call(_voeg_toe(inhoud=content))
    assert response.status_code == 200 and isinstance(answer, Bevestiging)

    state = gws4all_backoffice.snapshot()
    zaak = state["zaken"][ZAAK_ID]
    assert zaak["gws_zaaknummer"] == "GWS-1"
    assert gws4all_backoffice.server.gws_zaaknummer(ZAAK_ID) == "GWS-1"
    assert zaak["zaaktype_code"] == "PW-LO-AANV"
    assert zaak["startdatum"] == "2026-11-30"
    assert zaak["documenten"] == ["DOC-1"]
    assert zaak["received"] == 1
    assert BSN not in str(state)  # masked in the snapshot
    assert gws4all_backoffice.server.store.initiator_bsn(ZAAK_ID) == BSN
    document = state["documenten"]["DOC-1"]
    assert document["sha256"] == hashlib.sha256(content).hexdigest()
    assert document["size"] == len(content)
    assert document["zaak"] == ZAAK_ID and document["received"] == 1


def test_bv03_swaps_zender_and_ontvanger_and_refers_to_the_request(
    gws4all_backoffice: Gws4allBackofficeHandle,
) -> None:
    message = _creeer()
    _, answer = gws4all_backoffice.call(message)
    assert isinstance(answer, Bevestiging) and answer.stuurgegevens is not None
    sg = answer.stuurgegevens
    assert sg.berichtcode == "Bv03"
    assert sg.cross_refnummer == message.stuurgegevens.referentienummer
    assert sg.zender == GWS4ALL and sg.ontvanger == KETENBRUG
    assert sg.referentienummer != message.stuurgegevens.referentienummer


def test_a_second_creeerzaak_is_fo03_bestaat_al_and_counted(
    gws4all_backoffice: Gws4allBackofficeHandle,
) -> None:
    gws4all_backoffice.call(_creeer())
    response, answer = gws4all_backoffice.call(_creeer())
    fout = _fout(answer)
    assert response.status_code == 500
    assert (fout.berichtcode, fout.code) == ("Fo03", "StUF058")
    assert "bestaat al" in fout.omschrijving
    state = gws4all_backoffice.snapshot()
    assert state["zaken"][ZAAK_ID]["received"] == 2
    assert state["zaken"][ZAAK_ID]["gws_zaaknummer"] == "GWS-1"  # kept once


def test_documents_unknown_zaak_and_second_copy_refused(
    gws4all_backoffice: Gws4allBackofficeHandle,
) -> None:
    _, answer = gws4all_backoffice.call(_voeg_toe(zaak_id="0153ESUITE9999999", doc_id="DOC-X"))
    fout = _fout(answer)
    assert (fout.berichtcode, fout.code) == ("Fo03", "StUF058")
    assert "onbekend" in fout.omschrijving
    assert gws4all_backoffice.snapshot()["documenten"] == {}

    gws4all_backoffice.call(_creeer())
    gws4all_backoffice.call(_voeg_toe(inhoud=b"een"))
    same = _fout(gws4all_backoffice.call(_voeg_toe(inhoud=b"een"))[1])
    assert same.omschrijving == "Document DOC-1 bestaat al"
    assert same.details == f"sha256={hashlib.sha256(b'een').hexdigest()}"
    other = _fout(gws4all_backoffice.call(_voeg_toe(inhoud=b"twee"))[1])
    assert other.omschrijving == "Document DOC-1 bestaat al met andere inhoud"
    assert gws4all_backoffice.snapshot()["documenten"]["DOC-1"]["received"] == 3


def test_schema_invalid_and_malformed_messages_are_fo01(
    gws4all_backoffice: Gws4allBackofficeHandle,
) -> None:
    message = _creeer()
    body = build_message(message, ZdsVersion.V1_1)
    broken = body.replace(b"<ZKN:omschrijving>", b"<ZKN:kleur>rood</ZKN:kleur><ZKN:omschrijving>")
    assert broken != body
    response = gws4all_backoffice.post(broken, soap_action_for(message, ZdsVersion.V1_1))

    fout = _fout(parse_message(response.content))
    assert response.status_code == 500
    assert (fout.berichtcode, fout.code) == ("Fo01", "StUF055")
    assert "schema" in fout.omschrijving and fout.details and "kleur" in fout.details
    assert fout.stuurgegevens is not None
    assert fout.stuurgegevens.cross_refnummer == message.stuurgegevens.referentienummer

    cut = gws4all_backoffice.post(body[: len(body) // 2], "x")
    assert _fout(parse_message(cut.content)).berichtcode == "Fo01"
    doc = build_message(_voeg_toe(), ZdsVersion.V1_1)
    bad_doc = doc.replace(b"<ZKN:titel>", b"<ZKN:kleur>rood</ZKN:kleur><ZKN:titel>")
    assert bad_doc != doc
    answer = parse_message(gws4all_backoffice.post(bad_doc).content)
    assert _fout(answer).code == "StUF055" and "kleur" in (_fout(answer).details or "")
    assert gws4all_backoffice.snapshot()["zaken"] == {}


def test_refuse_on_command_then_the_next_n_only(
    gws4all_backoffice: Gws4allBackofficeHandle,
) -> None:
    server = gws4all_backoffice.server
    server.refuse("StUF058", "GWS4all in onderhoud")
    for _ in range(2):
        fout = _fout(gws4all_backoffice.call(_creeer())[1])
        assert (fout.berichtcode, fout.code, fout.omschrijving) == (
            "Fo03",
            "StUF058",
            "GWS4all in onderhoud",
        )
    assert gws4all_backoffice.snapshot()["zaken"] == {}
    server.refuse("StUF049", "even niet", count=1, berichtcode="Fo02")
    assert _fout(gws4all_backoffice.call(_creeer())[1]).code == "StUF049"
    assert isinstance(gws4all_backoffice.call(_creeer())[1], Bevestiging)
    assert server.commands_applied()["refused"] == 3


def test_hold_makes_the_client_time_out_then_processes(
    gws4all_backoffice: Gws4allBackofficeHandle,
) -> None:
    server = gws4all_backoffice.server
    server.hold(1.0, count=1)  # processed after the hold: stored though the client gave up
    with pytest.raises(requests.Timeout):
        gws4all_backoffice.call(_creeer(), timeout=0.3)
    assert ZAAK_ID not in server.store  # still held when the client gave up
    pause = threading.Event()  # never set: a bounded wait for the held request to finish
    for _ in range(60):
        if ZAAK_ID in server.store:
            break
        pause.wait(0.05)
    assert ZAAK_ID in server.store  # processed after the hold, though nobody heard the answer
    # not processed: after the hold the connection is reset (the reset proves the handler is
    # done with the request, so "not stored" is final)
    server.hold(0.3, count=1, process=False)
    with pytest.raises(requests.ConnectionError):
        gws4all_backoffice.call(_creeer("0153ESUITE1000043"), timeout=5)
    assert "0153ESUITE1000043" not in server.store
    assert server.commands_applied()["held"] == 2


def test_lost_response_is_stored_without_an_answer(
    gws4all_backoffice: Gws4allBackofficeHandle,
) -> None:
    server = gws4all_backoffice.server
    server.lose_responses(1)
    with pytest.raises(requests.ConnectionError):
        gws4all_backoffice.call(_creeer())
    assert gws4all_backoffice.snapshot()["zaken"][ZAAK_ID]["received"] == 1
    # is_applied: read back after the lost answer
    _, answer = gws4all_backoffice.call(GeefZaakdetails(_sg("Lv01", "ZAK"), ZAAK_ID))
    assert isinstance(answer, ZaakdetailsAntwoord) and answer.zaak is not None


def test_unavailable_answers_503_unprocessed(
    gws4all_backoffice: Gws4allBackofficeHandle,
) -> None:
    gws4all_backoffice.server.unavailable(1.0)
    response = gws4all_backoffice.post(build_message(_creeer(), ZdsVersion.V1_1))
    assert response.status_code == 503
    assert gws4all_backoffice.snapshot()["zaken"] == {}


def test_geefzaakdetails_answers_held_and_empty_for_unknown(
    gws4all_backoffice: Gws4allBackofficeHandle,
) -> None:
    gws4all_backoffice.call(_creeer())
    vraag = GeefZaakdetails(_sg("Lv01", "ZAK"), ZAAK_ID)
    response, answer = gws4all_backoffice.call(vraag)
    assert response.status_code == 200 and isinstance(answer, ZaakdetailsAntwoord)
    assert answer.zaak is not None and answer.zaak.identificatie == ZAAK_ID
    assert answer.zaak.zaaktype_code == "PW-LO-AANV"
    assert answer.stuurgegevens.cross_refnummer == vraag.stuurgegevens.referentienummer
    _, empty = gws4all_backoffice.call(GeefZaakdetails(_sg("Lv01", "ZAK"), "0153ESUITE9"))
    assert isinstance(empty, ZaakdetailsAntwoord) and empty.zaak is None
    gws4all_backoffice.server.app.unknown_zaak_vraag = "Fo02"
    try:
        _, fout = gws4all_backoffice.call(GeefZaakdetails(_sg("Lv01", "ZAK"), "0153ESUITE9"))
    finally:
        gws4all_backoffice.server.app.unknown_zaak_vraag = "leeg"
    assert (_fout(fout).berichtcode, _fout(fout).code) == ("Fo02", "StUF058")


def test_a_20_mb_document_is_hashed_not_kept(gws4all_backoffice: Gws4allBackofficeHandle) -> None:
    gws4all_backoffice.call(_creeer())
    content = os.urandom(1024) * (20 * 1024)  # 20 MB
    template = build_message(_voeg_toe(inhoud=b"PLACEHOLDER!"), ZdsVersion.V1_1)
    head, tail = template.split(base64.b64encode(b"PLACEHOLDER!"))
    body = head + base64.b64encode(content) + tail
    action = soap_action_for(_voeg_toe(), ZdsVersion.V1_1)
    tracemalloc.start()
    try:
        response = gws4all_backoffice.post(body, action, timeout=30)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 200, response.content[:500]
    document = gws4all_backoffice.snapshot()["documenten"]["DOC-1"]
    assert document["size"] == len(content)
    assert document["sha256"] == hashlib.sha256(content).hexdigest()
    # the server's share: far below the 20 MB content (the body itself is allocated before)
    assert peak < 8 * 1024 * 1024, peak


def test_wrong_mutatiesoort_action_or_version_is_fo01(
    gws4all_backoffice: Gws4allBackofficeHandle,
) -> None:
    message = _creeer()
    body = build_message(message, ZdsVersion.V1_1)
    action = soap_action_for(message, ZdsVersion.V1_1)
    wijziging = body.replace(b"mutatiesoort>T<", b"mutatiesoort>W<")
    assert wijziging != body
    fout = _fout(parse_message(gws4all_backoffice.post(wijziging, action).content))
    assert (fout.berichtcode, fout.code) == (
        "Fo01",
        "StUF055",
    ) and "mutatiesoort" in fout.omschrijving
    other_action = action.replace("creeerZaak", "updateZaak")
    fout = _fout(parse_message(gws4all_backoffice.post(body, other_action).content))
    assert fout.berichtcode == "Fo01"
    zds12 = build_message(message, ZdsVersion.V1_2)
    fout = _fout(parse_message(gws4all_backoffice.post(zds12).content))
    assert (fout.code, fout.omschrijving) == ("StUF055", "Alleen ZDS 1.1 wordt ondersteund")
    assert gws4all_backoffice.snapshot()["zaken"] == {}
    # the same bytes with the right action are stored
    assert gws4all_backoffice.post(body, action).status_code == 200


def test_statuses_are_kept_and_read_back(gws4all_backoffice: Gws4allBackofficeHandle) -> None:
    gws4all_backoffice.call(_creeer())
    status = ZaakStatus(
        zaak_identificatie=ZAAK_ID,
        statustype_code="GWS-01",
        statustype_volgnummer=1,
        datum_status_gezet=datetime(2026, 11, 30, 9, 0, tzinfo=AMSTERDAM),
        zaaktype_code="PW-LO-AANV",
    )
    update = ActualiseerZaakstatus(_sg("Lk01", "ZAK"), zaak_identificatie=ZAAK_ID, wordt=status)
    assert isinstance(gws4all_backoffice.call(update)[1], Bevestiging)
    _, answer = gws4all_backoffice.call(GeefZaakdetails(_sg("Lv01", "ZAK"), ZAAK_ID))
    assert isinstance(answer, ZaakdetailsAntwoord)
    assert [(s.statustype_code, s.statustype_volgnummer) for s in answer.statussen] == [
        ("GWS-01", 1)
    ]


def test_handle_without_http_streams_a_document_too(
    gws4all_backoffice: Gws4allBackofficeHandle,
) -> None:
    app = gws4all_backoffice.server.app
    status, _ = app.handle(build_message(_creeer(), ZdsVersion.V1_1))
    assert status == "200 OK"
    status, _ = app.handle(build_message(_voeg_toe(inhoud=b"x" * 20_000), ZdsVersion.V1_1))
    assert status == "200 OK"
    assert gws4all_backoffice.snapshot()["documenten"]["DOC-1"]["size"] == 20_000

"""The e-Suite simulator over real HTTP: every operation, its faults, and schema-valid answers."""

from __future__ import annotations

import hashlib
import threading
from datetime import date, datetime
from typing import Any

import pytest
import requests

from simulators.esuite import EsuiteApp, make_esuite_server
from simulators.faults import FaultConfig
from simulators.testing import SimulatorHandle, esuite, esuite_simulator
from stuf import (
    ActualiseerZaakstatus,
    Bevestiging,
    CreeerZaak,
    Document,
    Fout,
    GeefZaakdetails,
    GenereerZaakIdentificatie,
    SoapVersion,
    StufError,
    Systeem,
    UpdateZaak,
    VoegZaakdocumentToe,
    Zaak,
    ZaakdetailsAntwoord,
    ZaakIdentificatieAntwoord,
    ZaakStatus,
    ZdsVersion,
    build_message,
    new_stuurgegevens,
    parse_message,
    validate,
)
from stuf.values import AMSTERDAM

__all__ = ["esuite", "esuite_simulator"]  # fixtures used below

KETENBRUG = Systeem("0153", "KETENBRUG")
ESUITE = Systeem("0153", "ESUITE")
BSN = "111222333"


def _sg(berichtcode: str, **kwargs: Any) -> Any:
    return new_stuurgegevens(berichtcode, KETENBRUG, ESUITE, **kwargs)


def _zaak(identificatie: str, **changes: Any) -> Zaak:
    fields: dict[str, Any] = {
        "identificatie": identificatie,
        "zaaktype_code": "PW-LO-AANV",
        "omschrijving": "Aanvraag levensonderhoud",
        "startdatum": date(2025, 3, 3),
        "registratiedatum": date(2025, 3, 3),
        "initiator_bsn": BSN,
    }
    fields.update(changes)
    return Zaak(**fields)


def _status(zaak_id: str, volgnummer: int, code: str = "", hour: int = 9) -> ZaakStatus:
    return ZaakStatus(
        zaak_identificatie=zaak_id,
        statustype_code=code or f"ES-{volgnummer:02d}",
        statustype_volgnummer=volgnummer,
        datum_status_gezet=datetime(2025, 3, 3, hour, 0, tzinfo=AMSTERDAM),
        statustype_omschrijving="Ontvangen",
    )


def send(
    sim: SimulatorHandle, message: Any, soap: SoapVersion = SoapVersion.V1_1
) -> tuple[requests.Response, Any]:
    """POST like an adapter would, check the answer against the ZDS 1.2 schema, parse it."""
    return sim.call(message, soap=soap)


def creeer(sim: SimulatorHandle, zaak_id: str) -> Any:
    return send(sim, CreeerZaak(_sg("Lk01", entiteittype="ZAK"), zaak=_zaak(zaak_id)))[1]


def actualiseer(sim: SimulatorHandle, zaak_id: str, volgnummer: int) -> Any:
    message = ActualiseerZaakstatus(
        _sg("Lk01", entiteittype="ZAK"),
        zaak_identificatie=zaak_id,
        wordt=_status(zaak_id, volgnummer),
    )
    return send(sim, message)[1]


def geef(sim: SimulatorHandle, zaak_id: str) -> Any:
    message = GeefZaakdetails(_sg("Lv01", entiteittype="ZAK"), zaak_identificatie=zaak_id)
    return send(sim, message)[1]


def test_genereer_zaakidentificatie_du02(esuite: SimulatorHandle) -> None:
    request = GenereerZaakIdentificatie(_sg("Di02", functie="genereerZaakidentificatie"))
    response, first = send(esuite, request)
    _, second = send(esuite, request)
    assert response.status_code == 200
    assert isinstance(first, ZaakIdentificatieAntwoord)
    assert first.stuurgegevens.berichtcode == "Du02"
    assert first.identificatie == "0153ESUITE1000001"
    assert second.identificatie == "0153ESUITE1000002"


def test_creeer_zaak_then_duplicate_is_rejected(esuite: SimulatorHandle) -> None:
    answer = creeer(esuite, "0153ESUITE1000001")
    assert isinstance(answer, Bevestiging) and answer.berichtcode == "Bv03"
    assert answer.stuurgegevens is not None and answer.stuurgegevens.cross_refnummer
    again = creeer(esuite, "0153ESUITE1000001")
    assert isinstance(again, Fout) and again.berichtcode == "Fo03"
    assert "bestaat al" in again.omschrijving
    assert esuite.state(summary=True)["counts"]["zaken"] == 1
    # the numbering skips identificaties that were created directly
    request = GenereerZaakIdentificatie(_sg("Di02", functie="genereerZaakidentificatie"))
    assert send(esuite, request)[1].identificatie == "0153ESUITE1000002"


def test_actualiseer_records_every_write_even_duplicates(esuite: SimulatorHandle) -> None:
    creeer(esuite, "ZAAK-001")
    assert isinstance(actualiseer(esuite, "ZAAK-001", 1), Bevestiging)
    assert isinstance(actualiseer(esuite, "ZAAK-001", 3), Bevestiging)
    assert isinstance(actualiseer(esuite, "ZAAK-001", 3), Bevestiging)  # the real e-Suite stores it
    assert esuite.statuses("ZAAK-001") == [("ES-01", 1), ("ES-03", 3), ("ES-03", 3)]
    counts = esuite.state(summary=True)["counts"]
    assert counts["status_writes"] == 3 and counts["duplicate_statussen"] == 1


def test_unknown_zaak_gives_fo(esuite: SimulatorHandle) -> None:
    fout = actualiseer(esuite, "ONBEKEND-1", 1)
    assert isinstance(fout, Fout) and fout.berichtcode == "Fo03"
    assert "onbekend" in fout.omschrijving
    fout = geef(esuite, "ONBEKEND-1")
    assert isinstance(fout, Fout) and fout.berichtcode == "Fo02" and fout.code == "StUF058"
    assert "niet gevonden" in fout.omschrijving
    update = UpdateZaak(
        _sg("Lk01", entiteittype="ZAK"), was=_zaak("ONBEKEND-1"), wordt=_zaak("ONBEKEND-1")
    )
    assert send(esuite, update)[1].berichtcode == "Fo03"
    assert esuite.state(summary=True)["counts"]["status_writes"] == 0


def test_unknown_zaak_can_answer_an_empty_la01() -> None:
    with make_esuite_server(unknown_zaak_vraag="leeg") as server:
        answer = geef(SimulatorHandle(server), "ONBEKEND-2")
    assert isinstance(answer, ZaakdetailsAntwoord) and answer.zaak is None


def test_geef_zaakdetails_returns_zaak_and_statussen(esuite: SimulatorHandle) -> None:
    creeer(esuite, "ZAAK-002")
    actualiseer(esuite, "ZAAK-002", 1)
    actualiseer(esuite, "ZAAK-002", 2)
    answer = geef(esuite, "ZAAK-002")
    assert isinstance(answer, ZaakdetailsAntwoord)
    assert answer.stuurgegevens.berichtcode == "La01"
    assert answer.zaak is not None and answer.zaak.identificatie == "ZAAK-002"
    assert answer.zaak.zaaktype_code == "PW-LO-AANV"
    assert [(s.statustype_code, s.statustype_volgnummer) for s in answer.statussen] == [
        ("ES-01", 1),
        ("ES-02", 2),
    ]


def test_update_zaak_sets_einddatum(esuite: SimulatorHandle) -> None:
    creeer(esuite, "ZAAK-003")
    update = UpdateZaak(
        _sg("Lk01", entiteittype="ZAK"),
        was=_zaak("ZAAK-003"),
        wordt=_zaak("ZAAK-003", einddatum=date(2025, 4, 1)),
    )
    assert isinstance(send(esuite, update)[1], Bevestiging)
    assert esuite.state("ZAAK-003")["zaken"]["ZAAK-003"]["einddatum"] == "2025-04-01"


def test_voeg_zaakdocument_toe_stores_content(esuite: SimulatorHandle) -> None:
    creeer(esuite, "ZAAK-004")
    content = b"%PDF-1.4 test document\n%%EOF\n"
    document = Document(
        identificatie="ZAAK-004-D01",
        titel="Beschikking",
        zaak_identificatie="ZAAK-004",
        documenttype_omschrijving="Brief",
        bestandsnaam="beschikking.pdf",
        formaat="application/pdf",
        creatiedatum=date(2025, 3, 4),
        vertrouwelijkheid="VERTROUWELIJK",
        auteur="GWS4all",
        inhoud=content,
        content_type="application/pdf",
    )
    message = VoegZaakdocumentToe(_sg("Lk01", entiteittype="EDC"), document=document)
    assert isinstance(send(esuite, message)[1], Bevestiging)
    state = esuite.state("ZAAK-004")
    assert state["zaken"]["ZAAK-004"]["documenten"] == ["ZAAK-004-D01"]
    assert state["documenten"]["ZAAK-004-D01"]["sha256"] == hashlib.sha256(content).hexdigest()
    stored = esuite.store.document("ZAAK-004-D01")
    assert stored is not None and stored.content == content
    assert send(esuite, message)[1].berichtcode == "Fo03"  # same document twice


@pytest.mark.parametrize(
    "body", [b"", b"not xml at all", b"<a><b></a>", b"<?xml version='1.0'?><x/>"]
)
def test_unreadable_request_gives_fo01(esuite: SimulatorHandle, body: bytes) -> None:
    response = requests.post(esuite.url, data=body, timeout=5)
    assert response.status_code == 500
    assert validate(response.content, ZdsVersion.V1_2) == []
    fout = parse_message(response.content)
    assert isinstance(fout, Fout) and fout.berichtcode == "Fo01"


def test_zds_11_is_refused(esuite: SimulatorHandle) -> None:
    body = build_message(
        CreeerZaak(_sg("Lk01", entiteittype="ZAK"), zaak=_zaak("ZAAK-005")), ZdsVersion.V1_1
    )
    response = requests.post(esuite.url, data=body, timeout=5)
    fout = parse_message(response.content)
    assert isinstance(fout, Fout) and fout.berichtcode == "Fo01"
    assert "ZAAK-005" not in esuite.store


def test_soap12_in_soap12_out(esuite: SimulatorHandle) -> None:
    response, answer = send(
        esuite,
        CreeerZaak(_sg("Lk01", entiteittype="ZAK"), zaak=_zaak("ZAAK-006")),
        SoapVersion.V1_2,
    )
    assert response.headers["Content-Type"].startswith("application/soap+xml")
    assert b"http://www.w3.org/2003/05/soap-envelope" in response.content
    assert isinstance(answer, Bevestiging)


def test_bsn_masked_in_state(esuite: SimulatorHandle) -> None:
    creeer(esuite, "ZAAK-007")
    raw = requests.get(esuite.url + "/_admin/state", timeout=5).text
    assert BSN not in raw and "*****2333" in raw


def test_admin_reset_and_get_not_allowed(esuite: SimulatorHandle) -> None:
    creeer(esuite, "ZAAK-008")
    assert requests.post(esuite.url + "/_admin/reset", timeout=5).json() == {"reset": True}
    assert esuite.state(summary=True)["counts"]["zaken"] == 0
    assert requests.get(esuite.url + "/zds", timeout=5).status_code == 405


@pytest.mark.parametrize(("variant", "berichtcode"), [("fo02", "Fo02"), ("fo03", "Fo03")])
def test_injected_stuf_faults_do_not_process(
    esuite: SimulatorHandle, variant: str, berichtcode: str
) -> None:
    kind = "transient" if variant == "fo02" else "permanent"
    settings: dict[str, Any] = {f"{kind}_rate": 1.0, f"{kind}_variants": [variant]}
    esuite.set_faults(**settings)
    fout = creeer(esuite, "ZAAK-009")
    assert isinstance(fout, Fout) and fout.berichtcode == berichtcode
    if variant == "fo02":
        assert fout.code == "StUF049"  # a transient code: retry later
    assert "ZAAK-009" not in esuite.store
    assert esuite.fault_counts()[f"{kind}:{variant}"] == 1


def test_injected_schema_invalid_answer_after_processing(esuite: SimulatorHandle) -> None:
    esuite.set_faults(permanent_rate=1.0, permanent_variants=["schema_invalid"])
    message = CreeerZaak(_sg("Lk01", entiteittype="ZAK"), zaak=_zaak("ZAAK-0010"))
    response = requests.post(esuite.url, data=build_message(message, ZdsVersion.V1_2), timeout=5)
    assert response.status_code == 200
    assert validate(response.content, ZdsVersion.V1_2) != []
    with pytest.raises(StufError):  # even a liberal reader cannot take it for a Bv03
        parse_message(response.content)
    assert "ZAAK-0010" in esuite.store  # processed: the client cannot know, it must read back


def test_seeded_fault_rate_matches_what_the_client_saw(esuite: SimulatorHandle) -> None:
    esuite.set_faults(
        transient_rate=0.2, permanent_rate=0.1, seed=99, permanent_variants=["fo03"],
        transient_variants=["fo02", "http_503"],
    )  # fmt: skip
    outcomes: dict[str, int] = {"ok": 0, "fo02": 0, "fo03": 0, "503": 0}
    for i in range(120):
        body = build_message(
            CreeerZaak(_sg("Lk01", entiteittype="ZAK"), zaak=_zaak(f"RATE-{i:04d}")),
            ZdsVersion.V1_2,
        )
        response = requests.post(esuite.url, data=body, timeout=5)
        if response.status_code == 503:
            outcomes["503"] += 1
            continue
        answer = parse_message(response.content)
        assert isinstance(answer, Bevestiging | Fout)
        key = "ok" if isinstance(answer, Bevestiging) else answer.berichtcode.lower()
        outcomes[key] += 1
    counts = esuite.fault_counts()
    assert outcomes["503"] == counts.get("transient:http_503", 0)
    assert outcomes["fo02"] == counts.get("transient:fo02", 0)
    assert outcomes["fo03"] == counts.get("permanent:fo03", 0)
    assert outcomes["ok"] == esuite.state(summary=True)["counts"]["zaken"]
    assert 10 < counts["transient"] < 40 and 3 < counts["permanent"] < 25


def test_concurrent_creates_get_unique_numbers(esuite: SimulatorHandle) -> None:
    numbers: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            request = GenereerZaakIdentificatie(_sg("Di02", functie="genereerZaakidentificatie"))
            _, answer = send(esuite, request)
            creeer(esuite, answer.identificatie)
            with lock:
                numbers.append(answer.identificatie)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(numbers)) == 60
    assert esuite.state(summary=True)["counts"]["zaken"] == 60


def test_handle_without_http() -> None:
    """The app answers plain bytes too, e.g. for a unit test of an adapter's parsing."""
    app = EsuiteApp()
    body = build_message(
        GeefZaakdetails(_sg("Lv01", entiteittype="ZAK"), zaak_identificatie="X"), ZdsVersion.V1_2
    )
    status, payload, soap = app.handle(body)
    assert status.startswith("500") and soap is SoapVersion.V1_1
    fout = parse_message(payload)
    assert isinstance(fout, Fout) and fout.berichtcode == "Fo02"
    assert FaultConfig().is_quiet


def test_server_side_duplicate_shows_in_state(esuite: SimulatorHandle) -> None:
    """duplicate_rate: the e-Suite processes a request twice, the client sees the first answer."""
    esuite.set_faults(duplicate_rate=1.0)
    assert isinstance(creeer(esuite, "ZAAK-0020"), Bevestiging)  # not the second run's Fo03
    assert isinstance(actualiseer(esuite, "ZAAK-0020", 1), Bevestiging)
    counts = esuite.state(summary=True)["counts"]
    assert counts["calls"]["CreeerZaak"] == 2 and counts["zaken"] == 1
    assert counts["duplicate_statussen"] == 1
    assert esuite.fault_counts()["duplicate"] == 2

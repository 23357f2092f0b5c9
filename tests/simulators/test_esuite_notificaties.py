"""The e-Suite simulator's NRC: abonnementen, one notificatie per document of a zaak, delivery.

Everything over real HTTP on loopback: the e-Suite simulator, and a callback server that
records what the NRC POSTs to it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from simulators.esuite import EsuiteApp, EsuiteServer, make_esuite_server
from simulators.esuite_notificaties import ABONNEMENT_PATH, ADMIN_PATH
from simulators.esuite_zgw import BRONORGANISATIE
from simulators.esuite_zgw_zaken import ZAKEN_PATH, zaak_uuid, zaaktype_url
from simulators.testing import SimulatorHandle
from stuf import (
    Bevestiging,
    CreeerZaak,
    Document,
    Fout,
    Systeem,
    UpdateZaakdocument,
    VoegZaakdocumentToe,
    Zaak,
    ZdsVersion,
    build_message,
    new_stuurgegevens,
)

KETENBRUG = Systeem("0153", "KETENBRUG")
ESUITE = Systeem("0153", "ESUITE")
ZAAK_ID = "0153ESUITE3000001"
ZAAKTYPE = "PW-LO-AANV"
AUTH = "Bearer xyz"


@dataclass
class Received:
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Callback:
    """A consumer's notificaties endpoint: records every POST, answers from ``script``."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    #: Status codes to answer, in order; once used up every answer is 204.
    script: list[int] = field(default_factory=list)
    delay_s: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def bodies(self) -> list[dict[str, Any]]:
        with self.lock:
            return [r.body for r in self.received]


@pytest.fixture
def callback() -> Iterator[Callback]:
    state = Callback()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if state.delay_s:
                time.sleep(state.delay_s)
            with state.lock:
                state.received.append(Received(dict(self.headers.items()), json.loads(body)))
                status = state.script.pop(0) if state.script else 204
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/api/v1/notificaties"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def esuite() -> Iterator[EsuiteServer]:
    with make_esuite_server() as server:
        yield server


def subscribe(
    server: EsuiteServer, callback_url: str, filters: dict[str, str] | None = None, **extra: Any
) -> requests.Response:
    kanaal: dict[str, Any] = {"naam": "zaken"}
    if filters is not None:
        kanaal["filters"] = filters
    body = {"callbackUrl": callback_url, "auth": AUTH, "kanalen": [kanaal], **extra}
    return requests.post(f"{server.url}{ABONNEMENT_PATH}", json=body, timeout=5)


def stats(server: EsuiteServer) -> dict[str, Any]:
    response = requests.get(f"{server.url}{ADMIN_PATH}", timeout=5)
    response.raise_for_status()
    return dict(response.json())


def _sg(berichtcode: str, **kwargs: Any) -> Any:
    return new_stuurgegevens(berichtcode, KETENBRUG, ESUITE, **kwargs)


def _document(doc_id: str, content: bytes | None, titel: str = "Beschikking") -> Document:
    return Document(
        identificatie=doc_id,
        titel=titel,
        zaak_identificatie=ZAAK_ID,
        documenttype_omschrijving="Brief",
        bestandsnaam=f"{doc_id}.pdf",
        formaat="application/pdf",
        creatiedatum=date(2026, 3, 2),
        vertrouwelijkheid="VERTROUWELIJK",
        auteur="Ketenbrug",
        inhoud=content,
    )


def creeer_zaak(server: EsuiteServer, zaak_id: str = ZAAK_ID) -> None:
    zaak = Zaak(zaak_id, ZAAKTYPE, startdatum=date(2026, 3, 1), registratiedatum=date(2026, 3, 1))
    _, answer = SimulatorHandle(server).call(CreeerZaak(_sg("Lk01", entiteittype="ZAK"), zaak))
    assert isinstance(answer, Bevestiging)


def voeg_document_toe(server: EsuiteServer, doc_id: str) -> Any:
    """voegZaakdocumentToe over ZDS 1.2 HTTP (the simulator streams it from the socket)."""
    message = VoegZaakdocumentToe(
        _sg("Lk01", entiteittype="EDC"), document=_document(doc_id, b"%PDF-1.4 brief\n%%EOF\n")
    )
    return SimulatorHandle(server).call(message)[1]


def update_document(doc_id: str, content: bytes | None) -> UpdateZaakdocument:
    return UpdateZaakdocument(
        _sg("Di02", functie="updateZaakdocument"),
        was=_document(doc_id, None),
        wordt=_document(doc_id, content, titel="Beschikking (gecorrigeerd)"),
        checked_out_id="co-1",
    )


# --- abonnementen -------------------------------------------------------------------------------


def test_abonnement_create_list_get_and_delete(esuite: EsuiteServer, callback: Callback) -> None:
    created = subscribe(esuite, callback.url, {"bronorganisatie": BRONORGANISATIE})
    assert created.status_code == 201
    data = created.json()
    assert data["url"].startswith(f"{esuite.url}{ABONNEMENT_PATH}/")
    assert created.headers["Location"] == data["url"]
    assert created.headers["API-version"] == "1.0.0"
    assert data["callbackUrl"] == callback.url
    assert data["auth"] == AUTH
    assert data["kanalen"] == [{"naam": "zaken", "filters": {"bronorganisatie": BRONORGANISATIE}}]

    listing = requests.get(f"{esuite.url}{ABONNEMENT_PATH}", timeout=5)
    assert listing.status_code == 200 and listing.json() == [data]
    assert requests.get(data["url"], timeout=5).json() == data
    assert stats(esuite)["abonnementen"] == 1

    assert requests.delete(data["url"], timeout=5).status_code == 204
    assert requests.get(f"{esuite.url}{ABONNEMENT_PATH}", timeout=5).json() == []
    assert requests.delete(data["url"], timeout=5).status_code == 404
    assert requests.get(data["url"], timeout=5).status_code == 404


def test_abonnement_refused_without_its_required_fields(esuite: EsuiteServer) -> None:
    url = f"{esuite.url}{ABONNEMENT_PATH}"
    empty = requests.post(url, json={}, timeout=5)
    assert empty.status_code == 400
    assert empty.headers["Content-Type"] == "application/problem+json"
    problem = empty.json()
    assert (problem["status"], problem["code"]) == (400, "invalid")
    assert {p["name"]: p["code"] for p in problem["invalidParams"]} == {
        "callbackUrl": "required",
        "auth": "required",
        "kanalen": "required",
    }

    bad = {"callbackUrl": "ftp://elders", "auth": "", "kanalen": [{"filters": {"a": ""}}]}
    refused = requests.post(url, json=bad, timeout=5).json()
    assert {p["name"]: p["code"] for p in refused["invalidParams"]} == {
        "callbackUrl": "invalid",
        "auth": "blank",
        "kanalen.0.naam": "required",
        "kanalen.0.filters": "invalid",
    }
    not_json = requests.post(url, data=b"{geen json", timeout=5)
    assert not_json.status_code == 400 and not_json.json()["code"] == "parse_error"
    assert requests.get(url, timeout=5).json() == []


# --- publishing and delivery --------------------------------------------------------------------


def test_voeg_zaakdocument_toe_delivers_one_notificatie(
    esuite: EsuiteServer, callback: Callback
) -> None:
    assert subscribe(esuite, callback.url).status_code == 201
    creeer_zaak(esuite)
    before = datetime.now(UTC)
    assert isinstance(voeg_document_toe(esuite, "0153ESUITED3000001"), Bevestiging)
    assert esuite.notificaties.wait_delivered(5)

    [received] = callback.received
    assert received.headers["Authorization"] == AUTH
    assert received.headers["Content-Type"] == "application/json"
    message = received.body
    hoofd_object = f"{esuite.url}{ZAKEN_PATH}/{zaak_uuid(ZAAK_ID)}"
    assert message["kanaal"] == "zaken"
    assert message["hoofdObject"] == hoofd_object
    assert message["resource"] == "zaakinformatieobject"
    assert message["resourceUrl"].startswith(f"{esuite.url}/zaken/api/v1/zaakinformatieobjecten/")
    assert message["actie"] == "create"
    assert message["aanmaakdatum"].endswith("Z")
    moment = datetime.fromisoformat(message["aanmaakdatum"])
    assert moment.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= moment <= datetime.now(UTC)
    assert message["kenmerken"] == {
        "bronorganisatie": BRONORGANISATIE,
        "zaaktype": zaaktype_url(esuite.url, ZAAKTYPE),
        "vertrouwelijkheidaanduiding": "openbaar",
    }
    zaak = requests.get(hoofd_object, headers={"Accept-Crs": "EPSG:4326"}, timeout=5)
    assert zaak.status_code == 200 and zaak.json()["identificatie"] == ZAAK_ID
    counts = stats(esuite)
    assert {k: counts[k] for k in ("published", "delivered", "failed", "pending")} == {
        "published": 1,
        "delivered": 1,
        "failed": 0,
        "pending": 0,
    }


def test_every_write_of_a_zaak_document_publishes(esuite: EsuiteServer, callback: Callback) -> None:
    """Streamed over HTTP and whole through ``EsuiteApp.handle``: adds are ``create``, updates
    (new content or metadata only) ``update``; a document refused publishes nothing."""
    app = esuite.app
    assert isinstance(app, EsuiteApp)
    subscribe(esuite, callback.url)
    creeer_zaak(esuite)
    handle = SimulatorHandle(esuite)
    doc_1, doc_2 = "0153ESUITED3000001", "0153ESUITED3000002"

    assert isinstance(voeg_document_toe(esuite, doc_1), Bevestiging)  # streamed
    assert isinstance(handle.call(update_document(doc_1, b"versie 2"))[1], Bevestiging)
    assert isinstance(handle.call(update_document(doc_1, None))[1], Bevestiging)  # metadata
    whole = VoegZaakdocumentToe(_sg("Lk01", entiteittype="EDC"), document=_document(doc_2, b"heel"))
    assert app.handle(build_message(whole, ZdsVersion.V1_2))[0] == "200 OK"
    update = build_message(update_document(doc_2, b"heel, versie 2"), ZdsVersion.V1_2)
    assert app.handle(update)[0] == "200 OK"
    assert isinstance(voeg_document_toe(esuite, doc_1), Fout)  # bestaat al
    assert esuite.notificaties.wait_delivered(5)

    bodies = callback.bodies()
    assert [b["actie"] for b in bodies] == ["create", "update", "update", "create", "update"]
    assert len({b["resourceUrl"] for b in bodies}) == 2  # one zaakinformatieobject per document
    assert {b["hoofdObject"] for b in bodies} == {f"{esuite.url}{ZAKEN_PATH}/{zaak_uuid(ZAAK_ID)}"}
    assert stats(esuite)["published"] == 5


def test_filters_that_do_not_match_deliver_nothing(
    esuite: EsuiteServer, callback: Callback
) -> None:
    subscribe(esuite, callback.url, {"bronorganisatie": "999999999"}, auth="Bearer ander-rsin")
    other_zaaktype = zaaktype_url(esuite.url, "ANDER-TYPE")
    subscribe(esuite, callback.url, {"zaaktype": other_zaaktype}, auth="Bearer ander-type")
    subscribe(esuite, callback.url, {"geen_kenmerk": "x"}, auth="Bearer onbekend-kenmerk")
    documenten = {"callbackUrl": callback.url, "auth": "Bearer documenten"}
    requests.post(
        f"{esuite.url}{ABONNEMENT_PATH}",
        json={**documenten, "kanalen": [{"naam": "documenten"}]},
        timeout=5,
    ).raise_for_status()
    # the control: this one matches, so the delivery thread did run when the others got nothing
    subscribe(esuite, callback.url, {"zaaktype": zaaktype_url(esuite.url, ZAAKTYPE)})
    creeer_zaak(esuite)
    voeg_document_toe(esuite, "0153ESUITED3000001")
    assert esuite.notificaties.wait_delivered(5)

    assert [r.headers["Authorization"] for r in callback.received] == [AUTH]
    assert stats(esuite)["abonnementen"] == 5


def test_callback_failing_twice_is_delivered_once_after_retries(
    esuite: EsuiteServer, callback: Callback
) -> None:
    callback.script = [500, 500, 204]
    subscribe(esuite, callback.url)
    creeer_zaak(esuite)
    voeg_document_toe(esuite, "0153ESUITED3000001")
    assert esuite.notificaties.wait_delivered(5)

    bodies = callback.bodies()
    assert len(bodies) == 3 and bodies[0] == bodies[1] == bodies[2]
    counts = stats(esuite)
    assert (counts["delivered"], counts["failed"], counts["pending"]) == (1, 0, 0)


def test_callback_failing_every_time_is_counted_failed_after_five_attempts(
    esuite: EsuiteServer, callback: Callback
) -> None:
    callback.script = [503] * 10
    subscribe(esuite, callback.url)
    creeer_zaak(esuite)
    voeg_document_toe(esuite, "0153ESUITED3000001")
    assert esuite.notificaties.wait_delivered(5)

    assert len(callback.received) == 5
    counts = stats(esuite)
    assert (counts["delivered"], counts["failed"], counts["pending"]) == (0, 1, 0)


def test_drop_mode_publishes_but_delivers_nothing(esuite: EsuiteServer, callback: Callback) -> None:
    subscribe(esuite, callback.url)
    creeer_zaak(esuite)
    switched = requests.post(f"{esuite.url}{ADMIN_PATH}", json={"drop": True}, timeout=5)
    assert switched.status_code == 200 and switched.json()["drop"] is True
    voeg_document_toe(esuite, "0153ESUITED3000001")
    assert esuite.notificaties.wait_delivered(5)
    counts = stats(esuite)
    assert (counts["published"], counts["dropped"], counts["delivered"]) == (1, 1, 0)

    # NRC back: the next one arrives, the lost one never does
    requests.post(f"{esuite.url}{ADMIN_PATH}", json={"drop": False}, timeout=5).raise_for_status()
    voeg_document_toe(esuite, "0153ESUITED3000002")
    assert esuite.notificaties.wait_delivered(5)
    assert len(callback.received) == 1
    counts = stats(esuite)
    assert (counts["published"], counts["dropped"], counts["delivered"]) == (2, 1, 1)
    # the document whose notificatie was lost is in the e-Suite: only a full walk finds it
    assert SimulatorHandle(esuite).store.document("0153ESUITED3000001") is not None
    assert (
        requests.post(f"{esuite.url}{ADMIN_PATH}", json={"drop": 1}, timeout=5).status_code == 400
    )


def test_slow_callback_does_not_delay_the_soap_answer(
    esuite: EsuiteServer, callback: Callback
) -> None:
    callback.delay_s = 2.0
    subscribe(esuite, callback.url)
    creeer_zaak(esuite)
    started = time.monotonic()
    answer = voeg_document_toe(esuite, "0153ESUITED3000001")
    elapsed = time.monotonic() - started
    assert isinstance(answer, Bevestiging)
    assert elapsed < 1.0, f"the SOAP answer took {elapsed:.2f} s"
    assert stats(esuite)["pending"] == 1  # queued, not yet delivered
    assert esuite.notificaties.wait_delivered(5)
    assert stats(esuite)["delivered"] == 1


def test_admin_reset_clears_abonnementen_and_counters(
    esuite: EsuiteServer, callback: Callback
) -> None:
    subscribe(esuite, callback.url)
    creeer_zaak(esuite)
    voeg_document_toe(esuite, "0153ESUITED3000001")
    assert esuite.notificaties.wait_delivered(5)
    requests.post(f"{esuite.url}{ADMIN_PATH}", json={"drop": True}, timeout=5).raise_for_status()

    requests.post(f"{esuite.url}/_admin/reset", timeout=5).raise_for_status()
    assert stats(esuite) == {
        "abonnementen": 0,
        "published": 0,
        "delivered": 0,
        "failed": 0,
        "pending": 0,
        "dropped": 0,
        "drop": False,
    }
    assert requests.get(f"{esuite.url}{ABONNEMENT_PATH}", timeout=5).json() == []

"""The e-Suite simulator's ZGW Documenten API, and its streaming document paths over ZDS."""

from __future__ import annotations

import hashlib
import json
import os
import socket
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import requests

from simulators.esuite import make_esuite_server
from simulators.esuite_zgw import BRONORGANISATIE, EIO_PATH, zgw_uuid
from simulators.faults import FaultConfig
from simulators.testing import SimulatorHandle, esuite, esuite_simulator
from stuf import (
    Bevestiging,
    Document,
    Fout,
    GeefZaakdocumentLezen,
    NoValue,
    Systeem,
    VoegZaakdocumentToe,
    Zaak,
    ZaakdocumentAntwoord,
    ZdsVersion,
    build_message,
    new_stuurgegevens,
    soap_action_for,
)

__all__ = ["esuite", "esuite_simulator"]

ZAAK_ID = "0153ESUITE2000001"
KETENBRUG = Systeem("0153", "KETENBRUG")
ESUITE = Systeem("0153", "ESUITE")


def _sg(berichtcode: str, **kwargs: Any) -> Any:
    return new_stuurgegevens(berichtcode, KETENBRUG, ESUITE, **kwargs)


def _document(identificatie: str, content: bytes | None = None) -> Document:
    return Document(
        identificatie=identificatie,
        titel=f"Titel {identificatie}",
        zaak_identificatie=ZAAK_ID,
        documenttype_omschrijving="Brief",
        bestandsnaam=f"{identificatie}.pdf",
        formaat="application/pdf",
        creatiedatum=date(2025, 3, 4),
        vertrouwelijkheid="BEPERKT OPENBAAR",
        auteur="Ketenbrug",
        inhoud=content,
    )


def _zaak(handle: SimulatorHandle) -> None:
    day = date(2025, 3, 3)
    handle.store.create_zaak(Zaak(ZAAK_ID, "PW-LO-AANV", startdatum=day, registratiedatum=day))


def _fill(handle: SimulatorHandle, count: int) -> dict[str, bytes]:
    _zaak(handle)
    contents = {}
    for number in reversed(range(1, count + 1)):
        identificatie = f"0153ESUITED{number:07d}"
        contents[identificatie] = f"inhoud {number}".encode()
        handle.store.add_document(_document(identificatie, contents[identificatie]))
    return contents


def _list(handle: SimulatorHandle, **params: Any) -> requests.Response:
    return requests.get(f"{handle.url}{EIO_PATH}", params=params, timeout=5)


@pytest.fixture
def small_pages() -> Iterator[SimulatorHandle]:
    with make_esuite_server(zgw_page_size=2) as server:
        yield SimulatorHandle(server)


# --- the listing -------------------------------------------------------------------------------


def test_listing_shape_and_pagination(small_pages: SimulatorHandle) -> None:
    contents = _fill(small_pages, 5)
    first = _list(small_pages)
    assert first.status_code == 200 and first.headers["API-version"] == "1.5.0"
    page = first.json()
    assert set(page) == {"count", "next", "previous", "results"}
    assert page["count"] == 5 and page["previous"] is None
    assert page["next"] == f"{small_pages.url}{EIO_PATH}?page=2"
    ids = [item["identificatie"] for item in page["results"]]
    assert ids == ["0153ESUITED0000001", "0153ESUITED0000002"]  # by identificatie
    item = page["results"][0]
    content = contents[item["identificatie"]]
    stored = small_pages.store.document(item["identificatie"])
    assert stored is not None
    assert item["url"] == f"{small_pages.url}{EIO_PATH}/{zgw_uuid(item['identificatie'])}"
    assert item["bronorganisatie"] == BRONORGANISATIE
    assert item["titel"] == "Titel 0153ESUITED0000001"
    assert item["creatiedatum"] == "2025-03-04"
    assert item["formaat"] == "application/pdf"
    assert item["vertrouwelijkheidaanduiding"] == "beperkt_openbaar"
    assert item["bestandsomvang"] == len(content)
    assert item["integriteit"] == {
        "algoritme": "sha_256",
        "waarde": hashlib.sha256(content).hexdigest(),
        "datum": stored.registered.isoformat(),
    }
    last = _list(small_pages, page=3).json()
    assert last["next"] is None and last["previous"] == f"{small_pages.url}{EIO_PATH}?page=2"
    assert [item["identificatie"] for item in last["results"]] == ["0153ESUITED0000005"]
    second = _list(small_pages, page=2).json()
    assert second["previous"] == f"{small_pages.url}{EIO_PATH}"  # page 1 has no page parameter


@pytest.mark.parametrize("page", ["4", "0", "-1", "twee"])
def test_invalid_page_is_404_problem(small_pages: SimulatorHandle, page: str) -> None:
    _fill(small_pages, 5)
    response = _list(small_pages, page=page)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 404 and problem["detail"] == "Ongeldige pagina."
    assert {"type", "code", "title", "instance"} <= set(problem)


def test_empty_listing_has_page_one(esuite: SimulatorHandle) -> None:
    page = _list(esuite).json()
    assert page == {"count": 0, "next": None, "previous": None, "results": []}


def test_filters(esuite: SimulatorHandle) -> None:
    _fill(esuite, 3)
    one = _list(esuite, identificatie="0153ESUITED0000002").json()
    assert one["count"] == 1
    assert [i["identificatie"] for i in one["results"]] == ["0153ESUITED0000002"]
    assert _list(esuite, identificatie="GEEN").json()["count"] == 0
    assert _list(esuite, bronorganisatie=BRONORGANISATIE).json()["count"] == 3
    assert _list(esuite, bronorganisatie="999999999").json()["count"] == 0


def test_filter_is_kept_in_the_page_links(small_pages: SimulatorHandle) -> None:
    _fill(small_pages, 5)
    page = _list(small_pages, bronorganisatie=BRONORGANISATIE).json()
    assert page["next"] == (f"{small_pages.url}{EIO_PATH}?bronorganisatie={BRONORGANISATIE}&page=2")


def test_detail_and_download(esuite: SimulatorHandle) -> None:
    contents = _fill(esuite, 2)
    identificatie = "0153ESUITED0000002"
    url = f"{esuite.url}{EIO_PATH}/{zgw_uuid(identificatie)}"
    detail = requests.get(url, timeout=5).json()
    assert detail["identificatie"] == identificatie and detail["url"] == url
    download = requests.get(detail["inhoud"], timeout=5)
    assert download.status_code == 200 and download.content == contents[identificatie]
    missing = requests.get(f"{esuite.url}{EIO_PATH}/{zgw_uuid('GEEN')}", timeout=5)
    assert missing.status_code == 404


def test_read_only(esuite: SimulatorHandle) -> None:
    response = requests.post(f"{esuite.url}{EIO_PATH}", json={}, timeout=5)
    assert response.status_code == 405 and response.headers["Allow"] == "GET"
    other = requests.get(f"{esuite.url}/documenten/api/v1/gebruiksrechten", timeout=5)
    assert other.status_code == 404


@pytest.mark.parametrize(
    ("variant", "kind", "status"),
    [
        ("http_503", "transient", 503),
        ("fo02", "transient", 500),
        ("fo03", "permanent", 400),
        ("schema_invalid", "permanent", 200),
    ],
)
def test_faults_on_the_listing(
    esuite: SimulatorHandle, variant: str, kind: str, status: int
) -> None:
    _fill(esuite, 3)
    esuite.set_faults(FaultConfig.from_dict({f"{kind}_rate": 1.0, f"{kind}_variants": variant}))
    response = _list(esuite)
    assert response.status_code == status
    if variant == "schema_invalid":
        with pytest.raises(json.JSONDecodeError):
            json.loads(response.content)
    assert esuite.fault_counts()[f"{kind}:{variant}"] == 1


# --- streaming over ZDS ------------------------------------------------------------------------


def test_document_over_the_dom_limit_is_accepted_and_read_back(esuite: SimulatorHandle) -> None:
    """12 MB of inhoud is more base64 text than a DOM parse accepts (10 MB): streamed."""
    _zaak(esuite)
    content = os.urandom(12 * 1024 * 1024)
    upload = VoegZaakdocumentToe(
        _sg("Lk01", entiteittype="EDC"), _document("0153ESUITED1", content)
    )
    _, answer = esuite.call(upload)
    assert isinstance(answer, Bevestiging)
    stored = esuite.store.document("0153ESUITED1")
    assert stored is not None and stored.content == content
    assert stored.sha256 == hashlib.sha256(content).hexdigest()
    question = GeefZaakdocumentLezen(
        _sg("Lv01", entiteittype="EDC"), document_identificatie="0153ESUITED1"
    )
    response = requests.post(
        esuite.url,
        data=build_message(question, ZdsVersion.V1_2),
        headers={"SOAPAction": soap_action_for(question, ZdsVersion.V1_2)},
        timeout=10,
    )
    assert int(response.headers["Content-Length"]) == len(response.content)
    sg = _sg("La01", cross_refnummer="x")
    # byte for byte the answer build_message writes, but for the answer's own stuurgegevens
    start = response.content.index(b"<ZKN:inhoud")
    document = _document("0153ESUITED1", content)
    inline = build_message(ZaakdocumentAntwoord(sg, document=document), ZdsVersion.V1_2)
    assert response.content[start:] == inline[inline.index(b"<ZKN:inhoud") :]


def test_small_document_answer_is_schema_valid(esuite: SimulatorHandle) -> None:
    _zaak(esuite)
    esuite.store.add_document(_document("0153ESUITED1", b"%PDF-1.4 klein"))
    question = GeefZaakdocumentLezen(
        _sg("Lv01", entiteittype="EDC"), document_identificatie="0153ESUITED1"
    )
    _, answer = esuite.call(question)  # checks the answer against the ZDS 1.2 schema
    assert isinstance(answer, ZaakdocumentAntwoord) and answer.document is not None
    assert answer.document.inhoud == b"%PDF-1.4 klein"


def test_upload_cut_off_stores_nothing(esuite: SimulatorHandle) -> None:
    """A client that aborts an upload halfway (e.g. its checksum did not match): Fo01."""
    _zaak(esuite)
    upload = VoegZaakdocumentToe(
        _sg("Lk01", entiteittype="EDC"), _document("0153ESUITED1", os.urandom(100_000))
    )
    body = build_message(upload, ZdsVersion.V1_2)
    head = (
        f"POST /zds HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", esuite.server.port), timeout=5) as sock:
        sock.sendall(head + body[: len(body) - 200])  # everything but the closing tags
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert b"Fo01Bericht" in answer
    assert esuite.store.document("0153ESUITED1") is None


def test_keep_content_false_keeps_size_and_sha_of_a_streamed_upload() -> None:
    with make_esuite_server(keep_content=False) as server:
        handle = SimulatorHandle(server)
        _zaak(handle)
        content = os.urandom(50_000)
        upload = VoegZaakdocumentToe(
            _sg("Lk01", entiteittype="EDC"), _document("0153ESUITED1", content)
        )
        assert isinstance(handle.call(upload)[1], Bevestiging)
        stored = handle.store.document("0153ESUITED1")
        assert stored is not None and stored.content is None
        assert (stored.size, stored.sha256) == (len(content), hashlib.sha256(content).hexdigest())
        question = GeefZaakdocumentLezen(
            _sg("Lv01", entiteittype="EDC"), document_identificatie="0153ESUITED1"
        )
        # without content the answer carries a nil inhoud (which the schema does not allow)
        _, answer = handle.call(question, check_schema=False)
        assert isinstance(answer, ZaakdocumentAntwoord) and answer.document is not None
        assert answer.document.inhoud is NoValue.WAARDE_ONBEKEND


def test_second_upload_of_a_document_is_fo03_bestaat_al(esuite: SimulatorHandle) -> None:
    _zaak(esuite)
    upload = VoegZaakdocumentToe(_sg("Lk01", entiteittype="EDC"), _document("0153ESUITED1", b"abc"))
    esuite.call(upload)
    _, again = esuite.call(upload)
    assert isinstance(again, Fout) and again.berichtcode == "Fo03"
    assert "bestaat al" in again.omschrijving

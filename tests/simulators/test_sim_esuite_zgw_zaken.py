"""The e-Suite simulator's ZGW Zaken API: a read-only listing of the zaken ZDS created."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
import requests

from simulators.esuite import make_esuite_server
from simulators.esuite_zgw import BRONORGANISATIE
from simulators.esuite_zgw_zaken import ZAKEN_PATH, zaak_uuid, zaaktype_url
from simulators.faults import FaultConfig
from simulators.testing import SimulatorHandle
from stuf import (
    ActualiseerZaakstatus,
    Bevestiging,
    CreeerZaak,
    Systeem,
    Zaak,
    ZaakStatus,
    new_stuurgegevens,
)
from stuf.values import AMSTERDAM

KETENBRUG = Systeem("0153", "KETENBRUG")
ESUITE = Systeem("0153", "ESUITE")
CRS = {"Accept-Crs": "EPSG:4326"}


@pytest.fixture(scope="module")
def small_pages() -> Iterator[SimulatorHandle]:
    """An e-Suite simulator with ZGW pages of two results."""
    with make_esuite_server(zgw_page_size=2) as server:
        yield SimulatorHandle(server)


@pytest.fixture
def sim(small_pages: SimulatorHandle) -> Iterator[SimulatorHandle]:
    small_pages.reset()
    yield small_pages
    small_pages.reset()


def creeer(sim: SimulatorHandle, identificatie: str, code: str, start: date) -> None:
    """creeerZaak through the simulator's ZDS endpoint, as the zaken flow sends it."""
    zaak = Zaak(
        identificatie,
        code,
        omschrijving=f"Aanvraag {identificatie}",
        startdatum=start,
        registratiedatum=date(2020, 1, 1),  # the sender's date; the listing shows receipt
        initiator_bsn="111222333",
    )
    message = CreeerZaak(new_stuurgegevens("Lk01", KETENBRUG, ESUITE, entiteittype="ZAK"), zaak)
    _, answer = sim.call(message)
    assert isinstance(answer, Bevestiging)


def listing(sim: SimulatorHandle, **params: Any) -> requests.Response:
    return requests.get(f"{sim.url}{ZAKEN_PATH}", params=params, headers=CRS, timeout=5)


def test_zaak_created_through_zds_is_listed_with_its_fields(sim: SimulatorHandle) -> None:
    creeer(sim, "0153ESUITE0000001", "PW-LO-AANV", date(2025, 3, 3))
    received = sim.store.zaken()[0].received.date()
    response = listing(sim)
    assert response.status_code == 200
    assert response.headers["Content-Crs"] == "EPSG:4326"
    data = response.json()
    assert (data["count"], data["next"], data["previous"]) == (1, None, None)
    [item] = data["results"]
    key = zaak_uuid("0153ESUITE0000001")
    assert item["url"] == f"{sim.url}{ZAKEN_PATH}/{key}"
    assert item["uuid"] == key
    assert item["identificatie"] == "0153ESUITE0000001"
    assert item["bronorganisatie"] == BRONORGANISATIE
    assert item["omschrijving"] == "Aanvraag 0153ESUITE0000001"
    assert item["zaaktype"] == f"{sim.url}/catalogi/api/v1/zaaktypen/PW-LO-AANV"
    assert item["startdatum"] == "2025-03-03"
    assert item["registratiedatum"] == received.isoformat() != "2020-01-01"
    assert item["status"] is None
    assert "111222333" not in response.text
    one = requests.get(item["url"], headers=CRS, timeout=5)
    assert one.status_code == 200 and one.json() == item


def test_status_is_the_url_of_the_last_status(sim: SimulatorHandle) -> None:
    creeer(sim, "0153ESUITE0000001", "PW-LO-AANV", date(2025, 3, 3))
    urls = []
    for volgnummer in (1, 2):
        status = ZaakStatus(
            "0153ESUITE0000001",
            f"ES-0{volgnummer}",
            volgnummer,
            datetime(2025, 3, 4, 9, volgnummer, tzinfo=AMSTERDAM),
        )
        sg = new_stuurgegevens("Lk01", KETENBRUG, ESUITE, entiteittype="ZAK")
        sim.call(ActualiseerZaakstatus(sg, zaak_identificatie="0153ESUITE0000001", wordt=status))
        urls.append(listing(sim).json()["results"][0]["status"])
    assert all(url.startswith(f"{sim.url}/zaken/api/v1/statussen/") for url in urls)
    assert urls[0] != urls[1]


def test_zaaktype_and_startdatum_filters_select(sim: SimulatorHandle) -> None:
    creeer(sim, "0153ESUITE0000001", "PW-LO-AANV", date(2025, 3, 1))
    creeer(sim, "0153ESUITE0000002", "PW-LO-AANV", date(2025, 3, 5))
    creeer(sim, "0153ESUITE0000003", "BBZ-AANV", date(2025, 3, 5))
    creeer(sim, "0153ESUITE0000004", "PW-LO-AANV", date(2025, 3, 9))

    def ids(**params: Any) -> set[str]:
        data = listing(sim, **params).json()
        assert data["count"] == len(data["results"])  # at most one page (of two) here
        return {item["identificatie"] for item in data["results"]}

    aanvraag = zaaktype_url(sim.url, "PW-LO-AANV")
    assert listing(sim, zaaktype=aanvraag).json()["count"] == 3
    assert ids(zaaktype=zaaktype_url(sim.url, "BBZ-AANV")) == {"0153ESUITE0000003"}
    assert ids(startdatum__gte="2025-03-05", zaaktype=aanvraag) == {
        "0153ESUITE0000002",
        "0153ESUITE0000004",
    }
    assert ids(startdatum__gte="2025-03-05", startdatum__lt="2025-03-09") == {
        "0153ESUITE0000002",
        "0153ESUITE0000003",
    }
    assert ids(identificatie="0153ESUITE0000003") == {"0153ESUITE0000003"}
    assert ids(zaaktype=zaaktype_url(sim.url, "ONBEKEND")) == set()
    # the zaaktype URL is matched on its path: behind a gateway the host differs
    assert ids(zaaktype=zaaktype_url("https://gateway.example.test", "BBZ-AANV")) == {
        "0153ESUITE0000003"
    }


def test_pages_follow_and_ordering_by_startdatum(sim: SimulatorHandle) -> None:
    for number, day in enumerate((7, 3, 9, 1, 5), start=1):
        creeer(sim, f"0153ESUITE{number:07d}", "PW-LO-AANV", date(2025, 3, day))
    seen: list[str] = []
    url: str | None = f"{sim.url}{ZAKEN_PATH}?ordering=startdatum"
    pages = 0
    while url:
        data = requests.get(url, headers=CRS, timeout=5).json()
        assert data["count"] == 5
        seen.extend(item["startdatum"] for item in data["results"])
        url = data["next"]
        pages += 1
    assert pages == 3
    assert seen == sorted(seen) and len(seen) == 5
    last = listing(sim, ordering="startdatum", page=3).json()
    assert last["next"] is None and "page=2" in last["previous"]


def test_refusals(sim: SimulatorHandle) -> None:
    creeer(sim, "0153ESUITE0000001", "PW-LO-AANV", date(2025, 3, 3))
    assert requests.get(f"{sim.url}{ZAKEN_PATH}", timeout=5).status_code == 412  # no Accept-Crs
    assert listing(sim, page=2).status_code == 404
    assert listing(sim, page=2).json()["detail"] == "Ongeldige pagina."
    bad_date = listing(sim, startdatum__gte="3 maart")
    assert bad_date.status_code == 400
    assert bad_date.json()["invalidParams"][0]["name"] == "startdatum__gte"
    assert listing(sim, zaaktype="PW-LO-AANV").status_code == 400  # a code is not a URL
    assert listing(sim, ordering="omschrijving").status_code == 400
    unknown = requests.get(f"{sim.url}{ZAKEN_PATH}/{zaak_uuid('X')}", headers=CRS, timeout=5)
    assert unknown.status_code == 404
    post = requests.post(f"{sim.url}{ZAKEN_PATH}", json={}, headers=CRS, timeout=5)
    assert post.status_code == 405


@pytest.mark.parametrize(
    ("kind", "variant", "status"),
    [("transient", "fo02", 500), ("permanent", "fo03", 400), ("transient", "http_503", 503)],
)
def test_faults(sim: SimulatorHandle, kind: str, variant: str, status: int) -> None:
    sim.server.faults.configure(
        FaultConfig.from_dict({f"{kind}_rate": 1.0, f"{kind}_variants": (variant,)})
    )
    assert listing(sim).status_code == status


def test_schema_invalid_cuts_the_body(sim: SimulatorHandle) -> None:
    creeer(sim, "0153ESUITE0000001", "PW-LO-AANV", date(2025, 3, 3))
    sim.server.faults.configure(
        FaultConfig.from_dict({"permanent_rate": 1.0, "permanent_variants": ("schema_invalid",)})
    )
    response = listing(sim)
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()

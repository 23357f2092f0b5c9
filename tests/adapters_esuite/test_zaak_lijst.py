"""New zaken of the aanvraag zaaktypes, read incrementally from the e-Suite's ZGW Zaken API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import requests

from adapters.errors import ConfigError, KetenbrugError, PermanentError, TransientError
from adapters.esuite.client import EsuiteClient
from adapters.esuite.config import EsuiteConfig
from adapters.esuite.zaak_lijst import EsuiteZaakLijst, ZaakKop, zgw_root
from simulators.esuite import make_esuite_server
from simulators.faults import FaultConfig
from simulators.testing import SimulatorHandle
from stuf import Zaak
from tests.adapters_esuite.conftest import make_config

AANVRAAG = "PW-LO-AANV"
BBZ = "BBZ-AANV"


@pytest.fixture
def lijst(config: EsuiteConfig) -> Iterator[EsuiteZaakLijst]:
    lijst = EsuiteZaakLijst(config)
    yield lijst
    lijst.close()


def _direct(sim: SimulatorHandle, number: int, code: str, start: date) -> str:
    identificatie = f"0153ESUITE{number:07d}"
    sim.store.create_zaak(Zaak(identificatie, code, startdatum=start, registratiedatum=start))
    return identificatie


def _fault(sim: SimulatorHandle, kind: str, variant: str) -> None:
    sim.server.faults.configure(
        FaultConfig.from_dict({f"{kind}_rate": 1.0, f"{kind}_variants": (variant,)})
    )


def test_zaak_created_through_zds_is_listed_with_its_head(
    esuite: SimulatorHandle, config: EsuiteConfig, lijst: EsuiteZaakLijst
) -> None:
    client = EsuiteClient(config)
    try:
        client.creeer_zaak(
            Zaak(
                "0153ESUITE0000001",
                AANVRAAG,
                startdatum=date(2025, 3, 3),
                registratiedatum=date(2020, 1, 1),
                initiator_bsn="111222333",
            )
        )
    finally:
        client.close()
    received = esuite.store.zaken()[0].received.date()
    assert list(lijst.nieuwe_zaken([AANVRAAG], date(2025, 3, 1))) == [
        ZaakKop("0153ESUITE0000001", AANVRAAG, date(2025, 3, 3), received)
    ]


def test_zaaktype_and_startdatum_select(esuite: SimulatorHandle, lijst: EsuiteZaakLijst) -> None:
    _direct(esuite, 1, AANVRAAG, date(2025, 3, 4))  # before vanaf
    wanted = {
        _direct(esuite, 2, AANVRAAG, date(2025, 3, 5)),  # on vanaf
        _direct(esuite, 3, AANVRAAG, date(2025, 3, 9)),
        _direct(esuite, 4, BBZ, date(2025, 3, 6)),
    }
    _direct(esuite, 5, "SHV-AANMELDING", date(2025, 3, 6))  # not asked for
    found = list(lijst.nieuwe_zaken([AANVRAAG, BBZ], date(2025, 3, 5)))
    assert {kop.identificatie for kop in found} == wanted
    assert len(found) == 3
    assert {(kop.identificatie, kop.zaaktype_code) for kop in found} >= {("0153ESUITE0000004", BBZ)}


def test_unknown_zaaktype_gives_nothing(esuite: SimulatorHandle, lijst: EsuiteZaakLijst) -> None:
    _direct(esuite, 1, AANVRAAG, date(2025, 3, 5))
    assert list(lijst.nieuwe_zaken(["ONBEKEND"], date(2000, 1, 1))) == []
    assert list(lijst.nieuwe_zaken([], date(2000, 1, 1))) == []


def test_three_pages_are_followed_lazily() -> None:
    with make_esuite_server(zgw_page_size=2) as server:
        sim = SimulatorHandle(server)
        # started out of order: the listing's order is not the order of creation
        numbers = {n: _direct(sim, n, AANVRAAG, date(2025, 3, 10 - n)) for n in range(1, 6)}
        lijst = EsuiteZaakLijst(make_config(sim))
        try:
            found = lijst.nieuwe_zaken([AANVRAAG], date(2025, 1, 1))
            first = [next(found), next(found)]
            assert sim.fault_counts()["calls"] == 1  # one page read, not the whole listing
            rest = list(found)
        finally:
            lijst.close()
        assert sim.fault_counts()["calls"] == 3
        assert sorted(kop.identificatie for kop in first + rest) == sorted(numbers.values())


@pytest.mark.parametrize(
    ("kind", "variant", "error"),
    [
        ("transient", "http_503", TransientError),
        ("transient", "reset", TransientError),
        ("transient", "fo02", TransientError),  # HTTP 500
        ("permanent", "fo03", PermanentError),  # HTTP 400
    ],
)
def test_faults_classify(
    esuite: SimulatorHandle,
    lijst: EsuiteZaakLijst,
    kind: str,
    variant: str,
    error: type[KetenbrugError],
) -> None:
    _direct(esuite, 1, AANVRAAG, date(2025, 3, 5))
    _fault(esuite, kind, variant)
    with pytest.raises(error) as caught:
        list(lijst.nieuwe_zaken([AANVRAAG], date(2025, 1, 1)))
    assert caught.value.system == "esuite" and caught.value.operation == "zgw_zaken"


def test_cut_off_body_is_transient(esuite: SimulatorHandle, lijst: EsuiteZaakLijst) -> None:
    _direct(esuite, 1, AANVRAAG, date(2025, 3, 5))
    _fault(esuite, "permanent", "schema_invalid")
    with pytest.raises(TransientError, match="geen JSON"):
        list(lijst.nieuwe_zaken([AANVRAAG], date(2025, 1, 1)))


def test_wrong_zaken_path_is_a_configuration_error(esuite: SimulatorHandle) -> None:
    lijst = EsuiteZaakLijst(make_config(esuite, zgw_zaken_path="/zgw/zaken/api/v1"))
    with pytest.raises(ConfigError, match="zgw_zaken_path"):
        list(lijst.nieuwe_zaken([AANVRAAG], date(2025, 1, 1)))


def test_zgw_root(esuite: SimulatorHandle) -> None:
    config = make_config(esuite)
    assert zgw_root(config, config.zgw_zaken_path) == f"{esuite.url}/zaken/api/v1"
    assert zgw_root(config, "https://zgw.example.test/zaken/api/v1/") == (
        "https://zgw.example.test/zaken/api/v1"
    )
    with pytest.raises(ValueError, match="zgw_zaken_path"):
        make_config(esuite, zgw_zaken_path="zaken")


class _Session(requests.Session):
    """Answers every GET with one fixed JSON body (a server that ignores the filters)."""

    def __init__(self, body: bytes) -> None:
        super().__init__()
        self.body = body

    def get(self, url: Any, **kwargs: Any) -> requests.Response:
        response = requests.Response()
        response.status_code = 200
        response._content = self.body
        return response


def _answering(config: EsuiteConfig, results: list[dict[str, Any]]) -> EsuiteZaakLijst:
    body = json.dumps({"count": len(results), "next": None, "previous": None, "results": results})
    return EsuiteZaakLijst(config, EsuiteClient(config, session=_Session(body.encode())))


def _item(identificatie: str, zaaktype: str, start: str) -> dict[str, Any]:
    return {
        "identificatie": identificatie,
        "zaaktype": f"https://elders.example.test/catalogi/api/v1/zaaktypen/{zaaktype}",
        "startdatum": start,
        "registratiedatum": "2025-03-10",
    }


def test_results_are_checked_not_trusted(config: EsuiteConfig) -> None:
    """A server that ignores the filters: other zaaktypes and older zaken are dropped here."""
    lijst = _answering(
        config,
        [
            _item("A", AANVRAAG, "2025-03-09"),
            _item("B", BBZ, "2025-03-09"),
            _item("C", AANVRAAG, "2025-03-01"),
            _item("D", AANVRAAG, "2025-03-05"),
        ],
    )
    found = list(lijst.nieuwe_zaken([AANVRAAG], date(2025, 3, 5)))
    assert [kop.identificatie for kop in found] == ["A", "D"]
    assert found[0] == ZaakKop("A", AANVRAAG, date(2025, 3, 9), date(2025, 3, 10))


def test_unreadable_result_is_transient_and_masked(config: EsuiteConfig) -> None:
    lijst = _answering(config, [{"identificatie": "111222333", "zaaktype": AANVRAAG}])
    with pytest.raises(TransientError, match="startdatum") as caught:
        list(lijst.nieuwe_zaken([AANVRAAG], date(2025, 3, 5)))
    assert "111222333" not in str(caught.value)
    from adapters.esuite.zaak_lijst import _error

    assert "111222333" not in str(_error(TransientError, "zaak van 111222333"))

"""The ZGW target's zaak operations against the simulator: each write once, read back."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.base import Operation
from adapters.errors import AlreadyExistsError, ConfigError, TargetRejectedError, ZaakOnbekendError
from adapters.roles import ACTUALISEER_ZAAKSTATUS, CREEER_ZAAK, UPDATE_ZAAK
from adapters.zgw.plugin import dossier_bsn
from adapters.zgw.target import ZgwTarget
from simulators.faults import FaultConfig
from simulators.zgw import ZgwServer
from tests.adapters_zgw.conftest import zgw_config

BSN = "123456782"
ZAAK = "1900-2026-0000001"


def creeer(**changes: Any) -> Operation:
    data = {
        "identificatie": ZAAK,
        "zaaktype_code": "B1026",
        "zaaktype_omschrijving": "Aanvraag levensonderhoud Participatiewet",
        "omschrijving": "Aanvraag levensonderhoud",
        "startdatum": "2026-03-01",
        "registratiedatum": "2026-03-01",
        "einddatum": None,
        "initiator_bsn": BSN,
        **changes,
    }
    return Operation("zgw", CREEER_ZAAK, f"zaak:{ZAAK}", ZAAK, data)


def status(volgnummer: int, moment: str = "2026-03-02T09:30:00+00:00") -> Operation:
    data = {
        "zaak_identificatie": ZAAK,
        "zaaktype_code": "B1026",
        "statustype_code": f"B1026-ST0{volgnummer}",
        "volgnummer": volgnummer,
        "statustype_omschrijving": "Ontvangen",
        "datum_status_gezet": moment,
        "toelichting": None,
    }
    return Operation("zgw", ACTUALISEER_ZAAKSTATUS, f"st:{volgnummer}", ZAAK, data)


def test_creeer_zaak_makes_the_zaak_with_its_initiator_once(
    target: ZgwTarget, zgw: ZgwServer
) -> None:
    operation = creeer()
    assert not target.is_applied(operation)
    target.apply(operation)
    assert target.is_applied(operation)
    with pytest.raises(AlreadyExistsError):
        target.apply(operation)
    zaak = zgw.store.zaak_by_identificatie(ZAAK)
    assert zaak is not None and zaak["startdatum"] == "2026-03-01"
    assert zgw.store.zaaktypen[zaak["zaaktype"]]["identificatie"] == "B1026"
    key = next(k for k, z in zgw.store.zaken.items() if z is zaak)
    rollen = zgw.store.rollen_of(key)
    assert len(zgw.store.zaken) == 1 and len(rollen) == 1
    assert rollen[0]["betrokkeneIdentificatie"] == {"inpBsn": BSN}
    assert rollen[0]["omschrijvingGeneriek"] == "initiator"
    lookup, close = dossier_bsn(target.config)
    try:
        assert lookup(ZAAK) == BSN
    finally:
        close()


def test_a_retried_create_adds_the_missing_initiator(target: ZgwTarget, zgw: ZgwServer) -> None:
    target.apply(creeer(initiator_bsn=None))  # as if the Rol's POST was lost
    assert not target.is_applied(creeer())
    with pytest.raises(AlreadyExistsError):
        target.apply(creeer())
    assert target.is_applied(creeer())
    assert len(zgw.store.rollen) == 1


def test_an_unknown_zaaktype_is_refused(target: ZgwTarget, zgw: ZgwServer) -> None:
    with pytest.raises(TargetRejectedError, match="B9999"):
        target.apply(creeer(zaaktype_code="B9999"))
    assert zgw.store.zaken == {}


def test_update_zaak_patches_the_zaak(target: ZgwTarget, zgw: ZgwServer) -> None:
    target.apply(creeer())
    wordt = {**creeer().data, "omschrijving": "Aanvraag levensonderhoud (herzien)"}
    operation = Operation(
        "zgw",
        UPDATE_ZAAK,
        "u1",
        ZAAK,
        {"identificatie": ZAAK, "was": creeer().data, "wordt": wordt},
    )
    assert not target.is_applied(operation)
    target.apply(operation)
    assert target.is_applied(operation)
    zaak = zgw.store.zaak_by_identificatie(ZAAK)
    assert zaak is not None and zaak["omschrijving"] == "Aanvraag levensonderhoud (herzien)"


def test_statuses_are_set_once_and_the_eindstatus_ends_the_zaak(
    target: ZgwTarget, zgw: ZgwServer
) -> None:
    target.apply(creeer())
    first = status(1)
    assert not target.is_applied(first)
    target.apply(first)
    assert target.is_applied(first)
    assert not target.is_applied(status(1, "2026-03-05T09:30:00+00:00")), "another moment"
    last = max(
        s["volgnummer"]
        for s in zgw.store.statustypen.values()
        if zgw.store.zaaktypen[s["zaaktype"]]["identificatie"] == "B1026"
    )
    target.apply(status(last, "2026-04-01T10:00:00+02:00"))
    zaak = zgw.store.zaak_by_identificatie(ZAAK)
    assert zaak is not None and zaak["einddatum"] == "2026-04-01"
    key = next(k for k, z in zgw.store.zaken.items() if z is zaak)
    assert len(zgw.store.statussen_of(key)) == 2


def test_a_status_for_an_unknown_zaak_is_zaak_onbekend(target: ZgwTarget) -> None:
    with pytest.raises(ZaakOnbekendError) as raised:
        target.apply(status(1))
    assert raised.value.reason == "zaak_onbekend"


def test_a_wrong_secret_is_refused_and_writes_nothing(zgw: ZgwServer) -> None:
    wrong = ZgwTarget(zgw_config(zgw, secret="niet-het-geheim-van-ketenbrug-0000"))
    try:
        with pytest.raises(ConfigError, match="HTTP 403"):
            wrong.apply(creeer())
    finally:
        wrong.close()
    assert zgw.store.zaken == {}


def test_a_refusal_carries_the_problem_with_the_bsn_masked(
    target: ZgwTarget, zgw: ZgwServer
) -> None:
    zgw.writes_only = True
    zgw.faults.configure(FaultConfig(permanent_rate=1.0, permanent_variants=("rejected",)))
    with pytest.raises(TargetRejectedError) as raised:
        target.apply(creeer(toelichting=f"cliënt {BSN}"))
    assert "Verzoek geweigerd (gesimuleerd)" in str(raised.value)
    assert BSN not in str(raised.value)
    assert zgw.store.zaken == {}

"""Who sets which status: on an aanvraag that started in the e-Suite and was handed to GWS4all,
the steps ``status_eigenaar.csv`` gives to the e-Suite are set there; GWS4all pushing one is a
dead letter ``status_eigenaar``, never an overwrite. On a zaak that started in GWS4all every step
is GWS4all's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.base import SourceRecord
from mappings import load_tables
from mappings.tables import DEFAULT_DIR, validate_tables
from sync.engine import PlanContext
from sync.flows.zaken import StatusEigenaarError, ZakenFlow
from sync.identity import IdentityMap
from sync.store.db import Store

ZAAK = "0153KB0000000777"


def _status(code: str, zaak: str = ZAAK) -> SourceRecord:
    return SourceRecord(
        source_system="gws4all",
        key=f"status:{zaak}:{code}",
        kind="zaakstatus",
        data={
            "zaak_identificatie": zaak,
            "zaaktype_code": "PW-LO-AANV",
            "status_code": code,
            "datum_status_gezet": "2026-11-30T10:00:00+00:00",
            "toelichting": None,
        },
        payload_ref="test",
    )


def _plan(store: Store, record: SourceRecord, *, started_in: str | None) -> list[str]:
    with store.session() as session:
        identity = IdentityMap(session)
        if started_in == "esuite":  # the doorgifte links the e-Suite key first
            identity.link("zaak", "esuite", ZAAK, "gws4all", ZAAK)
        elif started_in == "gws4all":  # the zaken flow links the GWS4all key first
            identity.link("zaak", "gws4all", ZAAK, "esuite", ZAAK)
        session.flush()
        context = PlanContext(identity, load_tables())
        return [op.data["statustype_code"] for op in ZakenFlow("esuite").plan(record, context)]


def test_gws4all_setting_an_esuite_owned_step_of_a_handed_over_aanvraag_is_refused(
    store: Store,
) -> None:
    with pytest.raises(StatusEigenaarError, match="wordt in het zaaksysteem gezet") as refused:
        _plan(store, _status("GWS-AV-01"), started_in="esuite")
    assert refused.value.reason == "status_eigenaar"
    assert _plan(store, _status("GWS-AV-03"), started_in="esuite") == ["B1026-ST03"], (
        "the behandelaar's steps come from GWS4all"
    )


@pytest.mark.parametrize("started_in", ["gws4all", None])
def test_on_a_zaak_that_started_in_gws4all_every_step_is_its_own(
    store: Store, started_in: str | None
) -> None:
    assert _plan(store, _status("GWS-AV-01"), started_in=started_in) == ["B1026-ST01"]


def test_the_owner_table_is_checked_against_the_chain(tmp_path: Path) -> None:
    for table in DEFAULT_DIR.glob("*.csv"):
        (tmp_path / table.name).write_bytes(table.read_bytes())
    with (tmp_path / "status_eigenaar.csv").open("a", encoding="utf-8") as handle:
        handle.write("B1026;99;esuite;bestaat niet\nB1027;3;klantcontact;verkeerde eigenaar\n")
    findings = validate_tables(tmp_path)
    assert any("B1026 heeft geen statustype 99" in f for f in findings)
    assert any("eigenaar moet esuite of gws4all zijn" in f for f in findings)

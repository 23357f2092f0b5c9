"""From aanvraag to behandelaar and back, through Airflow (``airflow dags test``): an aanvraag
starts in the e-Suite (MijnLoket) with the status the klantcontactcentrum set, the doorgifte DAG
hands it with its document to GWS4all, GWS4all's behandelaar pushes statuses to the inbox and
the zaken DAG puts them on the same e-Suite zaak, where MijnLoket reads them. A status the
e-Suite owns, pushed by GWS4all, is a dead letter, not an overwrite."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests
from sqlalchemy import select

from demo.airflow import LocalAirflow
from mappings import load_tables
from simulators.gws4all_backoffice import (
    Gws4allBackofficeServer,
    make_gws4all_backoffice_server,
)
from stuf import (
    ActualiseerZaakstatus,
    Document,
    Systeem,
    Zaak,
    ZaakStatus,
    ZdsVersion,
    build_message,
    new_stuurgegevens,
    soap_action_for,
)
from sync.airflow_local import connection_env
from sync.store.models import DeadLetter
from tests.airflow.conftest import ChainRig

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

ZAAK = "0153ESUITE6000001"
BSN = "999993653"
GWS4ALL = Systeem(organisatie="1900", applicatie="GWS4all", gebruiker="behandelaar")
CDR = Systeem(organisatie="1900", applicatie="CDR")


@pytest.fixture
def gws4all() -> Iterator[Gws4allBackofficeServer]:
    with make_gws4all_backoffice_server() as server:
        yield server


def _aanvraag_in_de_esuite(rig: ChainRig) -> None:
    store = rig.esuite.app.store  # type: ignore[attr-defined]
    today = datetime.now(UTC).date()
    store.create_zaak(
        Zaak(
            ZAAK,
            "B1026",
            omschrijving="Aanvraag levensonderhoud via MijnLoket",
            startdatum=today,
            registratiedatum=today,
            initiator_bsn=BSN,
        )
    )
    store.add_status(
        ZAAK,
        ZaakStatus(
            zaak_identificatie=ZAAK,
            statustype_code="B1026-ST01",
            statustype_volgnummer=1,
            datum_status_gezet=datetime.now(UTC),
        ),
    )
    store.add_document(
        Document(
            f"{ZAAK}-AANVRAAG",
            "Aanvraagformulier",
            zaak_identificatie=ZAAK,
            documenttype_omschrijving="Aanvraagformulier",
            bestandsnaam="aanvraag.pdf",
            formaat="application/pdf",
            creatiedatum=today,
            vertrouwelijkheid="VERTROUWELIJK",
            auteur="MijnLoket",
            inhoud=b"%PDF-1.4 aanvraag " * 100,
        )
    )


def _push_status(rig: ChainRig, code: str, volgnummer: int, when: datetime) -> None:
    """GWS4all's behandelaar sets a status: an actualiseerZaakstatus to the inbox."""
    message = ActualiseerZaakstatus(
        new_stuurgegevens("Lk01", GWS4ALL, CDR, entiteittype="ZAK"),
        zaak_identificatie=ZAAK,
        wordt=ZaakStatus(
            zaak_identificatie=ZAAK,
            statustype_code=code,
            statustype_volgnummer=volgnummer,
            datum_status_gezet=when,
            zaaktype_code="PW-LO-AANV",
        ),
    )
    response = requests.post(
        rig.inbox.url,
        data=build_message(message, ZdsVersion.V1_1),
        headers={
            "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": f'"{soap_action_for(message, ZdsVersion.V1_1)}"',
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text[:500]


def test_an_aanvraag_goes_to_gws4all_and_its_statuses_come_back_to_mijnloket(
    rig: ChainRig, gws4all: Gws4allBackofficeServer
) -> None:
    _aanvraag_in_de_esuite(rig)
    host, port = gws4all.url.removeprefix("http://").split(":")
    airflow: LocalAirflow = rig.airflow(
        **connection_env(
            "ketenbrug_gws4all_stuf",
            {"conn_type": "http", "host": host, "port": int(port), "extra": {"path": "/stuf"}},
        )
    )

    handed = airflow.test_dag("ketenbrug_doorgifte")
    assert handed.state == "success", handed.log_path.read_text()[-3000:]
    held = gws4all.snapshot()
    assert held["zaken"][ZAAK]["zaaktype_code"] == "PW-LO-AANV"
    assert held["zaken"][ZAAK]["documenten"] == [f"{ZAAK}-AANVRAAG"]

    again = airflow.test_dag("ketenbrug_doorgifte")
    assert again.state == "success"
    assert gws4all.snapshot()["received"] == {
        "zaken": {ZAAK: 1},
        "documenten": {f"{ZAAK}-AANVRAAG": 1},
    }, "a second run hands over nothing again"

    later = datetime.now(UTC)
    _push_status(rig, "GWS-AV-03", 3, later)  # the behandelaar: onderzoek recht op bijstand
    _push_status(rig, "GWS-AV-01", 1, later)  # "geregistreerd": the e-Suite's own step
    zaken = airflow.test_dag("ketenbrug_zaken")
    assert zaken.state == "success", zaken.log_path.read_text()[-3000:]

    _, statussen = rig.esuite.app.store.get(ZAAK)  # type: ignore[attr-defined]
    assert [s.statustype_code for s in statussen] == ["B1026-ST01", "B1026-ST03"], (
        "Ontvangen once (from the e-Suite), then the behandelaar's step; never an overwrite"
    )
    mijnloket = load_tables().statustype("B1026", 3)
    assert mijnloket is not None and mijnloket.mijnloket_tekst == "In behandeling"
    with rig.store.session() as session:
        letters = session.scalars(select(DeadLetter)).all()
    assert [(letter.flow, letter.reason) for letter in letters] == [("zaken", "status_eigenaar")]

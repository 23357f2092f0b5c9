"""An e-Suite answer that leaves a status without datumStatusGezet (xsi:nil + noValue) is read
with a warning, not refused: GWS4all gets the zaak and its other statuses.

Before: the whole e-Suite answer was "unreadable" and GWS4all got Fo01 StUF049 (503) on every
ask, for as long as the e-Suite kept that status.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from lxml import etree

from adapters.esuite.client import EsuiteClient
from adapters.esuite.config import EsuiteConfig
from mappings.tables import load_tables
from stuf import (
    NoValue,
    Systeem,
    Zaak,
    ZaakdetailsAntwoord,
    ZaakStatus,
    ZdsVersion,
    build_message,
    new_stuurgegevens,
    parse_message,
)
from stuf.xml import STUF, XSI, ZKN, parse_xml
from sync.store.db import Store
from sync.vragen import Vragen
from tests.vragen.messages import BSN, assert_valid_11, geef_zaakdetails

ZAAK = "1900KB0000000401"


def _status(volgnummer: int, code: str, day: int) -> ZaakStatus:
    return ZaakStatus(
        zaak_identificatie=ZAAK,
        statustype_code=code,
        statustype_volgnummer=volgnummer,
        datum_status_gezet=datetime(2026, 3, day, 9, tzinfo=UTC),
        zaaktype_code="B1026",
    )


def _esuite_answer() -> bytes:
    """The e-Suite's geefZaakdetails_ZakLa01 (ZDS 1.2) whose second status has its
    datumStatusGezet as ``xsi:nil`` with ``StUF:noValue="waardeOnbekend"``."""
    sg = new_stuurgegevens(
        "La01", Systeem("0153", "e-Suite"), Systeem("1900", "Ketenbrug"), "ZAK", None, "q1"
    )
    zaak = Zaak(ZAAK, "B1026", startdatum=date(2026, 3, 1), initiator_bsn=BSN)
    answer = ZaakdetailsAntwoord(
        sg, zaak, [_status(1, "B1026-ST01", 2), _status(2, "B1026-ST02", 3)]
    )
    root = parse_xml(build_message(answer, ZdsVersion.V1_2))
    gezet = list(root.iter(f"{{{ZKN}}}datumStatusGezet"))[1]
    gezet.text = None
    gezet.set(f"{{{XSI}}}nil", "true")
    gezet.set(f"{{{STUF}}}noValue", NoValue.WAARDE_ONBEKEND.value)
    return etree.tostring(root)


class _CannedEsuite(EsuiteClient):
    """An e-Suite that answers every ZDS call with ``body``."""

    def __init__(self, config: EsuiteConfig, body: bytes) -> None:
        super().__init__(config)
        self.body = body

    def post(self, body: Any, **_kwargs: Any) -> requests.Response:
        response = requests.Response()
        response.status_code = 200
        response._content = self.body
        return response


@pytest.fixture
def vragen(store: Store, tmp_path: Path) -> Vragen:
    config = EsuiteConfig(
        url="http://127.0.0.1:9/zds",
        zender=Systeem("1900", "Ketenbrug"),
        ontvanger=Systeem("0153", "e-Suite"),
        timeout_s=2.0,
    )
    client = _CannedEsuite(config, _esuite_answer())
    return Vragen(store, client, mappings=load_tables(), budget_s=2.0, blob_root=tmp_path)


def test_a_status_without_datum_is_left_out_with_a_warning(
    vragen: Vragen, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body, asked = geef_zaakdetails(ZAAK)
    question = parse_message(body)
    answer = vragen.answer(question)  # type: ignore[arg-type]
    vragen.close()
    assert answer.status == 200, answer.body[:500]
    assert_valid_11(answer.body)
    reply = parse_message(answer.body)
    assert isinstance(reply, ZaakdetailsAntwoord) and reply.zaak is not None
    assert reply.zaak.identificatie == ZAAK and reply.zaak.initiator_bsn == BSN
    assert [s.statustype_volgnummer for s in reply.statussen] == [1]
    assert reply.stuurgegevens.cross_refnummer == asked.referentienummer
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("heeft[2]" in line and "datumStatusGezet" in line for line in warned)
    assert BSN not in caplog.text

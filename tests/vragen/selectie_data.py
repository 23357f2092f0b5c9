"""Zaken of two people in the e-Suite, and the selection questions GWS4all asks about them."""

from __future__ import annotations

from datetime import UTC, date, datetime

from simulators.esuite_store import EsuiteStore
from stuf import (
    GeefZaakdetails,
    GeefZaakstatus,
    Stuurgegevens,
    Zaak,
    ZaakScope,
    ZaakSelectie,
    ZaakStatus,
    ZdsVersion,
    build_message,
    new_stuurgegevens,
)
from tests.vragen.messages import BSN, CDR, GWS4ALL

#: A second person (a valid test BSN); ``BSN`` is the first.
OTHER_BSN = "999993653"


def put_zaak(
    store: EsuiteStore,
    identificatie: str,
    *,
    bsn: str = BSN,
    zaaktype: str = "B1026",
    start: date = date(2026, 3, 1),
) -> None:
    """A zaak in the e-Suite (its own zaaktype code) with one status."""
    store.create_zaak(
        Zaak(
            identificatie=identificatie,
            zaaktype_code=zaaktype,
            omschrijving=f"Aanvraag {identificatie[-3:]}",
            startdatum=start,
            registratiedatum=start,
            initiator_bsn=bsn,
        )
    )
    store.add_status(
        identificatie,
        ZaakStatus(
            zaak_identificatie=identificatie,
            statustype_code=f"{zaaktype}-ST01",
            statustype_volgnummer=1,
            datum_status_gezet=datetime(start.year, start.month, start.day, 9, tzinfo=UTC),
            zaaktype_code=zaaktype,
            statustype_omschrijving="Ontvangen",
        ),
    )


def vraag(
    selectie: ZaakSelectie,
    *,
    scope: ZaakScope | None = None,
    maximum: int | None = None,
    start: str | None = None,
    status: bool = False,
) -> tuple[bytes, Stuurgegevens]:
    """A geefZaakdetails (or geefZaakstatus) zakLv01 selecting on ``selectie`` (ZDS 1.1)."""
    sg = new_stuurgegevens("Lv01", GWS4ALL, CDR, entiteittype="ZAK")
    kind = GeefZaakstatus if status else GeefZaakdetails
    message = kind(
        sg,
        selectie.identificatie or "",
        selectie=selectie,
        scope=scope,
        maximum_aantal=maximum,
        start=start,
    )
    return build_message(message, ZdsVersion.V1_1), sg

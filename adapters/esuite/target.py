"""The e-Suite as a sync target: turns operations into ZDS 1.2 calls, and checks for effects.

The e-Suite is not idempotent (a second actualiseerZaakstatus adds the status twice), so
:meth:`EsuiteTarget.is_applied` reads geefZaakdetails to see whether a write already landed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from adapters.base import Operation
from adapters.errors import AlreadyExistsError, PermanentError, TargetRejectedError
from adapters.esuite.client import SYSTEM, EsuiteClient
from adapters.roles import ACTUALISEER_ZAAKSTATUS, CREEER_ZAAK, UPDATE_ZAAK
from stuf import NoValue, Zaak, ZaakStatus

__all__ = [
    "EsuiteTarget",
    "status_from_data",
    "zaak_from_data",
]


def _value(raw: Any) -> Any:
    if isinstance(raw, dict) and "noValue" in raw:
        return NoValue(raw["noValue"])
    return raw


def _date(raw: Any) -> date | NoValue | None:
    value = _value(raw)
    if isinstance(value, str):
        return date.fromisoformat(value)
    return value


def zaak_from_data(data: Mapping[str, Any]) -> Zaak:
    """The canonical zaak dict (see ``adapters.gws4all.inbound.zaak_fields``) as a StUF Zaak."""
    return Zaak(
        identificatie=data["identificatie"],
        zaaktype_code=_value(data.get("zaaktype_code")),
        zaaktype_omschrijving=_value(data.get("zaaktype_omschrijving")),
        omschrijving=_value(data.get("omschrijving")),
        toelichting=_value(data.get("toelichting")),
        startdatum=_date(data.get("startdatum")),
        registratiedatum=_date(data.get("registratiedatum")),
        einddatum=_date(data.get("einddatum")),
        initiator_bsn=data.get("initiator_bsn"),
    )


def _moment(raw: str) -> datetime:
    """An ISO moment; one without a zone is read as UTC (every source's records are UTC)."""
    moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def status_from_data(data: Mapping[str, Any]) -> ZaakStatus:
    return ZaakStatus(
        zaak_identificatie=data["zaak_identificatie"],
        statustype_code=data["statustype_code"],
        statustype_volgnummer=int(data["volgnummer"]),
        datum_status_gezet=_moment(data["datum_status_gezet"]),
        zaaktype_code=data.get("zaaktype_code"),
        statustype_omschrijving=data.get("statustype_omschrijving"),
        toelichting=_value(data.get("toelichting")),
    )


def _same_moment(left: datetime, right: datetime) -> bool:
    """Equal to the second: systems store datumStatusGezet with different precision (and a
    moment without a zone is UTC, so the two can always be compared)."""
    if left.tzinfo is None:
        left = left.replace(tzinfo=UTC)
    if right.tzinfo is None:
        right = right.replace(tzinfo=UTC)
    return abs((left - right).total_seconds()) < 1


class EsuiteTarget:
    """Target adapter for the e-Suite."""

    system = SYSTEM

    def __init__(self, client: EsuiteClient) -> None:
        self.client = client

    def apply(self, operation: Operation) -> None:
        data = operation.data
        if operation.name == CREEER_ZAAK:
            zaak = zaak_from_data(data)
            try:
                self.client.creeer_zaak(zaak)
            except TargetRejectedError as error:
                # A retried create the e-Suite refuses: delivered if the zaak is there now.
                if self.client.geef_zaakdetails(zaak.identificatie) is not None:
                    raise AlreadyExistsError(str(error), system=SYSTEM) from error
                raise
        elif operation.name == UPDATE_ZAAK:
            self.client.update_zaak(zaak_from_data(data["was"]), zaak_from_data(data["wordt"]))
        elif operation.name == ACTUALISEER_ZAAKSTATUS:
            status = status_from_data(data)
            self.client.actualiseer_zaakstatus(status.zaak_identificatie, status)
        else:
            raise PermanentError(f"onbekende operatie {operation.name!r}", system=SYSTEM)

    def is_applied(self, operation: Operation) -> bool:
        data = operation.data
        if operation.name == CREEER_ZAAK:
            return self.client.geef_zaakdetails(data["identificatie"]) is not None
        if operation.name == ACTUALISEER_ZAAKSTATUS:
            details = self.client.geef_zaakdetails(data["zaak_identificatie"])
            if details is None:
                return False
            wanted = _moment(data["datum_status_gezet"])
            return any(
                status.statustype_code == data["statustype_code"]
                and _same_moment(status.datum_status_gezet, wanted)
                for status in details.statussen
            )
        if operation.name == UPDATE_ZAAK:
            details = self.client.geef_zaakdetails(data["identificatie"])
            if details is None or details.zaak is None:
                return False
            wordt = zaak_from_data(data["wordt"])
            return bool(
                details.zaak.omschrijving == wordt.omschrijving
                and details.zaak.einddatum == wordt.einddatum
                and details.zaak.toelichting == wordt.toelichting
            )
        return False

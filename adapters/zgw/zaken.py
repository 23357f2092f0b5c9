"""Zaken in a ZGW Zaken API: create (with the initiator's Rol), update, set a status.

Why reads before and after writes: the Zaken API is not idempotent (a second POST /statussen
adds the status twice), so :meth:`ZgwZaken.is_applied` reads the effect back, and a create
refused because the identificatie exists counts as delivered (:class:`AlreadyExistsError`)
once the zaak, and its initiator, are there.

Field notes (Zaken API 1.5): ``einddatum`` is read-only, the API derives it from the eindstatus,
so an update that only brings an einddatum changes nothing here (the closing status does it).
``omschrijving`` is at most 80 characters, ``toelichting`` and ``statustoelichting`` 1000.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from adapters.base import Operation
from adapters.errors import (
    AlreadyExistsError,
    InvalidMessageError,
    TargetRejectedError,
    ZaakOnbekendError,
)
from adapters.roles import ACTUALISEER_ZAAKSTATUS, CREEER_ZAAK, UPDATE_ZAAK
from adapters.zgw.catalogi import Catalogus
from adapters.zgw.client import SYSTEM, ZgwClient

__all__ = ["ZgwZaken", "text_value"]

log = logging.getLogger(__name__)

#: The zaak fields an update may change (``einddatum`` is the API's own, see above).
_PATCHABLE = {"omschrijving": 80, "toelichting": 1000}


def text_value(raw: Any, limit: int | None = None) -> str | None:
    """A plain text value of the canonical zaak data (a StUF ``{"noValue": ...}`` is None)."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    return raw.strip()[:limit] if limit else raw.strip()


def _date(raw: Any, field: str, operation: str) -> str | None:
    value = text_value(raw)
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value).date().isoformat() if "T" in value else value
    except ValueError:
        raise InvalidMessageError(
            f"{field} is geen datum", system=SYSTEM, operation=operation
        ) from None


def _moment(raw: str) -> datetime:
    """An ISO moment; one without a zone is UTC (every source's records are)."""
    moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class ZgwZaken:
    """The zaak operations of :mod:`adapters.roles` against the Zaken API."""

    def __init__(self, client: ZgwClient, catalogus: Catalogus) -> None:
        self.client = client
        self.catalogus = catalogus
        self.root = client.config.zaken_url

    # --- reading ----------------------------------------------------------------------------

    def find(self, identificatie: str, operation: str = "zaken") -> dict[str, Any] | None:
        """The zaak with this identificatie (of our bronorganisatie), or None."""
        params = {
            "identificatie": identificatie,
            "bronorganisatie": self.client.config.bronorganisatie,
        }
        for zaak in self.client.results(f"{self.root}/zaken", operation, params):
            if zaak.get("identificatie") == identificatie:
                return zaak
        return None

    def require(self, identificatie: str, operation: str) -> dict[str, Any]:
        zaak = self.find(identificatie, operation)
        if zaak is None:
            raise ZaakOnbekendError(
                f"zaak {identificatie} staat niet in het ZGW-zaaksysteem",
                system=SYSTEM,
                operation=operation,
            )
        return zaak

    def initiator_bsn(self, zaak_url: str) -> str | None:
        """The BSN of the zaak's initiator (a natuurlijk persoon), or None."""
        params = {
            "zaak": zaak_url,
            "betrokkeneType": "natuurlijk_persoon",
            "omschrijvingGeneriek": "initiator",
        }
        for rol in self.client.results(f"{self.root}/rollen", "rollen", params):
            identificatie = rol.get("betrokkeneIdentificatie") or {}
            bsn = identificatie.get("inpBsn") if isinstance(identificatie, dict) else None
            if rol.get("omschrijvingGeneriek") == "initiator" and bsn:
                return str(bsn)
        return None

    # --- writing ----------------------------------------------------------------------------

    def creeer_zaak(self, data: Mapping[str, Any]) -> None:
        identificatie = str(data["identificatie"])
        code = text_value(data.get("zaaktype_code"))
        if code is None:
            raise InvalidMessageError("zaak zonder zaaktype", system=SYSTEM, operation=CREEER_ZAAK)
        zaaktype = self.catalogus.zaaktype(code)
        startdatum = _date(data.get("startdatum"), "startdatum", CREEER_ZAAK) or _date(
            data.get("registratiedatum"), "registratiedatum", CREEER_ZAAK
        )
        if startdatum is None:
            raise InvalidMessageError(
                f"zaak {identificatie} zonder startdatum", system=SYSTEM, operation=CREEER_ZAAK
            )
        body: dict[str, Any] = {
            "identificatie": identificatie,
            "bronorganisatie": self.client.config.bronorganisatie,
            "verantwoordelijkeOrganisatie": self.client.config.verantwoordelijke_organisatie,
            "zaaktype": zaaktype,
            "startdatum": startdatum,
            "omschrijving": text_value(data.get("omschrijving"), 80)
            or text_value(data.get("zaaktype_omschrijving"), 80)
            or "",
            "toelichting": text_value(data.get("toelichting"), 1000) or "",
        }
        registratiedatum = _date(data.get("registratiedatum"), "registratiedatum", CREEER_ZAAK)
        if registratiedatum:
            body["registratiedatum"] = registratiedatum
        try:
            zaak = self.client.request(
                "POST", f"{self.root}/zaken", operation=CREEER_ZAAK, body=body
            )
        except TargetRejectedError as error:
            existing = self.find(identificatie, CREEER_ZAAK)  # a retried create: delivered?
            if existing is None:
                raise
            self._ensure_initiator(existing, data)
            raise AlreadyExistsError(str(error), system=SYSTEM, operation=CREEER_ZAAK) from error
        self._ensure_initiator(zaak, data)

    def _ensure_initiator(self, zaak: Mapping[str, Any], data: Mapping[str, Any]) -> None:
        """The initiator's Rol, unless the zaak has one (a retry after a lost answer)."""
        bsn = text_value(data.get("initiator_bsn"))
        if bsn is None or self.initiator_bsn(str(zaak["url"])) is not None:
            return
        body = {
            "zaak": zaak["url"],
            "betrokkeneType": "natuurlijk_persoon",
            "roltype": self.catalogus.roltype(str(zaak["zaaktype"])),
            "roltoelichting": "initiator",
            "betrokkeneIdentificatie": {"inpBsn": bsn},
        }
        self.client.request("POST", f"{self.root}/rollen", operation="rollen", body=body)

    def update_zaak(self, data: Mapping[str, Any]) -> None:
        zaak = self.require(str(data["identificatie"]), UPDATE_ZAAK)
        changes = self._changes(data)
        if not changes:
            log.info(
                "zaak %s: niets te wijzigen in de Zaken API (einddatum volgt uit de eindstatus)",
                data["identificatie"],
            )
            return
        self.client.request("PATCH", str(zaak["url"]), operation=UPDATE_ZAAK, body=changes)

    @staticmethod
    def _changes(data: Mapping[str, Any]) -> dict[str, str]:
        wordt = data.get("wordt") or {}
        return {
            field: text_value(wordt.get(field), limit) or ""
            for field, limit in _PATCHABLE.items()
            if field in wordt
        }

    def actualiseer_zaakstatus(self, data: Mapping[str, Any]) -> None:
        zaak = self.require(str(data["zaak_identificatie"]), ACTUALISEER_ZAAKSTATUS)
        statustype = self.catalogus.statustype(str(zaak["zaaktype"]), int(data["volgnummer"]))
        body = {
            "zaak": zaak["url"],
            "statustype": statustype,
            "datumStatusGezet": _moment(str(data["datum_status_gezet"])).isoformat(),
            "statustoelichting": text_value(data.get("toelichting"), 1000) or "",
        }
        self.client.request(
            "POST", f"{self.root}/statussen", operation=ACTUALISEER_ZAAKSTATUS, body=body
        )

    # --- read-back --------------------------------------------------------------------------

    def is_applied(self, operation: Operation) -> bool:
        data = operation.data
        if operation.name == CREEER_ZAAK:
            zaak = self.find(str(data["identificatie"]))
            if zaak is None:
                return False
            return not text_value(data.get("initiator_bsn")) or bool(
                self.initiator_bsn(str(zaak["url"]))
            )
        if operation.name == UPDATE_ZAAK:
            zaak = self.find(str(data["identificatie"]))
            if zaak is None:
                return False
            changes = self._changes(data)
            return all((zaak.get(field) or "") == value for field, value in changes.items())
        if operation.name == ACTUALISEER_ZAAKSTATUS:
            zaak = self.find(str(data["zaak_identificatie"]))
            if zaak is None:
                return False
            statustype = self.catalogus.statustype(str(zaak["zaaktype"]), int(data["volgnummer"]))
            wanted = _moment(str(data["datum_status_gezet"]))
            params = {"zaak": str(zaak["url"]), "statustype": statustype}
            return any(
                abs((_moment(str(status["datumStatusGezet"])) - wanted).total_seconds()) < 1
                for status in self.client.results(
                    f"{self.root}/statussen", ACTUALISEER_ZAAKSTATUS, params
                )
                if status.get("statustype") == statustype
            )
        return False

"""The zaken flow: zaken and their statuses from GWS4all and Allegro into the zaaksysteem.

The zaaksysteem is the system that plays that part here (``adapters.registry.role_system``):
the e-Suite, or a ZGW API zaaksysteem when beheer chose one.

Codes go through ``mappings/``: the GWS4all zaaktype and status codes become the
zaaksysteem's zaaktype and statustype (zaaktype + volgnummer; a ZGW target finds their URLs
in its Catalogi API). An unknown code is a dead letter ``unmapped`` naming the table and the
code, never a guess. On a zaak that started in the zaaksysteem and was handed to the backoffice
(the doorgifte), the steps ``status_eigenaar.csv`` gives to the e-Suite are set there only: the
backoffice pushing one is a dead letter ``status_eigenaar``, never an overwrite. The zaaksysteem
knows a zaak under the same identificatie GWS4all uses
(Ketenbrug numbered it, see ``sync.inbox``); the identity map records the link so other
systems can be joined to it later.

Functiescheiding (``mappings/zaaktype_routering.csv``): a zaak whose zaaktype is not routed to
the zaaksysteem (debt help, Allegro) gets no write there, so MijnLoket never shows it. Its codes
are still checked (an unknown code stays a dead letter ``unmapped`` for beheer), the record
counts as in step, a log line says why, and its zaaktype and start date are kept under the
zaak's source identificatie so the documenten flow routes its documents the same way. No
identity link to the zaaksysteem is made for it: the zaak is not there.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from adapters import registry
from adapters.base import Operation, SourceRecord
from adapters.errors import PermanentError, UnmappedCodeError
from adapters.roles import ACTUALISEER_ZAAKSTATUS, CREEER_ZAAK, UPDATE_ZAAK, ZAAKSYSTEEM
from mappings.tables import Statustype
from privacy.masking import mask_text
from sync.engine import PlanContext
from sync.zaak_kenmerken import ZaakKenmerken

__all__ = ["FLOW_NAME", "ZAKEN_FUNCTIONS", "StatusEigenaarError", "ZakenFlow"]

log = logging.getLogger(__name__)

FLOW_NAME = "zaken"
# Inbox messages this flow drains; documents belong to the documenten flow.
ZAKEN_FUNCTIONS = ("creeerZaak", "updateZaak", "actualiseerZaakstatus")


class StatusEigenaarError(PermanentError):
    """The backoffice pushed a status the zaaksysteem owns on a zaak that started there."""

    reason = "status_eigenaar"


def _zaak_keys(record: SourceRecord) -> set[str]:
    """The zaak identificaties a record names (its zaak, the was/wordt of an update)."""
    data = record.data
    keys: set[str] = set()
    for part in (data, data.get("was"), data.get("wordt"), data.get("zaak")):
        if isinstance(part, dict):
            for field in ("identificatie", "zaak_identificatie"):
                if part.get(field):
                    keys.add(str(part[field]))
    return keys


class ZakenFlow:
    """Plans zaaksysteem writes for zaak, zaakupdate and zaakstatus records."""

    name = FLOW_NAME

    def __init__(self, zaaksysteem: str | None = None) -> None:
        self.zaaksysteem = zaaksysteem or registry.role_system(ZAAKSYSTEEM)

    def prepare(self, records: Sequence[SourceRecord], context: PlanContext) -> None:
        """The identity links and kenmerken of the batch's zaken, in a few queries."""
        per_source: dict[str, set[str]] = {}
        for record in records:
            per_source.setdefault(record.source_system, set()).update(_zaak_keys(record))
        for source_system, keys in per_source.items():
            context.identity.preload("zaak", source_system, keys)
            # A new zaak keeps its identificatie in the zaaksysteem (the link's other side).
            context.identity.preload("zaak", self.zaaksysteem, keys)
        known = {
            context.identity.lookup("zaak", source, key, self.zaaksysteem) or key
            for source, keys in per_source.items()
            for key in keys
        }
        ZaakKenmerken(context.identity.session).preload(known)

    def plan(self, record: SourceRecord, context: PlanContext) -> Sequence[Operation]:
        if record.kind in ("zaak", "zaakupdate", "zaakstatus"):
            # The codes first (an unknown one is a dead letter, whatever the route), then the
            # route of the zaak's zaaktype.
            if record.kind == "zaakstatus":
                zaaktype = self._statustype(record, context).zaaktype
            else:
                data = record.data["wordt"] if record.kind == "zaakupdate" else record.data
                zaaktype, _ = self._zaaktype(record, context, data["zaaktype_code"])
            route = context.mappings.zaaktype_routering.route(zaaktype, record.source_system)
            if not route.zaaksysteem:
                self._niet_gerouteerd(record, context, zaaktype)
                return []
        if record.kind == "zaak":
            return [self._creeer_zaak(record, context)]
        if record.kind == "zaakupdate":
            return [self._update_zaak(record, context)]
        if record.kind == "zaakstatus":
            return [*self._zaak_with_status(record, context), self._status(record, context)]
        raise PermanentError(f"recordsoort {record.kind!r} hoort niet bij de zaken-flow")

    def _niet_gerouteerd(self, record: SourceRecord, context: PlanContext, zaaktype: str) -> None:
        """A zaak functiescheiding keeps out of the zaaksysteem: codes checked, kenmerken kept
        under the source identificatie (for its documents' route), no write, a log line."""
        data = record.data
        zaak = data["wordt"] if record.kind == "zaakupdate" else data.get("zaak") or data
        identificatie = str(zaak.get("identificatie") or data.get("zaak_identificatie"))
        ZaakKenmerken(context.identity.session).record(
            identificatie,
            bron=record.source_system,
            zaaktype=zaaktype,
            startdatum=zaak.get("startdatum"),
            einddatum=zaak.get("einddatum"),
        )
        log.info(
            "niet naar het zaaksysteem (functiescheiding, zaaktype_routering.csv): "
            "%s %s, zaak %s van zaaktype %s",
            record.kind,
            mask_text(record.key),
            mask_text(identificatie),
            zaaktype,
        )

    def _target_zaak(self, record: SourceRecord, context: PlanContext, identificatie: str) -> str:
        """The zaak's identificatie in the zaaksysteem (the same one; the identity map links it)."""
        target = self.zaaksysteem
        known = context.identity.lookup("zaak", record.source_system, identificatie, target)
        if known is not None:
            return known
        context.identity.link("zaak", record.source_system, identificatie, target, identificatie)
        return identificatie

    @staticmethod
    def _zaaktype(record: SourceRecord, context: PlanContext, code: Any) -> tuple[str, str]:
        mapping = context.mappings.zaaktype(record.source_system, str(code))
        if mapping is None:
            raise UnmappedCodeError("zaaktypen", str(code))
        return mapping.zaaktype, mapping.omschrijving

    def _zaak_data(
        self, record: SourceRecord, context: PlanContext, zaak: dict[str, Any]
    ) -> dict[str, Any]:
        zaaktype, omschrijving = self._zaaktype(record, context, zaak["zaaktype_code"])
        target_id = self._target_zaak(record, context, zaak["identificatie"])
        ZaakKenmerken(context.identity.session).record(
            target_id,
            bron=record.source_system,
            zaaktype=zaaktype,
            startdatum=zaak.get("startdatum"),
            einddatum=zaak.get("einddatum"),
        )
        return {
            **zaak,
            "identificatie": target_id,
            "zaaktype_code": zaaktype,
            "zaaktype_omschrijving": omschrijving,
        }

    def _creeer_zaak(self, record: SourceRecord, context: PlanContext) -> Operation:
        data = self._zaak_data(record, context, dict(record.data))
        return Operation(
            target_system=self.zaaksysteem,
            name=CREEER_ZAAK,
            ledger_key=record.key,
            target_key=data["identificatie"],
            data=data,
        )

    def _update_zaak(self, record: SourceRecord, context: PlanContext) -> Operation:
        was = self._zaak_data(record, context, dict(record.data["was"]))
        wordt = self._zaak_data(record, context, dict(record.data["wordt"]))
        return Operation(
            target_system=self.zaaksysteem,
            name=UPDATE_ZAAK,
            ledger_key=record.key,
            target_key=wordt["identificatie"],
            data={"identificatie": wordt["identificatie"], "was": was, "wordt": wordt},
        )

    def _zaak_with_status(self, record: SourceRecord, context: PlanContext) -> list[Operation]:
        """A source that sends the zaak along with each status (Allegro) gets the zaak created
        in the zaaksysteem first (once: the ledger key is the zaak), and its einddatum set when the
        closing status brings one."""
        raw = record.data.get("zaak")
        if not raw:
            return []
        zaak = dict(raw)
        einddatum = zaak.pop("einddatum", None)
        data = self._zaak_data(record, context, {**zaak, "einddatum": None})
        operations = [
            Operation(
                target_system=self.zaaksysteem,
                name=CREEER_ZAAK,
                ledger_key=f"zaak:{zaak['identificatie']}",
                target_key=data["identificatie"],
                data=data,
            )
        ]
        if einddatum:
            wordt = {**data, "einddatum": einddatum}
            operations.append(
                Operation(
                    target_system=self.zaaksysteem,
                    name=UPDATE_ZAAK,
                    ledger_key=f"zaakupdate:{zaak['identificatie']}:einddatum",
                    target_key=data["identificatie"],
                    data={"identificatie": data["identificatie"], "was": data, "wordt": wordt},
                )
            )
        return operations

    def _check_eigenaar(
        self, record: SourceRecord, context: PlanContext, statustype: Statustype
    ) -> None:
        """Refuse a step the zaaksysteem owns (``esuite`` in the table: the zaaksysteem side)."""
        owner = context.mappings.status_eigenaar(statustype.zaaktype, statustype.volgnummer)
        if owner != "esuite":
            return  # the backoffice's own step
        zaak = str(record.data["zaak_identificatie"])
        if context.identity.origin("zaak", record.source_system, zaak) != self.zaaksysteem:
            return  # the zaak started in the backoffice: every step is its own
        raise StatusEigenaarError(
            f"status {statustype.volgnummer} ({statustype.omschrijving}) van zaak {zaak} wordt "
            f"in het zaaksysteem gezet, niet door {record.source_system}: niet overgenomen",
            system=record.source_system,
        )

    def _statustype(self, record: SourceRecord, context: PlanContext) -> Statustype:
        """The zaaksysteem's statustype of a status record; an unknown code is a dead letter."""
        data = record.data
        mapping = context.mappings.status(record.source_system, str(data["status_code"]))
        if mapping is None:
            raise UnmappedCodeError("statussen", str(data["status_code"]))
        if not data.get("zaaktype_code"):
            raise PermanentError("statusbericht zonder zaaktype: statustype niet te bepalen")
        zaaktype, _ = self._zaaktype(record, context, data["zaaktype_code"])
        statustype = context.mappings.statustype(zaaktype, mapping.volgnummer)
        if statustype is None:
            raise UnmappedCodeError("esuite_statustypen", f"{zaaktype}/{mapping.volgnummer}")
        return statustype

    def _status(self, record: SourceRecord, context: PlanContext) -> Operation:
        data = record.data
        statustype = self._statustype(record, context)
        target_id = self._target_zaak(record, context, data["zaak_identificatie"])
        self._check_eigenaar(record, context, statustype)
        return Operation(
            target_system=self.zaaksysteem,
            name=ACTUALISEER_ZAAKSTATUS,
            ledger_key=record.key,
            target_key=target_id,
            data={
                "zaak_identificatie": target_id,
                "zaaktype_code": statustype.zaaktype,
                "statustype_code": statustype.code,
                "volgnummer": statustype.volgnummer,
                "statustype_omschrijving": statustype.omschrijving,
                "datum_status_gezet": data["datum_status_gezet"],
                "toelichting": data.get("toelichting"),
            },
            ordering_key=f"zaak:{target_id}",
            ordering_value=data["datum_status_gezet"],
        )

"""The zaken flow: zaken and their statuses from GWS4all into the e-Suite.

Codes go through ``mappings/``: the GWS4all zaaktype and status codes become e-Suite
zaaktype and statustype (zaaktype + volgnummer). An unknown code is a dead letter
``unmapped`` naming the table and the code, never a guess. The e-Suite knows a zaak under the
same identificatie GWS4all uses (Ketenbrug numbered it, see ``sync.inbox``); the identity map
records the link so other systems can be joined to it later.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adapters.base import Operation, SourceRecord
from adapters.errors import PermanentError, UnmappedCodeError
from adapters.esuite.client import SYSTEM as ESUITE
from adapters.esuite.target import ACTUALISEER_ZAAKSTATUS, CREEER_ZAAK, UPDATE_ZAAK
from sync.engine import PlanContext

__all__ = ["FLOW_NAME", "ZAKEN_FUNCTIONS", "ZakenFlow"]

FLOW_NAME = "zaken"
# Inbox messages this flow drains; documents belong to the documenten flow.
ZAKEN_FUNCTIONS = ("creeerZaak", "updateZaak", "actualiseerZaakstatus")


class ZakenFlow:
    """Plans e-Suite writes for zaak, zaakupdate and zaakstatus records."""

    name = FLOW_NAME

    def plan(self, record: SourceRecord, context: PlanContext) -> Sequence[Operation]:
        if record.kind == "zaak":
            return [self._creeer_zaak(record, context)]
        if record.kind == "zaakupdate":
            return [self._update_zaak(record, context)]
        if record.kind == "zaakstatus":
            return [*self._zaak_with_status(record, context), self._status(record, context)]
        raise PermanentError(f"recordsoort {record.kind!r} hoort niet bij de zaken-flow")

    @staticmethod
    def _esuite_zaak(record: SourceRecord, context: PlanContext, identificatie: str) -> str:
        known = context.identity.lookup("zaak", record.source_system, identificatie, ESUITE)
        if known is not None:
            return known
        context.identity.link("zaak", record.source_system, identificatie, ESUITE, identificatie)
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
        esuite_id = self._esuite_zaak(record, context, zaak["identificatie"])
        return {
            **zaak,
            "identificatie": esuite_id,
            "zaaktype_code": zaaktype,
            "zaaktype_omschrijving": omschrijving,
        }

    def _creeer_zaak(self, record: SourceRecord, context: PlanContext) -> Operation:
        data = self._zaak_data(record, context, dict(record.data))
        return Operation(
            target_system=ESUITE,
            name=CREEER_ZAAK,
            ledger_key=record.key,
            target_key=data["identificatie"],
            data=data,
        )

    def _update_zaak(self, record: SourceRecord, context: PlanContext) -> Operation:
        was = self._zaak_data(record, context, dict(record.data["was"]))
        wordt = self._zaak_data(record, context, dict(record.data["wordt"]))
        return Operation(
            target_system=ESUITE,
            name=UPDATE_ZAAK,
            ledger_key=record.key,
            target_key=wordt["identificatie"],
            data={"identificatie": wordt["identificatie"], "was": was, "wordt": wordt},
        )

    def _zaak_with_status(self, record: SourceRecord, context: PlanContext) -> list[Operation]:
        """A source that sends the zaak along with each status (Allegro) gets the zaak created
        in the e-Suite first (once: the ledger key is the zaak), and its einddatum set when the
        closing status brings one."""
        raw = record.data.get("zaak")
        if not raw:
            return []
        zaak = dict(raw)
        einddatum = zaak.pop("einddatum", None)
        data = self._zaak_data(record, context, {**zaak, "einddatum": None})
        operations = [
            Operation(
                target_system=ESUITE,
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
                    target_system=ESUITE,
                    name=UPDATE_ZAAK,
                    ledger_key=f"zaakupdate:{zaak['identificatie']}:einddatum",
                    target_key=data["identificatie"],
                    data={"identificatie": data["identificatie"], "was": data, "wordt": wordt},
                )
            )
        return operations

    def _status(self, record: SourceRecord, context: PlanContext) -> Operation:
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
        esuite_id = self._esuite_zaak(record, context, data["zaak_identificatie"])
        return Operation(
            target_system=ESUITE,
            name=ACTUALISEER_ZAAKSTATUS,
            ledger_key=record.key,
            target_key=esuite_id,
            data={
                "zaak_identificatie": esuite_id,
                "zaaktype_code": statustype.zaaktype,
                "statustype_code": statustype.code,
                "volgnummer": statustype.volgnummer,
                "statustype_omschrijving": statustype.omschrijving,
                "datum_status_gezet": data["datum_status_gezet"],
                "toelichting": data.get("toelichting"),
            },
            ordering_key=f"zaak:{esuite_id}",
            ordering_value=data["datum_status_gezet"],
        )

"""The suwinet-verrijking flow: the Suwinet data of a new bijstandsaanvraag as one document on
its zaak.

A record is one aanvraag's Suwinet extract, already rendered to PDF and waiting in the blob
store (the source did that: ``sync.suwinet``). Its key is ``suwinet:<zaak>`` (the zaaksysteem's
identificatie, no BSN): one ledger row per zaak, which is what makes the query *eenmalig* — the
source asks Suwinet only for zaken without that row (or an open dead letter under that key).
The write is :data:`~adapters.document.VOEG_ZAAKDOCUMENT_TOE` to whichever system plays the
zaaksysteem part (``adapters.roles``); a document that is already there counts as delivered.
"""

from __future__ import annotations

from collections.abc import Sequence

from adapters import registry
from adapters.base import Operation, SourceRecord
from adapters.document import VOEG_ZAAKDOCUMENT_TOE
from adapters.errors import PermanentError
from adapters.roles import ZAAKSYSTEEM
from sync.engine import PlanContext

__all__ = ["FLOW_NAME", "RECORD_KIND", "SuwinetFlow", "ledger_key"]

FLOW_NAME = "suwinet"
RECORD_KIND = "suwinet_gegevens"


def ledger_key(zaak: str) -> str:
    """The one ledger key per aanvraag: ``suwinet:<zaak>``."""
    return f"suwinet:{zaak}"


class SuwinetFlow:
    """Plans one Suwinet extract into one document write on its zaak."""

    name = FLOW_NAME

    def __init__(self, zaaksysteem: str | None = None) -> None:
        self.zaaksysteem = zaaksysteem or registry.role_system(ZAAKSYSTEEM)

    def plan(self, record: SourceRecord, context: PlanContext) -> Sequence[Operation]:
        if record.kind != RECORD_KIND:
            raise PermanentError(f"recordsoort {record.kind!r} hoort niet bij {FLOW_NAME}")
        document = dict(record.data["document"])
        return [
            Operation(
                target_system=self.zaaksysteem,
                name=VOEG_ZAAKDOCUMENT_TOE,
                ledger_key=record.key,
                target_key=str(document["identificatie"]),
                data={"document": document, "content": dict(record.data["content"])},
            )
        ]

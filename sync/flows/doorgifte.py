"""The doorgifte flow: an aanvraag that started in the e-Suite, handed to GWS4all.

One record per zaak (``doorgifte:<zaak>``): the zaak and its documents as the e-Suite holds
them. The plan is a creeerZaak at GWS4all with the GWS4all zaaktype code ``doorgifte.csv``
gives (an e-Suite zaaktype without one: dead letter ``unmapped``), then a voegZaakdocumentToe
per document, each its own ledger row, so a retry writes only what is missing. The documents
share the zaak's target key: the engine writes them after the zaak, and holds them back while
the zaak's creation is deferred (GWS4all refuses a document for a zaak it does not know).

Both keys go into the identity map, the e-Suite's first: the statuses GWS4all pushes later land
on the same e-Suite zaak (the zaken flow), and that zaak's origin is the e-Suite, which decides
who owns its first statuses (``status_eigenaar.csv``). No echo: a zaak whose origin is GWS4all
(it came from there through the zaken flow) is never planned back to it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from adapters.base import Operation, SourceRecord
from adapters.errors import PermanentError, UnmappedCodeError
from adapters.gws4all.outbound_target import document_operation, zaak_from_data, zaak_operation
from mappings.doorgifte import Doorgifte, load_doorgifte
from sync.engine import PlanContext

__all__ = ["FLOW_NAME", "RECORD_KIND", "SOURCE_SYSTEM", "DoorgifteFlow", "record_key"]

FLOW_NAME = "doorgifte"
RECORD_KIND = "aanvraag"
SOURCE_SYSTEM = "esuite"
TARGET_SYSTEM = "gws4all"


def record_key(zaak: str) -> str:
    """The ledger key of a zaak's creeerZaak at GWS4all (and of its record)."""
    return f"doorgifte:{zaak}"


class DoorgifteFlow:
    """Plans GWS4all writes for an aanvraag read from the e-Suite."""

    name = FLOW_NAME

    def __init__(self, doorgifte: Doorgifte | None = None, mappings_dir: Path | None = None):
        self.doorgifte = doorgifte or load_doorgifte(mappings_dir)

    def plan(self, record: SourceRecord, context: PlanContext) -> Sequence[Operation]:
        if record.kind != RECORD_KIND:
            raise PermanentError(f"recordsoort {record.kind!r} hoort niet bij de doorgifte")
        zaak = zaak_from_data(record.data["zaak"])
        identificatie = zaak.identificatie
        if context.identity.origin("zaak", SOURCE_SYSTEM, identificatie) == TARGET_SYSTEM:
            return []  # it came from GWS4all: never back (no echo)
        code = self.doorgifte.gws4all_zaaktype(str(zaak.zaaktype_code or ""))
        if code is None:
            raise UnmappedCodeError("doorgifte", str(zaak.zaaktype_code))
        context.identity.link("zaak", SOURCE_SYSTEM, identificatie, TARGET_SYSTEM, identificatie)
        operations = [
            zaak_operation(dataclasses.replace(zaak, zaaktype_code=code), ledger_key=record.key)
        ]
        for item in record.data.get("documenten", []):
            document = dict(item["document"])
            operation = document_operation(
                document,
                item["content"],
                ledger_key=f"{record.key}:document:{document['identificatie']}",
            )
            # one group with the zaak: written after it, and held back while it is deferred
            operations.append(dataclasses.replace(operation, target_key=identificatie))
        return operations

"""The betaalspecificaties flow: one readable document per client per period and source.

A record is one specification, already rendered to PDF and waiting in the blob store (the
source did that: ``sync.betaalspecificaties``). Its key is ``betaalspec:<bron>:<periode>:<ref>``
with ``ref`` a keyed hash of the BSN (``sync.pseudonym``), so the ledger holds no BSN and the
same client's same period is always the same ledger row: a rerun with the same bytes is in
step, a corrected specification (other bytes, other content hash) is written again, as a new
version of the same document (operation :data:`DOCUMENT_VERSIE`), never a second document.

Where it goes follows the routing table (``mappings/specificatie_routering.csv``): GWS4all's
uitkeringsspecificatie to the client's zaak in the e-Suite (MijnLoket shows it; the documenten
flow takes it on to Xtendis and MyLex), Allegro's budget specification to the client's
dossier in Xtendis only (functiescheiding).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from adapters.base import Operation, SourceRecord
from adapters.errors import PermanentError
from sync.engine import PlanContext
from sync.flows.documenten import dossier_drop

__all__ = ["DOCUMENT_VERSIE", "FLOW_NAME", "BetaalspecificatiesFlow", "RouteringError"]

FLOW_NAME = "betaalspecificaties"
#: Add the document to the zaak, or, when it is there with other content, a new version of it.
DOCUMENT_VERSIE = "zaakdocument_toevoegen_of_nieuwe_versie"
_ARCHIEF = {"allegro": "SCHULDHULP", "gws4all": "WERK_INKOMEN"}


class RouteringError(PermanentError):
    """The record names a target the routing table does not allow for its source."""

    reason = "routering"


class BetaalspecificatiesFlow:
    """Plans one specification record into one document write."""

    name = FLOW_NAME

    def plan(self, record: SourceRecord, context: PlanContext) -> Sequence[Operation]:
        if record.kind != "specificatie":
            raise PermanentError(f"recordsoort {record.kind!r} hoort niet bij {FLOW_NAME}")
        doel = str(record.data["doel"])
        document = dict(record.data["document"])
        content = dict(record.data["content"])
        identificatie = str(document["identificatie"])
        if doel == "esuite" and record.source_system == "gws4all":
            return [
                Operation(
                    target_system="esuite",
                    name=DOCUMENT_VERSIE,
                    ledger_key=record.key,
                    target_key=identificatie,
                    data={"document": document, "content": content},
                )
            ]
        if doel == "xtendis" and record.source_system == "allegro":
            drop = dossier_drop(
                "xtendis",
                record,
                document,
                content,
                archief=_ARCHIEF["allegro"],
                name=f"{identificatie}-{str(content['sha256'])[:12]}",
            )
            versie = record.data.get("versie")
            if versie is None:
                return [drop]
            # Allegro numbers its corrections: the newest version filed stays the newest.
            return [replace(drop, ordering_key=record.key, ordering_value=f"{int(versie):06d}")]
        raise RouteringError(
            f"specificatie uit {record.source_system} mag niet naar {doel} "
            "(zie specificatie_routering.csv)"
        )

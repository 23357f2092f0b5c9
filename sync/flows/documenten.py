"""The documenten flow: every document into the client's dossier (Xtendis), the new archive
(the e-Suite) and the old archive (MyLex), each exactly once.

A document record carries the document's fields and a reference to its content in the blob
store (``sync.blobs``): the source hashed it on the way in, each target streams it from there
and checks the hash again. One record becomes up to three writes, one per target, each with
its own ledger row, retries and dead letter, so a refusal by Xtendis does not hold up MyLex.

The e-Suite knows the document under the same identificatie as its source and attached to the
zaak the identity map links (the zaken flow made that link); a document whose zaak the
e-Suite does not know is a dead letter ``zaak_onbekend`` (resend it once the zaak is there).
Documents read *from* the e-Suite go to Xtendis and MyLex only. An updateZaakdocument with new
content is a new version: updateZaakdocument in the e-Suite, a new drop in Xtendis (which keeps
versions), the MyLex copy overwritten. One without content (metadata only) changes nothing in
the archives and is counted as in step.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from adapters.base import Operation, SourceRecord
from adapters.errors import PermanentError
from adapters.esuite.client import SYSTEM as ESUITE
from adapters.esuite.documents import UPDATE_ZAAKDOCUMENT, VOEG_ZAAKDOCUMENT_TOE
from adapters.mylex.target import ARCHIVEER_DOCUMENT
from adapters.xtendis.target import DROP_DOCUMENT
from sync.engine import PlanContext

__all__ = ["ARCHIEF_PER_BRON", "FLOW_NAME", "DocumentenFlow", "ZaakOnbekendError", "drop_name"]

log = logging.getLogger(__name__)

FLOW_NAME = "documenten"
XTENDIS = "xtendis"
MYLEX = "mylex"
# The Xtendis archive a source's documents belong in (income support, debt help).
ARCHIEF_PER_BRON = {"gws4all": "WERK_INKOMEN", "allegro": "SCHULDHULP", "esuite": "WERK_INKOMEN"}
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


class ZaakOnbekendError(PermanentError):
    """The document's zaak is not (yet) in the e-Suite according to the identity map."""

    reason = "zaak_onbekend"


def drop_name(record: SourceRecord) -> str:
    """A file stem for Xtendis, unique per document version and safe on any file system."""
    document = record.data["document"]
    sha = str(record.data["content"]["sha256"])[:12]
    stem = _UNSAFE.sub("_", f"{record.source_system}-{document['identificatie']}").strip("_")
    return f"{stem[:80]}-{sha}"


class DocumentenFlow:
    """Plans the writes of one document record to the e-Suite, Xtendis and MyLex."""

    name = FLOW_NAME

    def plan(self, record: SourceRecord, context: PlanContext) -> Sequence[Operation]:
        if record.kind != "document":
            raise PermanentError(f"recordsoort {record.kind!r} hoort niet bij de documenten-flow")
        document: dict[str, Any] = dict(record.data["document"])
        # Sociaal domein: a document nobody classified is confidential (the e-Suite needs a value).
        document["vertrouwelijkheid"] = document.get("vertrouwelijkheid") or "VERTROUWELIJK"
        if not record.data.get("content"):
            log.info("document %s: alleen metadata gewijzigd, niets te archiveren", record.key)
            return []
        content = dict(record.data["content"])
        identificatie = str(document["identificatie"])
        operations: list[Operation] = []
        if record.source_system != ESUITE:
            operations.append(self._esuite(record, context, document, content))
        operations.append(
            Operation(
                target_system=XTENDIS,
                name=DROP_DOCUMENT,
                ledger_key=record.key,
                target_key=identificatie,
                data={
                    "document": document,
                    "content": content,
                    "archief": ARCHIEF_PER_BRON.get(record.source_system, "WERK_INKOMEN"),
                    "drop_name": drop_name(record),
                },
            )
        )
        operations.append(
            Operation(
                target_system=MYLEX,
                name=ARCHIVEER_DOCUMENT,
                ledger_key=record.key,
                target_key=identificatie,
                data={"document": document, "content": content, "jaar": None, "waardering": None},
            )
        )
        for system in (XTENDIS, MYLEX):
            self._link(record, context, identificatie, system)
        return operations

    def _esuite(
        self,
        record: SourceRecord,
        context: PlanContext,
        document: dict[str, Any],
        content: dict[str, Any],
    ) -> Operation:
        zaak = document.get("zaak_identificatie")
        esuite_zaak = (
            context.identity.lookup("zaak", record.source_system, str(zaak), ESUITE)
            if zaak
            else None
        )
        if esuite_zaak is None:
            raise ZaakOnbekendError(
                f"zaak {zaak or '(geen)'} van document {document['identificatie']} is niet "
                f"bekend in de e-Suite; verstuur opnieuw zodra de zaak er is"
            )
        self._link(record, context, str(document["identificatie"]), ESUITE)
        update = record.data.get("functie") == "updateZaakdocument"
        return Operation(
            target_system=ESUITE,
            name=UPDATE_ZAAKDOCUMENT if update else VOEG_ZAAKDOCUMENT_TOE,
            ledger_key=record.key,
            target_key=str(document["identificatie"]),
            data={"document": {**document, "zaak_identificatie": esuite_zaak}, "content": content},
        )

    @staticmethod
    def _link(record: SourceRecord, context: PlanContext, identificatie: str, system: str) -> None:
        """Every archive knows the document under its source identificatie (docs/file-layouts)."""
        if context.identity.lookup("document", record.source_system, identificatie, system) is None:
            context.identity.link(
                "document", record.source_system, identificatie, system, identificatie
            )

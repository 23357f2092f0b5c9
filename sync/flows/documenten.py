"""The documenten flow: every document into the client's dossier (Xtendis), the new archive
(the zaaksysteem: the e-Suite, or a ZGW API) and the old archive (MyLex), each exactly once.

The flow plans for parts, not products (``adapters.roles``): the zaaksysteem, the dossier and
the archief are the systems the registry says play them in this deployment.

A document record carries the document's fields and a reference to its content in the blob
store (``sync.blobs``): the source hashed it on the way in, each target streams it from there
and checks the hash again. One record becomes up to three writes, one per target, each with
its own ledger row, retries and dead letter, so a refusal by Xtendis does not hold up MyLex.

The zaaksysteem knows the document under the same identificatie as its source and attached to
the zaak the identity map links (the zaken flow made that link); a document whose zaak the
zaaksysteem does not know is a dead letter ``zaak_onbekend`` (resend it once the zaak is
there). Documents read *from* the zaaksysteem go to the dossier and archief only. An
updateZaakdocument with new content is a new version: a new version in the zaaksysteem, a new
drop in Xtendis (which keeps versions), the MyLex copy overwritten. One without content
(metadata only) changes nothing in the archives and is counted as in step.

Functiescheiding (``mappings/zaaktype_routering.csv``): the zaaktype of the document's zaak
(``sync.zaak_kenmerken``, recorded by the zaken flow) decides which of the three writes are
planned and which Xtendis archive the dossier write goes to. A debt-help document (Allegro)
goes to the SCHULDHULP archive in Xtendis only; one whose zaak is not known takes its source's
fail-safe route (``ZaaktypeRoutering.route``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from adapters import registry
from adapters.base import Operation, SourceRecord
from adapters.document import (
    ARCHIVEER_DOCUMENT,
    DROP_DOCUMENT,
    UPDATE_ZAAKDOCUMENT,
    VOEG_ZAAKDOCUMENT_TOE,
)
from adapters.errors import PermanentError, ZaakOnbekendError
from adapters.roles import ARCHIEF, DOSSIER, ZAAKSYSTEEM
from mappings.zaaktype_routering import Route
from privacy.masking import mask_text
from sync.archiefbeleid import archief_gegevens
from sync.engine import PlanContext
from sync.zaak_kenmerken import ZaakKenmerken

__all__ = ["ARCHIEF_PER_BRON", "FLOW_NAME", "DocumentenFlow", "dossier_drop", "drop_name"]

log = logging.getLogger(__name__)

FLOW_NAME = "documenten"
# The Xtendis archive a source's documents belong in (income support, debt help): for callers
# outside this flow; the flow itself follows the zaaktype's route (zaaktype_routering.csv).
ARCHIEF_PER_BRON = {"gws4all": "WERK_INKOMEN", "allegro": "SCHULDHULP", "esuite": "WERK_INKOMEN"}
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def dossier_drop(
    dossier: str,
    record: SourceRecord,
    document: dict[str, Any],
    content: dict[str, Any],
    *,
    archief: str,
    name: str,
) -> Operation:
    """The write of a document into the client's dossier (Xtendis: one drop, one receipt)."""
    return Operation(
        target_system=dossier,
        name=DROP_DOCUMENT,
        ledger_key=record.key,
        target_key=str(document["identificatie"]),
        data={"document": document, "content": content, "archief": archief, "drop_name": name},
    )


def drop_name(record: SourceRecord) -> str:
    """A file stem for Xtendis, unique per document version and safe on any file system."""
    document = record.data["document"]
    sha = str(record.data["content"]["sha256"])[:12]
    stem = _UNSAFE.sub("_", f"{record.source_system}-{document['identificatie']}").strip("_")
    return f"{stem[:80]}-{sha}"


class DocumentenFlow:
    """Plans the writes of one document record to the zaaksysteem, dossier and archief."""

    name = FLOW_NAME

    def __init__(
        self,
        zaaksysteem: str | None = None,
        dossier: str | None = None,
        archief: str | None = None,
    ) -> None:
        self.zaaksysteem = zaaksysteem or registry.role_system(ZAAKSYSTEEM)
        self.dossier = dossier or registry.role_system(DOSSIER)
        self.archief = archief or registry.role_system(ARCHIEF)

    def plan(self, record: SourceRecord, context: PlanContext) -> Sequence[Operation]:
        if record.kind != "document":
            raise PermanentError(f"recordsoort {record.kind!r} hoort niet bij de documenten-flow")
        document: dict[str, Any] = dict(record.data["document"])
        # Sociaal domein: a document nobody classified is confidential (a zaaksysteem needs one).
        document["vertrouwelijkheid"] = document.get("vertrouwelijkheid") or "VERTROUWELIJK"
        if not record.data.get("content"):
            log.info("document %s: alleen metadata gewijzigd, niets te archiveren", record.key)
            return []
        content = dict(record.data["content"])
        identificatie = str(document["identificatie"])
        route = self._route(record, context, document)
        routed = self._routed(route)
        operations: list[Operation] = []
        if route.zaaksysteem and record.source_system != self.zaaksysteem:
            operations.append(self._zaaksysteem(record, context, document, content))
        operations.append(
            dossier_drop(
                self.dossier,
                record,
                document,
                content,
                archief=route.dossier or "",
                name=drop_name(record),
            )
        )
        operations.append(
            Operation(
                target_system=self.archief,
                name=ARCHIVEER_DOCUMENT,
                ledger_key=record.key,
                target_key=identificatie,
                data={
                    "document": document,
                    "content": content,
                    **self._archief_gegevens(record, context, document),
                },
            )
        )
        # Functiescheiding: only the writes the route names (see the module docstring).
        operations = [op for op in operations if op.target_system in routed]
        skipped = [
            system
            for system in (self.zaaksysteem, self.archief)
            if system not in routed and system != record.source_system
        ]
        if skipped:
            log.info(
                "document %s: niet naar %s (functiescheiding, zaaktype_routering.csv)",
                mask_text(record.key),
                ", ".join(skipped),
            )
        for system in (self.dossier, self.archief):
            if system in routed:
                self._link(record, context, identificatie, system)
        return operations

    def _route(self, record: SourceRecord, context: PlanContext, document: dict[str, Any]) -> Route:
        """The route of the document's zaak by its zaaktype (unknown: its source's default).

        The zaken flow keeps a zaak's kenmerken under its zaaksysteem identificatie, or, for a
        zaak functiescheiding keeps out of the zaaksysteem, under its source identificatie."""
        zaaktype = None
        zaak = document.get("zaak_identificatie")
        if zaak:
            kenmerken = ZaakKenmerken(context.identity.session)
            target = context.identity.lookup(
                "zaak", record.source_system, str(zaak), self.zaaksysteem
            )
            known = (kenmerken.lookup(target) if target else None) or kenmerken.lookup(str(zaak))
            zaaktype = known.zaaktype if known else None
        return context.mappings.zaaktype_routering.route(zaaktype, record.source_system)

    def _routed(self, route: Route) -> set[str]:
        """The systems a route writes to."""
        parts = ((self.zaaksysteem, route.zaaksysteem), (self.dossier, bool(route.dossier)))
        return {system for system, ja in (*parts, (self.archief, route.archief)) if ja}

    def _zaaksysteem(
        self,
        record: SourceRecord,
        context: PlanContext,
        document: dict[str, Any],
        content: dict[str, Any],
    ) -> Operation:
        zaak = document.get("zaak_identificatie")
        target_zaak = (
            context.identity.lookup("zaak", record.source_system, str(zaak), self.zaaksysteem)
            if zaak
            else None
        )
        if target_zaak is None:
            raise ZaakOnbekendError(
                f"zaak {zaak or '(geen)'} van document {document['identificatie']} is niet "
                f"bekend in het zaaksysteem ({self.zaaksysteem}); verstuur opnieuw zodra de "
                "zaak er is"
            )
        self._link(record, context, str(document["identificatie"]), self.zaaksysteem)
        update = record.data.get("functie") == "updateZaakdocument"
        return Operation(
            target_system=self.zaaksysteem,
            name=UPDATE_ZAAKDOCUMENT if update else VOEG_ZAAKDOCUMENT_TOE,
            ledger_key=record.key,
            target_key=str(document["identificatie"]),
            data={"document": {**document, "zaak_identificatie": target_zaak}, "content": content},
        )

    def _archief_gegevens(
        self, record: SourceRecord, context: PlanContext, document: dict[str, Any]
    ) -> dict[str, Any]:
        """MyLex's folder year and retention (``sync.archiefbeleid``), from the document's zaak
        in the zaaksysteem: the identity map's link, or the zaak itself when read from there
        (or kept out of the zaaksysteem by functiescheiding: its kenmerken are under that)."""
        zaak = document.get("zaak_identificatie")
        if zaak and record.source_system != self.zaaksysteem:
            zaak = (
                context.identity.lookup("zaak", record.source_system, str(zaak), self.zaaksysteem)
                or zaak
            )
        beleid = context.mappings.archiefbeleid
        return archief_gegevens(context.identity.session, beleid, str(zaak) if zaak else None)

    @staticmethod
    def _link(record: SourceRecord, context: PlanContext, identificatie: str, system: str) -> None:
        """Every archive knows the document under its source identificatie (docs/file-layouts)."""
        if context.identity.lookup("document", record.source_system, identificatie, system) is None:
            context.identity.link(
                "document", record.source_system, identificatie, system, identificatie
            )

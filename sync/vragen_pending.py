"""Read your own writes: what the inbox holds for a zaak or document but has not delivered yet.

GWS4all may ask about a zaak right after pushing it (creeerZaak, then geefZaakdetails). Until
the zaken flow delivered it, the e-Suite does not know it, so an answer from the e-Suite alone
would say "no such zaak". The inbox is the truth for what Ketenbrug accepted: every message
still ``received`` (waiting, claimed in an open batch, or deferred and sent back) is merged
into the answer, in GWS4all's own keys and codes. Read only: a question never changes state.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.errors import InvalidMessageError
from adapters.esuite.target import zaak_from_data
from adapters.gws4all import inbound
from stuf import Document, NoValue, Zaak, ZaakStatus
from sync.flows.zaken import ZAKEN_FUNCTIONS
from sync.inbox import DOCUMENT_FUNCTIONS
from sync.store.models import DocumentZaak, InboxMessage, InboxState

__all__ = [
    "PendingDocument",
    "PendingZaak",
    "pending_document",
    "pending_documents",
    "pending_zaak",
]


@dataclass
class PendingZaak:
    """The zaak as the undelivered messages make it (``created`` from a pending creeerZaak)."""

    created: Zaak | None = None
    updates: list[dict[str, Any]] = field(default_factory=list)
    statussen: list[ZaakStatus] = field(default_factory=list)

    def apply(self, zaak: Zaak | None) -> Zaak | None:
        """``zaak`` (from the e-Suite, or None) with the pending creation and updates on top."""
        current = zaak if zaak is not None else self.created
        if current is None:
            return None
        for wordt in self.updates:
            changed = zaak_from_data(wordt)
            values = {
                name.name: getattr(changed, name.name)
                for name in dataclasses.fields(Zaak)
                if name.name != "identificatie" and getattr(changed, name.name) is not None
            }
            current = dataclasses.replace(current, **values)
        return current


@dataclass(frozen=True)
class PendingDocument:
    """A document as its latest undelivered message has it; ``content`` is a blob reference."""

    document: Document
    content: dict[str, Any] | None


def _received(session: Session, source_system: str, zaak: str, functions: tuple[str, ...]) -> Any:
    return session.scalars(
        select(InboxMessage)
        .where(
            InboxMessage.source_system == source_system,
            InboxMessage.ordering_key == zaak,
            InboxMessage.state == InboxState.RECEIVED,
            InboxMessage.function.in_(functions),
        )
        .order_by(InboxMessage.id)
    )


def _moment(raw: str) -> datetime:
    return datetime.fromisoformat(raw.replace("Z", "+00:00"))


def _value(raw: Any) -> Any:
    if isinstance(raw, dict) and "noValue" in raw:
        return NoValue(raw["noValue"])
    return raw


def pending_zaak(session: Session, source_system: str, zaak: str) -> PendingZaak:
    """Every received, undelivered creeerZaak/updateZaak/actualiseerZaakstatus of ``zaak``."""
    pending = PendingZaak()
    for row in _received(session, source_system, zaak, ZAKEN_FUNCTIONS):
        if row.body is None:
            continue
        try:
            decoded = inbound.decode(row.body, soap_action=row.soap_action, payload_ref="vraag")
        except InvalidMessageError:
            continue  # the flow makes it a dead letter; nothing to show
        for record in decoded.records:
            data = record.data
            if record.kind == "zaak" and pending.created is None:
                pending.created = zaak_from_data(data)
            elif record.kind == "zaakupdate":
                pending.updates.append(dict(data["wordt"]))
            elif record.kind == "zaakstatus":
                pending.statussen.append(
                    ZaakStatus(
                        zaak_identificatie=zaak,
                        statustype_code=_value(data["status_code"]),
                        statustype_volgnummer=int(data["volgnummer"]),
                        datum_status_gezet=_moment(str(data["datum_status_gezet"])),
                        zaaktype_code=_value(data.get("zaaktype_code")),
                        toelichting=_value(data.get("toelichting")),
                    )
                )
    return pending


def _document(fields: dict[str, Any]) -> Document:
    creatiedatum = fields.get("creatiedatum")
    return Document(
        identificatie=str(fields["identificatie"]),
        titel=fields.get("titel"),
        zaak_identificatie=fields.get("zaak_identificatie"),
        documenttype_omschrijving=fields.get("documenttype"),
        bestandsnaam=fields.get("bestandsnaam"),
        formaat=fields.get("formaat"),
        creatiedatum=date.fromisoformat(creatiedatum) if creatiedatum else None,
        taal=fields.get("taal"),
        vertrouwelijkheid=fields.get("vertrouwelijkheid"),
        auteur=fields.get("auteur"),
    )


def pending_documents(
    session: Session, source_system: str, zaak: str
) -> dict[str, PendingDocument]:
    """Per document identificatie, the latest undelivered version of each document of ``zaak``.

    A metadata-only update keeps the content of the version before it.
    """
    found: dict[str, PendingDocument] = {}
    for row in _received(session, source_system, zaak, DOCUMENT_FUNCTIONS):
        if not row.record_json:
            continue
        record = json.loads(row.record_json)
        fields = record.get("document") or {}
        if "identificatie" not in fields:
            continue
        identificatie = str(fields["identificatie"])
        content = record.get("content")
        before = found.get(identificatie)
        if content is None and before is not None:
            content = before.content
        found[identificatie] = PendingDocument(_document(fields), content)
    return found


def pending_document(
    session: Session, source_system: str, identificatie: str
) -> PendingDocument | None:
    """The latest undelivered version of one document (found through its zaak), or None."""
    known = session.get(DocumentZaak, (source_system, identificatie))
    if known is None or not known.zaak_identificatie:
        return None
    return pending_documents(session, source_system, known.zaak_identificatie).get(identificatie)

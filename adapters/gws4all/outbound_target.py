"""GWS4all as the doorgifte's target: new aanvraag-zaken (creeerZaak) and their documents
(voegZaakdocumentToe), ZDS 1.1, neither idempotent at GWS4all.

Operations (build them with :func:`zaak_operation` and :func:`document_operation`):

- :data:`CREEER_ZAAK_GWS4ALL`: ``data`` is :func:`zaak_to_data` of the stuf ``Zaak`` (plain
  JSON; :func:`zaak_from_data` gives the same Zaak back). ``target_key``: the identificatie.
- :data:`VOEG_DOCUMENT_TOE_GWS4ALL`: ``data`` is the shared document contract of
  :mod:`adapters.document` (``{"document": {...}, "content": {"path", "sha256", "size"}}``);
  ``target_key``: the document identificatie. The blob is streamed, its SHA-256 checked.

A Fo03 "bestaat al" is an :class:`~adapters.errors.AlreadyExistsError` (delivered: a retry after
a lost answer) when GWS4all holds the same thing: for a zaak when geefZaakdetails shows it, for a
document when the held SHA-256 (the Fo's details) is the operation's; a document held with other
bytes is a :class:`~adapters.errors.TargetRejectedError` ("bestaat al met andere inhoud").

:meth:`Gws4allTarget.is_applied` only reads: geefZaakdetails for a zaak, geefLijstZaakdocumenten
for a document (present by identificatie; ZDS 1.1 lists no hash, so other content is caught
by the "bestaat al" check of a write, not here). After a write that got no answer the target
itself asks is_applied before writing again, so a caller that retries ``apply`` without asking
(not only the engine) never sends the zaak or the document twice.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import date
from typing import Any

from adapters.base import Operation
from adapters.document import DocumentContent, DocumentFields, document_parts
from adapters.errors import (
    AmbiguousWriteError,
    InvalidMessageError,
    PermanentError,
    TargetRejectedError,
)
from adapters.gws4all.outbound import SYSTEM, Gws4allBestaatAlError, Gws4allClient
from stuf import Document, NoValue, Zaak

__all__ = [
    "CREEER_ZAAK_GWS4ALL",
    "VOEG_DOCUMENT_TOE_GWS4ALL",
    "Gws4allTarget",
    "document_from_fields",
    "document_operation",
    "zaak_from_data",
    "zaak_operation",
    "zaak_to_data",
]

CREEER_ZAAK_GWS4ALL = "gws4all.creeer_zaak"
VOEG_DOCUMENT_TOE_GWS4ALL = "gws4all.voeg_zaakdocument_toe"

_TEXT_FIELDS = ("zaaktype_code", "zaaktype_omschrijving", "omschrijving", "toelichting")
_DATE_FIELDS = ("startdatum", "registratiedatum", "einddatum", "einddatum_gepland")


def _plain(value: Any) -> Any:
    if isinstance(value, NoValue):
        return {"noValue": value.value}
    if isinstance(value, date):
        return value.isoformat()
    return value


def _value(raw: Any, *, is_date: bool = False) -> Any:
    if isinstance(raw, Mapping) and "noValue" in raw:
        return NoValue(raw["noValue"])
    if is_date and isinstance(raw, str):
        return date.fromisoformat(raw)
    return raw


def zaak_to_data(zaak: Zaak) -> dict[str, Any]:
    """The Zaak as plain JSON: text as is, dates ISO, a StUF noValue as ``{"noValue": v}``.

    ``initiator_bsn`` is in it (GWS4all needs it): never log the data.
    """
    data: dict[str, Any] = {"identificatie": zaak.identificatie}
    for name in (*_TEXT_FIELDS, *_DATE_FIELDS):
        data[name] = _plain(getattr(zaak, name))
    data["initiator_bsn"] = zaak.initiator_bsn
    return data


def zaak_from_data(data: Mapping[str, Any]) -> Zaak:
    """The Zaak back from :func:`zaak_to_data` (a missing field is None)."""
    identificatie = data.get("identificatie")
    if not isinstance(identificatie, str) or not identificatie:
        raise InvalidMessageError("zaakoperatie zonder identificatie", system=SYSTEM)
    fields: dict[str, Any] = {name: _value(data.get(name)) for name in _TEXT_FIELDS}
    try:
        fields.update({n: _value(data.get(n), is_date=True) for n in _DATE_FIELDS})
    except ValueError as exc:
        raise InvalidMessageError(f"zaak {identificatie}: datum ongeldig", system=SYSTEM) from exc
    return Zaak(identificatie=identificatie, initiator_bsn=data.get("initiator_bsn"), **fields)


def zaak_operation(
    zaak: Zaak,
    *,
    ledger_key: str | None = None,
    ordering_key: str | None = None,
    ordering_value: str | None = None,
) -> Operation:
    """The creeerZaak of ``zaak`` as an Operation (ledger key ``gws4all:zaak:<id>`` unless
    given)."""
    return Operation(
        target_system=SYSTEM,
        name=CREEER_ZAAK_GWS4ALL,
        ledger_key=ledger_key or f"gws4all:zaak:{zaak.identificatie}",
        target_key=zaak.identificatie,
        data=zaak_to_data(zaak),
        ordering_key=ordering_key,
        ordering_value=ordering_value,
    )


def document_operation(
    document: DocumentFields | Mapping[str, Any],
    content: DocumentContent | Mapping[str, Any],
    *,
    ledger_key: str | None = None,
    ordering_key: str | None = None,
    ordering_value: str | None = None,
) -> Operation:
    """The voegZaakdocumentToe of one document as an Operation, in the shared document
    contract (``document`` fields, ``content`` path/sha256/size). Checked here, so a malformed
    one fails in the flow (InvalidMessageError), not at the target; needs a zaak_identificatie.
    """
    if isinstance(document, Mapping):
        document = DocumentFields.from_data(document, SYSTEM)
    if isinstance(content, Mapping):
        content = DocumentContent.from_data(content, SYSTEM)
    if not document.zaak_identificatie:
        raise InvalidMessageError(f"document {document.identificatie} zonder zaak", system=SYSTEM)
    fields = {
        "identificatie": document.identificatie,
        "titel": document.titel,
        "zaak_identificatie": document.zaak_identificatie,
        "documenttype": document.documenttype,
        "bestandsnaam": document.bestandsnaam,
        "formaat": document.formaat,
        "creatiedatum": document.creatiedatum.isoformat() if document.creatiedatum else None,
        "vertrouwelijkheid": document.vertrouwelijkheid,
        "auteur": document.auteur,
        "taal": document.taal,
    }
    return Operation(
        target_system=SYSTEM,
        name=VOEG_DOCUMENT_TOE_GWS4ALL,
        ledger_key=ledger_key or f"gws4all:document:{document.identificatie}",
        target_key=document.identificatie,
        data={
            "document": fields,
            "content": {"path": content.path, "sha256": content.sha256, "size": content.size},
        },
        ordering_key=ordering_key,
        ordering_value=ordering_value,
    )


def document_from_fields(fields: DocumentFields) -> Document:
    """The stuf Document (no inhoud) for voegZaakdocumentToe; vertrouwelijkheid spelled as ZDS
    spells it (``beperkt_openbaar`` -> ``BEPERKT OPENBAAR``), taal ``nld`` unless given."""
    vertrouwelijkheid = fields.vertrouwelijkheid
    if vertrouwelijkheid is not None:
        vertrouwelijkheid = vertrouwelijkheid.upper().replace("_", " ")
    return Document(
        identificatie=fields.identificatie,
        titel=fields.titel,
        zaak_identificatie=fields.zaak_identificatie,
        documenttype_omschrijving=fields.documenttype,
        bestandsnaam=fields.bestandsnaam,
        formaat=fields.formaat,
        creatiedatum=fields.creatiedatum,
        taal=fields.taal or "nld",
        vertrouwelijkheid=vertrouwelijkheid,
        auteur=fields.auteur,
        content_type=fields.formaat,
    )


class Gws4allTarget:
    """Target adapter for the doorgifte to GWS4all (see the module doc)."""

    system = SYSTEM

    def __init__(self, client: Gws4allClient) -> None:
        self.client = client
        self._unanswered: set[str] = set()  # content hashes of writes that got no answer
        self._lock = threading.Lock()

    def apply(self, operation: Operation) -> None:
        if operation.name not in (CREEER_ZAAK_GWS4ALL, VOEG_DOCUMENT_TOE_GWS4ALL):
            raise PermanentError(f"onbekende operatie {operation.name!r}", system=SYSTEM)
        digest = operation.content_hash
        with self._lock:
            unsure = digest in self._unanswered
        if unsure and self.is_applied(operation):  # the write without answer did land
            self._forget(digest)
            return
        try:
            if operation.name == CREEER_ZAAK_GWS4ALL:
                self._creeer_zaak(operation)
            else:
                self._voeg_document_toe(operation)
        except AmbiguousWriteError:
            with self._lock:
                self._unanswered.add(digest)
            raise
        self._forget(digest)

    def _forget(self, digest: str) -> None:
        with self._lock:
            self._unanswered.discard(digest)

    def _creeer_zaak(self, operation: Operation) -> None:
        zaak = zaak_from_data(operation.data)
        try:
            self.client.creeer_zaak(zaak)
        except Gws4allBestaatAlError as error:
            if self.client.geef_zaakdetails(zaak.identificatie) is None:
                raise TargetRejectedError(
                    f"{error} maar geefZaakdetails kent de zaak niet",
                    system=SYSTEM,
                    operation="creeerZaak",
                ) from error
            raise

    def _voeg_document_toe(self, operation: Operation) -> None:
        fields, content = document_parts(operation.data, SYSTEM)
        try:
            self.client.voeg_zaakdocument_toe(document_from_fields(fields), content)
        except Gws4allBestaatAlError as error:
            if error.held_sha256 != content.sha256:
                held = error.held_sha256 or "onbekend"
                raise TargetRejectedError(
                    f"document {fields.identificatie} bestaat al met andere inhoud in GWS4all "
                    f"(sha256 {held}, te leveren {content.sha256})",
                    system=SYSTEM,
                    operation="voegZaakdocumentToe",
                ) from error
            raise

    def is_applied(self, operation: Operation) -> bool:
        """Read-only: does GWS4all hold the zaak, or (by identificatie) the document?"""
        if operation.name == CREEER_ZAAK_GWS4ALL:
            return (
                self.client.geef_zaakdetails(zaak_from_data(operation.data).identificatie)
                is not None
            )
        if operation.name == VOEG_DOCUMENT_TOE_GWS4ALL:
            fields = DocumentFields.from_data(operation.data.get("document"), SYSTEM)
            documenten = self.client.geef_lijst_zaakdocumenten(fields.zaak_identificatie or "")
            return documenten is not None and any(
                doc.identificatie == fields.identificatie for doc in documenten
            )
        return False

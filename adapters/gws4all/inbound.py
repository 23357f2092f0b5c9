"""Turn a StUF ZDS 1.1 message pushed by GWS4all into canonical source records.

Pure: no I/O, no state. The inbox calls :func:`decode` when a message arrives (to answer
with a Fo when it cannot be understood, and to know the zaak it is about) and the zaken flow
calls it again when it drains the inbox, so the stored raw message stays the only truth.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from adapters.base import SourceRecord, content_hash
from adapters.errors import InvalidMessageError
from stuf import (
    ActualiseerZaakstatus,
    CancelCheckout,
    CreeerZaak,
    GeefLijstZaakdocumenten,
    GeefZaakdetails,
    GeefZaakdocumentBewerken,
    GeefZaakdocumentLezen,
    GeefZaakstatus,
    GenereerDocumentIdentificatie,
    GenereerZaakIdentificatie,
    NoValue,
    StufError,
    Systeem,
    UpdateZaak,
    VoegZaakdocumentToe,
    Zaak,
    parse_message,
)
from stuf.model import Document

__all__ = ["SYSTEM", "DecodedMessage", "decode", "document_fields", "document_record"]
__all__ += ["QUESTION_FUNCTIONS", "Question", "records_json", "stored_records", "zaak_fields"]

SYSTEM = "gws4all"

#: The ZDS 1.1 questions GWS4all asks its zaaksysteem: answered at once, never stored. Check-out
#: and cancelCheckout are asked the same way; they change nothing but a check-out record.
Question = (
    GeefZaakdetails
    | GeefZaakstatus
    | GeefLijstZaakdocumenten
    | GeefZaakdocumentLezen
    | GeefZaakdocumentBewerken
    | CancelCheckout
)
QUESTION_FUNCTIONS = {
    GeefZaakdetails: "geefZaakdetails",
    GeefZaakstatus: "geefZaakstatus",
    GeefLijstZaakdocumenten: "geefLijstZaakdocumenten",
    GeefZaakdocumentLezen: "geefZaakdocumentLezen",
    GeefZaakdocumentBewerken: "geefZaakdocumentbewerken",
    CancelCheckout: "cancelCheckout",
}


@dataclass(frozen=True)
class DecodedMessage:
    """What the inbox needs to know of a message, plus the records it carries."""

    function: str
    referentienummer: str | None
    zaak_identificatie: str | None
    records: list[SourceRecord]
    warnings: list[str]
    sender: Systeem | None = None
    #: A question (vraag) to answer synchronously; None for everything that is stored.
    question: Question | None = None


def _plain(value: Any) -> Any:
    """JSON-friendly form: dates as ISO text, StUF noValue markers as ``{"noValue": ...}``."""
    if isinstance(value, NoValue):
        return {"noValue": value.value}
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def zaak_fields(zaak: Zaak) -> dict[str, Any]:
    """The zaak as canonical data (the initiator BSN included: the e-Suite needs it)."""
    return {
        "identificatie": zaak.identificatie,
        "zaaktype_code": _plain(zaak.zaaktype_code),
        "omschrijving": _plain(zaak.omschrijving),
        "toelichting": _plain(zaak.toelichting),
        "startdatum": _plain(zaak.startdatum),
        "registratiedatum": _plain(zaak.registratiedatum),
        "einddatum": _plain(zaak.einddatum),
        "initiator_bsn": zaak.initiator_bsn,
    }


def _text(value: Any) -> str | None:
    """A document field as plain text: a StUF noValue or an empty value is simply unknown."""
    if value is None or isinstance(value, NoValue):
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value) or None


def document_fields(document: Document) -> dict[str, Any]:
    """The fields of a document as the documenten flow carries them (content travels apart)."""
    creatiedatum = document.creatiedatum
    if isinstance(creatiedatum, datetime):
        creatiedatum = creatiedatum.date()
    return {
        "identificatie": document.identificatie,
        "titel": _text(document.titel) or document.identificatie,
        "zaak_identificatie": document.zaak_identificatie,
        "documenttype": _text(document.documenttype_omschrijving),
        "bestandsnaam": document.bestandsnaam,
        "formaat": _text(document.formaat) or document.content_type,
        "creatiedatum": _text(creatiedatum),
        "vertrouwelijkheid": _text(document.vertrouwelijkheid),
        "auteur": _text(document.auteur),
        "taal": _text(document.taal),
    }


def document_record(data: dict[str, Any], payload_ref: str) -> SourceRecord:
    """The source record of a document the inbox received (fields + blob reference).

    The key names the content too (``sha256``): the same document sent again with other
    content is a new version to deliver, the same bytes sent again are in step. A
    metadata-only updateZaakdocument has no content and a key naming its fields.
    """
    document = data["document"]
    content = data.get("content")
    version = str(content["sha256"])[:16] if content else f"meta-{content_hash(document)[:16]}"
    return SourceRecord(
        source_system=SYSTEM,
        key=f"gws4all-doc:{document['identificatie']}:{version}",
        kind="document",
        data=data,
        payload_ref=payload_ref,
    )


def records_json(decoded: DecodedMessage) -> str:
    """The records of a decoded message as the inbox stores them beside the body.

    Why: a message is decoded once, when it arrives (to answer it and to check it); the
    batch that delivers it later reads these records instead of parsing the XML again.
    """
    return json.dumps(
        {
            "records": [
                {
                    "key": r.key,
                    "kind": r.kind,
                    "data": r.data,
                    "ordering_key": r.ordering_key,
                    "ordering_value": r.ordering_value,
                    "warnings": list(r.warnings),
                }
                for r in decoded.records
            ]
        },
        sort_keys=True,
    )


def stored_records(stored: dict[str, Any], payload_ref: str) -> list[SourceRecord]:
    """The records ``records_json`` stored, as the source records ``decode`` gave."""
    return [
        SourceRecord(
            source_system=SYSTEM,
            key=r["key"],
            kind=r["kind"],
            data=r["data"],
            payload_ref=payload_ref,
            ordering_key=r["ordering_key"],
            ordering_value=r["ordering_value"],
            warnings=tuple(r["warnings"]),
        )
        for r in stored["records"]
    ]


def decode(body: bytes, *, soap_action: str | None, payload_ref: str) -> DecodedMessage:
    """Decode one pushed message; raises InvalidMessageError with a readable, BSN-free reason."""
    try:
        message = parse_message(body, soap_action=soap_action)
    except StufError as error:
        raise InvalidMessageError(
            f"StUF-bericht niet te verwerken: {error}", system=SYSTEM, operation="inbox"
        ) from error
    stuurgegevens = getattr(message, "stuurgegevens", None)
    referentie = stuurgegevens.referentienummer if stuurgegevens else None
    warnings = list(message.warnings)
    sender = stuurgegevens.zender if stuurgegevens else None

    def record(kind: str, key: str, data: dict[str, Any], **ordering: str) -> SourceRecord:
        return SourceRecord(
            source_system=SYSTEM,
            key=key,
            kind=kind,
            data=data,
            payload_ref=payload_ref,
            warnings=tuple(warnings),
            **ordering,
        )

    if isinstance(message, GenereerZaakIdentificatie | GenereerDocumentIdentificatie):
        function = (
            "genereerZaakIdentificatie"
            if isinstance(message, GenereerZaakIdentificatie)
            else "genereerDocumentIdentificatie"
        )
        return DecodedMessage(function, referentie, None, [], warnings, sender)
    if isinstance(
        message,
        GeefZaakdetails
        | GeefLijstZaakdocumenten
        | GeefZaakdocumentLezen
        | GeefZaakdocumentBewerken
        | CancelCheckout,
    ):
        about = getattr(message, "zaak_identificatie", None) or None  # "": a selection
        function = QUESTION_FUNCTIONS[type(message)]
        return DecodedMessage(function, referentie, about, [], warnings, sender, message)
    if isinstance(message, CreeerZaak):
        zaak = message.zaak
        data = zaak_fields(zaak)
        return DecodedMessage(
            "creeerZaak",
            referentie,
            zaak.identificatie,
            [record("zaak", f"zaak:{zaak.identificatie}", data)],
            warnings,
            sender,
        )
    if isinstance(message, ActualiseerZaakstatus):
        status = message.wordt
        gezet = _plain(status.datum_status_gezet)
        data = {
            "zaak_identificatie": message.zaak_identificatie,
            "zaaktype_code": _plain(status.zaaktype_code),
            "status_code": _plain(status.statustype_code),
            "volgnummer": status.statustype_volgnummer,
            "datum_status_gezet": gezet,
            "toelichting": _plain(status.toelichting),
        }
        key = f"status:{message.zaak_identificatie}:{data['status_code']}:{gezet}"
        return DecodedMessage(
            "actualiseerZaakstatus",
            referentie,
            message.zaak_identificatie,
            [
                record(
                    "zaakstatus",
                    key,
                    data,
                    ordering_key=f"zaak:{message.zaak_identificatie}",
                    ordering_value=gezet,
                )
            ],
            warnings,
            sender,
        )
    if isinstance(message, UpdateZaak):
        wordt = zaak_fields(message.wordt)
        was = zaak_fields(message.was)
        data = {"identificatie": message.wordt.identificatie, "was": was, "wordt": wordt}
        key = f"zaakupdate:{message.wordt.identificatie}:{content_hash(wordt)[:16]}"
        return DecodedMessage(
            "updateZaak",
            referentie,
            message.wordt.identificatie,
            [record("zaakupdate", key, data)],
            warnings,
            sender,
        )
    if isinstance(message, VoegZaakdocumentToe):
        document = message.document
        return DecodedMessage(
            "voegZaakdocumentToe", referentie, document.zaak_identificatie, [], warnings, sender
        )
    raise InvalidMessageError(
        f"bericht {type(message).__name__} wordt niet van GWS4all verwacht",
        system=SYSTEM,
        operation="inbox",
    )

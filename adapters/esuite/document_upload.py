"""What a document operation delivers to the e-Suite: its data read as a :class:`DocumentUpload`.

The data contract is :mod:`adapters.document`'s; the e-Suite reads it its own way: for
:data:`VOEG_ZAAKDOCUMENT_TOE` titel and zaak_identificatie are required (taal defaults to
``nld``), for :data:`UPDATE_ZAAKDOCUMENT` only the identificatie (a field left out is not
changed), and a vertrouwelijkheid is spelled as ZDS spells it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from adapters.document import UPDATE_ZAAKDOCUMENT, VOEG_ZAAKDOCUMENT_TOE
from adapters.errors import InvalidMessageError, PermanentError
from adapters.esuite.client import SYSTEM
from stuf import Document

__all__ = ["FUNCTIONS", "DocumentUpload", "invalid", "upload_from_data"]

#: The ZDS function each operation is sent as.
FUNCTIONS = {
    VOEG_ZAAKDOCUMENT_TOE: "voegZaakdocumentToe",
    UPDATE_ZAAKDOCUMENT: "updateZaakdocument",
}
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_VERTROUWELIJKHEID = (
    "ZEER GEHEIM",
    "GEHEIM",
    "CONFIDENTIEEL",
    "VERTROUWELIJK",
    "ZAAKVERTROUWELIJK",
    "INTERN",
    "BEPERKT OPENBAAR",
    "OPENBAAR",
)


@dataclass(frozen=True)
class DocumentUpload:
    """What to deliver: the metadata (``inhoud`` None) and where the blob is, with its digest."""

    document: Document
    path: str
    sha256: str
    size: int


def invalid(text: str, operation: str = VOEG_ZAAKDOCUMENT_TOE) -> InvalidMessageError:
    """The operation cannot be sent: a flow bug, a dead letter ``invalid_message``."""
    return InvalidMessageError(
        f"operatie {operation}: {text}", system=SYSTEM, operation=FUNCTIONS[operation]
    )


def _text(
    raw: Mapping[str, Any], key: str, operation: str, *, required: bool = False
) -> str | None:
    value = raw.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise invalid(f"veld {key!r} ontbreekt", operation)
        return None
    if not isinstance(value, str):
        raise invalid(f"veld {key!r} is geen tekst", operation)
    return value.strip()


def _vertrouwelijkheid(value: str | None, operation: str) -> str | None:
    """ZDS spelling (``BEPERKT OPENBAAR``) of a ZDS or ZGW value (``beperkt_openbaar``)."""
    if value is None:
        return None
    spelled = value.upper().replace("_", " ")
    if spelled not in _VERTROUWELIJKHEID:
        raise invalid(f"vertrouwelijkheid {value[:40]!r} is geen ZDS-waarde", operation)
    return spelled


def upload_from_data(
    data: Mapping[str, Any], *, operation: str = VOEG_ZAAKDOCUMENT_TOE
) -> DocumentUpload:
    """The operation's plain-JSON data as a :class:`DocumentUpload`; InvalidMessageError if not.

    For :data:`VOEG_ZAAKDOCUMENT_TOE` the document needs identificatie, titel and
    zaak_identificatie (taal defaults to ``nld``); for :data:`UPDATE_ZAAKDOCUMENT` only the
    identificatie: a field left out is not changed (no default taal either).
    """
    if operation not in FUNCTIONS:
        raise PermanentError(f"onbekende operatie {operation!r}", system=SYSTEM)
    voeg_toe = operation == VOEG_ZAAKDOCUMENT_TOE
    raw_document, content = data.get("document"), data.get("content")
    if not isinstance(raw_document, Mapping) or not isinstance(content, Mapping):
        raise invalid("'document' en 'content' moeten objecten zijn", operation)

    def text(key: str, *, required: bool = False) -> str | None:
        return _text(raw_document, key, operation, required=required)

    creatiedatum = text("creatiedatum") or ""
    try:
        day = date.fromisoformat(creatiedatum) if creatiedatum else None
    except ValueError:
        raise invalid(f"creatiedatum {creatiedatum[:20]!r} is geen JJJJ-MM-DD", operation) from None
    formaat = text("formaat")
    document = Document(
        identificatie=text("identificatie", required=True) or "",
        titel=text("titel", required=voeg_toe),
        zaak_identificatie=text("zaak_identificatie", required=voeg_toe),
        documenttype_omschrijving=text("documenttype"),
        bestandsnaam=text("bestandsnaam"),
        formaat=formaat,
        creatiedatum=day,
        taal=text("taal") or ("nld" if voeg_toe else None),
        vertrouwelijkheid=_vertrouwelijkheid(text("vertrouwelijkheid"), operation),
        auteur=text("auteur"),
        content_type=formaat,
    )
    path = content.get("path")
    sha256 = str(content.get("sha256") or "").lower()
    size = content.get("size")
    if not isinstance(path, str) or not os.path.isabs(path):
        raise invalid("content.path moet een absoluut pad zijn", operation)
    if not _SHA256.match(sha256):
        raise invalid("content.sha256 is geen SHA-256 (64 hexadecimale tekens)", operation)
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise invalid("content.size moet een geheel getal >= 0 zijn", operation)
    return DocumentUpload(document, path, sha256, size)

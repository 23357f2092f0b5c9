"""MyLex as a sync target: archives a document with its MDTO metadata in the old archive.

Writing is idempotent (a put overwrites the same three files, content first, metadata last),
so :meth:`MyLexTarget.apply` simply writes. :meth:`MyLexTarget.is_applied` reads only the small
bestand sidecar at the document's final place: applied when it records the operation's SHA-256
and size and the informatieobject sidecar (written last) is there too; the content is not read.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from adapters.base import Operation
from adapters.document import (
    ARCHIVEER_DOCUMENT,
    CHECKSUM_ATTEMPTS,
    ClientPool,
    DocumentContent,
    DocumentFields,
    document_parts,
    require_archivable,
)
from adapters.errors import ChecksumMismatchError, InvalidMessageError, PermanentError
from adapters.mylex.client import SYSTEM, MyLexClient
from adapters.mylex.config import MyLexConfig
from adapters.mylex.mdto import MdtoMetadata
from adapters.sftp.pinned import safe_name

__all__ = ["ARCHIVEER_DOCUMENT", "DEFAULT_AUTEUR", "MyLexArchivering", "MyLexTarget"]

log = logging.getLogger(__name__)

#: The author recorded in MDTO when the document names none.
DEFAULT_AUTEUR = "Ketenbrug"
_DEFAULT_VERTROUWELIJKHEID = "VERTROUWELIJK"
_TERMIJN = re.compile(r"^P[1-9][0-9]{0,2}Y$")
_CATEGORIE = re.compile(r"^[0-9]{1,2}(\.[0-9]{1,2}){1,3}$")


def _invalid(what: str) -> InvalidMessageError:
    return InvalidMessageError(f"documentoperatie ongeldig: {what}", system=SYSTEM)


def _datum(data: Mapping[str, Any], key: str) -> date | None:
    value = data.get(key)
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise _invalid(f"{key} is geen datum") from None


def _retentie(data: Mapping[str, Any], waardering: str) -> dict[str, Any]:
    """The archiefbeleid fields of the operation (``sync.archiefbeleid.archief_gegevens``),
    checked; absent fields keep MdtoMetadata's defaults, so older operations still apply."""
    fields: dict[str, Any] = {}
    termijn = data.get("bewaartermijn")
    if termijn is not None:
        if waardering == "B":
            raise _invalid("blijvend te bewaren (B) heeft geen bewaartermijn")
        if not isinstance(termijn, str) or not _TERMIJN.match(termijn):
            raise _invalid("bewaartermijn is geen termijn in jaren (zoals P10Y)")
        fields["bewaartermijn"] = termijn
    selectielijst = data.get("selectielijst")
    if selectielijst is not None:
        if not isinstance(selectielijst, dict):
            raise _invalid("selectielijst is geen categorie met omschrijving")
        categorie = selectielijst.get("categorie")
        omschrijving = selectielijst.get("omschrijving") or ""
        if not isinstance(categorie, str) or not _CATEGORIE.match(categorie):
            raise _invalid("selectielijstcategorie is geen categorie als 1.1.4")
        if not isinstance(omschrijving, str) or len(omschrijving) > 500:
            raise _invalid("omschrijving van de selectielijstcategorie ongeldig")
        fields["selectielijst_categorie"] = categorie
        fields["selectielijst_omschrijving"] = omschrijving.strip() or categorie
    zaaktype = data.get("zaaktype")
    if zaaktype is not None:
        if not isinstance(zaaktype, str) or not 0 < len(zaaktype) <= 120:
            raise _invalid("zaaktype ongeldig")
        fields["zaaktype"] = zaaktype
    start, einde = _datum(data, "startdatum_looptijd"), _datum(data, "einde_bewaartermijn")
    if waardering == "V":  # a B has no term, so no start or end of one
        if start and einde and einde < start:
            raise _invalid("einde_bewaartermijn ligt voor de start van de looptijd")
        fields["startdatum_looptijd"], fields["einde_bewaartermijn"] = start, einde
    return fields


@dataclass(frozen=True)
class MyLexArchivering:
    """An ``archiveer_document`` operation, parsed and checked; nothing remote has happened."""

    document: DocumentFields
    content: DocumentContent
    metadata: MdtoMetadata

    @classmethod
    def from_operation(cls, operation: Operation) -> MyLexArchivering:
        """Parse ``operation.data``; unsafe names raise ``UnsafeNameError``, gaps
        :class:`InvalidMessageError` (both permanent), before any connection is made."""
        if operation.name != ARCHIVEER_DOCUMENT:
            raise PermanentError(f"onbekende operatie {operation.name!r}", system=SYSTEM)
        data = operation.data
        document, content = document_parts(data, SYSTEM)
        safe_name(document.identificatie, SYSTEM)
        if document.creatiedatum is None:
            raise InvalidMessageError(
                f"MyLex vereist een creatiedatum voor document {document.identificatie}",
                system=SYSTEM,
            )
        jaar = data.get("jaar")
        if jaar is not None and (
            not isinstance(jaar, int) or isinstance(jaar, bool) or not 1000 <= jaar <= 9999
        ):
            raise _invalid("jaar is geen jaartal")
        waardering = data.get("waardering") or "V"
        if waardering not in ("V", "B"):
            raise _invalid("waardering is geen V of B")
        metadata = MdtoMetadata(
            titel=document.titel,
            zaak_identificatie=document.zaak_identificatie or "",
            creatiedatum=document.creatiedatum,
            auteur=document.auteur or DEFAULT_AUTEUR,
            jaar=jaar,
            waardering=waardering,
            vertrouwelijkheid=document.vertrouwelijkheid or _DEFAULT_VERTROUWELIJKHEID,
            **_retentie(data, waardering),
        )
        safe_name(metadata.folder, SYSTEM)
        return cls(document=document, content=content, metadata=metadata)


class MyLexTarget:
    """Target adapter for MyLex (operation ``archiveer_document``); safe to share by threads."""

    system = SYSTEM

    def __init__(self, config: MyLexConfig, *, checksum_attempts: int = CHECKSUM_ATTEMPTS) -> None:
        self.config = config
        self.checksum_attempts = max(1, checksum_attempts)
        self._clients: ClientPool[MyLexClient] = ClientPool(lambda: MyLexClient(config))

    def close(self) -> None:
        """Close every client's session (they reconnect when used again)."""
        self._clients.close()

    def apply(self, operation: Operation) -> None:
        """Put the document (streamed, SHA-256 checked); a mismatch streams it again, twice.

        Its format is told from the content first, before a client is borrowed: unidentifiable
        content (or a format the archive does not take) is
        :class:`~adapters.document.UnsupportedFormatError`."""
        work = MyLexArchivering.from_operation(operation)
        identificatie = work.document.identificatie
        for attempt in range(1, self.checksum_attempts + 1):
            try:
                with work.content.open(SYSTEM, "put_document") as handle:
                    formaat = require_archivable(handle, work.document, SYSTEM)
                    with self._clients.client() as client:
                        client.put_document(
                            identificatie,
                            handle,
                            work.metadata,
                            work.content.sha256,
                            formaat=formaat,
                        )
                return
            except ChecksumMismatchError:
                if attempt == self.checksum_attempts:
                    raise
                log.warning(
                    "mylex: %s checksum wijkt af van de bron (poging %d van %d), opnieuw",
                    identificatie,
                    attempt,
                    self.checksum_attempts,
                )

    def is_applied(self, operation: Operation) -> bool:
        """The document's metadata at its final place records this content's SHA-256 and size."""
        work = MyLexArchivering.from_operation(operation)
        meta = work.metadata
        with self._clients.client() as client:
            found = client.entry(work.document.identificatie, meta.folder_year, meta.folder)
        return (
            found is not None
            and found.sha256 == work.content.sha256
            and found.size == work.content.size
        )

"""MyLex as a sync target: archives a document with its MDTO metadata in the old archive.

Writing is idempotent (a put overwrites the same three files, content first, metadata last),
so :meth:`MyLexTarget.apply` simply writes. :meth:`MyLexTarget.is_applied` reads only the small
bestand sidecar at the document's final place: applied when it records the operation's SHA-256
and size and the informatieobject sidecar (written last) is there too; the pdf is not read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from adapters.base import Operation
from adapters.document import (
    ARCHIVEER_DOCUMENT,
    CHECKSUM_ATTEMPTS,
    ClientPool,
    DocumentContent,
    DocumentFields,
    document_parts,
    require_pdf,
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


def _invalid(what: str) -> InvalidMessageError:
    return InvalidMessageError(f"documentoperatie ongeldig: {what}", system=SYSTEM)


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
        require_pdf(document, SYSTEM)
        metadata = MdtoMetadata(
            titel=document.titel,
            zaak_identificatie=document.zaak_identificatie or "",
            creatiedatum=document.creatiedatum,
            auteur=document.auteur or DEFAULT_AUTEUR,
            jaar=jaar,
            waardering=waardering,
            vertrouwelijkheid=document.vertrouwelijkheid or _DEFAULT_VERTROUWELIJKHEID,
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
        """Put the document (streamed, SHA-256 checked); a mismatch streams it again, twice."""
        work = MyLexArchivering.from_operation(operation)
        identificatie = work.document.identificatie
        with self._clients.client() as client:
            for attempt in range(1, self.checksum_attempts + 1):
                try:
                    with work.content.open(SYSTEM, "put_document") as handle:
                        client.put_document(
                            identificatie, handle, work.metadata, work.content.sha256
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

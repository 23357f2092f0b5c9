"""The e-Suite as the documenten flow's target: operations :data:`VOEG_ZAAKDOCUMENT_TOE` and
:data:`UPDATE_ZAAKDOCUMENT` delivered (:mod:`adapters.esuite.document_delivery`), and their
effect checked.

A Fo03 "Document ... bestaat al" is :class:`~adapters.errors.AlreadyExistsError` (delivered) when
the e-Suite holds the same bytes, and a :class:`~adapters.errors.TargetRejectedError` when it
holds other bytes. :meth:`EsuiteDocumentTarget.is_applied` is true when the e-Suite holds the
document with the operation's SHA-256 (so an update whose content equals what is stored counts
as applied: the metadata is not compared); it compares SHA-256s through the ZGW listing
(:class:`~adapters.esuite.archive.EsuiteArchive`), downloading only when the archive gives none.
"""

from __future__ import annotations

from adapters.base import Operation
from adapters.document import UPDATE_ZAAKDOCUMENT, VOEG_ZAAKDOCUMENT_TOE
from adapters.errors import AlreadyExistsError, PermanentError, TargetRejectedError
from adapters.esuite.archive import EsuiteArchive
from adapters.esuite.client import SYSTEM, EsuiteClient
from adapters.esuite.document_delivery import EsuiteDocumentDelivery
from adapters.esuite.document_reading import EsuiteDocumentInfo, ReadDocument
from adapters.esuite.document_upload import FUNCTIONS, upload_from_data
from stuf.stream import Writable

__all__ = ["EsuiteDocumentTarget"]


class EsuiteDocumentTarget:
    """Target adapter for documents in the e-Suite (operations :data:`VOEG_ZAAKDOCUMENT_TOE`
    and :data:`UPDATE_ZAAKDOCUMENT`)."""

    system = SYSTEM

    def __init__(
        self,
        client: EsuiteClient,
        archive: EsuiteArchive | None = None,
        *,
        retry_delay_s: float = 0.2,
    ) -> None:
        self.client = client
        self.documents = EsuiteDocumentDelivery(client, retry_delay_s=retry_delay_s)
        self.archive = archive if archive is not None else EsuiteArchive(client.config, client)

    def apply(self, operation: Operation) -> None:
        if operation.name == UPDATE_ZAAKDOCUMENT:
            self.documents.update(upload_from_data(operation.data, operation=UPDATE_ZAAKDOCUMENT))
            return
        if operation.name != VOEG_ZAAKDOCUMENT_TOE:
            raise PermanentError(f"onbekende operatie {operation.name!r}", system=SYSTEM)
        upload = upload_from_data(operation.data)
        try:
            self.documents.voeg_toe(upload)
        except AlreadyExistsError as error:
            stored = self.documents.stored_sha256(upload.document.identificatie, self.archive)
            if stored is not None and stored != upload.sha256:
                raise TargetRejectedError(
                    f"document {upload.document.identificatie} bestaat al in de e-Suite met "
                    f"andere inhoud (sha256 {stored}, te leveren {upload.sha256})",
                    system=SYSTEM,
                    operation=FUNCTIONS[VOEG_ZAAKDOCUMENT_TOE],
                ) from error
            raise

    # the reader, for sources and reconciliation that hold a target
    def list_documents(self, zaak_identificatie: str) -> list[EsuiteDocumentInfo]:
        """See :meth:`EsuiteDocuments.list_documents`."""
        return self.documents.list_documents(zaak_identificatie)

    def read_document(self, identificatie: str, sink: Writable) -> ReadDocument:
        """See :meth:`EsuiteDocuments.read_document`."""
        return self.documents.read_document(identificatie, sink)

    def is_applied(self, operation: Operation) -> bool:
        """Does the e-Suite hold this document with the operation's SHA-256? (For an update:
        with the new version's; the metadata is not compared.)"""
        if operation.name not in FUNCTIONS:
            return False
        upload = upload_from_data(operation.data, operation=operation.name)
        stored = self.documents.stored_sha256(upload.document.identificatie, self.archive)
        return stored == upload.sha256

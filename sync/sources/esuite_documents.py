"""Documents added in the e-Suite itself (by a consulent, through MijnLoket) as a source.

The e-Suite offers no "changed since" query over StUF, so the source walks the zaken the
identity map knows in the e-Suite, in key order, and asks each for its documents
(geefLijstZaakdocumenten). A document the identity map already knows came from Ketenbrug or
was taken before and is skipped without being downloaded; a new one is read with
geefZaakdocumentLezen, streamed into the blob store (hashed on the way), and becomes a record
for Xtendis and MyLex. The cursor is the last zaak walked; a run walks all zaken once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, BinaryIO, Protocol, cast

from sqlalchemy import select

from adapters.base import RecordError, SourceBatch, SourceRecord
from adapters.errors import PermanentError
from adapters.esuite.client import SYSTEM as ESUITE
from adapters.gws4all.inbound import document_fields
from privacy.masking import mask_text
from sync.blobs import BlobRef, BlobStore
from sync.engine import RetryPolicy
from sync.store.db import Store
from sync.store.models import IdentityLink

__all__ = ["DocumentReader", "EsuiteDocumentSource", "download_document"]

log = logging.getLogger(__name__)

ZAKEN_PER_QUERY = 200


class DocumentReader(Protocol):
    """What the source needs of the e-Suite (``adapters.esuite.documents``)."""

    def list_documents(self, zaak_identificatie: str) -> list[Any]: ...

    def read_document(self, identificatie: str, sink: BinaryIO) -> tuple[Any, str, int]: ...


def download_document(
    reader: DocumentReader, blobs: BlobStore, identificatie: str
) -> tuple[Any, BlobRef]:
    """One attempt: the document streamed into a fresh blob (a failed try leaves none)."""
    with blobs.writer() as sink:
        document, _sha, _size = reader.read_document(identificatie, cast(BinaryIO, sink))
    assert sink.ref is not None
    return document, sink.ref


class EsuiteDocumentSource:
    """Yields documents found in the e-Suite that Ketenbrug has not taken yet."""

    system = ESUITE

    def __init__(
        self,
        store: Store,
        reader: DocumentReader,
        blobs: BlobStore,
        *,
        known: Callable[[str], bool] | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.store = store
        self.reader = reader
        self.blobs = blobs
        self._known = known or self._in_identity_map
        # A walk makes one call per zaak: a passing 503 must not fail the whole task.
        self.retry = retry or RetryPolicy()

    def _in_identity_map(self, identificatie: str) -> bool:
        with self.store.session() as session:
            return (
                session.scalar(
                    select(IdentityLink.id).where(
                        IdentityLink.entity_type == "document",
                        IdentityLink.system == ESUITE,
                        IdentityLink.key == identificatie,
                    )
                )
                is not None
            )

    def _zaken_after(self, cursor: str | None) -> list[str]:
        query = select(IdentityLink.key).where(
            IdentityLink.entity_type == "zaak", IdentityLink.system == ESUITE
        )
        if cursor is not None:
            query = query.where(IdentityLink.key > cursor)
        with self.store.session() as session:
            return list(session.scalars(query.order_by(IdentityLink.key).limit(ZAKEN_PER_QUERY)))

    def read_batch(self, cursor: str | None, limit: int) -> SourceBatch | None:
        records: list[SourceRecord | RecordError] = []
        last = cursor
        walked = False
        while len(records) < limit:
            zaken = self._zaken_after(last)
            if not zaken:
                break
            for zaak in zaken:
                records.extend(self._new_documents(zaak))
                last, walked = zaak, True
                if len(records) >= limit:
                    break
        if not walked:
            return None
        return SourceBatch(records=records, cursor_after=last, ref=f"esuite:zaken-tot:{last}")

    def _new_documents(self, zaak: str) -> list[SourceRecord | RecordError]:
        found: list[SourceRecord | RecordError] = []
        try:
            listed = self.retry.retrying()(self.reader.list_documents, zaak)
        except PermanentError as error:  # e.g. a zaak linked but never created (dead letter)
            # a Fo text from the e-Suite is free text: it may quote a BSN
            log.info(
                "e-Suite: documenten van zaak %s niet op te vragen: %s", zaak, mask_text(str(error))
            )
            return found
        for info in listed:
            identificatie = str(info.identificatie)
            if self._known(identificatie):
                continue
            ref = f"esuite:document:{identificatie}"
            try:
                document, blob = self.retry.retrying()(self._download, identificatie)
            except PermanentError as error:
                found.append(RecordError(ESUITE, f"esuite-doc:{identificatie}", ref, error))
                continue
            fields = document_fields(document)
            fields["zaak_identificatie"] = fields.get("zaak_identificatie") or zaak
            found.append(
                SourceRecord(
                    source_system=ESUITE,
                    key=f"esuite-doc:{identificatie}:{blob.sha256[:16]}",
                    kind="document",
                    data={"document": fields, "content": blob.as_content()},
                    payload_ref=ref,
                )
            )
        return found

    def _download(self, identificatie: str) -> tuple[Any, BlobRef]:
        return download_document(self.reader, self.blobs, identificatie)

    def after_commit(self, batch: SourceBatch) -> None:
        """Nothing to acknowledge: the identity map now knows the documents taken."""

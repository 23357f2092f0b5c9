"""Documents added in the e-Suite itself (by a consulent, through MijnLoket) as a source.

The e-Suite offers no "changed since" query over StUF. Two ways to find what is new:

* **the ronde** (a walk): every zaak the identity map knows in the e-Suite, in key order, is
  asked for its documents (geefLijstZaakdocumenten);
* **the notificaties** (:mod:`sync.notificaties`): the e-Suite posts a ZGW notificatie when a
  zaak gets a document; the source asks only the zaken named since its cursor. A quiet night
  costs one query and no call to the e-Suite.

Without notificaties every run walks. With them (``EsuiteConfig.documenten_notificaties``) a
ronde runs once every ``documenten_ronde_dagen`` days, to find what a lost notificatie did not
tell, and hands over to the notificaties stored before it began.

Either way, a document the identity map already knows came from Ketenbrug or was taken before
and is skipped without being downloaded; a new one is read with geefZaakdocumentLezen,
streamed into the blob store (hashed on the way), and becomes a record for Xtendis and MyLex.

The cursor (kept by the engine, advanced in the batch's commit) says where the source is:
``ronde:<notificatie id>:<day begun>:<last zaak walked>`` during a walk,
``notificaties:<last notificatie read>:<day the last ronde began>`` between walks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, BinaryIO, Protocol, cast

from sqlalchemy import select

from adapters.base import RecordError, SourceBatch, SourceRecord
from adapters.errors import PermanentError
from adapters.esuite.client import SYSTEM as ESUITE
from adapters.gws4all.inbound import document_fields
from privacy.masking import mask_text
from sync.blobs import BlobRef, BlobStore
from sync.engine import RetryPolicy
from sync.notificaties import last_notificatie, notified_after
from sync.store.db import Store
from sync.store.models import IdentityLink

__all__ = [
    "DocumentReader",
    "EsuiteDocumentSource",
    "SourcePosition",
    "ZaakUrls",
    "download_document",
]

log = logging.getLogger(__name__)

ZAKEN_PER_QUERY = 200
NOTIFICATIES_PER_QUERY = 200


class DocumentReader(Protocol):
    """What the source needs of the e-Suite (``adapters.esuite.documents``)."""

    def list_documents(self, zaak_identificatie: str) -> list[Any]: ...

    def read_document(self, identificatie: str, sink: BinaryIO) -> tuple[Any, str, int]: ...


class ZaakUrls(Protocol):
    """Which zaak a notificatie's ``hoofdObject`` names (``adapters.esuite.zaak_lijst``)."""

    def identificatie_van(self, url: str) -> str | None: ...


@dataclass(frozen=True)
class SourcePosition:
    """Where the source is: in a ronde (``walking``) or reading notificaties after one.

    ``notificatie`` is the last notificatie read, or during a ronde the newest one stored when
    it began (those after it are read when it ends); ``ronde_begun`` the day the last ronde
    began; ``zaak`` the last zaak a ronde walked.
    """

    walking: bool
    notificatie: int
    ronde_begun: date
    zaak: str | None = None

    def dump(self) -> str:
        if self.walking:
            return f"ronde:{self.notificatie}:{self.ronde_begun.isoformat()}:{self.zaak or ''}"
        return f"notificaties:{self.notificatie}:{self.ronde_begun.isoformat()}"

    @classmethod
    def parse(cls, cursor: str | None) -> SourcePosition | None:
        """The position a cursor names; None for none (or one this version did not write)."""
        if not cursor:
            return None
        kind, _, rest = cursor.partition(":")
        try:
            if kind == "ronde":
                number, day, zaak = rest.split(":", 2)
                return cls(True, int(number), date.fromisoformat(day), zaak or None)
            if kind == "notificaties":
                number, day = rest.split(":", 1)
                return cls(False, int(number), date.fromisoformat(day))
        except ValueError:
            pass
        log.warning("e-Suite documenten: onbekende cursor, een nieuwe ronde begint")
        return None


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
        zaken: ZaakUrls | None = None,
        ronde_dagen: int = 7,
        today: Callable[[], date] | None = None,
        known: Callable[[str], bool] | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        """``zaken`` given: the e-Suite sends notificaties, a ronde runs every ``ronde_dagen``
        days; None: every run walks all zaken."""
        self.store = store
        self.reader = reader
        self.blobs = blobs
        self.zaken = zaken
        self.ronde_dagen = ronde_dagen
        self._today = today or (lambda: datetime.now(UTC).date())
        self._known = known or self._in_identity_map
        # A walk makes one call per zaak: a passing 503 must not fail the whole task.
        self.retry = retry or RetryPolicy()
        self._walked_this_run = False
        self._zaak_by_url: dict[str, str | None] = {}

    def _in_identity_map(self, identificatie: str) -> bool:
        return self._linked("document", identificatie)

    def _linked(self, entity_type: str, key: str) -> bool:
        with self.store.session() as session:
            return (
                session.scalar(
                    select(IdentityLink.id).where(
                        IdentityLink.entity_type == entity_type,
                        IdentityLink.system == ESUITE,
                        IdentityLink.key == key,
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
        position = SourcePosition.parse(cursor)
        if position is not None and position.walking:
            return self._walk(position, limit)  # a ronde not finished: on where it stopped
        if position is None or self._ronde_due(position):
            with self.store.session() as session:
                newest = last_notificatie(session, ESUITE)
            return self._walk(SourcePosition(True, newest, self._today()), limit)
        if self.zaken is None:
            return None
        return self._notified(position, limit)

    def _ronde_due(self, position: SourcePosition) -> bool:
        if self._walked_this_run:
            return False  # one ronde per run, even when it ended today
        if self.zaken is None:
            return True  # no notificaties: every run walks
        return (self._today() - position.ronde_begun).days >= self.ronde_dagen

    def _walk(self, position: SourcePosition, limit: int) -> SourceBatch:
        """The next zaken of a ronde; the batch ending it hands over to the notificaties."""
        self._walked_this_run = True
        records: list[SourceRecord | RecordError] = []
        last = position.zaak
        ended = False
        while len(records) < limit:
            zaken = self._zaken_after(last)
            if not zaken:
                ended = True
                break
            for zaak in zaken:
                records.extend(self._new_documents(zaak))
                last = zaak
                if len(records) >= limit:
                    break
        after = (
            replace(position, walking=False, zaak=None) if ended else replace(position, zaak=last)
        )
        return SourceBatch(
            records=records, cursor_after=after.dump(), ref=f"esuite:zaken-tot:{last or ''}"
        )

    def _notified(self, position: SourcePosition, limit: int) -> SourceBatch | None:
        """The documents of the zaken named by the notificaties after the cursor."""
        records: list[SourceRecord | RecordError] = []
        read = position.notificatie
        asked: set[str] = set()  # a zaak named twice is asked once: its documents come once
        while len(records) < limit:
            with self.store.session() as session:
                notified = notified_after(session, ESUITE, read, NOTIFICATIES_PER_QUERY)
            if not notified:
                break
            for notificatie in notified:
                zaak = self._zaak_named(notificatie.hoofd_object)
                if zaak is not None and zaak not in asked:
                    asked.add(zaak)
                    records.extend(self._new_documents(zaak))
                read = notificatie.id
                if len(records) >= limit:
                    break
        if read == position.notificatie:
            return None  # a quiet night: nothing notified, nothing asked
        after = replace(position, notificatie=read)
        return SourceBatch(
            records=records, cursor_after=after.dump(), ref=f"esuite:notificaties-tot:{read}"
        )

    def _zaak_named(self, url: str) -> str | None:
        """The zaak a notificatie names, if Ketenbrug knows it (as a ronde would walk it)."""
        assert self.zaken is not None
        if url not in self._zaak_by_url:
            self._zaak_by_url[url] = self._resolve(self.zaken, url)
        return self._zaak_by_url[url]

    def _resolve(self, zaken: ZaakUrls, url: str) -> str | None:
        try:
            identificatie = self.retry.retrying()(zaken.identificatie_van, url)
        except PermanentError as error:
            log.warning("e-Suite: notificatie overgeslagen: %s", mask_text(str(error)))
            return None
        if identificatie is None:
            log.info("e-Suite: genotificeerde zaak bestaat niet meer, overgeslagen")
            return None
        if not self._linked("zaak", identificatie):
            log.info("e-Suite: zaak %s niet bij Ketenbrug bekend, overgeslagen", identificatie)
            return None
        return identificatie

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

    def close(self) -> None:
        close = getattr(self.zaken, "close", None)
        if close is not None:
            close()

"""The durable StUF inbox: GWS4all pushes ZDS 1.1 messages here, as to a zaak/document component.

Every message is committed to the state store *before* the answer goes back, so an answer
Bv03 means "Ketenbrug has it". A message that cannot be understood is stored too (state
``dead``, with a dead letter giving the reason) and answered with a Fo fault. Exact duplicate
pushes (same bytes) are stored once and answered Bv03 again.

The zaken flow drains the inbox through :class:`InboxSource`, which claims work in batches per
partition (a stable hash of the zaak), so the statuses of one zaak are always handled by one
task, in order.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import zlib
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import IO, Any, BinaryIO, cast

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from adapters.base import RecordError, SourceBatch, SourceRecord
from adapters.errors import InvalidMessageError
from adapters.gws4all import inbound
from stuf import (
    Bevestiging,
    DocumentIdentificatieAntwoord,
    Fout,
    StufError,
    Systeem,
    ZaakIdentificatieAntwoord,
    ZdsVersion,
    build_fault,
    build_message,
    new_stuurgegevens,
)
from stuf.privacy import mask_text
from stuf.stream import stream_document_lk01
from sync.blobs import BlobStore
from sync.config import load_settings
from sync.deadletters import record_dead_letter
from sync.identity import IdentityMap
from sync.store.db import Store
from sync.store.models import (
    BatchState,
    DeadLetter,
    DocumentZaak,
    InboxMessage,
    InboxState,
    Numbering,
    WorkBatch,
    utcnow,
)

__all__ = ["KETENBRUG_SYSTEEM", "Inbox", "InboxAnswer", "InboxSource", "partition_hash"]

log = logging.getLogger(__name__)

KETENBRUG_SYSTEEM = Systeem(organisatie="1900", applicatie="CDR")
UNKNOWN_SENDER = Systeem(organisatie=None, applicatie="ONBEKEND")
ZAAK_NUMBER_PREFIX = "1900KB"
_REFERENTIE = re.compile(rb"referentienummer>\s*([^<\s]{1,40})\s*<")


def _referentie_in(body: bytes) -> str | None:
    """The sender's referentienummer from a message too broken to parse, for crossRefnummer."""
    found = _REFERENTIE.search(body[:16384])
    return found.group(1).decode("utf-8", "replace") if found else None


DOCUMENT_NUMBER_PREFIX = "1900KBD"
DOCUMENT_FUNCTIONS = ("voegZaakdocumentToe", "updateZaakdocument")
# A document message (voegZaakdocumentToe: edcLk01, updateZaakdocument: edcLk02) is recognised
# near the top; it is then parsed streaming, its content going straight to the blob store.
_DOCUMENT_MARKER = re.compile(rb"edcLk0[12]")
_SNIFF = 65536
# Other messages are small; one bigger than this is refused rather than read into memory.
MAX_MESSAGE_BYTES = 32 * 1024 * 1024


def partition_hash(key: str | None) -> int:
    """Stable, non-negative 31-bit hash: ``partition_hash(key) % n`` picks the partition."""
    return zlib.crc32((key or "").encode("utf-8")) & 0x7FFFFFFF


@dataclass(frozen=True)
class InboxAnswer:
    """HTTP status and SOAP body to send back to the pusher."""

    status: int
    body: bytes
    message_id: int | None = None


class Inbox:
    """Receives pushed StUF messages for one source system and stores them durably."""

    def __init__(
        self,
        store: Store,
        *,
        source_system: str = inbound.SYSTEM,
        blobs: BlobStore | None = None,
    ) -> None:
        self.store = store
        self.source_system = source_system
        self.blobs = blobs or BlobStore(load_settings().home / "blobs")

    def receive(self, body: bytes, soap_action: str | None) -> InboxAnswer:
        """Receive a message held in memory (small messages, tests)."""
        return self.receive_file(io.BytesIO(body), hashlib.sha256(body).hexdigest(), soap_action)

    def receive_file(self, body: IO[bytes], digest: str, soap_action: str | None) -> InboxAnswer:
        """Receive a message spooled to ``body`` (seekable); ``digest`` is its SHA-256.

        A document (edcLk01) is parsed streaming: its ``inhoud`` is decoded into the blob store
        and only its fields and the blob reference are stored, so a document of hundreds of MB
        never sits in memory or in the database. Anything else is read and handled whole.
        """
        head = body.read(_SNIFF)
        body.seek(0)
        if _DOCUMENT_MARKER.search(head):
            return self._receive_document(body, digest, soap_action)
        data = body.read(MAX_MESSAGE_BYTES + 1)
        if len(data) > MAX_MESSAGE_BYTES:
            too_big = InvalidMessageError(
                f"bericht groter dan {MAX_MESSAGE_BYTES // (1024 * 1024)} MB en geen document",
                system=self.source_system,
                operation="inbox",
            )
            return self._refuse(data[:_SNIFF], digest, soap_action, too_big, keep=False)
        return self._receive_whole(data, digest, soap_action)

    def _receive_whole(self, body: bytes, digest: str, soap_action: str | None) -> InboxAnswer:
        try:
            decoded = inbound.decode(body, soap_action=soap_action, payload_ref="inbox:new")
        except InvalidMessageError as error:
            return self._refuse(body, digest, soap_action, error)
        sender = decoded.sender
        if decoded.function in ("genereerZaakIdentificatie", "genereerDocumentIdentificatie"):
            return self._generate(decoded.function, sender, decoded.referentienummer)
        message_id = self._store(body, digest, soap_action, decoded)
        return self._bv03(sender, decoded.referentienummer, message_id)

    def _receive_document(
        self, body: IO[bytes], digest: str, soap_action: str | None
    ) -> InboxAnswer:
        try:
            with self.blobs.writer() as sink:
                streamed = stream_document_lk01(body, sink)
        except StufError as error:
            body.seek(0)
            if error.code == "StUF040":  # another edcLk message: small, handled whole
                return self._receive_whole(body.read(MAX_MESSAGE_BYTES), digest, soap_action)
            refused = InvalidMessageError(
                f"StUF-bericht niet te verwerken: {error}", system=self.source_system
            )
            head = body.read(_SNIFF)
            body.seek(0)
            raw = self.blobs.put_stream(
                cast(BinaryIO, body)
            )  # keep what was sent, outside the database
            return self._refuse(
                head, digest, soap_action, refused, keep=False, raw_blob=str(raw.path)
            )
        assert sink.ref is not None
        message = streamed.message
        document = streamed.document
        sg = message.stuurgegevens
        fields = inbound.document_fields(document)
        fields["zaak_identificatie"] = self._zaak_of(fields)
        record = {
            "document": fields,
            # a metadata-only update has no content: nothing to archive again
            "content": sink.ref.as_content() if streamed.has_content else None,
            "functie": streamed.function,
        }
        row = InboxMessage(
            source_system=self.source_system,
            soap_action=soap_action,
            function=streamed.function,
            referentienummer=(sg.referentienummer or "")[:250] or None,
            ordering_key=fields["zaak_identificatie"],
            partition=partition_hash(fields["zaak_identificatie"]),
            content_hash=digest,
            body=None,
            record_json=json.dumps(record, sort_keys=True),
        )
        message_id = self._insert_once(row)
        return self._bv03(sg.zender, sg.referentienummer, message_id)

    def _zaak_of(self, fields: dict[str, Any]) -> str | None:
        """The document's zaak: from the message (remembered), else as its first message said.

        An updateZaakdocument names the document only; knowing its zaak puts it in the same
        partition as the voegZaakdocumentToe (so after it) and gives Xtendis and MyLex the zaak.
        """
        key = (self.source_system, str(fields["identificatie"]))
        zaak = fields.get("zaak_identificatie")
        with self.store.session() as session:
            if not zaak:
                known = session.get(DocumentZaak, key)
                return known.zaak_identificatie if known is not None else None
            dialect = session.get_bind().dialect.name
            insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
            values = {"source_system": key[0], "identificatie": key[1], "zaak_identificatie": zaak}
            session.execute(  # concurrent pushes of one document must not collide
                insert(DocumentZaak)
                .values(**values, updated_at=utcnow())
                .on_conflict_do_update(
                    index_elements=["source_system", "identificatie"],
                    set_={"zaak_identificatie": zaak, "updated_at": utcnow()},
                )
            )
        return str(zaak)

    def _bv03(
        self, sender: Systeem | None, referentienummer: str | None, message_id: int
    ) -> InboxAnswer:
        stuurgegevens = new_stuurgegevens(
            "Bv03",
            KETENBRUG_SYSTEEM,
            sender or Systeem(organisatie="1900", applicatie="GWS4all"),
            cross_refnummer=referentienummer,
        )
        answer = Bevestiging(berichtcode="Bv03", stuurgegevens=stuurgegevens)
        return InboxAnswer(200, build_message(answer, ZdsVersion.V1_1), message_id)

    def _refuse(
        self,
        body: bytes,
        digest: str,
        soap_action: str | None,
        error: InvalidMessageError,
        *,
        keep: bool = True,
        raw_blob: str | None = None,
    ) -> InboxAnswer:
        """Store a message that cannot be understood (dead letter) and answer Fo01."""
        message_id = self._store_dead(
            body if keep else None, digest, soap_action, error, raw_blob=raw_blob
        )
        fout = Fout(
            berichtcode="Fo01",
            code="StUF055",
            plek="client",
            omschrijving=mask_text(str(error))[:200],
            stuurgegevens=new_stuurgegevens(
                "Fo01",
                KETENBRUG_SYSTEEM,
                UNKNOWN_SENDER,
                cross_refnummer=_referentie_in(body) or "onbekend",
            ),
        )
        log.warning("inbox refused message %s: %s", message_id, mask_text(str(error)))
        return InboxAnswer(500, build_fault(fout, ZdsVersion.V1_1), message_id)

    # -- storing --------------------------------------------------------------------------
    def _store(
        self, body: bytes, digest: str, soap_action: str | None, decoded: inbound.DecodedMessage
    ) -> int:
        row = InboxMessage(
            source_system=self.source_system,
            soap_action=soap_action,
            function=decoded.function,
            referentienummer=(decoded.referentienummer or "")[:250] or None,
            ordering_key=decoded.zaak_identificatie,
            partition=partition_hash(decoded.zaak_identificatie),
            content_hash=digest,
            body=body,
        )
        return self._insert_once(row)

    def _store_dead(
        self,
        body: bytes | None,
        digest: str,
        soap_action: str | None,
        error: InvalidMessageError,
        *,
        raw_blob: str | None = None,
    ) -> int:
        row = InboxMessage(
            source_system=self.source_system,
            soap_action=soap_action,
            function=None,
            content_hash=digest,
            body=body,
            record_json=json.dumps({"raw_blob": raw_blob}) if raw_blob else None,
            state=InboxState.DEAD,
        )
        message_id = self._insert_once(row)
        with self.store.session() as session:
            record_dead_letter(
                session,
                flow="zaken",
                source_system=self.source_system,
                source_key=f"inbox:{message_id}",
                reason=error.reason,
                message=str(error),
                payload_ref=f"inbox:{message_id}",
            )
        return message_id

    def _insert_once(self, row: InboxMessage) -> int:
        """Insert, or return the id of the identical message stored before."""
        try:
            with self.store.session() as session:
                session.add(row)
                session.flush()
                return row.id
        except IntegrityError:
            with self.store.session() as session:
                existing = session.scalar(
                    select(InboxMessage.id).where(
                        InboxMessage.source_system == row.source_system,
                        InboxMessage.content_hash == row.content_hash,
                    )
                )
            if existing is None:
                raise
            return existing

    # -- answers ------------------------------------------------------------------------
    def _generate(
        self, function: str, sender: Systeem | None, referentie: str | None
    ) -> InboxAnswer:
        is_zaak = function == "genereerZaakIdentificatie"
        name, prefix = (
            ("zaak", ZAAK_NUMBER_PREFIX) if is_zaak else ("document", DOCUMENT_NUMBER_PREFIX)
        )
        with self.store.session() as session:
            number = next_number(session, name)
            identificatie = f"{prefix}{number:010d}"
            IdentityMap(session).register(name, "ketenbrug", identificatie)
        stuurgegevens = new_stuurgegevens(
            "Du02",
            KETENBRUG_SYSTEEM,
            sender or Systeem(organisatie="1900", applicatie="GWS4all"),
            functie=function,
            cross_refnummer=referentie,
        )
        answer: ZaakIdentificatieAntwoord | DocumentIdentificatieAntwoord
        if is_zaak:
            answer = ZaakIdentificatieAntwoord(stuurgegevens, identificatie=identificatie)
        else:
            answer = DocumentIdentificatieAntwoord(stuurgegevens, identificatie=identificatie)
        return InboxAnswer(200, build_message(answer, ZdsVersion.V1_1))


def next_number(session: Session, name: str) -> int:
    """Next value of a named counter: one atomic UPDATE ... RETURNING, so two senders never
    get one number (on PostgreSQL and on SQLite alike)."""
    bump = (
        update(Numbering)
        .where(Numbering.name == name)
        .values(last_value=Numbering.last_value + 1)
        .returning(Numbering.last_value)
    )
    value = session.execute(bump).scalar()
    if value is None:
        dialect = session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        session.execute(insert(Numbering).values(name=name, last_value=0).on_conflict_do_nothing())
        value = session.execute(bump).scalar_one()
    return int(value)


class InboxSource:
    """The inbox as a source for one flow: claims batches of one partition, oldest first."""

    def __init__(
        self,
        store: Store,
        *,
        flow: str,
        functions: Iterable[str],
        partition: int,
        partitions: int,
        source_system: str = inbound.SYSTEM,
    ) -> None:
        self.store = store
        self.flow = flow
        self.functions = tuple(functions)
        self.partition = partition
        self.partitions = partitions
        self.system = source_system

    def claim(self, limit: int) -> int | None:
        """The open batch of this partition (left by a crashed run), else a new one, else None."""
        with self.store.session() as session:
            open_batch = session.scalar(
                select(WorkBatch.id)
                .where(
                    WorkBatch.flow == self.flow,
                    WorkBatch.source_system == self.system,
                    WorkBatch.partition == self.partition,
                    WorkBatch.state == BatchState.OPEN,
                )
                .order_by(WorkBatch.id)
                .limit(1)
            )
            if open_batch is not None:
                return open_batch
            ids = list(
                session.scalars(
                    select(InboxMessage.id)
                    .where(
                        InboxMessage.source_system == self.system,
                        InboxMessage.state == InboxState.RECEIVED,
                        InboxMessage.batch_id.is_(None),
                        InboxMessage.function.in_(self.functions),
                        InboxMessage.partition % self.partitions == self.partition,
                    )
                    .order_by(InboxMessage.id)
                    .limit(limit)
                )
            )
            if not ids:
                return None
            batch = WorkBatch(
                flow=self.flow,
                source_system=self.system,
                partition=self.partition,
                size=len(ids),
                cursor_after=str(ids[-1]),
            )
            session.add(batch)
            session.flush()
            # Only messages still unclaimed: a concurrent claimer cannot take them twice.
            session.execute(
                update(InboxMessage)
                .where(InboxMessage.id.in_(ids), InboxMessage.batch_id.is_(None))
                .values(batch_id=batch.id)
            )
            return batch.id

    def load(self, batch_id: int) -> SourceBatch:
        """Decode the messages of a claimed batch into records (or record errors)."""
        records: list[SourceRecord | RecordError] = []
        with self.store.session() as session:
            rows = session.execute(
                select(
                    InboxMessage.id,
                    InboxMessage.body,
                    InboxMessage.soap_action,
                    InboxMessage.record_json,
                )
                .where(InboxMessage.batch_id == batch_id, InboxMessage.state == InboxState.RECEIVED)
                .order_by(InboxMessage.id)
            ).all()
        for message_id, body, soap_action, record_json in rows:
            ref = f"inbox:{message_id}"
            if record_json is not None:  # a document, decoded when it was received
                records.append(inbound.document_record(json.loads(record_json), ref))
                continue
            try:
                decoded = inbound.decode(body or b"", soap_action=soap_action, payload_ref=ref)
            except InvalidMessageError as error:
                records.append(RecordError(self.system, ref, ref, error))
                continue
            records.extend(decoded.records)
        return SourceBatch(records=records, ref=f"batch:{batch_id}", context={"batch_id": batch_id})

    def records_for(self, letter: DeadLetter) -> list[SourceRecord | RecordError]:
        """The records of the inbox message a dead letter points at (for a resend)."""
        ref = letter.payload_ref or ""
        if not ref.startswith("inbox:"):
            return []
        with self.store.session() as session:
            row = session.get(InboxMessage, int(ref.removeprefix("inbox:")))
            if row is None:
                return []
            if row.record_json is not None and row.function in DOCUMENT_FUNCTIONS:
                return [inbound.document_record(json.loads(row.record_json), ref)]
            body, soap_action = row.body or b"", row.soap_action
        try:
            return list(inbound.decode(body, soap_action=soap_action, payload_ref=ref).records)
        except InvalidMessageError as error:
            return [RecordError(self.system, ref, ref, error)]

    def acknowledge(
        self,
        session: Session,
        batch_id: int,
        dead_refs: Collection[str],
        deferred_refs: Collection[str] = (),
    ) -> None:
        """Inside the engine's outcome transaction: mark messages handled, close the batch.

        Deferred messages go back to the pool (no batch), to be claimed again, in order.
        """
        now = utcnow()
        if deferred_refs:
            session.execute(
                update(InboxMessage)
                .where(InboxMessage.id.in_([_inbox_id(ref) for ref in deferred_refs]))
                .values(batch_id=None)
            )
        session.execute(
            update(InboxMessage)
            .where(InboxMessage.batch_id == batch_id, InboxMessage.state == InboxState.RECEIVED)
            .values(state=InboxState.PROCESSED, processed_at=now)
        )
        if dead_refs:
            session.execute(
                update(InboxMessage)
                .where(InboxMessage.id.in_([_inbox_id(ref) for ref in dead_refs]))
                .values(state=InboxState.DEAD, processed_at=now)
            )
        batch = session.get(WorkBatch, batch_id)
        if batch is not None:
            batch.state = BatchState.COMMITTED
            batch.committed_at = now


def _inbox_id(ref: str) -> int:
    return int(ref.removeprefix("inbox:"))

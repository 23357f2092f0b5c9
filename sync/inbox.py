"""The durable StUF inbox: GWS4all pushes ZDS 1.1 messages here, as to a zaak/document component.

Every message is committed to the state store *before* the answer goes back, so an answer
Bv03 means "Ketenbrug has it". A message that cannot be understood is stored too (state
``dead``, with a dead letter giving the reason) and answered with a Fo fault. Exact duplicate
pushes (same bytes) are stored once and answered Bv03 again.

The zaken flow drains the inbox through :class:`InboxSource`, which claims work in batches per
partition (a stable hash of the zaak), so the statuses of one zaak are always handled by one
task, in order.

One inbox serves one tenant (:mod:`sync.tenants`): its store, its blob store, its numbering
(``<gemeentecode>KB…``) and its organisatie as the zender of every answer. The default tenant
keeps the values Ketenbrug always had (organisatie 1900, numbers 1900KB…).

What is StUF-shaped is GWS4all's adapter's: the answers (Bv03, Fo01/Fo02/Fo03, Du02 and their
zender) are built by :mod:`adapters.gws4all.answers`, a document is streamed into the blob sink
by :mod:`adapters.gws4all.inbound_stream`. This module stores, numbers, claims and commits.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import threading
import zlib
from collections.abc import Callable, Collection, Iterable
from typing import IO, Any, BinaryIO, cast

from sqlalchemy import Select, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session

from adapters.base import RecordError, SourceBatch, SourceRecord
from adapters.errors import InvalidMessageError
from adapters.gws4all import answers, inbound
from adapters.gws4all.answers import (
    GENERATE_FUNCTIONS,
    KETENBRUG_APPLICATIE,
    MAX_IDENTIFICATIE,
    UNKNOWN_SENDER,
    InboxAnswer,
)
from adapters.gws4all.inbound_stream import NotADocumentError, stream_document
from privacy.masking import mask_text
from stuf import StufError, Stuurgegevens, Systeem
from stuf.peek import DOCUMENT_ELEMENTS, message_element
from sync import checkout, claims
from sync.blobs import BlobStore
from sync.config import load_settings
from sync.deadletters import record_dead_letter
from sync.failpoints import crash_point
from sync.identity import IdentityMap
from sync.inbox_group import GroupCommit, stored_before
from sync.store.db import Store
from sync.store.models import (
    BatchState,
    DeadLetter,
    DocumentZaak,
    InboxMessage,
    InboxState,
    Numbering,
    WorkBatch,
    as_utc,
    utcnow,
)
from sync.tenants import DEFAULT, Tenant

__all__ = [
    "KETENBRUG_APPLICATIE",
    "KETENBRUG_SYSTEEM",
    "MAX_IDENTIFICATIE",
    "UNKNOWN_SENDER",
    "Inbox",
    "InboxAnswer",
    "InboxSource",
    "ketenbrug_systeem",
    "partition_hash",
    "unavailable_answer",
]

log = logging.getLogger(__name__)

# The StUF of every answer (Bv03, Fo0x, Du02, its zender) is built by adapters.gws4all.answers.
#: Ketenbrug as zender for the default tenant (a tenant's own: :func:`ketenbrug_systeem`).
KETENBRUG_SYSTEEM = answers.ketenbrug_zender(DEFAULT.gemeentecode)
ZAAK_NUMBER_PREFIX = DEFAULT.zaak_number_prefix
DOCUMENT_NUMBER_PREFIX = DEFAULT.document_number_prefix
DOCUMENT_FUNCTIONS = ("voegZaakdocumentToe", "updateZaakdocument")
# A document message (voegZaakdocumentToe, updateZaakdocument) is recognised by its message
# element, wherever it starts (stuf.stream.message_element); it is then parsed streaming, its
# content going straight to the blob store. Other messages are small; one bigger than this is
# refused rather than read into memory.
MAX_MESSAGE_BYTES = 32 * 1024 * 1024
# What is kept in the database of a refused message too big to keep whole.
_SNIFF = 65536
# An identificatie longer than StUF-ZKN's MAX_IDENTIFICATIE is refused at the door, so every
# key built from one (ordering key, ledger key, document-zaak link) fits its column on SQLite
# and PostgreSQL alike.
# Names functioneel beheer knows the stored fields by (in a dead letter's reason).
_LABELS = {
    "soap_action": "SOAPAction",
    "function": "functie",
    "referentienummer": "referentienummer",
    "ordering_key": "zaakidentificatie",
    "source_system": "bronsysteem",
}
# The database is unreachable, locked past its timeout, or dropped the connection: try later.
_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeoutError)
#: A body's SHA-256, or a function returning it once the body is complete (still arriving).
Digest = str | Callable[[], str]


def _hex(digest: Digest) -> str:
    return digest if isinstance(digest, str) else digest()


def partition_hash(key: str | None) -> int:
    """Stable, non-negative 31-bit hash: ``partition_hash(key) % n`` picks the partition."""
    return zlib.crc32((key or "").encode("utf-8")) & 0x7FFFFFFF


def ketenbrug_systeem(tenant: Tenant = DEFAULT) -> Systeem:
    """Ketenbrug as the zender of an answer for ``tenant``: its gemeentecode, applicatie CDR."""
    return answers.ketenbrug_zender(tenant.gemeentecode)


def unavailable_answer(
    referentienummer: str | None = None, zender: Systeem = KETENBRUG_SYSTEEM
) -> InboxAnswer:
    """Fo02 with HTTP 503: not stored, send again later (the database could not be reached)."""
    return answers.unavailable_answer(referentienummer, zender)


class Inbox:
    """Receives pushed StUF messages for one source system of one tenant, stores them durably.

    ``store`` (and ``blobs``) must be the tenant's own: the inbox numbers and answers as
    ``tenant`` but cannot tell whose store it was given.
    """

    def __init__(
        self,
        store: Store,
        *,
        source_system: str = inbound.SYSTEM,
        blobs: BlobStore | None = None,
        questions: Callable[[inbound.Question], InboxAnswer] | None = None,
        tenant: Tenant = DEFAULT,
    ) -> None:
        self.store = store
        self.source_system = source_system
        self.tenant = tenant
        self.systeem = ketenbrug_systeem(tenant)
        self.blobs = blobs or BlobStore(load_settings(tenant=tenant.code or None).home / "blobs")
        # Answers GWS4all's questions (sync.vragen); built from KETENBRUG_ESUITE_* when None.
        self._questions = questions
        self._questions_lock = threading.Lock()
        # Plain pushes arriving together share a commit; each is answered after its own.
        self.group = GroupCommit(store)

    def receive(self, body: bytes, soap_action: str | None) -> InboxAnswer:
        """Receive a message held in memory (small messages, tests)."""
        return self.receive_file(io.BytesIO(body), hashlib.sha256(body).hexdigest(), soap_action)

    def receive_file(self, body: IO[bytes], digest: Digest, soap_action: str | None) -> InboxAnswer:
        """Receive a message spooled to ``body`` (seekable); ``digest`` is its SHA-256.

        ``digest`` may be a function that waits for it: the body may still be arriving while
        it is read (:mod:`sync.inbox_spool`), and only a complete body has a digest, so nothing
        is stored before its last byte arrived.

        A document (voegZaakdocumentToe, updateZaakdocument) is parsed streaming: its
        ``inhoud`` is decoded into the blob store and only its fields and the blob reference are
        stored, so a document of hundreds of MB never sits in memory or in the database.
        Anything else is read and handled whole.

        Every push is stored before it is answered (whole, or dead with the reason), or, when
        the database cannot be reached, answered Fo02 with HTTP 503, which a sender retries.
        """
        try:
            return self._receive_file(body, digest, soap_action)
        except DBAPIError as error:
            if not isinstance(error, _UNAVAILABLE) and not error.connection_invalidated:
                raise
            return self._unavailable(body, error)
        except PoolTimeoutError as error:
            return self._unavailable(body, error)

    def _unavailable(self, body: IO[bytes], error: Exception) -> InboxAnswer:
        cause = getattr(error, "orig", None) or error
        first_line = (str(cause).splitlines() or [""])[0][:200]
        log.error(
            "inbox: bericht niet opgeslagen, database onbereikbaar (%s: %s); Fo02/503 gestuurd",
            type(cause).__name__,
            mask_text(first_line),  # never the SQL or its parameters: they hold the message
        )
        body.seek(0)
        return unavailable_answer(answers.referentie_in(body.read(_SNIFF)), self.systeem)

    def _receive_file(
        self, body: IO[bytes], digest: Digest, soap_action: str | None
    ) -> InboxAnswer:
        try:
            element: str | None = message_element(body)
        except StufError:
            element = None  # unreadable before its message: read whole, refused with the reason
        body.seek(0)
        if element in DOCUMENT_ELEMENTS:
            return self._receive_document(body, digest, soap_action)
        data = body.read(MAX_MESSAGE_BYTES + 1)
        if len(data) > MAX_MESSAGE_BYTES:
            too_big = InvalidMessageError(
                f"bericht groter dan {MAX_MESSAGE_BYTES // (1024 * 1024)} MB en geen document",
                system=self.source_system,
                operation="inbox",
            )
            return self._refuse(data[:_SNIFF], _hex(digest), soap_action, too_big, keep=False)
        return self._receive_whole(data, _hex(digest), soap_action)

    def _receive_whole(self, body: bytes, digest: str, soap_action: str | None) -> InboxAnswer:
        try:
            decoded = inbound.decode(body, soap_action=soap_action, payload_ref="inbox:new")
        except InvalidMessageError as error:
            return self._refuse(body, digest, soap_action, error)
        if decoded.question is not None:  # a vraag: answered at once, never stored
            return self._answer_question(decoded.question)
        if decoded.function in DOCUMENT_FUNCTIONS:  # never stored without its record
            return self._receive_document(io.BytesIO(body), digest, soap_action, whole=False)
        sender = decoded.sender
        if decoded.function in GENERATE_FUNCTIONS:
            return self._generate(decoded.function, sender, decoded.referentienummer)
        row = InboxMessage(
            source_system=self.source_system,
            soap_action=soap_action,
            function=decoded.function,
            referentienummer=(decoded.referentienummer or "")[:250] or None,
            ordering_key=decoded.zaak_identificatie,
            partition=partition_hash(decoded.zaak_identificatie),
            content_hash=digest,
            body=body,
            record_json=inbound.records_json(decoded),  # decoded once: the batch reads this
        )
        problem = self._too_long(row)
        if problem is not None:
            return self._refuse(body, digest, soap_action, problem)
        message_id = self._commit(row)
        return self._bv03(sender, decoded.referentienummer, message_id)

    def _receive_document(
        self, body: IO[bytes], digest: Digest, soap_action: str | None, *, whole: bool = True
    ) -> InboxAnswer:
        try:
            with self.blobs.writer() as sink:
                streamed = stream_document(body, sink, system=self.source_system)
        except InvalidMessageError as refused:
            body.seek(0)
            if isinstance(refused, NotADocumentError) and whole:  # another message after all
                data = body.read(MAX_MESSAGE_BYTES)
                return self._receive_whole(data, _hex(digest), soap_action)
            return self._refuse_document(body, digest, soap_action, refused)
        digest = _hex(digest)  # the parser read to the end: the body is complete
        assert sink.ref is not None
        sg = streamed.stuurgegevens
        fields = streamed.fields
        row = InboxMessage(
            source_system=self.source_system,
            soap_action=soap_action,
            function=streamed.function,
            referentienummer=(sg.referentienummer or "")[:250] or None,
            ordering_key=fields["zaak_identificatie"],
            content_hash=digest,
            body=None,
        )
        problem = self._too_long(row, document=fields["identificatie"])
        if problem is not None:  # checked before the document-zaak link is written
            return self._refuse_document(body, digest, soap_action, problem)
        check_in = (
            (self.source_system, str(fields["identificatie"]), streamed.checked_out_id)
            if streamed.is_check_in
            else None
        )
        held = self._early_refusal(check_in)
        if held is not None:  # refused before anything is written; decided in _commit
            return self._checkout_refused(sg, held)
        if check_in is not None and not fields["zaak_identificatie"]:
            with self.store.session() as session:  # checked out from the e-Suite: its zaak
                fields["zaak_identificatie"] = checkout.zaak_of(session, *check_in[:2])
        fields["zaak_identificatie"] = self._zaak_of(fields)
        record = {
            "document": fields,
            # a metadata-only update has no content: nothing to archive again
            "content": sink.ref.as_content() if streamed.has_content else None,
            "functie": streamed.function,
        }
        row.ordering_key = fields["zaak_identificatie"]
        row.partition = partition_hash(fields["zaak_identificatie"])
        row.record_json = json.dumps(record, sort_keys=True)
        try:
            message_id = self._commit(
                row,
                in_transaction=(
                    (lambda session: checkout.check_in(session, *check_in))
                    if check_in is not None
                    else None
                ),
            )
        except checkout.CheckoutRefused as refused:  # rolled back: nothing stored
            return self._checkout_refused(sg, refused)
        return self._bv03(sg.zender, sg.referentienummer, message_id)

    def _early_refusal(
        self, check_in: tuple[str, str, str | None] | None
    ) -> checkout.CheckoutRefused | None:
        """Read-only: a check-in the check-out refuses, found before the document-zaak link
        is written. :func:`checkout.check_in` in the storing transaction decides."""
        if check_in is None:
            return None
        with self.store.session() as session:
            return checkout.refusal(session, *check_in)

    def _checkout_refused(
        self, sg: Stuurgegevens, refused: checkout.CheckoutRefused
    ) -> InboxAnswer:
        """Fo03 to a check-in the check-out does not allow (see docs/flows/vragen.md)."""
        log.warning("inbox: inchecken geweigerd: %s", refused.omschrijving)
        return answers.checkout_refused_answer(sg, refused.code, refused.omschrijving)

    def _refuse_document(
        self, body: IO[bytes], digest: Digest, soap_action: str | None, error: InvalidMessageError
    ) -> InboxAnswer:
        """Refuse a document message, keeping what was sent as a blob (outside the database)."""
        body.seek(0)
        head = body.read(_SNIFF)
        body.seek(0)
        raw = self.blobs.put_stream(cast(BinaryIO, body))
        return self._refuse(
            head, _hex(digest), soap_action, error, keep=False, raw_blob=str(raw.path)
        )

    def _too_long(
        self, row: InboxMessage, *, document: str | None = None
    ) -> InvalidMessageError | None:
        """The reason ``row`` cannot be stored as it is, or None.

        A field longer than its column, or an identificatie longer than StUF-ZKN allows, is
        found here before the insert, so SQLite (which does not enforce VARCHAR lengths) and
        PostgreSQL (which refuses the whole insert) treat the message alike: stored as dead.
        """
        problems: dict[str, str] = {}
        for column in InboxMessage.__table__.columns:
            length = getattr(column.type, "length", None)
            value = getattr(row, column.key, None)
            if length and isinstance(value, str) and len(value) > length:
                label = _LABELS.get(column.key, column.key)
                problems[label] = f"{label} is {len(value)} tekens lang, hooguit {length} past"
        for label, value in (
            ("zaakidentificatie", row.ordering_key),
            ("documentidentificatie", document),
        ):
            if value and len(str(value)) > MAX_IDENTIFICATIE and label not in problems:
                problems[label] = (
                    f"{label} is {len(str(value))} tekens lang, StUF-ZKN staat er hooguit "
                    f"{MAX_IDENTIFICATIE} toe"
                )
        if not problems:
            return None
        return InvalidMessageError(
            "bericht niet op te slaan zoals het is: " + "; ".join(problems.values()),
            system=self.source_system,
            operation="inbox",
        )

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
        asker = sender or answers.default_asker(self.tenant.gemeentecode)
        return answers.bv03_answer(self.systeem, asker, referentienummer, message_id)

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
        row = InboxMessage(
            source_system=self.source_system,
            soap_action=soap_action,
            function=None,
            content_hash=digest,
            body=body if keep else None,
            record_json=json.dumps({"raw_blob": raw_blob}) if raw_blob else None,
            state=InboxState.DEAD,
        )
        message_id = self._commit(row, error)
        answer = answers.refused_answer(self.systeem, body, str(error), message_id)
        log.warning("inbox refused message %s: %s", message_id, mask_text(str(error)))
        return answer

    # -- storing --------------------------------------------------------------------------
    def _commit(
        self,
        row: InboxMessage,
        dead: InvalidMessageError | None = None,
        *,
        in_transaction: Callable[[Session], None] | None = None,
    ) -> int:
        """Insert ``row`` (with its dead letter, in the same transaction) and return its id, or
        the id of the identical message stored before. ``in_transaction`` runs in that
        transaction after the insert (the check-in ending its check-out); what it raises rolls
        the insert back.

        A dead message is stored whatever its fields: any too long for its column is cut.
        A plain message (not dead, nothing else in its transaction) may share its commit with
        others pushed at the same time (:mod:`sync.inbox_group`).
        """
        if dead is None and in_transaction is None:
            message_id = self.group.store_row(row)
            crash_point("inbox_after_store")  # stored, not answered: the sender sends it again
            return message_id
        if dead is not None:
            for column in InboxMessage.__table__.columns:
                length = getattr(column.type, "length", None)
                value = getattr(row, column.key, None)
                if length and isinstance(value, str) and len(value) > length:
                    setattr(row, column.key, value[:length])
        try:
            with self.store.session() as session:
                session.add(row)
                session.flush()
                if dead is not None:
                    record_dead_letter(
                        session,
                        flow="zaken",
                        source_system=self.source_system,
                        source_key=f"inbox:{row.id}",
                        reason=dead.reason,
                        message=str(dead),
                        payload_ref=f"inbox:{row.id}",
                    )
                if in_transaction is not None:
                    in_transaction(session)
                message_id = row.id
        except IntegrityError:
            existing = stored_before(self.store, row)
            if existing is None:
                raise
            message_id = existing
        crash_point("inbox_after_store")  # stored, not answered: the sender sends it again
        return message_id

    # -- answers ------------------------------------------------------------------------
    def _answer_question(self, question: inbound.Question) -> InboxAnswer:
        """A question (geefZaakdetails, ...): asked of the e-Suite, see docs/flows/vragen.md."""
        from sync import vragen  # imports this module: loaded on the first question

        with self._questions_lock:
            if self._questions is None:
                answerer = vragen.vragen_from_env(
                    self.store, self.source_system, self.tenant, blob_root=self.blobs.root
                )
                if answerer is None:
                    return vragen.not_configured(question.stuurgegevens)
                self._questions = answerer.answer
        return self._questions(question)

    def _generate(
        self, function: str, sender: Systeem | None, referentie: str | None
    ) -> InboxAnswer:
        """A new zaak or document identificatie (``<gemeentecode>KB…``), numbered here."""
        name, prefix = (
            ("zaak", self.tenant.zaak_number_prefix)
            if function == "genereerZaakIdentificatie"
            else ("document", self.tenant.document_number_prefix)
        )
        with self.store.session() as session:
            number = next_number(session, name)
            identificatie = f"{prefix}{number:010d}"
            IdentityMap(session).register(name, "ketenbrug", identificatie)
        asker = sender or answers.default_asker(self.tenant.gemeentecode)
        return answers.identificatie_answer(
            function, self.systeem, asker, referentie, identificatie
        )


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
        self.owner = claims.new_owner()

    def claim(self, limit: int) -> int | None:
        """A new batch of this partition's oldest unclaimed messages, owned by this source.

        Stale batches of the flow (their owner died, or stopped renewing) are released first,
        whatever partition they had: their messages go back to the pool and are claimed again
        in order, by the partition they belong to now (so changing the number of partitions
        strands nothing). A batch that is still held is never handed to a second drain.
        """
        self.release_stale()
        with self.store.session() as session:
            # One claimer at a time per flow (a row lock on PostgreSQL, the write lock on
            # SQLite), so the check below and the claim are one step.
            next_number(session, f"claim:{self.flow}"[:32])
            ids = list(
                session.scalars(
                    select(InboxMessage.id)
                    .where(
                        InboxMessage.source_system == self.system,
                        InboxMessage.state == InboxState.RECEIVED,
                        InboxMessage.batch_id.is_(None),
                        InboxMessage.function.in_(self.functions),
                        InboxMessage.partition % self.partitions == self.partition,
                        or_(
                            InboxMessage.ordering_key.is_(None),
                            InboxMessage.ordering_key.not_in(self._busy_objects()),
                        ),
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
                owner=self.owner,
                claimed_until=claims.expiry(utcnow()),
            )
            session.add(batch)
            session.flush()
            session.execute(
                update(InboxMessage)
                .where(InboxMessage.id.in_(ids), InboxMessage.batch_id.is_(None))
                .values(batch_id=batch.id)
            )
            return batch.id

    def _busy_objects(self) -> Select[str | None]:
        """Zaken with messages in an open batch of this flow: they wait for that batch.

        So one zaak is worked on by one drain at a time, whatever the partitioning: two drains
        of one partition, a stale batch of an older partitioning, or a duplicate message of a
        record another batch holds never write the same zaak side by side.
        """
        open_batches = select(WorkBatch.id).where(
            WorkBatch.flow == self.flow,
            WorkBatch.source_system == self.system,
            WorkBatch.state == BatchState.OPEN,
        )
        return select(InboxMessage.ordering_key).where(
            InboxMessage.batch_id.in_(open_batches),
            InboxMessage.state == InboxState.RECEIVED,
            InboxMessage.ordering_key.is_not(None),
        )

    def release_stale(self) -> int:
        """Release the flow's open batches whose claim is stale; returns how many.

        Compare-and-set on the observed owner (and, for an expired claim, on the expiry still
        being past), so a batch renewed in the meantime is left alone.
        """
        now = utcnow()
        with self.store.session() as session:
            held = session.execute(
                select(WorkBatch.id, WorkBatch.owner, WorkBatch.claimed_until).where(
                    WorkBatch.flow == self.flow,
                    WorkBatch.source_system == self.system,
                    WorkBatch.state == BatchState.OPEN,
                )
            ).all()
        released = 0
        for batch_id, owner, until in held:
            expired = until is None or as_utc(until) < now
            if not expired and not claims.owner_is_dead(owner):
                continue
            same_owner = WorkBatch.owner.is_(None) if owner is None else WorkBatch.owner == owner
            still_stale = (
                or_(WorkBatch.claimed_until.is_(None), WorkBatch.claimed_until < now)
                if expired
                else WorkBatch.id == batch_id
            )
            with self.store.session() as session:
                result = session.execute(
                    update(WorkBatch)
                    .where(
                        WorkBatch.id == batch_id,
                        WorkBatch.state == BatchState.OPEN,
                        same_owner,
                        still_stale,
                    )
                    .values(state=BatchState.RELEASED, committed_at=now)
                )
                if result.rowcount != 1:  # type: ignore[attr-defined]
                    continue
                session.execute(
                    update(InboxMessage)
                    .where(
                        InboxMessage.batch_id == batch_id,
                        InboxMessage.state == InboxState.RECEIVED,
                    )
                    .values(batch_id=None)
                )
            released += 1
            log.warning(
                "werkpakket %s van %s vrijgegeven: claim verlopen of eigenaar gestopt",
                batch_id,
                self.flow,
            )
        return released

    def renew(self, batch_id: int) -> bool:
        """Extend our claim on a batch; False when it is no longer ours."""
        with self.store.session() as session:
            result = session.execute(
                update(WorkBatch)
                .where(
                    WorkBatch.id == batch_id,
                    WorkBatch.owner == self.owner,
                    WorkBatch.state == BatchState.OPEN,
                )
                .values(claimed_until=claims.expiry(utcnow()))
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

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
                    InboxMessage.function,
                )
                .where(InboxMessage.batch_id == batch_id, InboxMessage.state == InboxState.RECEIVED)
                .order_by(InboxMessage.id)
            ).all()
        for message_id, body, soap_action, record_json, function in rows:
            ref = f"inbox:{message_id}"
            records.extend(self._records(body, soap_action, record_json, function, ref))
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
            body, soap_action, record_json = row.body, row.soap_action, row.record_json
            function = row.function
        return self._records(body, soap_action, record_json, function, ref)

    def _records(
        self,
        body: bytes | None,
        soap_action: str | None,
        record_json: str | None,
        function: str | None,
        ref: str,
    ) -> list[SourceRecord | RecordError]:
        """A stored message's records: as decoded when it arrived, else decoded now (a
        message stored before the inbox kept its records)."""
        stored = json.loads(record_json) if record_json else None
        if isinstance(stored, dict) and "document" in stored:  # streamed when received
            return [inbound.document_record(stored, ref)]
        if isinstance(stored, dict) and "records" in stored:
            return self._none_is_an_error(inbound.stored_records(stored, ref), function, ref)
        return self._decode(body or b"", soap_action, ref)

    def _decode(
        self, body: bytes, soap_action: str | None, ref: str
    ) -> list[SourceRecord | RecordError]:
        """The records of a stored message; a record error when it yields none at all.

        A message was answered Bv03 when it was stored: if nothing comes of it, that is a dead
        letter for beheer, never a silent "processed" (such a message was stored by the inbox
        before documents were recognised by their element, or is empty after all).
        """
        try:
            decoded = inbound.decode(body, soap_action=soap_action, payload_ref=ref)
        except InvalidMessageError as error:
            return [RecordError(self.system, ref, ref, error)]
        return self._none_is_an_error(list(decoded.records), decoded.function, ref)

    def _none_is_an_error(
        self, records: list[SourceRecord], function: str | None, ref: str
    ) -> list[SourceRecord | RecordError]:
        if records:
            return list(records)
        empty = InvalidMessageError(
            f"bericht {function or ''} leverde niets op om af te leveren (wel ontvangen "
            "en met Bv03 bevestigd); bekijk het bericht en vraag de afzender het opnieuw "
            "te sturen",
            system=self.system,
            operation="inbox",
        )
        return [RecordError(self.system, ref, ref, empty)]

    def acknowledge(
        self,
        session: Session,
        batch_id: int,
        dead_refs: Collection[str],
        deferred_refs: Collection[str] = (),
    ) -> None:
        """Inside the engine's outcome transaction: mark messages handled, close the batch.

        Deferred messages go back to the pool (no batch), to be claimed again, in order.
        The batch is closed with a compare-and-set on our claim: when it went stale and
        another run took the messages over, :class:`ClaimLostError` rolls this outcome back
        (the ledger's in-flight rows make the other run check before it writes).
        """
        now = utcnow()
        closed = session.execute(
            update(WorkBatch)
            .where(
                WorkBatch.id == batch_id,
                WorkBatch.owner == self.owner,
                WorkBatch.state == BatchState.OPEN,
            )
            .values(state=BatchState.COMMITTED, committed_at=now)
        )
        if closed.rowcount != 1:  # type: ignore[attr-defined]
            raise claims.ClaimLostError(
                f"werkpakket {batch_id} is niet meer van deze run: een andere run nam het over"
            )
        if deferred_refs:
            session.execute(
                update(InboxMessage)
                .where(
                    InboxMessage.id.in_([_inbox_id(ref) for ref in deferred_refs]),
                    InboxMessage.batch_id == batch_id,
                )
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


def _inbox_id(ref: str) -> int:
    return int(ref.removeprefix("inbox:"))

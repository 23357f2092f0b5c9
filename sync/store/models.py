"""Tables of the state store.

The ledger keeps keys and hashes, never content; payloads live in the inbox (purged after
delivery) and are referenced by ``payload_ref`` strings such as ``inbox:42``.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "AuditEntry",
    "Base",
    "BatchState",
    "BestandControle",
    "Cursor",
    "DeadLetter",
    "DeadLetterState",
    "DocumentZaak",
    "DriftItemRow",
    "DriftState",
    "IdentityLink",
    "InboxMessage",
    "InboxState",
    "LedgerEntry",
    "LedgerState",
    "Numbering",
    "SyncRun",
    "VernietigingKandidaat",
    "VernietigingState",
    "WorkBatch",
    "ZaakKenmerk",
    "as_utc",
    "utcnow",
]


def utcnow() -> datetime:
    """Timezone-aware now in UTC; every timestamp in the store is UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A timestamp read back from the store: SQLite returns it without its zone (UTC)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base with a stable naming convention, so Alembic diffs stay quiet."""


Timestamp = DateTime(timezone=True)
# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class LedgerState(enum.StrEnum):
    """pending (to write again after a resend) → in_flight → delivered | superseded | dead."""

    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    DELIVERED = "delivered"
    SUPERSEDED = "superseded"
    DEAD = "dead"


class DeadLetterState(enum.StrEnum):
    """open → resend_requested (beheer) → resending (the flow) → resent, or open again."""

    OPEN = "open"
    RESEND_REQUESTED = "resend_requested"
    RESENDING = "resending"
    RESENT = "resent"
    SKIPPED = "skipped"


class InboxState(enum.StrEnum):
    RECEIVED = "received"
    PROCESSED = "processed"
    DEAD = "dead"


class BatchState(enum.StrEnum):
    """open (claimed by ``owner`` until ``claimed_until``) → committed, or released (its
    messages went back to the pool because its claim went stale)."""

    OPEN = "open"
    COMMITTED = "committed"
    RELEASED = "released"


class SyncRun(Base):
    """One run of one flow (for instance one Airflow task instance), with its counts."""

    __tablename__ = "sync_run"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    flow: Mapped[str] = mapped_column(String(64))
    source_system: Mapped[str] = mapped_column(String(64))
    run_ref: Mapped[str | None] = mapped_column(String(250))
    state: Mapped[str] = mapped_column(String(16), default="running")
    started_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(Timestamp)
    records_read: Mapped[int] = mapped_column(Integer, default=0)
    delivered: Mapped[int] = mapped_column(Integer, default=0)
    in_step: Mapped[int] = mapped_column(Integer, default=0)
    dead_lettered: Mapped[int] = mapped_column(Integer, default=0)
    still_dead: Mapped[int] = mapped_column(Integer, default=0)
    deferred: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    superseded: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(Text)
    #: What beheer must act on although the run went well (a certificate about to expire), one
    #: Dutch line each; shown in the DAG run note and ``ketenbrug status``.
    warnings: Mapped[str | None] = mapped_column(Text)


class Cursor(Base):
    """Watermark of one source for one flow; advanced only after its batch committed."""

    __tablename__ = "cursor"

    flow: Mapped[str] = mapped_column(String(64), primary_key=True)
    source_system: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str | None] = mapped_column(String(250))
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)


class RunLock(Base):
    """One run of a cursor source at a time (``sync.run_lock``): who holds it, until when."""

    __tablename__ = "run_lock"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    owner: Mapped[str] = mapped_column(String(160))
    claimed_until: Mapped[datetime] = mapped_column(Timestamp)
    started_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class WorkBatch(Base):
    """A claimed unit of work: what a task instance processes; Airflow passes only its id."""

    __tablename__ = "work_batch"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    flow: Mapped[str] = mapped_column(String(64))
    source_system: Mapped[str] = mapped_column(String(64))
    partition: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16), default=BatchState.OPEN)
    size: Mapped[int] = mapped_column(Integer, default=0)
    cursor_after: Mapped[str | None] = mapped_column(String(250))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    committed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # Who works on it and until when; a claim past its expiry (or of a dead process) is stale.
    owner: Mapped[str | None] = mapped_column(String(160))
    claimed_until: Mapped[datetime | None] = mapped_column(Timestamp)

    __table_args__ = (Index("ix_work_batch_open", "flow", "source_system", "state"),)


class InboxMessage(Base):
    """A message pushed to Ketenbrug (GWS4all StUF), stored before it is acknowledged."""

    __tablename__ = "inbox_message"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_system: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    soap_action: Mapped[str | None] = mapped_column(String(250))
    function: Mapped[str | None] = mapped_column(String(64))
    referentienummer: Mapped[str | None] = mapped_column(String(250))
    ordering_key: Mapped[str | None] = mapped_column(String(250))
    partition: Mapped[int] = mapped_column(Integer, default=0)
    content_hash: Mapped[str] = mapped_column(String(64))
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    # A document message is not kept whole: its content went to the blob store while it was
    # received, and this holds the decoded record (document fields + content reference).
    record_json: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default=InboxState.RECEIVED)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("work_batch.id"))
    processed_at: Mapped[datetime | None] = mapped_column(Timestamp)

    __table_args__ = (
        UniqueConstraint("source_system", "content_hash", name="uq_inbox_content"),
        # The claim: oldest unclaimed messages of a source (the partition is computed).
        Index("ix_inbox_pending", "source_system", "state", "batch_id", "id"),
        Index("ix_inbox_batch", "batch_id", "state"),
        Index("ix_inbox_zaak", "ordering_key", "state"),
    )


class ZgwNotificatie(Base):
    """A ZGW notificatie the e-Suite sent (Notificaties API 1.0): a zaak got a document.

    The e-Suite's documenten source reads these after its cursor instead of walking every
    zaak (``sync.notificaties``); stored before the sender is answered, once per body.
    """

    __tablename__ = "zgw_notificatie"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_system: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    kanaal: Mapped[str] = mapped_column(String(50))
    resource: Mapped[str] = mapped_column(String(100))
    actie: Mapped[str] = mapped_column(String(100))
    hoofd_object: Mapped[str] = mapped_column(String(1000))
    resource_url: Mapped[str] = mapped_column(String(1000))
    aanmaakdatum: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        UniqueConstraint("source_system", "content_hash", name="uq_zgw_notificatie_content"),
    )


class LedgerEntry(Base):
    """Intent and outcome of one write of one source record to one target."""

    __tablename__ = "ledger_entry"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    flow: Mapped[str] = mapped_column(String(64))
    source_system: Mapped[str] = mapped_column(String(64))
    source_key: Mapped[str] = mapped_column(String(250))
    target_system: Mapped[str] = mapped_column(String(64))
    target_key: Mapped[str | None] = mapped_column(String(250))
    operation: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))
    ordering_key: Mapped[str | None] = mapped_column(String(250))
    ordering_value: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default=LedgerState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint(
            "flow", "source_system", "source_key", "target_system", name="uq_ledger_record"
        ),
        Index("ix_ledger_ordering", "ordering_key", "state"),
        Index("ix_ledger_source_key", "source_key"),
    )


class IdentityLink(Base):
    """One object (zaak, document, person) under one system's key, grouped by ``canonical_id``."""

    __tablename__ = "identity_link"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(32))
    canonical_id: Mapped[str] = mapped_column(String(36), index=True)
    system: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(250))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    __table_args__ = (
        UniqueConstraint("entity_type", "system", "key", name="uq_identity_key"),
        UniqueConstraint("entity_type", "canonical_id", "system", name="uq_identity_system"),
    )


class DeadLetter(Base):
    """A record a flow could not deliver, with the reason beheer needs to repair it."""

    __tablename__ = "dead_letter"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    flow: Mapped[str] = mapped_column(String(64))
    source_system: Mapped[str] = mapped_column(String(64))
    source_key: Mapped[str] = mapped_column(String(250))
    reason: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    payload_ref: Mapped[str | None] = mapped_column(String(250))
    record_json: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(16), default=DeadLetterState.OPEN)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # The run resending it (state resending) and until when that claim holds.
    claim_owner: Mapped[str | None] = mapped_column(String(160))
    claimed_until: Mapped[datetime | None] = mapped_column(Timestamp)
    # What the last resend achieved when it did not deliver (Dutch, for beheer).
    resend_note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_dead_letter_open", "flow", "state"),)


class Numbering(Base):
    """Ketenbrug's own identificatie numbering (genereerZaakIdentificatie), one row per kind."""

    __tablename__ = "numbering"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_value: Mapped[int] = mapped_column(BigInteger, default=0)


class AuditEntry(Base):
    """Who did what, when: every resend, skip and mapping change."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(250))
    detail: Mapped[str | None] = mapped_column(Text)


class DriftState(enum.StrEnum):
    """open (beheer decides) → hersteld (Ketenbrug repaired it) | opgelost (gone by itself or
    handled by beheer, seen in step by a later reconciliation) | gemigreerd (a document only
    the old archive had, now placed in the new archive by the migration)."""

    OPEN = "open"
    HERSTELD = "hersteld"
    OPGELOST = "opgelost"
    GEMIGREERD = "gemigreerd"
    NIET_MIGREREN = "niet_migreren"  # stays in MyLex only (functiescheiding)


class DriftItemRow(Base):
    """A document the nightly archive reconciliation found out of step (MyLex vs new archive).

    One row per (kind, identificatie) while the drift lasts: a later reconciliation that finds
    the same drift updates ``last_seen_at`` instead of adding a row.
    """

    __tablename__ = "drift_item"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    identificatie: Mapped[str] = mapped_column(String(250))
    mylex_sha256: Mapped[str | None] = mapped_column(String(64))
    mylex_size: Mapped[int | None] = mapped_column(BigInteger)
    #: The content file's path in MyLex (the migration reads the document from there).
    mylex_locatie: Mapped[str | None] = mapped_column(String(500))
    archief_sha256: Mapped[str | None] = mapped_column(String(64))
    archief_size: Mapped[int | None] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16), default=DriftState.OPEN)
    run_ref: Mapped[str | None] = mapped_column(String(250))
    note: Mapped[str | None] = mapped_column(Text)
    detected_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(Timestamp)

    __table_args__ = (Index("ix_drift_item_open", "state", "kind", "identificatie"),)


class DocumentZaak(Base):
    """The zaak a document belongs to, as its first message said.

    An updateZaakdocument names the document only; Xtendis (the client's dossier) and MyLex
    (the zaak folder) still need the zaak, so the documenten flow remembers it here.
    """

    __tablename__ = "document_zaak"

    source_system: Mapped[str] = mapped_column(String(64), primary_key=True)
    identificatie: Mapped[str] = mapped_column(String(250), primary_key=True)
    zaak_identificatie: Mapped[str] = mapped_column(String(250))
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)


class DoelbindingEntry(Base):
    """One query about a person in another organisation's register (SSD, Suwinet): why, on
    what legal basis, for which zaak, by which flow and user, when, and with what outcome.

    The person only as a keyed hash of the BSN (``sync.pseudonym``). Append-only: the database
    refuses an UPDATE or DELETE of a row (triggers, migration 0006).
    """

    __tablename__ = "doelbinding_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    dienst: Mapped[str] = mapped_column(String(120))
    doel: Mapped[str] = mapped_column(String(120))
    grondslag: Mapped[str] = mapped_column(String(250))
    bsn_ref: Mapped[str] = mapped_column(String(64))
    zaak: Mapped[str | None] = mapped_column(String(250))
    flow: Mapped[str] = mapped_column(String(64))
    gebruiker: Mapped[str] = mapped_column(String(128))
    run_ref: Mapped[str | None] = mapped_column(String(250))
    uitkomst: Mapped[str] = mapped_column(String(120))

    __table_args__ = (Index("ix_doelbinding_bsn_ref", "bsn_ref", "at"),)


class DocumentCheckout(Base):
    """An exclusive check-out of a document (ZDS geefZaakdocumentbewerken), until check-in.

    One row per document: the primary key makes a second check-out fail in the database, not
    in a race. ``checked_out_id`` is random and unguessable; only its holder can check in or
    cancel (``sync.checkout``).
    """

    __tablename__ = "document_checkout"

    source_system: Mapped[str] = mapped_column(String(64), primary_key=True)
    identificatie: Mapped[str] = mapped_column(String(250), primary_key=True)
    checked_out_id: Mapped[str] = mapped_column(String(64), unique=True)
    zender_organisatie: Mapped[str | None] = mapped_column(String(64))
    zender_applicatie: Mapped[str] = mapped_column(String(64))
    checked_out_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    #: The document's zaak when it was checked out: the check-in (which names the document
    #: only) goes to the same zaak, Xtendis dossier and MyLex folder.
    zaak_identificatie: Mapped[str | None] = mapped_column(String(250))


class ZaakKenmerk(Base):
    """What the archives need to know about a zaak: its zaaktype and start date.

    Keyed by the zaak's identificatie in the zaaksysteem (the e-Suite's key). Why: a document
    names its zaak only, yet MyLex files it under the zaak's start year, the retention follows
    the zaaktype, and functiescheiding routes by zaaktype. The zaken flow records it when it
    plans the zaak; sources that read zaken from the zaaksysteem record it too.
    """

    __tablename__ = "zaak_kenmerk"

    zaak_identificatie: Mapped[str] = mapped_column(String(250), primary_key=True)
    zaaktype: Mapped[str | None] = mapped_column(String(120))
    startdatum: Mapped[date | None] = mapped_column(Date)
    einddatum: Mapped[date | None] = mapped_column(Date)
    bron: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)


class VernietigingState(enum.StrEnum):
    """voorgesteld (on the vernietigingslijst) → goedgekeurd | afgewezen (beheer decides).

    Ketenbrug never destroys a document itself: approval is a record for the archivist."""

    VOORGESTELD = "voorgesteld"
    GOEDGEKEURD = "goedgekeurd"
    AFGEWEZEN = "afgewezen"


class VernietigingKandidaat(Base):
    """A document whose bewaartermijn has passed: one row per document on the vernietigingslijst."""

    __tablename__ = "vernietiging_kandidaat"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    identificatie: Mapped[str] = mapped_column(String(250), unique=True)
    zaak_identificatie: Mapped[str | None] = mapped_column(String(250))
    zaaktype: Mapped[str | None] = mapped_column(String(120))
    selectielijst_categorie: Mapped[str | None] = mapped_column(String(32))
    bewaartermijn: Mapped[str | None] = mapped_column(String(32))
    einde_bewaartermijn: Mapped[date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), default=VernietigingState.VOORGESTELD)
    run_ref: Mapped[str | None] = mapped_column(String(250))
    first_seen_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    beoordeeld_door: Mapped[str | None] = mapped_column(String(128))
    beoordeeld_op: Mapped[datetime | None] = mapped_column(Timestamp)
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_vernietiging_kandidaat_state", "state", "id"),)


class BestandControle(Base):
    """When the bytes of one archived file were last read back and compared with its record.

    The nightly sample reads the least recently checked files first, within a byte budget, so
    every file is read within the configured cycle."""

    __tablename__ = "bestand_controle"

    identificatie: Mapped[str] = mapped_column(String(250), primary_key=True)
    locatie: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    gezien_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    gecontroleerd_at: Mapped[datetime | None] = mapped_column(Timestamp)
    uitkomst: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (Index("ix_bestand_controle_due", "gecontroleerd_at", "identificatie"),)

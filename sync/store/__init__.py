"""The state store: SQLAlchemy 2 models, engine and session factory, Alembic migrations."""

from sync.store.db import Store, open_store
from sync.store.models import (
    AuditEntry,
    Base,
    Cursor,
    DeadLetter,
    IdentityLink,
    InboxMessage,
    LedgerEntry,
    Numbering,
    SyncRun,
    WorkBatch,
)

__all__ = [
    "AuditEntry",
    "Base",
    "Cursor",
    "DeadLetter",
    "IdentityLink",
    "InboxMessage",
    "LedgerEntry",
    "Numbering",
    "Store",
    "SyncRun",
    "WorkBatch",
    "open_store",
]

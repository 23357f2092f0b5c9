"""The audit log: every resend, skip and mapping change, with who did it."""

from __future__ import annotations

import getpass

from sqlalchemy.orm import Session

from stuf.privacy import mask_text
from sync.store.models import AuditEntry

__all__ = ["audit", "current_actor"]


def current_actor() -> str:
    """The operating-system user, for actions taken from the command line."""
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def audit(
    session: Session, *, actor: str, action: str, object_type: str, object_id: str, detail: str = ""
) -> AuditEntry:
    entry = AuditEntry(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=mask_text(detail),
    )
    session.add(entry)
    return entry

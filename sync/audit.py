"""The audit log: every resend, skip and mapping change, with who did it."""

from __future__ import annotations

import getpass
from collections.abc import Mapping

from sqlalchemy.orm import Session

from privacy.masking import mask_text
from sync.store.models import AuditEntry

__all__ = ["audit", "audit_mapping_change", "current_actor"]


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


def _row_text(row: Mapping[str, str] | None) -> str:
    if not row:
        return "(geen)"
    return ", ".join(f"{key}={value}" for key, value in row.items())


def audit_mapping_change(
    session: Session,
    *,
    actor: str,
    table: str,
    key: str,
    old: Mapping[str, str] | None,
    new: Mapping[str, str],
) -> AuditEntry:
    """Record a change of a mapping table row with its old and new value."""
    return audit(
        session,
        actor=actor,
        action="mapping_added" if old is None else "mapping_changed",
        object_type="mapping",
        object_id=f"{table}:{key}",
        detail=f"oud: {_row_text(old)}; nieuw: {_row_text(new)}",
    )

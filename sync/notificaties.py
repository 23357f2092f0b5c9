"""ZGW notificaties from the e-Suite: stored on arrival, read by the documenten source.

ZDS has no "changed since", so the e-Suite's documenten source had to ask every zaak for its
documents on every run. The e-Suite (through its notificatierouteringscomponent, Notificaties
API 1.0) posts a notificatie to Ketenbrug's callback when a zaak gets a document
(kanaal ``zaken``, resource ``zaakinformatieobject``); :func:`store_notificatie` keeps it
before the sender is answered, and the source asks :func:`notified_after` for the zaken named
since its cursor. A quiet night is one query.

What a notificatie can make Ketenbrug do is small on purpose: look at the documents of a zaak
the identity map knows, at a URL under the e-Suite's own Zaken API (see
:mod:`sync.sources.esuite_documents`). A notificatie about anything else is answered and not
kept.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sync.store.db import Store
from sync.store.models import ZgwNotificatie

__all__ = [
    "MAX_NOTIFICATIE_BYTES",
    "NotificatieError",
    "Notified",
    "last_notificatie",
    "notified_after",
    "store_notificatie",
]

#: A notificatie is a small JSON object; anything bigger is not one.
MAX_NOTIFICATIE_BYTES = 64 * 1024
#: The Notificaties API 1.0 ``Message``'s required fields (all strings).
_REQUIRED = ("kanaal", "hoofdObject", "resource", "resourceUrl", "actie", "aanmaakdatum")
#: What is kept: a zaak got (or changed) a document.
_KEPT = {("zaken", "zaakinformatieobject")}
_LENGTHS = {"kanaal": 50, "resource": 100, "actie": 100, "hoofdObject": 1000, "resourceUrl": 1000}


class NotificatieError(ValueError):
    """The body is no notificatie (HTTP 400): the reason, in Dutch, without the body."""


@dataclass(frozen=True)
class Notified:
    """A stored notificatie as the source reads it: its id (the cursor) and its zaak's URL."""

    id: int
    hoofd_object: str


def _message(body: bytes) -> dict[str, Any]:
    if len(body) > MAX_NOTIFICATIE_BYTES:
        raise NotificatieError(f"notificatie groter dan {MAX_NOTIFICATIE_BYTES // 1024} KB")
    try:
        message = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise NotificatieError("notificatie is geen JSON") from error
    if not isinstance(message, dict):
        raise NotificatieError("notificatie is geen JSON-object")
    missing = [name for name in _REQUIRED if not isinstance(message.get(name), str)]
    if missing:
        raise NotificatieError(f"notificatie mist {', '.join(missing)}")
    too_long = [name for name, limit in _LENGTHS.items() if len(message[name]) > limit]
    if too_long:
        raise NotificatieError(f"notificatie: {', '.join(too_long)} te lang")
    return message


def store_notificatie(store: Store, source_system: str, body: bytes) -> int | None:
    """Store the notificatie in ``body`` and return its id (the same id for the same body
    sent again), or None when it is about something the documenten source does not read.

    Raises :class:`NotificatieError` when the body is no notificatie.
    """
    message = _message(body)
    if (message["kanaal"], message["resource"]) not in _KEPT:
        return None
    row = ZgwNotificatie(
        source_system=source_system,
        kanaal=message["kanaal"],
        resource=message["resource"],
        actie=message["actie"],
        hoofd_object=message["hoofdObject"],
        resource_url=message["resourceUrl"],
        aanmaakdatum=message["aanmaakdatum"][:64],
        content_hash=hashlib.sha256(body).hexdigest(),
    )
    try:
        with store.session() as session:
            session.add(row)
            session.flush()
            return row.id
    except IntegrityError:  # the NRC sent it again (it had no answer): stored once
        with store.session() as session:
            existing = session.scalar(
                select(ZgwNotificatie.id).where(
                    ZgwNotificatie.source_system == source_system,
                    ZgwNotificatie.content_hash == row.content_hash,
                )
            )
        if existing is None:
            raise
        return int(existing)


def notified_after(
    session: Session, source_system: str, after_id: int, limit: int
) -> list[Notified]:
    """The next ``limit`` notificaties after ``after_id``, oldest first."""
    rows = session.execute(
        select(ZgwNotificatie.id, ZgwNotificatie.hoofd_object)
        .where(ZgwNotificatie.source_system == source_system, ZgwNotificatie.id > after_id)
        .order_by(ZgwNotificatie.id)
        .limit(limit)
    )
    return [Notified(id, hoofd_object) for id, hoofd_object in rows]


def last_notificatie(session: Session, source_system: str) -> int:
    """The id of the newest notificatie stored (0 when none): where a full walk hands over."""
    newest = session.scalar(
        select(func.max(ZgwNotificatie.id)).where(ZgwNotificatie.source_system == source_system)
    )
    return int(newest or 0)

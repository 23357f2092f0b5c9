"""Check-out records: which document GWS4all is editing, and who holds it (ZDS 1.1 #9/#12/#14).

geefZaakdocumentbewerken checks a document out (:func:`begin`): one record per document, so a
second check-out is refused by the database's primary key, never by a race between two
requests. The ``checked_out_id`` is random (256 bits) and only its holder learns it. The
check-in is an updateZaakdocument carrying it: :func:`check_in` ends the record inside the
transaction that stores the message, so either both happen or neither. cancelCheckout
(:func:`cancel`) ends it without a new version. A check-out forgotten for longer than
``KETENBRUG_CHECKOUT_UREN`` hours (default 24) has expired: the next check-out of that document
takes it over (the old id then no longer checks in), so a lost id never locks a document for
good. See docs/flows/vragen.md.
"""

from __future__ import annotations

import logging
import os
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from privacy.masking import mask_text
from stuf import Systeem
from sync.store.db import Store
from sync.store.models import DocumentCheckout, utcnow

__all__ = [
    "CheckoutRefused",
    "begin",
    "cancel",
    "check_in",
    "holder",
    "max_age",
    "new_id",
    "refusal",
    "zaak_of",
]

#: StUF 03.01 has no code for "object is locked"; table 4.1 "Proces voor afhandelen bericht
#: geeft fout" is the one the ZDS spec leaves for a refusal by the service (see vragen.md).
REFUSED_CODE = "StUF058"
log = logging.getLogger(__name__)
#: StUF-ZKN's maxLength of a DocumentIdentificatie (as the inbox enforces for a push).
MAX_IDENTIFICATIE = 40


class CheckoutRefused(Exception):
    """A check-out, check-in or cancelCheckout the record does not allow; Dutch, BSN-free."""

    def __init__(self, omschrijving: str, code: str = REFUSED_CODE) -> None:
        self.code = code
        self.omschrijving = mask_text(omschrijving)
        super().__init__(self.omschrijving)


def max_age(env: dict[str, str] | None = None) -> timedelta:
    """How long a check-out holds: ``KETENBRUG_CHECKOUT_UREN`` hours (default 24)."""
    hours = float((os.environ if env is None else env).get("KETENBRUG_CHECKOUT_UREN", "24"))
    if hours <= 0:
        raise ValueError("KETENBRUG_CHECKOUT_UREN moet positief zijn")
    return timedelta(hours=hours)


def _since(row: DocumentCheckout) -> datetime:
    since = row.checked_out_at
    if since.tzinfo is None:  # SQLite hands timestamps back naive; they were stored in UTC
        since = since.replace(tzinfo=UTC)
    return since.astimezone(UTC)


def holder(row: DocumentCheckout) -> str:
    """Who holds a check-out and since when, as beheer and the asker read it."""
    who = ":".join(part for part in (row.zender_organisatie, row.zender_applicatie) if part)
    return f"{who} sinds {_since(row):%Y-%m-%d %H:%M} UTC"


def _already(identificatie: str, row: DocumentCheckout) -> CheckoutRefused:
    return CheckoutRefused(f"document {identificatie} is al uitgecheckt door {holder(row)}")


def new_id() -> str:
    """A checkedOutId: 256 random bits, URL-safe text (43 characters)."""
    return secrets.token_urlsafe(32)


def begin(
    store: Store,
    source_system: str,
    identificatie: str,
    zender: Systeem,
    checked_out_id: str,
    zaak: str | None = None,
    *,
    expiry: timedelta | None = None,
) -> None:
    """Check ``identificatie`` (of ``zaak``) out for ``zender`` under ``checked_out_id``
    (:func:`new_id`); CheckoutRefused when someone holds it already and it has not expired
    (``expiry``, default :func:`max_age`). An expired one is taken over."""
    if len(identificatie) > MAX_IDENTIFICATIE:  # StUF-ZKN's maximum; the column holds no more
        raise CheckoutRefused(
            f"documentidentificatie is {len(identificatie)} tekens lang, StUF-ZKN staat er "
            f"hooguit {MAX_IDENTIFICATIE} toe",
            "StUF055",
        )
    expiry = expiry if expiry is not None else max_age()
    row = DocumentCheckout(
        source_system=source_system,
        identificatie=identificatie,
        checked_out_id=checked_out_id,
        zender_organisatie=(zender.organisatie or None),
        zender_applicatie=zender.applicatie[:64],
        checked_out_at=utcnow(),
        zaak_identificatie=zaak,
    )
    for attempt in (1, 2):
        try:
            with store.session() as session:
                session.add(_copy(row))
            return
        except IntegrityError:
            held = _held(store, source_system, identificatie)
            if held is None:  # released in between: the asker may simply ask again
                raise CheckoutRefused(
                    f"document {identificatie} werd net vrijgegeven; vraag opnieuw"
                ) from None
            if attempt == 2 or utcnow() - _since(held) < expiry:
                raise _already(identificatie, held) from None
            _take_over(store, held)


def _copy(row: DocumentCheckout) -> DocumentCheckout:
    return DocumentCheckout(
        source_system=row.source_system,
        identificatie=row.identificatie,
        checked_out_id=row.checked_out_id,
        zender_organisatie=row.zender_organisatie,
        zender_applicatie=row.zender_applicatie,
        checked_out_at=row.checked_out_at,
        zaak_identificatie=row.zaak_identificatie,
    )


def _held(store: Store, source_system: str, identificatie: str) -> DocumentCheckout | None:
    with store.session() as session:
        row = session.get(DocumentCheckout, (source_system, identificatie))
        if row is not None:
            session.expunge(row)
        return row


def _take_over(store: Store, expired: DocumentCheckout) -> None:
    """End an expired check-out, only if it is still that one (compare-and-delete: of two
    askers taking over at once, one inserts and the other is refused against it)."""
    with store.session() as session:
        _end(session, expired.source_system, expired.identificatie, expired.checked_out_id)
    log.info(
        "uitcheck van document %s verlopen (%s); overgenomen",
        expired.identificatie,
        mask_text(holder(expired)),
    )


def zaak_of(session: Session, source_system: str, identificatie: str) -> str | None:
    """The zaak of a checked-out document as it was when checked out, or None."""
    row = session.get(DocumentCheckout, (source_system, identificatie))
    return row.zaak_identificatie if row is not None else None


def _end(session: Session, source_system: str, identificatie: str, checked_out_id: str) -> bool:
    """Remove the record when ``checked_out_id`` is its id; whether one was removed."""
    result = session.execute(
        delete(DocumentCheckout).where(
            DocumentCheckout.source_system == source_system,
            DocumentCheckout.identificatie == identificatie,
            DocumentCheckout.checked_out_id == checked_out_id,
        )
    )
    return bool(getattr(result, "rowcount", 0))


def check_in(
    session: Session, source_system: str, identificatie: str, checked_out_id: str | None
) -> None:
    """In the caller's transaction: end the check-out the right ``checked_out_id`` names.

    A document nobody checked out passes unchanged (an updateZaakdocument as always); a
    checked-out one without its id, or with another, raises CheckoutRefused (the caller's
    transaction rolls back: nothing is stored).
    """
    if checked_out_id and _end(session, source_system, identificatie, checked_out_id):
        return
    problem = refusal(session, source_system, identificatie, checked_out_id)
    if problem is not None:
        raise problem


def refusal(
    session: Session, source_system: str, identificatie: str, checked_out_id: str | None
) -> CheckoutRefused | None:
    """Why an updateZaakdocument with ``checked_out_id`` may not check in, or None (read-only:
    lets the inbox refuse before it writes anything; :func:`check_in` decides)."""
    row = session.get(DocumentCheckout, (source_system, identificatie))
    if row is None or (
        checked_out_id and secrets.compare_digest(row.checked_out_id, checked_out_id)
    ):
        return None
    missing = "zonder checkedOutId" if not checked_out_id else "met een onjuist checkedOutId"
    return CheckoutRefused(
        f"document {identificatie} is uitgecheckt door {holder(row)}; inchecken {missing} "
        "is geweigerd"
    )


def cancel(
    store: Store, source_system: str, identificatie: str, checked_out_id: str | None
) -> None:
    """cancelCheckout: release the check-out ``checked_out_id`` names, or CheckoutRefused."""
    with store.session() as session:
        if checked_out_id and _end(session, source_system, identificatie, checked_out_id):
            return
        row = session.get(DocumentCheckout, (source_system, identificatie))
        if row is None:
            raise CheckoutRefused(f"document {identificatie} is niet uitgecheckt")
        raise CheckoutRefused(
            f"document {identificatie} is uitgecheckt door {holder(row)}; cancelCheckout met "
            "een onjuist of ontbrekend checkedOutId is geweigerd"
        )

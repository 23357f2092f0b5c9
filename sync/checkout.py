"""Check-out records: which document GWS4all is editing, and who holds it (ZDS 1.1 #9/#12/#14).

geefZaakdocumentbewerken checks a document out (:func:`begin`): one record per document, so a
second check-out is refused by the database's primary key, never by a race between two
requests. The ``checked_out_id`` is random (256 bits) and only its holder learns it. The
check-in is an updateZaakdocument carrying it: :func:`check_in` ends the record inside the
transaction that stores the message, so either both happen or neither. cancelCheckout
(:func:`cancel`) ends it without a new version. See docs/flows/vragen.md.
"""

from __future__ import annotations

import secrets
from datetime import UTC

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
    "new_id",
    "refusal",
    "zaak_of",
]

#: StUF 03.01 has no code for "object is locked"; table 4.1 "Proces voor afhandelen bericht
#: geeft fout" is the one the ZDS spec leaves for a refusal by the service (see vragen.md).
REFUSED_CODE = "StUF058"
#: StUF-ZKN's maxLength of a DocumentIdentificatie (as the inbox enforces for a push).
MAX_IDENTIFICATIE = 40


class CheckoutRefused(Exception):
    """A check-out, check-in or cancelCheckout the record does not allow; Dutch, BSN-free."""

    def __init__(self, omschrijving: str, code: str = REFUSED_CODE) -> None:
        self.code = code
        self.omschrijving = mask_text(omschrijving)
        super().__init__(self.omschrijving)


def holder(row: DocumentCheckout) -> str:
    """Who holds a check-out and since when, as beheer and the asker read it."""
    who = ":".join(part for part in (row.zender_organisatie, row.zender_applicatie) if part)
    since = row.checked_out_at
    if since.tzinfo is None:  # SQLite hands timestamps back naive; they were stored in UTC
        since = since.replace(tzinfo=UTC)
    return f"{who} sinds {since.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


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
) -> None:
    """Check ``identificatie`` (of ``zaak``) out for ``zender`` under ``checked_out_id``
    (:func:`new_id`); CheckoutRefused when someone holds it already."""
    if len(identificatie) > MAX_IDENTIFICATIE:  # StUF-ZKN's maximum; the column holds no more
        raise CheckoutRefused(
            f"documentidentificatie is {len(identificatie)} tekens lang, StUF-ZKN staat er "
            f"hooguit {MAX_IDENTIFICATIE} toe",
            "StUF055",
        )
    try:
        with store.session() as session:
            session.add(
                DocumentCheckout(
                    source_system=source_system,
                    identificatie=identificatie,
                    checked_out_id=checked_out_id,
                    zender_organisatie=(zender.organisatie or None),
                    zender_applicatie=zender.applicatie[:64],
                    checked_out_at=utcnow(),
                    zaak_identificatie=zaak,
                )
            )
    except IntegrityError:
        with store.session() as session:
            row = session.get(DocumentCheckout, (source_system, identificatie))
            if row is None:  # released in between: the asker may simply ask again
                raise CheckoutRefused(
                    f"document {identificatie} werd net vrijgegeven; vraag opnieuw"
                ) from None
            raise _already(identificatie, row) from None


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

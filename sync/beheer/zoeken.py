"""Zoeken: a zaak, document or client by any system's key, with its identity and history.

A key (zaak- or documentidentificatie, a system's own number) is looked up in the identity
map, the ledger, the dead letters and the document-zaak links. A BSN is accepted only as
search input: it is turned into a keyed hash (:func:`sync.beheer.security.bsn_digest`) at
once, and the messages still held (inbox bodies and records, kept dead-letter records) are
matched on the keyed hash of every nine-digit number they contain. The BSN is never shown
whole, nor stored; the result names the zaken it occurs in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import or_, select

from privacy.masking import mask_bsn, mask_text
from sync.beheer.fouten import AuditRow, LedgerRow, audit_rows
from sync.beheer.security import bsn_digest
from sync.store.db import Store
from sync.store.models import DeadLetter, DocumentZaak, IdentityLink, InboxMessage, LedgerEntry

__all__ = ["SearchResult", "search"]

SCAN_LIMIT = 5000  # held messages scanned for a BSN (newest first)
_NINE = re.compile(r"(?<!\d)\d{9}(?!\d)")
_BSN_INPUT = re.compile(r"^\d{3}[ .-]?\d{3}[ .-]?\d{3}$")


@dataclass
class Identity:
    entity_type: str
    canonical_id: str
    links: list[tuple[str, str]]  # (system, key)


@dataclass
class KeyHistory:
    key: str
    ledger: list[tuple[str, LedgerRow]] = field(default_factory=list)  # (source_system, row)
    letters: list[tuple[int, str, str, str]] = field(
        default_factory=list
    )  # id, reason, state, message
    audit: list[AuditRow] = field(default_factory=list)


@dataclass
class SearchResult:
    query_shown: str  # what the page repeats: a BSN only masked
    is_bsn: bool
    identities: list[Identity] = field(default_factory=list)
    histories: list[KeyHistory] = field(default_factory=list)
    bsn_zaken: list[str] = field(default_factory=list)


def _bsn_zaken(store: Store, digest: str, key: bytes) -> tuple[list[str], list[int]]:
    zaken: set[str] = set()
    letters: list[int] = []

    def holds(text: str) -> bool:
        return any(bsn_digest(key, m) == digest for m in set(_NINE.findall(text)))

    with store.session() as session:
        messages = session.execute(
            select(InboxMessage.ordering_key, InboxMessage.body, InboxMessage.record_json)
            .where(or_(InboxMessage.body.is_not(None), InboxMessage.record_json.is_not(None)))
            .order_by(InboxMessage.id.desc())
            .limit(SCAN_LIMIT)
        ).all()
        for ordering_key, body, record_json in messages:
            text = (body or b"").decode("utf-8", "replace") + (record_json or "")
            if ordering_key and holds(text):
                zaken.add(ordering_key)
        kept = session.execute(
            select(DeadLetter.id, DeadLetter.source_key, DeadLetter.record_json)
            .where(DeadLetter.record_json.is_not(None))
            .order_by(DeadLetter.id.desc())
            .limit(SCAN_LIMIT)
        ).all()
        for letter_id, source_key, record_json in kept:
            if record_json and holds(record_json):
                letters.append(letter_id)
                zaken.add(source_key)
    return sorted(zaken), letters


def _history(store: Store, key: str) -> KeyHistory:
    history = KeyHistory(key=mask_text(key))
    with store.session() as session:
        entries = session.scalars(
            select(LedgerEntry)
            .where(
                or_(
                    LedgerEntry.source_key == key,
                    LedgerEntry.target_key == key,
                    LedgerEntry.ordering_key == key,
                )
            )
            .order_by(LedgerEntry.created_at, LedgerEntry.id)
            .limit(500)
        ).all()
        history.ledger.extend((e.source_system, LedgerRow.of(e)) for e in entries)
        letters = session.scalars(
            select(DeadLetter).where(DeadLetter.source_key == key).order_by(DeadLetter.id)
        ).all()
        for letter in letters:
            history.letters.append(
                (letter.id, letter.reason, letter.state, mask_text(letter.message))
            )
            history.audit.extend(audit_rows(session, "dead_letter", str(letter.id)))
    return history


def search(store: Store, query: str, *, bsn_key: bytes) -> SearchResult:
    """Everything the store knows under ``query`` (a key, or a BSN matched on its keyed hash)."""
    text = query.strip()
    if _BSN_INPUT.match(text):
        bsn = re.sub(r"\D", "", text)
        digest = bsn_digest(bsn_key, bsn)
        del bsn, text  # nothing below holds the BSN itself
        zaken, _letters = _bsn_zaken(store, digest, bsn_key)
        result = SearchResult(
            query_shown=mask_bsn(re.sub(r"\D", "", query)),
            is_bsn=True,
            bsn_zaken=[mask_text(z) for z in zaken],
        )
        keys = zaken
    else:
        result = SearchResult(query_shown=mask_text(text), is_bsn=False)
        keys = [text] if text else []
    seen: set[str] = set()
    with store.session() as session:
        for key in list(keys):
            canonicals = session.execute(
                select(IdentityLink.entity_type, IdentityLink.canonical_id)
                .where(IdentityLink.key == key)
                .distinct()
            ).all()
            doc_zaak = session.scalars(
                select(DocumentZaak.zaak_identificatie).where(DocumentZaak.identificatie == key)
            ).all()
            keys.extend(z for z in doc_zaak if z not in keys)
            for entity_type, canonical in canonicals:
                if canonical in seen:
                    continue
                seen.add(canonical)
                links = session.execute(
                    select(IdentityLink.system, IdentityLink.key)
                    .where(IdentityLink.canonical_id == canonical)
                    .order_by(IdentityLink.system)
                ).all()
                result.identities.append(
                    Identity(entity_type, canonical, [(s, mask_text(k)) for s, k in links])
                )
                keys.extend(k for _, k in links if k not in keys)
    result.histories = [
        h for h in (_history(store, k) for k in dict.fromkeys(keys)) if h.ledger or h.letters
    ]
    return result

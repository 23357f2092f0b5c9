"""The e-Suite simulator's memory: zaken, status history, documents, and every write made.

Why a separate store: tests and the demo must be able to *prove* "nothing lost, nothing twice".
So the store records each status write as it arrived, duplicates included (the real e-Suite
stores an actualiseerZaakstatus twice if it is sent twice), and reports how many duplicates it
holds. All methods take one lock: the HTTP server is threaded.
"""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from privacy.masking import mask_bsn
from stuf import Document, NoValue, Zaak, ZaakStatus

__all__ = [
    "DEFAULT_PREFIX",
    "DocumentListener",
    "EsuiteStore",
    "StoredDocument",
    "StoredZaak",
    "ZaakBestaatAl",
    "ZaakOnbekend",
]

log = logging.getLogger(__name__)

#: Gemeentecode 0153 (Enschede) + application, like the real e-Suite numbers its zaken.
DEFAULT_PREFIX = "0153ESUITE"


class ZaakOnbekend(LookupError):
    """The zaak is not in the store."""


class ZaakBestaatAl(ValueError):
    """A create for an identificatie (zaak or document) that is already there."""


@dataclass(frozen=True)
class StoredDocument:
    """A document as stored: metadata, size and SHA-256 of ``inhoud`` (content optional).

    ``registered`` is the day it was stored (the ZGW ``integriteit.datum``).
    """

    document: Document
    size: int
    sha256: str
    content: bytes | None = field(default=None, repr=False)
    registered: date = field(default_factory=date.today)


@dataclass(frozen=True)
class StoredZaak:
    """A zaak as the ZGW Zaken listing sees it.

    ``received`` is the moment the store took the zaak in (the ZGW ``registratiedatum`` is its
    date; the StUF ``registratiedatum`` a sender gives is kept in ``zaak``); ``status_count``
    is how many statuses were written (the last one is the zaak's current status).
    """

    zaak: Zaak
    received: datetime
    status_count: int


#: Told, after the write and outside the lock, of each document of a zaak stored ("create")
#: or changed ("update"), with its zaak: how the e-Suite's notificaties learn of them
#: (:mod:`simulators.esuite_notificaties`).
DocumentListener = Callable[[Literal["create", "update"], StoredDocument, Zaak], None]


def _now() -> datetime:
    return datetime.now().astimezone()


@dataclass
class _ZaakRecord:
    zaak: Zaak
    statussen: list[ZaakStatus] = field(default_factory=list)
    documenten: list[str] = field(default_factory=list)
    received: datetime = field(default_factory=_now)


def _plain(value: Any) -> Any:
    if isinstance(value, NoValue):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _status_key(status: ZaakStatus) -> tuple[Any, ...]:
    return (status.statustype_code, status.statustype_volgnummer, status.datum_status_gezet)


class EsuiteStore:
    """Thread-safe in-memory zaak/document store with e-Suite-style identificaties."""

    def __init__(
        self,
        *,
        prefix: str = DEFAULT_PREFIX,
        first_number: int = 1_000_001,
        keep_content: bool = True,
    ) -> None:
        self.prefix = prefix
        self.first_number = first_number
        self.keep_content = keep_content
        self._lock = threading.RLock()
        #: Not state: a reset keeps them.
        self.document_listeners: list[DocumentListener] = []
        self.reset()

    def reset(self) -> None:
        """Forget everything (``POST /_admin/reset``); numbering starts over."""
        with self._lock:
            self._zaken: dict[str, _ZaakRecord] = {}
            self._documenten: dict[str, StoredDocument] = {}
            self._document_order: list[str] = []  # identificaties, sorted (the ZGW listing)
            self._next = self.first_number
            self._next_document = self.first_number
            self.calls: Counter[str] = Counter()
            self.status_writes = 0

    def count_call(self, operation: str) -> None:
        with self._lock:
            self.calls[operation] += 1

    # --- writes -----------------------------------------------------------------------------

    def next_identificatie(self) -> str:
        """genereerZaakIdentificatie: unique, never reused (also not for zaken created directly)."""
        with self._lock:
            while True:
                candidate = f"{self.prefix}{self._next:07d}"
                self._next += 1
                if candidate not in self._zaken:
                    return candidate

    def next_document_identificatie(self) -> str:
        """genereerDocumentIdentificatie: ``0153ESUITED1000001``-style, never reused."""
        with self._lock:
            while True:
                candidate = f"{self.prefix}D{self._next_document:07d}"
                self._next_document += 1
                if candidate not in self._documenten:
                    return candidate

    def create_zaak(self, zaak: Zaak) -> None:
        with self._lock:
            if zaak.identificatie in self._zaken:
                raise ZaakBestaatAl(zaak.identificatie)
            self._zaken[zaak.identificatie] = _ZaakRecord(zaak)

    def update_zaak(self, identificatie: str, wordt: Zaak) -> None:
        """Apply the fields ``wordt`` carries; a StUF noValue clears the field."""
        with self._lock:
            record = self._record(identificatie)
            changes: dict[str, Any] = {
                f.name: (None if isinstance(value, NoValue) else value)
                for f in dataclasses.fields(wordt)
                if f.name != "identificatie" and (value := getattr(wordt, f.name)) is not None
            }
            record.zaak = dataclasses.replace(record.zaak, **changes)

    def add_status(self, identificatie: str, status: ZaakStatus) -> None:
        """Append the status, as the e-Suite does: a repeated write is stored again."""
        with self._lock:
            record = self._record(identificatie)
            record.statussen.append(status)
            self.status_writes += 1

    def add_document(self, document: Document) -> StoredDocument:
        """voegZaakdocumentToe with the content in ``document.inhoud``."""
        content = document.inhoud if isinstance(document.inhoud, bytes) else b""
        return self.add_streamed_document(
            dataclasses.replace(document, inhoud=None),
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
        )

    def add_streamed_document(
        self, document: Document, *, size: int, sha256: str, content: bytes | None
    ) -> StoredDocument:
        """voegZaakdocumentToe whose content was streamed: its size and SHA-256 are given, and
        the content itself when the caller kept it (stored only with ``keep_content``)."""
        with self._lock:
            if document.identificatie in self._documenten:
                raise ZaakBestaatAl(document.identificatie)
            zaak_id = document.zaak_identificatie
            record = self._record(zaak_id) if zaak_id else None
            stored = StoredDocument(
                document=dataclasses.replace(document, inhoud=None),
                size=size,
                sha256=sha256,
                content=content if self.keep_content else None,
            )
            self._documenten[document.identificatie] = stored
            bisect.insort(self._document_order, document.identificatie)
            if record is not None:
                record.documenten.append(document.identificatie)
        if record is not None:
            self._tell("create", stored, record.zaak)
        return stored

    def update_document(self, wordt: Document) -> StoredDocument:
        """updateZaakdocument: metadata fields ``wordt`` carries, and new content if it has any."""
        inhoud = wordt.inhoud
        if not isinstance(inhoud, bytes):
            return self.update_streamed_document(wordt)
        return self.update_streamed_document(
            dataclasses.replace(wordt, inhoud=None),
            size=len(inhoud),
            sha256=hashlib.sha256(inhoud).hexdigest(),
            content=inhoud,
        )

    def update_streamed_document(
        self,
        wordt: Document,
        *,
        size: int | None = None,
        sha256: str | None = None,
        content: bytes | None = None,
    ) -> StoredDocument:
        """updateZaakdocument whose content was streamed: the metadata fields ``wordt`` carries
        (a StUF noValue clears one), and, when ``size`` and ``sha256`` are given, the new
        content (kept only with ``keep_content``; ``registered`` becomes today). Without them
        the update is metadata only. Raises :class:`ZaakOnbekend` for an unknown document."""
        if (size is None) != (sha256 is None):
            raise ValueError("size and sha256 go together")
        with self._lock:
            old = self._documenten.get(wordt.identificatie)
            if old is None:
                raise ZaakOnbekend(wordt.identificatie)
            changes: dict[str, Any] = {
                f.name: (None if isinstance(value, NoValue) else value)
                for f in dataclasses.fields(wordt)
                if f.name not in ("identificatie", "inhoud", "zaak_identificatie")
                and (value := getattr(wordt, f.name)) is not None
            }
            stored = dataclasses.replace(old, document=dataclasses.replace(old.document, **changes))
            if size is not None and sha256 is not None:
                stored = dataclasses.replace(
                    stored,
                    size=size,
                    sha256=sha256,
                    content=content if self.keep_content else None,
                    registered=datetime.now().astimezone().date(),
                )
            self._documenten[wordt.identificatie] = stored
            zaak_id = stored.document.zaak_identificatie
            record = self._zaken.get(zaak_id) if zaak_id else None
        if record is not None:
            self._tell("update", stored, record.zaak)
        return stored

    def _tell(self, actie: Literal["create", "update"], stored: StoredDocument, zaak: Zaak) -> None:
        """Inform the listeners; one that fails must not undo (or fail) the stored write."""
        for listener in list(self.document_listeners):
            try:
                listener(actie, stored, zaak)
            except Exception:
                log.exception("e-Suite store: document listener failed")

    # --- reads ------------------------------------------------------------------------------

    def _record(self, identificatie: str) -> _ZaakRecord:
        record = self._zaken.get(identificatie)
        if record is None:
            raise ZaakOnbekend(identificatie)
        return record

    def get(self, identificatie: str) -> tuple[Zaak, list[ZaakStatus]]:
        """The zaak and a copy of its status history; raises :class:`ZaakOnbekend`."""
        with self._lock:
            record = self._record(identificatie)
            return record.zaak, list(record.statussen)

    def stored_zaak(self, identificatie: str) -> StoredZaak | None:
        """One zaak with its moment of receipt, or None (the ZGW ``GET /zaken/{uuid}``)."""
        with self._lock:
            record = self._zaken.get(identificatie)
            if record is None:
                return None
            return StoredZaak(record.zaak, record.received, len(record.statussen))

    def zaken(self) -> list[StoredZaak]:
        """Every zaak with its moment of receipt, in the order received (the ZGW listing)."""
        with self._lock:
            return [StoredZaak(r.zaak, r.received, len(r.statussen)) for r in self._zaken.values()]

    def documents_of(self, zaak_identificatie: str) -> list[StoredDocument]:
        """The zaak's documents in the order they were added; raises :class:`ZaakOnbekend`."""
        with self._lock:
            record = self._record(zaak_identificatie)
            return [self._documenten[d] for d in record.documenten]

    def document(self, identificatie: str) -> StoredDocument | None:
        with self._lock:
            return self._documenten.get(identificatie)

    def document_page(
        self, offset: int, limit: int, identificatie: str | None = None
    ) -> tuple[int, list[StoredDocument]]:
        """(total count, up to ``limit`` documents from ``offset``), ordered by identificatie.

        With ``identificatie`` only that document (count 0 or 1). Backs the ZGW listing.
        """
        with self._lock:
            if identificatie is not None:
                found = self._documenten.get(identificatie)
                matches = [found] if found is not None else []
                return len(matches), matches[offset : offset + limit]
            ids = self._document_order[offset : offset + limit]
            return len(self._document_order), [self._documenten[i] for i in ids]

    def __contains__(self, identificatie: object) -> bool:
        with self._lock:
            return identificatie in self._zaken

    def counts(self) -> dict[str, Any]:
        with self._lock:
            duplicates = 0
            for record in self._zaken.values():
                keys = [_status_key(s) for s in record.statussen]
                duplicates += len(keys) - len(set(keys))
            return {
                "zaken": len(self._zaken),
                "statussen": sum(len(r.statussen) for r in self._zaken.values()),
                "status_writes": self.status_writes,
                "duplicate_statussen": duplicates,
                "documenten": len(self._documenten),
                "calls": dict(self.calls),
            }

    def snapshot(self, zaak: str | None = None, *, include_zaken: bool = True) -> dict[str, Any]:
        """JSON-ready state: counts, and per zaak its statuses (BSN masked) and documents."""
        with self._lock:
            state: dict[str, Any] = {"counts": self.counts()}
            if not include_zaken:
                return state
            ids = [zaak] if zaak is not None else list(self._zaken)
            state["zaken"] = {zid: self._zaak_json(zid) for zid in ids if zid in self._zaken}
            doc_ids = {d for zid in state["zaken"] for d in self._zaken[zid].documenten}
            if zaak is None:
                doc_ids = set(self._documenten)
            state["documenten"] = {d: self._document_json(d) for d in sorted(doc_ids)}
            return state

    def _zaak_json(self, identificatie: str) -> dict[str, Any]:
        record = self._zaken[identificatie]
        z = record.zaak
        return {
            "zaaktype_code": _plain(z.zaaktype_code),
            "omschrijving": _plain(z.omschrijving),
            "startdatum": _plain(z.startdatum),
            "registratiedatum": _plain(z.registratiedatum),
            "einddatum": _plain(z.einddatum),
            "initiator_bsn": mask_bsn(z.initiator_bsn),
            "statussen": [
                {
                    "code": _plain(s.statustype_code),
                    "volgnummer": s.statustype_volgnummer,
                    "omschrijving": _plain(s.statustype_omschrijving),
                    "datum_status_gezet": _plain(s.datum_status_gezet),
                }
                for s in record.statussen
            ],
            "documenten": list(record.documenten),
        }

    def _document_json(self, identificatie: str) -> dict[str, Any]:
        stored = self._documenten[identificatie]
        doc = stored.document
        return {
            "zaak": doc.zaak_identificatie,
            "titel": _plain(doc.titel),
            "bestandsnaam": doc.bestandsnaam,
            "formaat": _plain(doc.formaat),
            "size": stored.size,
            "sha256": stored.sha256,
        }

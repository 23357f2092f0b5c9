"""What the GWS4all backoffice simulator holds: zaken, their statuses, documents, receipts.

Why a separate store: the doorgifte (e-Suite -> GWS4all) must be shown to deliver each zaak and
document exactly once, also after a lost answer. So the store keeps each object once (a second
create is refused, like a backoffice does) but counts every time one was *received*, so a test
can tell "sent twice, stored once" from "sent once". Documents keep size and SHA-256 only, never
their content. All methods take one lock: the HTTP server is threaded.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from privacy.masking import mask_bsn
from stuf import Document, NoValue, Zaak, ZaakStatus

__all__ = [
    "Gws4allBackofficeStore",
    "ObjectBestaatAl",
    "ObjectOnbekend",
    "StoredDocument",
    "StoredZaak",
]


class ObjectOnbekend(LookupError):
    """The zaak (or document) is not in the store."""


class ObjectBestaatAl(ValueError):
    """A create for an identificatie that is already there; ``sha256`` is the held content's
    hash for a document (so the caller can say whether the content is the same)."""

    def __init__(self, identificatie: str, sha256: str | None = None) -> None:
        super().__init__(identificatie)
        self.identificatie = identificatie
        self.sha256 = sha256


@dataclass
class StoredZaak:
    """A zaak as GWS4all keeps it, with the key GWS4all gave it (``GWS-<n>``)."""

    zaak: Zaak
    gws_zaaknummer: str
    statussen: list[ZaakStatus] = field(default_factory=list)
    documenten: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class StoredDocument:
    """A document's metadata (``inhoud`` dropped) with the size and SHA-256 of its content."""

    document: Document
    size: int
    sha256: str


def _plain(value: Any) -> Any:
    if isinstance(value, NoValue):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


class Gws4allBackofficeStore:
    """Thread-safe in-memory store; GWS4all's own zaaknummers run ``GWS-1``, ``GWS-2``, ..."""

    def __init__(self, *, key_prefix: str = "GWS-") -> None:
        self.key_prefix = key_prefix
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        """Forget everything; numbering starts over."""
        with self._lock:
            self._zaken: dict[str, StoredZaak] = {}
            self._documenten: dict[str, StoredDocument] = {}
            self._next = 1
            self.calls: Counter[str] = Counter()
            self.zaak_received: Counter[str] = Counter()
            self.document_received: Counter[str] = Counter()

    # --- receipts ---------------------------------------------------------------------------

    def count_call(self, operation: str) -> None:
        with self._lock:
            self.calls[operation] += 1

    def received_zaak(self, identificatie: str) -> None:
        """A creeerZaak for ``identificatie`` reached the backoffice (stored or not)."""
        with self._lock:
            self.zaak_received[identificatie] += 1

    def received_document(self, identificatie: str) -> None:
        """A voegZaakdocumentToe for ``identificatie`` reached the backoffice (stored or not)."""
        with self._lock:
            self.document_received[identificatie] += 1

    # --- writes -----------------------------------------------------------------------------

    def create_zaak(self, zaak: Zaak) -> StoredZaak:
        """Keep a new zaak under a fresh GWS4all key; :class:`ObjectBestaatAl` if it is there."""
        with self._lock:
            if zaak.identificatie in self._zaken:
                raise ObjectBestaatAl(zaak.identificatie)
            stored = StoredZaak(zaak, f"{self.key_prefix}{self._next}")
            self._next += 1
            self._zaken[zaak.identificatie] = stored
            return stored

    def add_status(self, identificatie: str, status: ZaakStatus) -> None:
        """Append a status (actualiseerZaakstatus); :class:`ObjectOnbekend` for an unknown zaak."""
        with self._lock:
            self._zaak(identificatie).statussen.append(status)

    def add_document(self, document: Document, *, size: int, sha256: str) -> StoredDocument:
        """Keep a document of a held zaak (its content already hashed by the caller).

        :class:`ObjectOnbekend` when its zaak is unknown (or it names none),
        :class:`ObjectBestaatAl` (with the held SHA-256) when the identificatie is there.
        """
        with self._lock:
            held = self._documenten.get(document.identificatie)
            if held is not None:
                raise ObjectBestaatAl(document.identificatie, held.sha256)
            record = self._zaak(document.zaak_identificatie or "")
            stored = StoredDocument(document, size, sha256)
            self._documenten[document.identificatie] = stored
            record.documenten.append(document.identificatie)
            return stored

    # --- reads ------------------------------------------------------------------------------

    def _zaak(self, identificatie: str) -> StoredZaak:
        record = self._zaken.get(identificatie)
        if record is None:
            raise ObjectOnbekend(identificatie)
        return record

    def zaak(self, identificatie: str) -> StoredZaak:
        """The held zaak (statuses copied); raises :class:`ObjectOnbekend`."""
        with self._lock:
            record = self._zaak(identificatie)
            return StoredZaak(
                record.zaak, record.gws_zaaknummer, list(record.statussen), list(record.documenten)
            )

    def gws_zaaknummer(self, identificatie: str) -> str | None:
        """The key GWS4all gave the zaak, or None when it does not hold it."""
        with self._lock:
            record = self._zaken.get(identificatie)
            return record.gws_zaaknummer if record is not None else None

    def initiator_bsn(self, identificatie: str) -> str | None:
        """The BSN of the zaak's initiator, unmasked (tests only; never log it)."""
        with self._lock:
            return self._zaak(identificatie).zaak.initiator_bsn

    def document(self, identificatie: str) -> StoredDocument | None:
        with self._lock:
            return self._documenten.get(identificatie)

    def __contains__(self, identificatie: object) -> bool:
        with self._lock:
            return identificatie in self._zaken

    def snapshot(self) -> dict[str, Any]:
        """Plain, JSON-ready state: zaken (BSN masked) and documenten, each with ``received``
        (how many times a create for it reached the backoffice), and the calls per operation."""
        with self._lock:
            zaken = {zid: self._zaak_json(zid) for zid in self._zaken}
            documenten = {did: self._document_json(did) for did in self._documenten}
            return {
                "zaken": zaken,
                "documenten": documenten,
                "received": {
                    "zaken": dict(self.zaak_received),
                    "documenten": dict(self.document_received),
                },
                "calls": dict(self.calls),
            }

    def _zaak_json(self, identificatie: str) -> dict[str, Any]:
        record = self._zaken[identificatie]
        z = record.zaak
        return {
            "gws_zaaknummer": record.gws_zaaknummer,
            "zaaktype_code": _plain(z.zaaktype_code),
            "zaaktype_omschrijving": _plain(z.zaaktype_omschrijving),
            "omschrijving": _plain(z.omschrijving),
            "startdatum": _plain(z.startdatum),
            "registratiedatum": _plain(z.registratiedatum),
            "initiator_bsn": mask_bsn(z.initiator_bsn),
            "statussen": [
                {
                    "code": _plain(s.statustype_code),
                    "volgnummer": s.statustype_volgnummer,
                    "datum_status_gezet": _plain(s.datum_status_gezet),
                }
                for s in record.statussen
            ],
            "documenten": list(record.documenten),
            "received": self.zaak_received[identificatie],
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
            "received": self.document_received[identificatie],
        }

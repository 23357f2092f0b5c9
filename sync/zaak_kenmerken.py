"""A zaak's zaaktype and start date, kept for the archives (table ``zaak_kenmerk``).

Why: a document names its zaak only, yet MyLex files it under the zaak's start year, its
retention follows the zaaktype, and functiescheiding routes it by zaaktype. The zaken flow
records what it plans into the zaaksysteem; a source that reads zaken from the zaaksysteem
records what it read. The key is the zaak's identificatie in the zaaksysteem.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.store.models import ZaakKenmerk

__all__ = ["Kenmerken", "ZaakKenmerken", "as_date"]


def as_date(value: object) -> date | None:
    """A date from a record field (``date``, ISO ``YYYY-MM-DD`` or ``YYYYMMDD``), else None."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()[:10]
    try:
        if len(text) >= 8 and text[:8].isdigit():
            return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
        return date.fromisoformat(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class Kenmerken:
    """What is known of one zaak (each part may be unknown)."""

    zaak_identificatie: str
    zaaktype: str | None
    startdatum: date | None
    einddatum: date | None = None

    @property
    def startjaar(self) -> int | None:
        return self.startdatum.year if self.startdatum else None


_ROWS = "ketenbrug_zaak_kenmerk_rows"
_IN_CHUNK = 500


class ZaakKenmerken:
    """Reads and records zaak kenmerken inside the caller's transaction.

    The rows read or added are remembered per session (``Session.info``), shared by every
    instance on that session: a batch asks the database once per zaak, or once per batch
    after ``preload``, and a row added earlier in the batch is found before it is flushed.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._rows: dict[str, ZaakKenmerk | None] = session.info.setdefault(_ROWS, {})

    def preload(self, zaak_identificaties: Iterable[str]) -> None:
        """Read the rows of many zaken in a few queries (a batch's zaken)."""
        wanted = sorted({z for z in zaak_identificaties if z not in self._rows})
        for start in range(0, len(wanted), _IN_CHUNK):
            chunk = wanted[start : start + _IN_CHUNK]
            for row in self.session.scalars(
                select(ZaakKenmerk).where(ZaakKenmerk.zaak_identificatie.in_(chunk))
            ):
                self._rows[row.zaak_identificatie] = row
            for zaak in chunk:
                self._rows.setdefault(zaak, None)

    def _row(self, zaak_identificatie: str) -> ZaakKenmerk | None:
        if zaak_identificatie not in self._rows:
            self._rows[zaak_identificatie] = self.session.get(ZaakKenmerk, zaak_identificatie)
        return self._rows[zaak_identificatie]

    def lookup(self, zaak_identificatie: str) -> Kenmerken | None:
        row = self._row(zaak_identificatie)
        if row is None:
            return None
        return Kenmerken(row.zaak_identificatie, row.zaaktype, row.startdatum, row.einddatum)

    def record(
        self,
        zaak_identificatie: str,
        *,
        bron: str,
        zaaktype: str | None = None,
        startdatum: object = None,
        einddatum: object = None,
    ) -> None:
        """Remember what is known; a part not given keeps what was recorded before."""
        start, end = as_date(startdatum), as_date(einddatum)
        row = self._row(zaak_identificatie)
        if row is None:
            row = ZaakKenmerk(zaak_identificatie=zaak_identificatie, bron=bron)
            self.session.add(row)
            self._rows[zaak_identificatie] = row
        row.zaaktype = zaaktype or row.zaaktype
        row.startdatum = start or row.startdatum
        row.einddatum = end or row.einddatum
        row.bron = bron

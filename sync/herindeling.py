"""MyLex's folder year follows the zaak's start year: documents filed under their creation year
(the rule before) are moved once, by rename, into ``archief/<startjaar>/<zaak>/``.

Why here: the reconciliation lists MyLex once a night; this step sees that same listing
(``on_left_entry``), notes the documents whose folder year differs from their zaak's start year
(``zaak_kenmerk``; a zaak whose start is unknown is left alone), and moves them after the
listing ended (moving while listing would change what is being listed). A move is renames only
and finishes what an earlier, cut-short move began (``MyLexClient.verplaats``), so a document is
never moved twice nor left in two places. At most ``limit`` moves a night; the rest follow.
"""

from __future__ import annotations

import logging
import posixpath
from dataclasses import dataclass, field

from adapters.mylex.client import MyLexClient
from sync.reconcile import ArchiveEntry
from sync.store.db import Store
from sync.zaak_kenmerken import ZaakKenmerken

__all__ = ["Herindeling", "HerindelingResult"]

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 10_000


@dataclass
class HerindelingResult:
    """Counts of one night's moves (safe for XCom and logs)."""

    verplaatst: int = 0
    dubbel_opgeruimd: int = 0
    uitgesteld: int = 0
    fouten: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "verplaatst": self.verplaatst,
            "dubbel_opgeruimd": self.dubbel_opgeruimd,
            "volgende_nacht": self.uitgesteld,
            "fouten": len(self.fouten),
        }


def _place(locatie: str) -> tuple[int, str] | None:
    """``(jaar, zaak)`` of a MyLex locatie ``.../archief/<jaar>/<zaak>/<naam>``."""
    folder = posixpath.dirname(locatie)
    jaar, zaak = posixpath.split(folder)
    jaar = posixpath.basename(jaar)
    return (int(jaar), zaak) if jaar.isdigit() else None


class Herindeling:
    """Notes misfiled documents while the listing streams by; :meth:`move` moves them after."""

    def __init__(self, store: Store, *, limit: int = DEFAULT_LIMIT) -> None:
        self.store = store
        self.limit = limit
        self._start: dict[str, int | None] = {}  # per zaak folder, looked up once
        self.te_verplaatsen: list[tuple[str, int]] = []
        self.uitgesteld = 0

    def _startjaar(self, zaak: str) -> int | None:
        if zaak not in self._start:
            with self.store.session() as session:
                kenmerken = ZaakKenmerken(session).lookup(zaak)
            self._start[zaak] = kenmerken.startjaar if kenmerken else None
        return self._start[zaak]

    def __call__(self, entry: ArchiveEntry) -> None:
        place = _place(entry.locatie) if entry.locatie else None
        if place is None:
            return
        jaar, zaak = place
        start = self._startjaar(zaak)
        if start is None or start == jaar:
            return
        if len(self.te_verplaatsen) >= self.limit:
            self.uitgesteld += 1
            return
        self.te_verplaatsen.append((entry.locatie, start))

    def move(self, client: MyLexClient) -> HerindelingResult:
        """Move what the listing noted, and settle copies it found in a second folder."""
        result = HerindelingResult(uitgesteld=self.uitgesteld)
        for locatie, jaar in self.te_verplaatsen:
            try:
                client.verplaats(locatie, jaar)
                result.verplaatst += 1
            except Exception as error:  # one document's trouble does not stop the others
                log.warning("mylex: verplaatsen mislukt: %s", type(error).__name__)
                result.fouten.append(type(error).__name__)
        for identificatie, locatie in list(client.dubbel):
            place = _place(locatie)
            start = self._startjaar(place[1]) if place else None
            if place is not None and start is not None and place[0] != start:
                # the copy at the wrong year: a complete one sits at the zaak's start year
                client.verwijder(posixpath.dirname(locatie), identificatie)
                result.dubbel_opgeruimd += 1
        return result

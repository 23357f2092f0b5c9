"""What a zaak question selects and which related entities it asks for (``zakLv01``).

Kept apart from :mod:`stuf.model` (which re-exports both) to keep that module small.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from privacy.masking import mask_bsn

__all__ = ["STATUS_SCOPE", "ZaakScope", "ZaakSelectie"]


@dataclass(frozen=True)
class ZaakSelectie:
    """What a ``zakLv01`` selects on beyond one identificatie (``gelijk``, ``vanaf``,
    ``totEnMet``); every given field must match. ``initiator_bsn`` is kept out of ``repr``."""

    identificatie: str | None = None
    zaaktype_code: str | None = None
    initiator_bsn: str | None = field(default=None, repr=False)
    startdatum_vanaf: date | None = None
    startdatum_tot_en_met: date | None = None
    registratiedatum_vanaf: date | None = None
    registratiedatum_tot_en_met: date | None = None

    @property
    def initiator_bsn_masked(self) -> str:
        return mask_bsn(self.initiator_bsn)


@dataclass(frozen=True)
class ZaakScope:
    """Which related entities a ``zakLv01``'s ``scope`` asks for; the zaak's own fields are
    always answered. The default is ``StUF:scope="alles"`` without the documents."""

    zaaktype: bool = True  # isVan
    initiator: bool = True  # heeftAlsInitiator
    statussen: bool = True  # heeft
    documenten: bool = False  # heeftRelevant


#: What geefZaakstatus asks for by default: the zaak's identificatie and its statuses.
STATUS_SCOPE = ZaakScope(zaaktype=False, initiator=False, statussen=True)

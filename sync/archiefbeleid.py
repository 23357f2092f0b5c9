"""The retention data of one document for MyLex: its zaak's start year, zaaktype and the
zaaktype's archiefbeleid (``mappings/archiefbeleid.csv``).

Why here: a document names its zaak only. The zaak's kenmerken (``sync.zaak_kenmerken``) give
the zaaktype (which retention applies), the start year (MyLex's folder) and the einddatum (the
bewaartermijn runs from the zaak's end). Flows put this dict into the ``archiveer_document``
operation; the MyLex adapter checks it and writes it into MDTO.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from adapters.mylex.bewaring import einde_termijn
from mappings.archiefbeleid import Archiefbeleid
from sync.zaak_kenmerken import ZaakKenmerken

__all__ = ["archief_gegevens"]


def archief_gegevens(
    session: Session,
    beleid: Archiefbeleid | None,
    zaak_identificatie: str | None,
    *,
    jaar: int | None = None,
) -> dict[str, Any]:
    """The operation data for MyLex of a document of this zaak (its zaaksysteem identificatie).

    ``jaar`` is None when the zaak's start is unknown (MyLex then files by creation year). An
    unknown zaaktype gets the ``*`` row. ``einde_bewaartermijn`` (ISO date) is the zaak's
    einddatum + bewaartermijn once the zaak has ended, else None. Without a beleid table the
    retention fields are None and MyLex keeps its former default (V, P10Y, 1.1.4). ``jaar``
    given (a repair rewriting a file where it lies) wins over the zaak's start year.
    """
    kenmerken = ZaakKenmerken(session).lookup(zaak_identificatie) if zaak_identificatie else None
    zaaktype = kenmerken.zaaktype if kenmerken else None
    gegevens: dict[str, Any] = {
        "jaar": jaar or (kenmerken.startjaar if kenmerken else None),
        "zaaktype": zaaktype,
        "waardering": None,
        "bewaartermijn": None,
        "selectielijst": None,
        "startdatum_looptijd": None,
        "einde_bewaartermijn": None,
    }
    if beleid is None:
        return gegevens
    regel = beleid.voor(zaaktype)
    gegevens["waardering"] = regel.waardering
    gegevens["selectielijst"] = {
        "categorie": regel.selectielijst_categorie,
        "omschrijving": regel.categorie_naam,
    }
    if regel.waardering == "V":
        gegevens["bewaartermijn"] = regel.bewaartermijn
        einddatum = kenmerken.einddatum if kenmerken else None
        if einddatum is not None:
            einde = einde_termijn(einddatum, regel.bewaartermijn)
            gegevens["startdatum_looptijd"] = einddatum.isoformat()
            gegevens["einde_bewaartermijn"] = einde.isoformat() if einde else None
    return gegevens

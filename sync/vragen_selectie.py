"""Which zaken a geefZaakdetails/geefZaakstatus selects when it asks for more than one
identificatie (docs/flows/vragen.md, *Selectie*).

A selection with an identificatie is one zaak: read as always (ZDS geefZaakdetails with what
the inbox holds on top) and then held against the other fields. Without one, the e-Suite's
ZGW Zaken API lists the candidates (zaaktype, initiator BSN, date range), each candidate's
details come from ZDS geefZaakdetails as for one zaak, and every field is checked again on
those details: the listing shows no rollen, and a server may ignore a filter. The answer is in
GWS4all's identificatie order, at most ``maximum`` zaken after ``start``; ``vervolg`` says
that at least one more zaak matches. Reads only; a BSN goes to the Zaken API as its filter
and nowhere else (no log line, no error text).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from adapters.esuite.zaak_lijst import ZaakZoekvraag
from stuf import DateValue, Zaak, ZaakSelectie, ZaakStatus

__all__ = ["DEFAULT_MAXIMUM", "MAXIMUM", "Pagina", "matches", "select"]

#: StUF's default maximumAantal (ZAK-parametersVraagSynchroon) when the question names none.
DEFAULT_MAXIMUM = 15
#: The most zaken one answer carries, whatever the question asks (the question's time budget).
MAXIMUM = 100

Details = tuple[Zaak, list[ZaakStatus]]


@dataclass(frozen=True)
class Pagina:
    """One answer's zaken (GWS4all keys and codes) and whether more follow."""

    zaken: list[Details]
    vervolg: bool


def _within(value: DateValue, low: date | None, high: date | None) -> bool:
    if low is None and high is None:
        return True
    if not isinstance(value, date):
        return False
    return (low is None or value >= low) and (high is None or value <= high)


def matches(zaak: Zaak, selectie: ZaakSelectie, zaaktype: object | None) -> bool:
    """Does ``zaak`` (GWS4all's view) meet every field of ``selectie``? ``zaaktype`` is the
    selection's zaaktype as answers name it (the mapping read backwards), None for any."""
    if selectie.identificatie is not None and zaak.identificatie != selectie.identificatie:
        return False
    if zaaktype is not None and zaak.zaaktype_code != zaaktype:
        return False
    if selectie.initiator_bsn is not None and zaak.initiator_bsn != selectie.initiator_bsn:
        return False
    return _within(
        zaak.startdatum, selectie.startdatum_vanaf, selectie.startdatum_tot_en_met
    ) and _within(
        zaak.registratiedatum, selectie.registratiedatum_vanaf, selectie.registratiedatum_tot_en_met
    )


def select(
    selectie: ZaakSelectie,
    *,
    esuite_zaaktype: str | None,
    answered_zaaktype: object | None,
    zoek: Callable[[ZaakZoekvraag], list[str]],
    own_key: Callable[[str], str],
    details: Callable[[str], Details | None],
    maximum: int | None,
    start: str | None,
) -> Pagina:
    """The page of zaken ``selectie`` selects (see the module docstring).

    ``zoek`` lists e-Suite identificaties, ``own_key`` turns one into GWS4all's, ``details``
    reads one zaak by GWS4all's key (None: unknown).
    """
    limit = min(maximum or DEFAULT_MAXIMUM, MAXIMUM)
    if selectie.identificatie is not None:
        candidates = [selectie.identificatie]
    else:
        vraag = ZaakZoekvraag(
            zaaktype_code=esuite_zaaktype,
            bsn=selectie.initiator_bsn,
            startdatum_vanaf=selectie.startdatum_vanaf,
            startdatum_tot_en_met=selectie.startdatum_tot_en_met,
            registratiedatum_vanaf=selectie.registratiedatum_vanaf,
            registratiedatum_tot_en_met=selectie.registratiedatum_tot_en_met,
        )
        candidates = sorted({own_key(found) for found in zoek(vraag)})
    if start is not None:
        candidates = [key for key in candidates if key > start]
    found: list[Details] = []
    for key in candidates:
        read = details(key)
        if read is None or not matches(read[0], selectie, answered_zaaktype):
            continue
        if len(found) == limit:  # one more matches: the asker may ask for the next page
            return Pagina(found, vervolg=True)
        found.append(read)
    return Pagina(found, vervolg=False)

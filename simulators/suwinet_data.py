"""Response bodies of the Suwinet-Inkijk services, built from the synthetic data.

Why separate from the WSGI app: the SuwiML answer shapes (BRPDossierPersoonGSD v0200,
UWVDossierInkomstenGSD v0200) are what an adapter parses, and they are easiest to review next
to the BKWI ``BodyReaction.xsd``. Only the body root is namespace-qualified
(``elementFormDefault="unqualified"``); amounts are ``StandaardBedr`` in euro cents.

Income (UWV polisadministratie) is drawn per client from its own seeded stream: about 40% of the
clients have an employer (part-time work next to bijstand), the others get ``NietsGevonden``.
Monthly ``Inkomstenopgave`` rows are made for the asked period (default: calendar year 2024),
at most 24, so an answer stays small.
"""

from __future__ import annotations

import random
from datetime import date

from lxml import etree

from simulators._names import GEMEENTECODE
from simulators.synthetic import SynthClient

__all__ = [
    "FWI_NS",
    "NS_BRP",
    "NS_UWV",
    "brp_response",
    "fwi_element",
    "niets_gevonden_response",
    "uwv_income",
    "uwv_response",
]

NS_BRP = "http://bkwi.nl/SuwiML/Diensten/BRPDossierPersoonGSD/v0200"
NS_UWV = "http://bkwi.nl/SuwiML/Diensten/UWVDossierInkomstenGSD/v0200"
FWI_NS = "http://bkwi.nl/SuwiML/FWI/v0205"
DEFAULT_PERIOD = (date(2024, 1, 1), date(2024, 12, 31))
_MAX_MONTHS = 24
_EMPLOYERS = (
    "Twentse Schoonmaak BV", "Bakkerij Oude Markt", "Zorggroep Enschede", "Logistiek Oost BV",
    "Supermarkt Hengelosestraat", "Horeca Roombeek VOF", "Uitzendbureau Twente BV",
)  # fmt: skip


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, tag)
    if text is not None:
        element.text = text
    return element


def _root(namespace: str, local: str) -> etree._Element:
    prefix = "brp" if namespace == NS_BRP else "uwv"
    return etree.Element(f"{{{namespace}}}{local}", nsmap={prefix: namespace, "fwi": FWI_NS})


def _bedr(parent: etree._Element, tag: str, cents: int) -> None:
    holder = _sub(parent, tag)
    _sub(holder, "CdMunteenheid", "EUR")
    _sub(holder, "CdPositiefNegatief", "-" if cents < 0 else "+")
    _sub(holder, "WaardeBedr", str(abs(cents)))


def _anr(client: SynthClient) -> str:
    """A 10-digit A-nummer that is stable per client (not a valid A-nummer checksum)."""
    return f"{(client.index * 7_777_777 + client.seed * 13 + 1_000_000_000) % 10**10:010d}"


def brp_response(client: SynthClient) -> etree._Element:
    """``AanvraagPersoonResponse`` with one ``ClientSuwi`` (persoon, nationaliteit, adres)."""
    root = _root(NS_BRP, "AanvraagPersoonResponse")
    persoon = _sub(root, "ClientSuwi")
    _sub(persoon, "Voornamen", client.voornamen)
    if client.voorvoegsel:
        _sub(persoon, "Voorvoegsel", client.voorvoegsel)
    _sub(persoon, "SignificantDeelVanDeAchternaam", client.geslachtsnaam)
    _sub(persoon, "Geboortedat", client.geboortedatum.strftime("%Y%m%d"))
    _sub(persoon, "Burgerservicenr", client.bsn)
    _sub(persoon, "CdBrpGegevensGeheim", "0")
    _sub(persoon, "ANr", _anr(client))
    _sub(persoon, "AanduidingNaamgebruik", "1")
    _sub(persoon, "Geslacht", "1" if client.geslachtsaanduiding == "M" else "2")
    _sub(persoon, "CdGeboortegemeente", GEMEENTECODE)
    _sub(persoon, "Geboorteland", "6030")
    nationaliteit = _sub(persoon, "Nationaliteit")
    _sub(nationaliteit, "CdNationaliteit", "0001")
    adres = _sub(persoon, "DomicilieAdres")
    _sub(adres, "Postcd", client.postcode.replace(" ", ""))
    _sub(adres, "Woonplaatsnaam", client.woonplaats)
    _sub(adres, "Straatnaam", client.straat[:24])
    _sub(adres, "NaamOpenbareRuimte", client.straat)
    _sub(adres, "Huisnr", str(client.huisnummer))
    aangifte = _sub(persoon, "AangifteAdreshoudingBrp")
    _sub(aangifte, "CdGemeenteVanInschrijving", GEMEENTECODE)
    return root


def uwv_income(client: SynthClient) -> tuple[str, str, int, date] | None:
    """(employer, loonheffingennummer, monthly gross cents, start) or None: no income."""
    rng = random.Random(f"uwv:{client.seed}:{client.index}")
    if rng.random() >= 0.4:
        return None
    employer = _EMPLOYERS[int(rng.random() * len(_EMPLOYERS))]
    fi_nr = f"{8_000_00000 + int(rng.random() * 99_999_999):09d}"
    gross = 20_000 + int(rng.random() * 120_000)
    start = date(2022 + int(rng.random() * 3), 1 + int(rng.random() * 12), 1)
    return employer, f"{fi_nr}L01", gross, start


def _months(start: date, end: date) -> list[date]:
    months: list[date] = []
    current = date(start.year, start.month, 1)
    while current <= end and len(months) < _MAX_MONTHS:
        months.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return months


def _month_end(first: date) -> date:
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def uwv_response(client: SynthClient, period: tuple[date, date]) -> etree._Element | None:
    """``UWVPersoonsIkvInfoResponse`` for ``period``, or None when there is nothing to report."""
    income = uwv_income(client)
    if income is None:
        return None
    employer, loonheffingennr, gross, start = income
    months = _months(max(start, period[0]), period[1])
    if not months:
        return None
    root = _root(NS_UWV, "UWVPersoonsIkvInfoResponse")
    persoon = _sub(root, "ClientSuwi")
    _sub(persoon, "Burgerservicenr", client.bsn)
    ikv = _sub(persoon, "Inkomstenverhouding")
    _sub(ikv, "VolgnrIkv", "1")
    _sub(ikv, "DatBIkv", start.strftime("%Y%m%d"))
    eenheid = _sub(ikv, "AdministratieveEenheid")
    _sub(eenheid, "NaamAdministratieveEenheid", employer)
    _sub(eenheid, "Loonheffingennr", loonheffingennr)
    rechtspersoon = _sub(eenheid, "RechtspersoonAdministratieveEenh")
    _sub(rechtspersoon, "FiNr", loonheffingennr[:9])
    _sub(rechtspersoon, "NaamRechtspersoon", employer)
    periode = _sub(ikv, "Inkomstenperiode")
    _sub(periode, "DatBIkp", start.strftime("%Y%m%d"))
    _sub(periode, "CdSrtIkv", "11")
    _sub(periode, "IndLoonheffingskortingToegepast", "2")
    for month in months:
        opgave = _sub(ikv, "Inkomstenopgave")
        _sub(opgave, "DatBIko", month.strftime("%Y%m%d"))
        _sub(opgave, "DatEIko", _month_end(month).strftime("%Y%m%d"))
        _bedr(opgave, "BedrBrutoloonSv", gross)
        _bedr(opgave, "BedrLoonLbPremieVolksverz", gross)
        _bedr(opgave, "BedrIngehoudenLbPremieVolksverz", gross * 9 // 100)
        _bedr(opgave, "BedrOpgbRechtVakantietoeslag", gross * 8 // 100)
    leveringsperiode = _sub(root, "PeriodeGegevensleveringIko")
    _sub(leveringsperiode, "DatBPeriode", period[0].strftime("%Y%m%d"))
    _sub(leveringsperiode, "DatEPeriode", period[1].strftime("%Y%m%d"))
    return root


def niets_gevonden_response(namespace: str, local: str) -> etree._Element:
    """The response root holding only an empty ``fwi:NietsGevonden`` (HTTP 200)."""
    root = _root(namespace, local)
    etree.SubElement(root, f"{{{FWI_NS}}}NietsGevonden")
    return root


def fwi_element(code: str, tekst: str, bron: str, *, tag: str = "FWI") -> etree._Element:
    """``fwi:FWI`` with one ``Fout`` (or a bare ``fwi:Fout`` for a SOAP Fault detail)."""
    if tag == "Fout":
        fout = etree.Element(f"{{{FWI_NS}}}Fout", nsmap={"fwi": FWI_NS})
        holder = fout
    else:
        holder = etree.Element(f"{{{FWI_NS}}}FWI", nsmap={"fwi": FWI_NS})
        fout = _sub(holder, "Fout")
    _sub(fout, "Code", code)
    _sub(fout, "Tekst", tekst)
    _sub(_sub(fout, "Bron"), "DN", bron)
    return holder

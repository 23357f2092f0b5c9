"""Response bodies of the SSD services, built from the synthetic data.

Why separate from the WSGI app: the shape of a GWS4all answer (UitkeringsSpecificatie v0600,
JaarOpgave v0400) is the part most worth reading against the schema, without HTTP around it.
Element order and types follow the shipped ``BodyReaction_resolved.xsd`` files; only the body
root is namespace-qualified (``elementFormDefault="unqualified"``).

Money is euro cents as ``{CdPositiefNegatief, WaardeBedrag}``. Like GWS4all, a deduction is shown
as a positive amount in the minus column (``IndicatieKolom`` 2), an addition in the plus column
(1); the total to pay ("UIT TE BETALEN BEDRAG") carries its own sign.
"""

from __future__ import annotations

from lxml import etree

from simulators._names import GEMEENTECODE, WOONPLAATS
from simulators.synthetic import Betaalspecificatie, SynthClient, SyntheticData

__all__ = [
    "FWI_NS",
    "NS_JAAROPGAVE",
    "NS_UITKERING",
    "fwi_element",
    "jaaropgave_response",
    "niets_gevonden_response",
    "uitkering_response",
]

NS_UITKERING = "http://www.centric.nl/GWS/Diensten/UitkeringsSpecificatieClient/v0600"
NS_JAAROPGAVE = "http://www.centric.nl/GWS/Diensten/JaarOpgaveClient/v0400"
FWI_NS = "http://www.centric.nl/GWS/FWI/v0200"

_INSTANTIE = (
    ("Gemeentecode", GEMEENTECODE),
    ("Gemeentenaam", WOONPLAATS),
    ("Bezoekadres", "Hengelosestraat 51"),
    ("Postcode", "7514AD"),
    ("Woonplaatsnaam", WOONPLAATS),
)
_REGELING = "Participatiewet"
_BIC = "INGBNL2A"
#: Zvw employer levy (werkgeversheffing) as a fraction, 2024: 6.57%.
_ZVW_WERKGEVER = (657, 10_000)


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, tag)
    if text is not None:
        element.text = text
    return element


def _bedrag(parent: etree._Element, tag: str, cents: int) -> None:
    holder = _sub(parent, tag)
    _sub(holder, "CdPositiefNegatief", "-" if cents < 0 else "+")
    _sub(holder, "WaardeBedrag", str(abs(cents)))


def _root(namespace: str, local: str) -> etree._Element:
    return etree.Element(f"{{{namespace}}}{local}", nsmap={"gwsd": namespace, "fwi": FWI_NS})


def _voorletters(client: SynthClient) -> str:
    return "".join(f"{name[0]}." for name in client.voornamen.split())


def _persoon(parent: etree._Element, client: SynthClient, *, clientnummer: bool) -> None:
    """``gwsb:Persoon`` (+ ``Clientnummer`` in UitkeringsSpecificatie) and ``Adres``."""
    holder = _sub(parent, "Client")
    _sub(holder, "BurgerServiceNr", client.bsn)
    _sub(holder, "Voornamen", client.voornamen)
    _sub(holder, "Voorletters", _voorletters(client))
    if client.voorvoegsel:
        _sub(holder, "Voorvoegsel", client.voorvoegsel)
    _sub(holder, "Achternaam", client.geslachtsnaam)
    _sub(holder, "AanduidingNaamgebruik", "0")
    if clientnummer:
        _sub(holder, "Clientnummer", client.clientnummer)
    adres = _sub(holder, "Adres")
    _sub(adres, "Straatnaam", client.straat[:24])
    _sub(adres, "Huisnummer", str(client.huisnummer))
    _sub(adres, "Postcode", client.postcode.replace(" ", ""))
    _sub(adres, "Woonplaatsnaam", client.woonplaats)
    _sub(adres, "Gemeentenaam", WOONPLAATS)


def _instantie(parent: etree._Element, tag: str) -> None:
    holder = _sub(parent, tag)
    for name, value in _INSTANTIE:
        _sub(holder, name, value)


def dossiernummer(client: SynthClient) -> str:
    """GWS4all's dossier number for the client's Participatiewet dossier (max 8 digits)."""
    return str(60_000 + client.index)


def uitkering_response(spec: Betaalspecificatie) -> etree._Element:
    """``UitkeringsSpecificatieInfoResponse`` for one month (the latest version of it)."""
    root = _root(NS_UITKERING, "UitkeringsSpecificatieInfoResponse")
    usc = _sub(root, "UitkeringsSpecificatieClient")
    _persoon(usc, spec.client, clientnummer=True)
    _sub(usc, "TypePeriode", "0")
    specificatie = _sub(usc, "Uitkeringsspecificatie")
    _instantie(specificatie, "Uitkeringsinstantie")
    historie = _sub(specificatie, "Dossierhistorie")
    periode = spec.periode.replace("-", "")
    _sub(historie, "Regeling", _REGELING)
    _sub(historie, "Dossiernummer", dossiernummer(spec.client))
    _sub(historie, "Periodenummer", periode)
    _sub(historie, "Betrekkingsperiode", periode)
    _bedrag(historie, "UitbetaaldBedragClient", spec.totaal_cent)
    _sub(historie, "Iban", spec.client.iban)
    _sub(historie, "Bic", _BIC)
    inkomsten = -sum(r.bedrag_cent for r in spec.regels if r.code == "INK-VERR")
    for tag in ("OpgegevenInkomsten", "TeVerrekenenInkomsten"):
        _bedrag(historie, tag, inkomsten)
    _bedrag(historie, "InkomstenVrijlating", 0)
    _bedrag(historie, "InkomstenNaVrijlating", inkomsten)
    _bedrag(historie, "VakantiegeldOverInkomsten", 0)
    _bedrag(historie, "GekorteInkomsten", inkomsten)
    _bedrag(historie, "UitbetaaldBedragDossier", spec.totaal_cent)
    _sub(historie, "DatumBetaald", spec.uitbetaaldatum.strftime("%Y%m%d"))
    for regel in spec.regels:
        component = _sub(historie, "Componenthistorie")
        _sub(component, "Omschrijving", regel.omschrijving)
        _bedrag(component, "Bedrag", abs(regel.bedrag_cent))
        _sub(component, "IndicatieKolom", "2" if regel.bedrag_cent < 0 else "1")
    totaal = _sub(historie, "Componenthistorie")
    _sub(totaal, "Omschrijving", "UIT TE BETALEN BEDRAG")
    _bedrag(totaal, "Bedrag", spec.totaal_cent)
    _sub(totaal, "IndicatieKolom", "1")
    return root


def jaaropgave_response(
    data: SyntheticData, client: SynthClient, jaar: int, periods: list[str]
) -> etree._Element:
    """``JaarOpgaveInfoResponse``: the year's specifications (``periods``, "YYYY-MM") summed.

    Bijstand is paid net; the fiscal wage is taken as the sum of the months' totals, on which
    the municipality pays the Zvw employer levy.
    """
    fiscaalloon = 0
    for periode in periods:
        spec, correction = data.betaalspecificatie(client.index, periode)
        fiscaalloon += max((correction or spec).totaal_cent, 0)
    root = _root(NS_JAAROPGAVE, "JaarOpgaveInfoResponse")
    joc = _sub(root, "JaarOpgaveClient")
    _persoon(joc, client, clientnummer=False)
    opgave = _sub(joc, "JaarOpgave")
    _instantie(opgave, "Inhoudingsplichtige")
    spec_el = _sub(opgave, "SpecificatieJaarOpgave")
    _sub(spec_el, "Regeling", _REGELING)
    _sub(spec_el, "Dienstjaar", str(jaar))
    _sub(spec_el, "AangiftePeriodeVan", f"{periods[0].replace('-', '')}01")
    _sub(spec_el, "AangiftePeriodeTot", f"{jaar}1231")
    _bedrag(spec_el, "Fiscaalloon", fiscaalloon)
    _bedrag(spec_el, "Loonheffing", 0)
    _sub(spec_el, "CdPremieVolksverzekering", "250")
    _sub(spec_el, "IndicatieZVW", "1")
    _bedrag(spec_el, "IngehoudenPremieZVW", 0)
    _bedrag(spec_el, "VergoedingPremieZVW", 0)
    heffing = fiscaalloon * _ZVW_WERKGEVER[0] // _ZVW_WERKGEVER[1]
    _bedrag(spec_el, "WerkgeversheffingPremieZVW", heffing)
    korting = _sub(spec_el, "Loonheffingskorting")
    _sub(korting, "Ingangsdatum", f"{jaar}0101")
    _sub(korting, "CdLoonheffingskorting", "1")
    _bedrag(spec_el, "BelasteAlimentatie", 0)
    return root


def niets_gevonden_response(namespace: str, local: str) -> etree._Element:
    """The response root holding only an empty ``fwi:NietsGevonden`` (HTTP 200)."""
    root = _root(namespace, local)
    etree.SubElement(root, f"{{{FWI_NS}}}NietsGevonden")
    return root


def fwi_element(code: str, tekst: str, *, tag: str = "FWI") -> etree._Element:
    """``fwi:FWI`` with one ``Fout`` (or, with ``tag="Fout"``, a bare ``fwi:Fout``).

    ``Bron`` is GWS4all's ``Actor`` (gemeentecode + application): the schema requires it,
    although some real answers leave it out.
    """
    if tag == "Fout":
        fout = etree.Element(f"{{{FWI_NS}}}Fout", nsmap={"fwi": FWI_NS})
        holder = fout
    else:
        holder = etree.Element(f"{{{FWI_NS}}}FWI", nsmap={"fwi": FWI_NS})
        fout = _sub(holder, "Fout")
    _sub(fout, "Code", code)
    _sub(fout, "Tekst", tekst)
    bron = _sub(fout, "Bron")
    _sub(bron, "Gemeentecode", GEMEENTECODE)
    _sub(bron, "ApplicatieNaam", "GWS4all")
    return holder

"""MDTO 1.0.1 metadata as MyLex keeps it: build with lxml, validate against the official XSD.

Why the adapter has its own builder (and its own copy of the XSD in ``schema/``): adapters never
import simulators, and what Ketenbrug writes into the old archive must validate against the
Nationaal Archief's schema on its own. The element values follow ``docs/file-layouts.md``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from lxml import etree

from adapters.errors import InvalidMessageError
from adapters.formats import PDF_1_4, Bestandsformaat
from adapters.mylex.config import DEFAULT_ARCHIEFVORMER, Archiefvormer
from stuf.xml import load_schema, parse_xml

__all__ = [
    "BRON",
    "MDTO_NS",
    "SCHEMA_PATH",
    "SELECTIELIJST",
    "ZAAKTYPECATALOGUS",
    "MdtoMetadata",
    "bestand_xml",
    "informatieobject_xml",
    "mdto_errors",
    "read_bestand",
    "require_valid",
]

MDTO_NS = "https://www.nationaalarchief.nl/mdto"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{MDTO_NS} https://www.nationaalarchief.nl/mdto/MDTO-XML1.0.1.xsd"
SCHEMA_PATH = Path(__file__).parent / "schema" / "MDTO-XML1.0.1.xsd"
BRON = "MyLex"
_Q = f"{{{MDTO_NS}}}"
_WAARDERING = {"V": "Te vernietigen", "B": "Blijvend te bewaren"}
SELECTIELIJST = "Selectielijst gemeenten en intergemeentelijke organen 2020"
ZAAKTYPECATALOGUS = "Zaaktypecatalogus"


@dataclass(frozen=True)
class MdtoMetadata:
    """What MyLex records about one document besides its bytes (no BSN, ever).

    ``jaar`` is the zaak's start year (the archive folder); it defaults to the creation year.
    ``waardering`` is ``V`` (destroy once ``bewaartermijn`` has passed) or ``B`` (keep
    permanently: no bewaartermijn). The retention comes from the zaaktype's archiefbeleid
    (``mappings/archiefbeleid.csv``); the defaults are what MyLex recorded before that table.
    ``startdatum_looptijd`` is the zaak's einddatum (the term runs from the zaak's end) and
    ``einde_bewaartermijn`` when the term ends; both None while the zaak runs or is unknown.
    """

    titel: str
    zaak_identificatie: str
    creatiedatum: date
    auteur: str
    jaar: int | None = None
    waardering: str = "V"
    vertrouwelijkheid: str = "VERTROUWELIJK"
    bewaartermijn: str | None = "P10Y"
    selectielijst_categorie: str = "1.1.4"
    selectielijst_omschrijving: str = "Verstrekken van een uitkering"
    zaaktype: str | None = None
    startdatum_looptijd: date | None = None
    einde_bewaartermijn: date | None = None

    @property
    def folder_year(self) -> int:
        return self.jaar or self.creatiedatum.year

    @property
    def folder(self) -> str:
        return self.zaak_identificatie or "los"


@functools.cache
def _schema() -> etree.XMLSchema:
    return load_schema(SCHEMA_PATH)


def mdto_errors(xml: bytes) -> list[str]:
    """Schema errors of one MDTO document (empty list: valid)."""
    schema = _schema()
    if schema.validate(parse_xml(xml)):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def require_valid(xml: bytes, what: str) -> bytes:
    """``xml`` if it validates; else :class:`InvalidMessageError` (never written to MyLex)."""
    errors = mdto_errors(xml)
    if errors:
        raise InvalidMessageError(
            f"MDTO {what} ongeldig: {errors[0][:200]}", system="mylex", operation="put_document"
        )
    return xml


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, _Q + tag)
    if text is not None:
        element.text = text
    return element


def _begrip(parent: etree._Element, tag: str, label: str, lijst: str, code: str = "") -> None:
    begrip = _sub(parent, tag)
    _sub(begrip, "begripLabel", label)
    if code:
        _sub(begrip, "begripCode", code)
    _sub(_sub(begrip, "begripBegrippenlijst"), "verwijzingNaam", lijst)


def _verwijzing(
    parent: etree._Element, tag: str, naam: str, kenmerk: str = "", bron: str = ""
) -> None:
    verwijzing = _sub(parent, tag)
    _sub(verwijzing, "verwijzingNaam", naam)
    if kenmerk:
        ident = _sub(verwijzing, "verwijzingIdentificatie")
        _sub(ident, "identificatieKenmerk", kenmerk)
        _sub(ident, "identificatieBron", bron)


def _document(child: str) -> tuple[etree._Element, etree._Element]:
    root = etree.Element(_Q + "MDTO", nsmap={None: MDTO_NS, "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", SCHEMA_LOCATION)
    return root, _sub(root, child)


def _serialise(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _bewaartermijn(io: etree._Element, meta: MdtoMetadata) -> None:
    """termijnGegevens in XSD order: trigger and start (once the zaak has ended), looptijd,
    einddatum (when known). A V without a looptijd keeps MyLex's former ten years."""
    termijn = _sub(io, "bewaartermijn")
    if meta.startdatum_looptijd is not None:
        _begrip(termijn, "termijnTriggerStartLooptijd", "Afhandeling zaak", SELECTIELIJST)
        _sub(termijn, "termijnStartdatumLooptijd", meta.startdatum_looptijd.isoformat())
    _sub(termijn, "termijnLooptijd", meta.bewaartermijn or "P10Y")
    if meta.einde_bewaartermijn is not None:
        _sub(termijn, "termijnEinddatum", meta.einde_bewaartermijn.isoformat())


def informatieobject_xml(
    identificatie: str,
    meta: MdtoMetadata,
    bestand_naam: str,
    archiefvormer: Archiefvormer = DEFAULT_ARCHIEFVORMER,
) -> bytes:
    """The informatieobject (Archiefstuk) sidecar; elements in XSD sequence order.

    ``archiefvormer``: the municipality whose archive this is (``MyLexConfig.archiefvormer``).
    """
    if meta.waardering not in _WAARDERING:
        raise InvalidMessageError(f"waardering {meta.waardering!r} is geen V of B", system="mylex")
    root, io = _document("informatieobject")
    ident = _sub(io, "identificatie")
    _sub(ident, "identificatieKenmerk", identificatie)
    _sub(ident, "identificatieBron", BRON)
    _sub(io, "naam", meta.titel)
    _begrip(io, "aggregatieniveau", "Archiefstuk", "Begrippenlijst Aggregatieniveaus MDTO")
    if meta.zaaktype:  # read back by the migration and the vernietigingslijst
        _begrip(io, "classificatie", f"Zaaktype {meta.zaaktype}", ZAAKTYPECATALOGUS, meta.zaaktype)
    _sub(io, "omschrijving", f"{meta.titel} bij zaak {meta.zaak_identificatie}".strip())
    _sub(io, "taal", "nl")
    event = _sub(io, "event")
    _begrip(event, "eventType", "Creatie", "Begrippenlijst EventTypeLijst MDTO")
    _sub(event, "eventTijd", datetime.combine(meta.creatiedatum, time(9, 0)).isoformat())
    _verwijzing(event, "eventVerantwoordelijkeActor", meta.auteur)
    label = _WAARDERING[meta.waardering]
    _begrip(io, "waardering", label, "Begrippenlijst Waarderingen MDTO", meta.waardering)
    if meta.waardering == "V":
        _bewaartermijn(io, meta)
    _begrip(
        io,
        "informatiecategorie",
        meta.selectielijst_omschrijving or meta.selectielijst_categorie,
        SELECTIELIJST,
        meta.selectielijst_categorie,
    )
    if meta.zaak_identificatie:
        zaak = meta.zaak_identificatie
        _verwijzing(io, "isOnderdeelVan", f"Zaak {zaak}", zaak, BRON)
    _verwijzing(io, "heeftRepresentatie", bestand_naam, f"{identificatie}-B1", BRON)
    _verwijzing(io, "archiefvormer", archiefvormer.naam, archiefvormer.code, archiefvormer.bron)
    beperking = _sub(io, "beperkingGebruik")
    _begrip(
        beperking,
        "beperkingGebruikType",
        "Openbaarheidsbeperking",
        "Begrippenlijst BeperkingGebruik MDTO",
    )
    nadere = f"Bevat persoonsgegevens; {meta.vertrouwelijkheid.lower()}"
    _sub(beperking, "beperkingGebruikNadereBeschrijving", nadere)
    return _serialise(root)


def bestand_xml(
    identificatie: str,
    meta: MdtoMetadata,
    *,
    naam: str,
    omvang: int,
    sha256: str,
    checksum_datum: datetime,
    formaat: Bestandsformaat = PDF_1_4,
) -> bytes:
    """The bestand sidecar: omvang, bestandsformaat (PRONOM label and code), checksum SHA256.

    ``formaat`` is the format detected from the content (:func:`adapters.formats.identify`);
    the default is what MyLex recorded for every document before formats were detected.
    """
    root, bestand = _document("bestand")
    ident = _sub(bestand, "identificatie")
    _sub(ident, "identificatieKenmerk", f"{identificatie}-B1")
    _sub(ident, "identificatieBron", BRON)
    _sub(bestand, "naam", naam)
    _sub(bestand, "omvang", str(omvang))
    _begrip(bestand, "bestandsformaat", formaat.label, "PRONOM-register", formaat.pronom)
    checksum = _sub(bestand, "checksum")
    _begrip(checksum, "checksumAlgoritme", "SHA256", "Begrippenlijst ChecksumAlgoritme MDTO")
    _sub(checksum, "checksumWaarde", sha256)
    datum = checksum_datum.replace(tzinfo=None).isoformat(timespec="seconds")
    _sub(checksum, "checksumDatum", datum)
    _verwijzing(bestand, "isRepresentatieVan", meta.titel, identificatie, BRON)
    return _serialise(root)


def read_bestand(data: bytes) -> tuple[str, str, int]:
    """``(identificatie, sha256, omvang)`` from a bestand sidecar, via :func:`parse_xml`."""
    root = parse_xml(data)
    bestand = root.find(_Q + "bestand")
    if bestand is None:
        raise InvalidMessageError("MDTO-bestand zonder <bestand>", system="mylex")
    kenmerk = bestand.findtext(
        f"{_Q}isRepresentatieVan/{_Q}verwijzingIdentificatie/{_Q}identificatieKenmerk"
    )
    sha256 = bestand.findtext(f"{_Q}checksum/{_Q}checksumWaarde") or ""
    omvang = bestand.findtext(_Q + "omvang") or "0"
    return (kenmerk or "").strip(), sha256.strip().lower(), int(omvang.strip() or 0)

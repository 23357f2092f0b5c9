"""MyLex, the *old* archive: a folder tree of documents with MDTO 1.0.1 metadata, over SFTP.

Why: the archief-reconciliatie flow must prove, every night, that MyLex and the new archive hold
the same documents with the same SHA-256 checksums, and repair drift. That needs an old archive
that looks like the real one (one MDTO sidecar per informatieobject and per bestand, validating
against the Nationaal Archief's XSD) and that can be made to drift on purpose: a document gone,
a checksum changed, a document only MyLex has.

Layout (see ``docs/file-layouts.md``)::

    archief/<jaar>/<zaak-identificatie>/<identificatie>.<ext>
    archief/<jaar>/<zaak-identificatie>/<identificatie>.MDTO.xml               (informatieobject)
    archief/<jaar>/<zaak-identificatie>/<identificatie>.<ext>.bestand.MDTO.xml (bestand)

``<ext>`` is the content's format (``pdf`` for every seeded document; Ketenbrug also archives
``png``, ``jpg``, ``tif``, ``docx`` and ``odt``).

The naming follows the MDTO SIP specification (``<naam>.MDTO.xml``,
``<bestandsnaam>.bestand.MDTO.xml``). Documents come from :mod:`simulators.synthetic`, so a
MyLex document has the same identificatie and bytes as the same document elsewhere.
"""

from __future__ import annotations

import functools
import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from lxml import etree

from simulators.sftp.files import atomic_write, sha256_file
from simulators.synthetic import TZ, SynthDocument, SyntheticData
from stuf.xml import load_schema, parse_xml, parse_xml_file

__all__ = [
    "MDTO_NS",
    "PRONOM",
    "SCHEMA_PATH",
    "ArchiefDocument",
    "MyLexArchive",
    "bestand_xml",
    "informatieobject_xml",
    "mdto_schema",
    "validate_mdto",
]

MDTO_NS = "https://www.nationaalarchief.nl/mdto"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{MDTO_NS} https://www.nationaalarchief.nl/mdto/MDTO-XML1.0.1.xsd"
SCHEMA_PATH = Path(__file__).parent / "mylex_schema" / "MDTO-XML1.0.1.xsd"
BRON = "MyLex"
_Q = f"{{{MDTO_NS}}}"
_ARCHIEFVORMER = ("Gemeente Enschede", "gm0153", "TOOI")
_WAARDERING = {"V": "Te vernietigen", "B": "Blijvend te bewaren"}
_BESTAND = ".bestand.MDTO.xml"
#: PRONOM (label, code) recorded per content extension; seeded documents are PDF 1.4.
PRONOM = {
    "pdf": ("Acrobat PDF 1.4 - Portable Document Format", "fmt/18"),
    "png": ("Portable Network Graphics 1.2", "fmt/13"),
    "jpg": ("JPEG File Interchange Format 1.01", "fmt/43"),
    "tif": ("Tagged Image File Format", "fmt/353"),
    "docx": ("Microsoft Word for Windows 2007 onwards", "fmt/412"),
    "odt": ("OpenDocument Text 1.2", "fmt/291"),
}


@functools.cache
def mdto_schema() -> etree.XMLSchema:
    """The shipped MDTO 1.0.1 XSD, parsed once (no network, no entity resolution)."""
    return load_schema(SCHEMA_PATH)


def validate_mdto(xml: bytes | Path) -> list[str]:
    """Schema errors of one MDTO document (empty list: valid)."""
    source = xml.read_bytes() if isinstance(xml, Path) else xml
    schema = mdto_schema()
    if schema.validate(parse_xml(source)):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


@dataclass(frozen=True)
class ArchiefDocument:
    """One archived document as its MDTO metadata describes it (not as the bytes are now)."""

    identificatie: str
    naam: str
    path: str  # of the content file, relative to the archive root, "/"-separated
    omvang: int
    sha256: str
    zaak: str


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


def _mdto_root() -> etree._Element:
    root = etree.Element(_Q + "MDTO", nsmap={None: MDTO_NS, "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", SCHEMA_LOCATION)
    return root


def _serialise(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def informatieobject_xml(doc: SynthDocument, *, bestand_naam: str, waardering: str = "V") -> bytes:
    """The informatieobject (Archiefstuk) sidecar; elements in XSD sequence order."""
    root = _mdto_root()
    io = _sub(root, "informatieobject")
    ident = _sub(io, "identificatie")
    _sub(ident, "identificatieKenmerk", doc.identificatie)
    _sub(ident, "identificatieBron", BRON)
    _sub(io, "naam", doc.titel)
    _begrip(io, "aggregatieniveau", "Archiefstuk", "Begrippenlijst Aggregatieniveaus MDTO")
    _sub(io, "omschrijving", f"{doc.titel} bij zaak {doc.zaak_identificatie}".strip())
    _sub(io, "taal", "nl")
    event = _sub(io, "event")
    _begrip(event, "eventType", "Creatie", "Begrippenlijst EventTypeLijst MDTO")
    _sub(event, "eventTijd", datetime.combine(doc.creatiedatum, time(9, 0)).isoformat())
    _verwijzing(event, "eventVerantwoordelijkeActor", doc.auteur)
    _begrip(
        io, "waardering", _WAARDERING[waardering], "Begrippenlijst Waarderingen MDTO", waardering
    )
    if waardering == "V":
        termijn = _sub(io, "bewaartermijn")
        _sub(termijn, "termijnLooptijd", "P10Y")
    _begrip(
        io,
        "informatiecategorie",
        "Verstrekken van een uitkering",
        "Selectielijst gemeenten en intergemeentelijke organen 2020",
        "1.1.4",
    )
    if doc.zaak_identificatie:
        _verwijzing(
            io, "isOnderdeelVan", f"Zaak {doc.zaak_identificatie}", doc.zaak_identificatie, BRON
        )
    _verwijzing(io, "heeftRepresentatie", bestand_naam, f"{doc.identificatie}-B1", BRON)
    _verwijzing(io, "archiefvormer", *_ARCHIEFVORMER)
    beperking = _sub(io, "beperkingGebruik")
    _begrip(
        beperking,
        "beperkingGebruikType",
        "Openbaarheidsbeperking",
        "Begrippenlijst BeperkingGebruik MDTO",
    )
    _sub(
        beperking,
        "beperkingGebruikNadereBeschrijving",
        f"Bevat persoonsgegevens; {doc.vertrouwelijkheid.lower()}",
    )
    return _serialise(root)


def bestand_xml(
    doc: SynthDocument, *, naam: str, omvang: int, sha256: str, checksum_datum: datetime
) -> bytes:
    """The bestand sidecar: omvang, bestandsformaat (PRONOM, by ``naam``'s extension), checksum
    SHA256."""
    label, code = PRONOM[naam.rpartition(".")[2].lower()]
    root = _mdto_root()
    bestand = _sub(root, "bestand")
    ident = _sub(bestand, "identificatie")
    _sub(ident, "identificatieKenmerk", f"{doc.identificatie}-B1")
    _sub(ident, "identificatieBron", BRON)
    _sub(bestand, "naam", naam)
    _sub(bestand, "omvang", str(omvang))
    _begrip(bestand, "bestandsformaat", label, "PRONOM-register", code)
    checksum = _sub(bestand, "checksum")
    _begrip(checksum, "checksumAlgoritme", "SHA256", "Begrippenlijst ChecksumAlgoritme MDTO")
    _sub(checksum, "checksumWaarde", sha256)
    _sub(
        checksum, "checksumDatum", checksum_datum.replace(tzinfo=None).isoformat(timespec="seconds")
    )
    _verwijzing(bestand, "isRepresentatieVan", doc.titel, doc.identificatie, BRON)
    return _serialise(root)


class MyLexArchive:
    """The MyLex folder tree under ``root/archief`` with seeded population and drift injection."""

    def __init__(self, root: Path | str, seed: int = 0, *, document_scale: float = 0.05) -> None:
        self.root = Path(root)
        self.archief = self.root / "archief"
        self.archief.mkdir(parents=True, exist_ok=True)
        self.seed = seed
        self._synth = SyntheticData(seed, document_scale=document_scale)
        self._rng = random.Random(seed)
        self._extra = 0

    # ------------------------------------------------------------------ population
    def populate(self, n: int) -> int:
        """Archive the first ``n`` synthetic documents (zaak by zaak); returns how many."""
        written = 0
        for zaak in self._synth.zaken(max(n, 1)):
            for doc in zaak.documenten:
                if written == n:
                    return written
                self.write_document(doc, year=zaak.startdatum.year)
                written += 1
        while written < n:  # very small zaken: top up with extra documents
            self.add_extra_document()
            written += 1
        return written

    def write_document(
        self,
        doc: SynthDocument,
        *,
        year: int | None = None,
        waardering: str = "V",
        extension: str = "pdf",
        content: bytes | None = None,
    ) -> ArchiefDocument:
        """Store content (streamed) and both MDTO sidecars; content first, metadata last.

        ``extension`` (a key of :data:`PRONOM`) names the file; ``content`` replaces the
        document's seeded PDF bytes (e.g. a png written with ``extension="png"``).
        """
        folder = (
            self.archief / str(year or doc.creatiedatum.year) / (doc.zaak_identificatie or "los")
        )
        folder.mkdir(parents=True, exist_ok=True)
        naam = f"{doc.identificatie}.{extension}"
        path = folder / naam
        omvang = atomic_write(path, doc.iter_bytes() if content is None else [content])
        digest = sha256_file(path)
        checked = datetime.combine(doc.creatiedatum, time(12, 0), tzinfo=TZ)
        bestand = bestand_xml(doc, naam=naam, omvang=omvang, sha256=digest, checksum_datum=checked)
        atomic_write(folder / f"{naam}{_BESTAND}", [bestand])
        informatieobject = informatieobject_xml(doc, bestand_naam=naam, waardering=waardering)
        atomic_write(folder / f"{doc.identificatie}.MDTO.xml", [informatieobject])
        return ArchiefDocument(
            doc.identificatie, doc.titel, self._rel(path), omvang, digest, doc.zaak_identificatie
        )

    # ------------------------------------------------------------------ reading
    def inventory(self) -> Iterator[ArchiefDocument]:
        """Every document as its metadata describes it, streamed, in path order."""
        for meta in sorted(self.archief.rglob(f"*{_BESTAND}")):
            tree = parse_xml_file(meta)
            bestand = tree.find(_Q + "bestand")
            if bestand is None:
                continue
            rep = bestand.find(
                f"{_Q}isRepresentatieVan/{_Q}verwijzingIdentificatie/{_Q}identificatieKenmerk"
            )
            content = meta.with_name(meta.name.removesuffix(_BESTAND))  # <id>.<ext>, any ext
            yield ArchiefDocument(
                identificatie=(rep.text or "") if rep is not None else "",
                naam=bestand.findtext(f"{_Q}isRepresentatieVan/{_Q}verwijzingNaam") or "",
                path=self._rel(content),
                omvang=int(bestand.findtext(_Q + "omvang") or 0),
                sha256=bestand.findtext(f"{_Q}checksum/{_Q}checksumWaarde") or "",
                zaak=meta.parent.name,
            )

    def verify(self) -> Iterator[tuple[ArchiefDocument, str]]:
        """Documents whose bytes disagree with their metadata: ``(doc, "missing"|"checksum")``."""
        for doc in self.inventory():
            content = self.archief / doc.path
            if not content.exists():
                yield doc, "missing"
            elif sha256_file(content) != doc.sha256:
                yield doc, "checksum"

    def validate_all(self) -> dict[str, list[str]]:
        """Schema errors per metadata file (relative path); empty dict when all are valid."""
        errors = {}
        for meta in sorted(self.archief.rglob("*.MDTO.xml")):
            problems = validate_mdto(meta)
            if problems:
                errors[self._rel(meta)] = problems
        return errors

    def _rel(self, path: Path) -> str:
        return path.relative_to(self.archief).as_posix()

    def _files_of(self, identificatie: str) -> list[Path]:
        return sorted(self.archief.rglob(f"{identificatie}.*"))

    # ------------------------------------------------------------------ drift
    def pick(self, k: int) -> list[str]:
        """``k`` seeded-random identificaties from the archive (for drift injection)."""
        ids = sorted(doc.identificatie for doc in self.inventory())
        return self._rng.sample(ids, min(k, len(ids)))

    def remove_document(self, identificatie: str) -> None:
        """Drift: MyLex lost the document (content and both sidecars)."""
        files = self._files_of(identificatie)
        if not files:
            raise KeyError(identificatie)
        for path in files:
            path.unlink()

    def change_checksum(self, identificatie: str, *, mode: str = "content") -> None:
        """Drift: ``content`` flips bytes in the file (bit rot / a bad migration);
        ``metadata`` rewrites the recorded checksum (a wrong MDTO record)."""
        meta = next((p for p in self._files_of(identificatie) if p.name.endswith(_BESTAND)), None)
        if meta is None:
            raise KeyError(identificatie)
        content = meta.with_name(meta.name.removesuffix(_BESTAND))
        if mode == "content":
            data = bytearray(content.read_bytes())
            middle = len(data) // 2
            data[middle] ^= 0xFF
            atomic_write(content, [bytes(data)])
            return
        tree = parse_xml_file(meta)
        waarde = tree.find(f"{_Q}bestand/{_Q}checksum/{_Q}checksumWaarde")
        assert waarde is not None
        waarde.text = hashlib.sha256((waarde.text or "").encode()).hexdigest()
        atomic_write(meta, [_serialise(tree)])

    def add_extra_document(self, *, year: int = 2019) -> ArchiefDocument:
        """Drift: a document only MyLex has (identificatie outside the synthetic range)."""
        self._extra += 1
        identificatie = f"MLX-{year}-{self.seed:03d}-{self._extra:06d}"
        doc = SynthDocument(
            identificatie=identificatie,
            zaak_identificatie=f"MLX-{year}-DOSSIER",
            titel="Gescande brief (alleen in MyLex)",
            bestandsnaam=f"{identificatie}.pdf",
            creatiedatum=date(year, 6, 1),
            size=self._rng.randint(2_000, 8_000),
            seed=self._rng.randrange(1 << 40),
            lines=("Oud archief", f"Kenmerk {identificatie}"),
            auteur="MyLex migratie",
        )
        return self.write_document(doc, year=year)

    def apply_drift(
        self, *, missing: int = 0, changed: int = 0, extra: int = 0
    ) -> dict[str, list[str]]:
        """Seeded drift in one call; returns the identificaties touched per kind."""
        chosen = self.pick(missing + changed)
        removed, altered = chosen[:missing], chosen[missing:]
        for identificatie in removed:
            self.remove_document(identificatie)
        for identificatie in altered:
            self.change_checksum(identificatie)
        added = [self.add_extra_document().identificatie for _ in range(extra)]
        return {"missing": removed, "changed": altered, "extra": added}

    def add_old_document(
        self,
        *,
        year: int = 2015,
        zaak: str | None = None,
        zaaktype: str | None = None,
        client: str | None = None,
        size: int | None = None,
        afgesloten: date | None = None,
    ) -> ArchiefDocument:
        """A document from before the zaak systems, only in MyLex (the migration's input).

        ``zaak``: the folder and ``isOnderdeelVan`` (default ``MLX-<jaar>-DOSSIER``);
        ``zaaktype``: recorded as MDTO ``classificatie``; ``client``: a client number recorded
        as ``betrokkene`` (never a BSN), which names the client's historisch dossier;
        ``afgesloten``: the zaak's end, from which the bewaartermijn runs
        (``termijnStartdatumLooptijd``).
        """
        self._extra += 1
        identificatie = f"MLX-{year}-{self.seed:03d}-{self._extra:06d}"
        doc = SynthDocument(
            identificatie=identificatie,
            zaak_identificatie=zaak or f"MLX-{year}-DOSSIER",
            titel=f"Brief uit {year} (oud archief)",
            bestandsnaam=f"{identificatie}.pdf",
            creatiedatum=date(year, 3, 1 + self._extra % 27),
            size=size or self._rng.randint(2_000, 8_000),
            seed=self._rng.randrange(1 << 40),
            lines=("Oud archief", f"Kenmerk {identificatie}"),
            auteur="Afdeling Werk en Inkomen",
        )
        written = self.write_document(doc, year=year)
        if zaaktype or client or afgesloten:
            sidecar = self.archief / Path(written.path).parent / f"{identificatie}.MDTO.xml"
            atomic_write(sidecar, [_enrich(sidecar.read_bytes(), zaaktype, client, afgesloten)])
        return written


def _enrich(
    xml: bytes, zaaktype: str | None, client: str | None, afgesloten: date | None = None
) -> bytes:
    """Add ``classificatie`` (zaaktype), ``betrokkene`` (client number) and the start of the
    bewaartermijn, each in XSD order."""
    tree = parse_xml(xml)
    io = tree.find(_Q + "informatieobject")
    assert io is not None
    looptijd = io.find(f"{_Q}bewaartermijn/{_Q}termijnLooptijd")
    if afgesloten and looptijd is not None:
        start = etree.Element(_Q + "termijnStartdatumLooptijd")
        start.text = afgesloten.isoformat()
        looptijd.addprevious(start)
    if zaaktype:
        after = io.find(_Q + "aggregatieniveau")
        assert after is not None
        classificatie = etree.Element(_Q + "classificatie")
        _sub(classificatie, "begripLabel", f"Zaaktype {zaaktype}")
        _sub(classificatie, "begripCode", zaaktype)
        _sub(_sub(classificatie, "begripBegrippenlijst"), "verwijzingNaam", "Zaaktypecatalogus")
        after.addnext(classificatie)
    if client:
        after = io.findall(_Q + "archiefvormer")[-1]
        betrokkene = etree.Element(_Q + "betrokkene")
        _begrip(betrokkene, "betrokkeneTypeRelatie", "Cliënt", "Begrippenlijst Betrokkenen")
        _verwijzing(betrokkene, "betrokkeneActor", "Cliënt", client, "GWS4all")
        after.addnext(betrokkene)
    return _serialise(tree)

"""Shared readers: stuurgegevens, zaak, status and document objects (matched on namespace URI).

Written for speed (issue 4): each object's children are visited once into a ``{tag: element}``
map (the first child with a tag wins, as with ``find``); a field without attributes is read
straight from ``.text`` (only attributed ones go through :func:`~stuf.values.read_value` for
nil/noValue); plek strings are built only for an error or a warning; dates and tijdstippen are
memoised; the base64 ``inhoud`` is checked but decoded only when read (:mod:`stuf._lazy`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields
from datetime import date, datetime
from functools import lru_cache
from typing import Any, TypeVar

from lxml import etree

from stuf._lazy import base64_inhoud, decode_base64
from stuf.errors import StufError
from stuf.model import DateValue, Document, NoValue, Stuurgegevens, Systeem, Text, Zaak, ZaakStatus
from stuf.values import parse_date, parse_tijdstip, read_value
from stuf.xml import BG, STUF, XMIME, XSI, ZDS, ZKN

__all__ = ["Reader", "as_date"]

_Z = f"{{{ZKN}}}"
_S = f"{{{STUF}}}"
_MSG_NS = (f"{{{ZKN}}}", f"{{{ZDS}}}", f"{{{STUF}}}")
_NIL = f"{{{XSI}}}nil"
_BESTANDSNAAM = _S + "bestandsnaam"
_CONTENT_TYPE = f"{{{XMIME}}}contentType"

_OBJECT = _Z + "object"
_IDENTIFICATIE = _Z + "identificatie"
_GERELATEERDE = _Z + "gerelateerde"
_HEEFT = _Z + "heeft"
_GERELATEERDE_PATH = (_GERELATEERDE,)
_DOOR_PATH = (_Z + "isGezetDoor", _GERELATEERDE, _Z + "medewerker", _IDENTIFICATIE)
_BSN_PATH = (_GERELATEERDE, _Z + "natuurlijkPersoon", f"{{{BG}}}inp.bsn")
_ZAAK_PATH = (_Z + "isRelevantVoor", _GERELATEERDE, _IDENTIFICATIE)

# Clark names, built once (a concatenated key must be hashed on every lookup)
_S_ADMINISTRATIE = _S + "administratie"
_S_APPLICATIE = _S + "applicatie"
_S_BERICHTCODE = _S + "berichtcode"
_S_CROSSREFNUMMER = _S + "crossRefnummer"
_S_ENTITEITTYPE = _S + "entiteittype"
_S_FUNCTIE = _S + "functie"
_S_GEBRUIKER = _S + "gebruiker"
_S_ONTVANGER = _S + "ontvanger"
_S_ORGANISATIE = _S + "organisatie"
_S_REFERENTIENUMMER = _S + "referentienummer"
_S_TIJDSTIPBERICHT = _S + "tijdstipBericht"
_S_ZENDER = _S + "zender"
_Z_AUTEUR = _Z + "auteur"
_Z_CODE = _Z + "code"
_Z_CREATIEDATUM = _Z + "creatiedatum"
_Z_DATUMSTATUSGEZET = _Z + "datumStatusGezet"
_Z_DCT_OMSCHRIJVING = _Z + "dct.omschrijving"
_Z_EINDDATUM = _Z + "einddatum"
_Z_EINDDATUMGEPLAND = _Z + "einddatumGepland"
_Z_FORMAAT = _Z + "formaat"
_Z_HEEFTALSINITIATOR = _Z + "heeftAlsInitiator"
_Z_INHOUD = _Z + "inhoud"
_Z_ISVAN = _Z + "isVan"
_Z_OMSCHRIJVING = _Z + "omschrijving"
_Z_REGISTRATIEDATUM = _Z + "registratiedatum"
_Z_STARTDATUM = _Z + "startdatum"
_Z_TAAL = _Z + "taal"
_Z_TITEL = _Z + "titel"
_Z_TOELICHTING = _Z + "toelichting"
_Z_VERTROUWELIJKAANDUIDING = _Z + "vertrouwelijkAanduiding"
_Z_VOLGNUMMER = _Z + "volgnummer"
_Z_ZKT_CODE = _Z + "zkt.code"

_Kids = dict[Any, etree._Element]
_T = TypeVar("_T")


def _maker(cls: type[_T]) -> Callable[..., _T]:
    """A positional constructor for a frozen model dataclass without the per-field
    ``object.__setattr__`` of its ``__init__`` (the model defines no ``__post_init__``).
    """
    names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    new = object.__new__

    def make(*values: Any) -> _T:
        obj = new(cls)
        obj.__dict__.update(zip(names, values, strict=True))
        return obj

    return make


_new_zaak = _maker(Zaak)
_new_status = _maker(ZaakStatus)
_new_document = _maker(Document)  # stores a Base64Inhoud where Document.inhoud looks for it
_new_stuurgegevens = _maker(Stuurgegevens)


@lru_cache(maxsize=256)
def _new_systeem(org: str | None, app: str, adm: str | None, gebr: str | None) -> Systeem:
    return Systeem(org, app, adm, gebr)  # immutable, and the same few systems keep coming


def _kids(parent: etree._Element) -> _Kids:
    """``{tag: first child with that tag}`` in one pass (comments and PIs are harmless keys)."""
    return {child.tag: child for child in reversed(parent)}


def _first(parent: etree._Element, path: Sequence[str], depth: int = 0) -> etree._Element | None:
    """The first element ``parent.find("a/b/c")`` would give, without the path machinery."""
    tag = path[depth]
    last = depth == len(path) - 1
    for child in parent:  # plain iteration: iterchildren(tag) costs more to set up
        if child.tag == tag:
            found = child if last else _first(child, path, depth + 1)
            if found is not None:
                return found
    return None


def _findtext(parent: etree._Element, path: Sequence[str]) -> str | None:
    """``parent.findtext("a/b/c")``: None when absent, "" when empty."""
    found = _first(parent, path)
    return None if found is None else found.text or ""


@lru_cache(maxsize=2048)
def _date(text: str) -> date:
    return parse_date(text, "")


@lru_cache(maxsize=2048)
def _tijdstip(text: str) -> datetime:
    return parse_tijdstip(text, "")


class Reader:
    """Reads fields of one message, collecting leniency warnings."""

    def __init__(self, fo: str) -> None:
        self.warnings: list[str] = []
        self.fo = fo  # Fo0x to answer with when the message cannot be understood

    def error(self, omschrijving: str, plek: str, code: str = "StUF055") -> StufError:
        return StufError(omschrijving, code=code, plek=plek, berichtcode=self.fo)

    # -- generic -------------------------------------------------------------------------
    def child(self, parent: etree._Element, local: str) -> etree._Element | None:
        """The child ``local`` in any StUF message namespace (ZKN, then ZDS, then StUF)."""
        first = parent[0] if len(parent) else None
        if first is not None and first.tag == _Z + local:  # the usual case: stuurgegevens
            return first
        found = list(parent.iterchildren(*[ns + local for ns in _MSG_NS]))
        if len(found) <= 1:
            return found[0] if found else None
        for ns in _MSG_NS:
            for element in found:
                if element.tag == ns + local:
                    return element
        return None  # pragma: no cover - one of the namespaces matched

    def value(self, element: etree._Element | None, plek: str, local: str | None) -> Text:
        """A field's value; ``plek/local`` is only spelled out for a warning or an error."""
        if element is None:
            return None
        if element.keys():  # xsi:nil, StUF:noValue (or a harmless attribute)
            return read_value(element, self.warnings, f"{plek}/{local}" if local else plek)
        return element.text or ""

    def text(self, parent: etree._Element, tag: str, plek: str) -> Text:
        return read_value(parent.find(tag), self.warnings, plek)

    def need(self, element: etree._Element | None, plek: str, local: str) -> str:
        """A required field: present, not nil, not blank."""
        if element is not None and not element.keys():
            text = element.text
            if text and not text.isspace():
                return text
        value = self.value(element, plek, local)
        if value is None or isinstance(value, NoValue) or not value.strip():
            where = f"{plek}/{local}"
            raise self.error(f"{where} is missing or empty", where)
        return value

    def required(self, parent: etree._Element, tag: str, plek: str) -> str:
        value = self.text(parent, tag, plek)
        if value is None or isinstance(value, NoValue) or not value.strip():
            raise self.error(f"{plek} is missing or empty", plek)
        return value

    def day(self, element: etree._Element | None, plek: str, local: str) -> DateValue:
        if element is None:
            return None
        if not element.keys():  # fast path: a plain yyyymmdd
            text = element.text
            if text and len(text) == 8:
                try:
                    return _date(text)
                except StufError as exc:
                    raise self.error(exc.omschrijving, f"{plek}/{local}") from exc
        value = self.value(element, plek, local)
        if value == "":
            self.warnings.append(f"{plek}/{local}: empty date read as absent")
            return None
        if isinstance(value, str):
            try:
                return _date(value)
            except StufError as exc:
                raise self.error(exc.omschrijving, f"{plek}/{local}") from exc
        return value

    def date(self, parent: etree._Element, tag: str, plek: str) -> DateValue:
        plek, _, local = plek.rpartition("/")
        return self.day(parent.find(tag), plek, local)

    def is_nil(self, element: etree._Element) -> bool:
        return element.get(_NIL) in ("true", "1")

    # -- stuurgegevens -------------------------------------------------------------------
    def systeem(self, sg: etree._Element, local: str, plek: str) -> Systeem:
        element = sg.find(_S + local)
        return self._systeem(element, local, plek)

    def _systeem(self, element: etree._Element | None, local: str, plek: str) -> Systeem:
        if element is None:
            self.warnings.append(f"{plek}/{local} missing")
            return Systeem(None, "")
        kids = _kids(element)
        # (warnings name the stuurgegevens, as they always have)
        org = self.value(kids.get(_S_ORGANISATIE), plek, None)
        app = self.value(kids.get(_S_APPLICATIE), plek, None)
        adm = self.value(kids.get(_S_ADMINISTRATIE), plek, None)
        gebr = self.value(kids.get(_S_GEBRUIKER), plek, None)
        return _new_systeem(
            org if isinstance(org, str) else None,
            app if isinstance(app, str) else "",
            adm if isinstance(adm, str) else None,
            gebr if isinstance(gebr, str) else None,
        )

    def stuurgegevens(self, root: etree._Element, plek: str) -> Stuurgegevens:
        sg = self.child(root, "stuurgegevens")
        plek = f"{plek}/stuurgegevens"
        if sg is None:
            raise self.error("stuurgegevens missing", plek)
        kids = _kids(sg)
        berichtcode = self.need(kids.get(_S_BERICHTCODE), plek, "berichtcode")
        ref = self.value(kids.get(_S_REFERENTIENUMMER), plek, "referentienummer")
        if not isinstance(ref, str) or not ref:
            self.warnings.append(f"{plek}/referentienummer missing")
            ref = ""
        elif len(ref) > 40:
            self.warnings.append(
                f"{plek}/referentienummer has {len(ref)} characters (schema: max 40); accepted"
            )
        tijdstip = self.value(kids.get(_S_TIJDSTIPBERICHT), plek, "tijdstipBericht")
        if not isinstance(tijdstip, str) or not tijdstip:
            self.warnings.append(f"{plek}/tijdstipBericht missing")
            tijdstip = ""
        elif not (8 <= len(tijdstip) <= 17 and tijdstip.isdigit()):
            self.warnings.append(f"{plek}/tijdstipBericht is not 8-17 digits; accepted")
        cross = self.value(kids.get(_S_CROSSREFNUMMER), plek, "crossRefnummer")
        ent = self.value(kids.get(_S_ENTITEITTYPE), plek, "entiteittype")
        functie = self.value(kids.get(_S_FUNCTIE), plek, "functie")
        return _new_stuurgegevens(
            berichtcode,
            self._systeem(kids.get(_S_ZENDER), "zender", plek),
            self._systeem(kids.get(_S_ONTVANGER), "ontvanger", plek),
            ref,
            tijdstip,
            ent if isinstance(ent, str) else None,
            cross if isinstance(cross, str) else None,
            functie if isinstance(functie, str) else None,
        )

    # -- zaak ----------------------------------------------------------------------------
    def objects(self, parent: etree._Element, plek: str) -> list[etree._Element]:
        return [child for child in parent if child.tag == _OBJECT]

    def zaak(self, obj: etree._Element, plek: str) -> Zaak:
        kids = _kids(obj)
        zkt_code: Text = None
        zkt_omschrijving: Text = None
        is_van = kids.get(_Z_ISVAN)
        if is_van is not None and not self.is_nil(is_van):
            zkt = _first(is_van, _GERELATEERDE_PATH)
            if zkt is not None:
                zkt_kids = _kids(zkt)
                where = f"{plek}/isVan/gerelateerde"
                zkt_code = self.value(zkt_kids.get(_Z_CODE), where, "code")
                zkt_omschrijving = self.value(zkt_kids.get(_Z_OMSCHRIJVING), where, "omschrijving")
        day = self.day
        return _new_zaak(
            self.need(kids.get(_IDENTIFICATIE), plek, "identificatie"),
            zkt_code,
            zkt_omschrijving,
            self.value(kids.get(_Z_OMSCHRIJVING), plek, "omschrijving"),
            self.value(kids.get(_Z_TOELICHTING), plek, "toelichting"),
            day(kids.get(_Z_STARTDATUM), plek, "startdatum"),
            day(kids.get(_Z_REGISTRATIEDATUM), plek, "registratiedatum"),
            day(kids.get(_Z_EINDDATUM), plek, "einddatum"),
            self._initiator(kids.get(_Z_HEEFTALSINITIATOR)),
            day(kids.get(_Z_EINDDATUMGEPLAND), plek, "einddatumGepland"),
        )

    def initiator(self, obj: etree._Element, plek: str) -> str | None:
        return self._initiator(obj.find(_Z_HEEFTALSINITIATOR))

    def _initiator(self, rel: etree._Element | None) -> str | None:
        if rel is None or self.is_nil(rel):
            return None
        bsn = _findtext(rel, _BSN_PATH)
        return bsn.strip() if bsn and bsn.strip() else None

    def statussen(self, obj: etree._Element, zaak_id: str, plek: str) -> list[ZaakStatus | None]:
        result: list[ZaakStatus | None] = []
        rels = [child for child in obj if child.tag == _HEEFT]
        for index, rel in enumerate(rels, start=1):
            result.append(
                None if self.is_nil(rel) else self.status(rel, zaak_id, f"{plek}/heeft[{index}]")
            )
        return result

    def status(self, rel: etree._Element, zaak_id: str, plek: str) -> ZaakStatus:
        kids = _kids(rel)
        stt = kids.get(_GERELATEERDE)
        if stt is None:
            raise self.error("status without gerelateerde (statustype)", plek)
        stt_kids = _kids(stt)
        where = f"{plek}/gerelateerde"
        volgnummer = self.need(stt_kids.get(_Z_VOLGNUMMER), where, "volgnummer")
        if not volgnummer.strip().isdigit():
            raise self.error("statustype volgnummer is not a number", f"{where}/volgnummer")
        gezet = self.need(kids.get(_Z_DATUMSTATUSGEZET), plek, "datumStatusGezet")
        try:
            when = _tijdstip(gezet)
        except StufError as exc:
            raise self.error(exc.omschrijving, f"{plek}/datumStatusGezet") from exc
        door = _findtext(rel, _DOOR_PATH)
        return _new_status(
            zaak_id,
            self.value(stt_kids.get(_Z_CODE), where, "code"),
            int(volgnummer),
            when,
            self.value(stt_kids.get(_Z_ZKT_CODE), where, "zkt.code"),
            self.value(stt_kids.get(_Z_OMSCHRIJVING), where, "omschrijving"),
            self.value(kids.get(_Z_TOELICHTING), plek, "toelichting"),
            door.strip() if door and door.strip() else None,
        )

    # -- document ------------------------------------------------------------------------
    def document(self, obj: etree._Element, plek: str) -> Document:
        kids = _kids(obj)
        zaak_id = _findtext(obj, _ZAAK_PATH)
        inhoud_el = kids.get(_Z_INHOUD)
        bestandsnaam = content_type = None
        inhoud: object = None
        if inhoud_el is not None:
            bestandsnaam = inhoud_el.get(_BESTANDSNAAM)
            content_type = inhoud_el.get(_CONTENT_TYPE)
            value = read_value(inhoud_el, self.warnings, f"{plek}/inhoud")
            if isinstance(value, NoValue):
                self.warnings.append(f"{plek}/inhoud is xsi:nil (schema: not nillable); accepted")
                inhoud = value
            else:
                inhoud = base64_inhoud(value or "", f"{plek}/inhoud", self.fo)
        return _new_document(
            self.need(kids.get(_IDENTIFICATIE), plek, "identificatie"),
            self.value(kids.get(_Z_TITEL), plek, "titel"),
            zaak_id.strip() if zaak_id and zaak_id.strip() else None,
            self.value(kids.get(_Z_DCT_OMSCHRIJVING), plek, "dct.omschrijving"),
            bestandsnaam,
            self.value(kids.get(_Z_FORMAAT), plek, "formaat"),
            self.day(kids.get(_Z_CREATIEDATUM), plek, "creatiedatum"),
            self.value(kids.get(_Z_TAAL), plek, "taal"),
            self.value(kids.get(_Z_VERTROUWELIJKAANDUIDING), plek, "vertrouwelijkAanduiding"),
            self.value(kids.get(_Z_AUTEUR), plek, "auteur"),
            inhoud,  # a Base64Inhoud until first read (Document.inhoud: stuf._lazy.InhoudField)
            content_type,
        )

    def base64(self, text: str, plek: str) -> bytes:
        return decode_base64(text, plek, self.fo)


def as_date(value: DateValue) -> date | None:
    """A date, or None for absent/NoValue."""
    return value if isinstance(value, date) else None

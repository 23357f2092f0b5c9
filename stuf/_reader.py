"""Shared readers: stuurgegevens, zaak, status and document objects (matched on namespace URI).

Written for speed (issue 4). Beyond lxml's own parse, the cost is per element touched (a proxy
object and its ``{uri}local`` tag string, built on first access) and per Python step, so: each
object's children are listed once by slicing (cheaper than lxml's iterator) into a
``{tag: element}`` map (the first child with a tag wins, as with ``find``); a field without
attributes is read straight from ``.text`` (only attributed ones go through
:func:`~stuf.values.read_value` for nil/noValue); paths are walked first child first; plek
strings are built only for an error or a warning; model objects skip the frozen dataclass
``__init__``; dates, tijdstippen and systemen are memoised; the base64 ``inhoud`` is checked but
decoded only when read (:mod:`stuf._lazy`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any, TypeVar

from lxml import etree

from stuf._lazy import base64_inhoud
from stuf.errors import StufError
from stuf.model import DateValue, Document, NoValue, Stuurgegevens, Systeem, Text, Zaak, ZaakStatus
from stuf.values import parse_date, parse_tijdstip, read_value
from stuf.xml import BG, STUF, XMIME, XSI, ZDS, ZKN

__all__ = ["Reader"]

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
_SYSTEEM_TAGS = (_S_ORGANISATIE, _S_APPLICATIE, _S_ADMINISTRATIE, _S_GEBRUIKER)
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
_new = object.__new__


def _make(cls: type[_T], **values: Any) -> _T:
    """A frozen model object built without its dataclass ``__init__``, which pays one
    ``object.__setattr__`` per field; the model defines no ``__post_init__``, so the result is
    the same. Every field must be passed (a document's ``inhoud`` may be a Base64Inhoud).
    """
    obj = _new(cls)
    obj.__dict__.update(values)
    return obj


def _systeem(org: Text, app: Text, adm: Text, gebr: Text) -> Systeem:
    """A zender/ontvanger from its four values, nil or noValue read as absent."""
    return Systeem(
        org if isinstance(org, str) else None,
        app if isinstance(app, str) else "",
        adm if isinstance(adm, str) else None,
        gebr if isinstance(gebr, str) else None,
    )


@lru_cache(maxsize=256)
def _plain_systeem(parts: tuple[tuple[Any, str | None], ...]) -> Systeem:
    """A zender/ontvanger from the ``(tag, text)`` of its children, none with attributes (so no
    nil, noValue or warning). Cached: the same few systems come in every message."""
    texts = {tag: text or "" for tag, text in reversed(parts)}  # the first of a tag wins
    return _systeem(*map(texts.get, _SYSTEEM_TAGS))


def _kids(parent: etree._Element) -> _Kids:
    """``{tag: first child with that tag}`` in one pass (comments and PIs are harmless keys).

    ``parent[::-1]`` lists the children at C speed (lxml's iterator costs more); walking them
    last to first lets the first child of a tag win, as with ``find``.
    """
    kids = {}
    for child in parent[::-1]:
        kids[child.tag] = child
    return kids


def _first(parent: etree._Element, path: Sequence[str]) -> etree._Element | None:
    """The element ``parent.find("a/b/c")`` would give, without the path machinery.

    Each step is nearly always the first child, so that is tried first; otherwise a depth-first
    search gives the first match in document order, as ``find`` does.
    """
    node = parent
    for tag in path:
        try:
            node = node[0]
        except IndexError:  # no children: nothing further along this path
            return _search(parent, path, 0)
        if node.tag != tag:
            return _search(parent, path, 0)
    return node


def _search(parent: etree._Element, path: Sequence[str], depth: int) -> etree._Element | None:
    tag = path[depth]
    last = depth == len(path) - 1
    for child in parent[:]:  # a slice lists the children faster than lxml's iterator
        if child.tag == tag:
            found = child if last else _search(child, path, depth + 1)
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
        return read_value(_first(parent, (tag,)), self.warnings, plek)

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

    def is_nil(self, element: etree._Element) -> bool:
        return element.get(_NIL) in ("true", "1")

    # -- stuurgegevens -------------------------------------------------------------------
    def _systeem(self, element: etree._Element | None, local: str, plek: str) -> Systeem:
        if element is None:
            self.warnings.append(f"{plek}/{local} missing")
            return Systeem(None, "")
        parts = []
        for child in element[:]:
            if child.keys():  # maybe nil or noValue: read field by field
                kids = _kids(element)  # (warnings name the stuurgegevens, as they always have)
                return _systeem(*[self.value(kids.get(tag), plek, None) for tag in _SYSTEEM_TAGS])
            parts.append((child.tag, child.text))
        return _plain_systeem(tuple(parts))

    def stuurgegevens(self, root: etree._Element, plek: str) -> Stuurgegevens:
        sg = self.child(root, "stuurgegevens")
        plek = f"{plek}/stuurgegevens"
        if sg is None:
            raise self.error("stuurgegevens missing", plek)
        kids = _kids(sg)
        value = self.value
        berichtcode = self.need(kids.get(_S_BERICHTCODE), plek, "berichtcode")
        ref = value(kids.get(_S_REFERENTIENUMMER), plek, "referentienummer")
        if not isinstance(ref, str) or not ref:
            self.warnings.append(f"{plek}/referentienummer missing")
            ref = ""
        elif len(ref) > 40:
            self.warnings.append(
                f"{plek}/referentienummer has {len(ref)} characters (schema: max 40); accepted"
            )
        tijdstip = value(kids.get(_S_TIJDSTIPBERICHT), plek, "tijdstipBericht")
        if not isinstance(tijdstip, str) or not tijdstip:
            self.warnings.append(f"{plek}/tijdstipBericht missing")
            tijdstip = ""
        elif not (8 <= len(tijdstip) <= 17 and tijdstip.isdigit()):
            self.warnings.append(f"{plek}/tijdstipBericht is not 8-17 digits; accepted")
        cross = value(kids.get(_S_CROSSREFNUMMER), plek, "crossRefnummer")
        ent = value(kids.get(_S_ENTITEITTYPE), plek, "entiteittype")
        functie = value(kids.get(_S_FUNCTIE), plek, "functie")
        return _make(
            Stuurgegevens,
            berichtcode=berichtcode,
            zender=self._systeem(kids.get(_S_ZENDER), "zender", plek),
            ontvanger=self._systeem(kids.get(_S_ONTVANGER), "ontvanger", plek),
            referentienummer=ref,
            tijdstip_bericht=tijdstip,
            entiteittype=ent if isinstance(ent, str) else None,
            cross_refnummer=cross if isinstance(cross, str) else None,
            functie=functie if isinstance(functie, str) else None,
        )

    # -- zaak ----------------------------------------------------------------------------
    def objects(self, parent: etree._Element, plek: str) -> list[etree._Element]:
        return [child for child in parent[:] if child.tag == _OBJECT]

    def zaak(self, obj: etree._Element, plek: str) -> Zaak:
        kids = _kids(obj)
        zkt_code: Text = None
        zkt_omschrijving: Text = None
        is_van = kids.get(_Z_ISVAN)
        if is_van is not None and not self.is_nil(is_van):
            zkt = _first(is_van, _GERELATEERDE_PATH)
            if zkt is not None:
                zkt_kids = _kids(zkt)
                zkt_code = self.value(zkt_kids.get(_Z_CODE), plek, "isVan/gerelateerde/code")
                zkt_omschrijving = self.value(
                    zkt_kids.get(_Z_OMSCHRIJVING), plek, "isVan/gerelateerde/omschrijving"
                )
        value, day = self.value, self.day
        return _make(
            Zaak,
            identificatie=self.need(kids.get(_IDENTIFICATIE), plek, "identificatie"),
            zaaktype_code=zkt_code,
            zaaktype_omschrijving=zkt_omschrijving,
            omschrijving=value(kids.get(_Z_OMSCHRIJVING), plek, "omschrijving"),
            toelichting=value(kids.get(_Z_TOELICHTING), plek, "toelichting"),
            startdatum=day(kids.get(_Z_STARTDATUM), plek, "startdatum"),
            registratiedatum=day(kids.get(_Z_REGISTRATIEDATUM), plek, "registratiedatum"),
            einddatum=day(kids.get(_Z_EINDDATUM), plek, "einddatum"),
            initiator_bsn=self._initiator(kids.get(_Z_HEEFTALSINITIATOR)),
            einddatum_gepland=day(kids.get(_Z_EINDDATUMGEPLAND), plek, "einddatumGepland"),
        )

    def _initiator(self, rel: etree._Element | None) -> str | None:
        if rel is None or self.is_nil(rel):
            return None
        found = _first(rel, _BSN_PATH)
        bsn = None if found is None else found.text
        return bsn.strip() if bsn and bsn.strip() else None

    def statussen(self, obj: etree._Element, zaak_id: str, plek: str) -> list[ZaakStatus | None]:
        result: list[ZaakStatus | None] = []
        rels = [child for child in obj[:] if child.tag == _HEEFT]
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
        return _make(
            ZaakStatus,
            zaak_identificatie=zaak_id,
            statustype_code=self.value(stt_kids.get(_Z_CODE), where, "code"),
            statustype_volgnummer=int(volgnummer),
            datum_status_gezet=when,
            zaaktype_code=self.value(stt_kids.get(_Z_ZKT_CODE), where, "zkt.code"),
            statustype_omschrijving=self.value(
                stt_kids.get(_Z_OMSCHRIJVING), where, "omschrijving"
            ),
            toelichting=self.value(kids.get(_Z_TOELICHTING), plek, "toelichting"),
            gezet_door=door.strip() if door and door.strip() else None,
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
            text = read_value(inhoud_el, self.warnings, f"{plek}/inhoud")
            if isinstance(text, NoValue):
                self.warnings.append(f"{plek}/inhoud is xsi:nil (schema: not nillable); accepted")
                inhoud = text
            else:  # a Base64Inhoud until first read (Document.inhoud: stuf._lazy.InhoudField)
                inhoud = base64_inhoud(text or "", f"{plek}/inhoud", self.fo)
        value = self.value
        return _make(
            Document,
            identificatie=self.need(kids.get(_IDENTIFICATIE), plek, "identificatie"),
            titel=value(kids.get(_Z_TITEL), plek, "titel"),
            zaak_identificatie=zaak_id.strip() if zaak_id and zaak_id.strip() else None,
            documenttype_omschrijving=value(
                kids.get(_Z_DCT_OMSCHRIJVING), plek, "dct.omschrijving"
            ),
            bestandsnaam=bestandsnaam,
            formaat=value(kids.get(_Z_FORMAAT), plek, "formaat"),
            creatiedatum=self.day(kids.get(_Z_CREATIEDATUM), plek, "creatiedatum"),
            taal=value(kids.get(_Z_TAAL), plek, "taal"),
            vertrouwelijkheid=value(
                kids.get(_Z_VERTROUWELIJKAANDUIDING), plek, "vertrouwelijkAanduiding"
            ),
            auteur=value(kids.get(_Z_AUTEUR), plek, "auteur"),
            inhoud=inhoud,
            content_type=content_type,
        )

"""Read a zaak question's selection, scope and paging (``zakLv01``: geefZaakdetails and
geefZaakstatus), as ZDS 1.1's ``zakVraagBody`` allows them.

Supported: ``gelijk`` on identificatie, zaaktype code (``isVan/gerelateerde/code``) and
initiator BSN (``heeftAlsInitiator/gerelateerde/identificatie`` as the 1.1 schema has it, or
``.../gerelateerde/natuurlijkPersoon/inp.bsn``), and on
startdatum/registratiedatum; ``vanaf``/``totEnMet`` on those two dates; ``scope/object`` with
``StUF:scope`` or the related entities listed; ``parameters/maximumAantal``; ``start/object``
(the identificatie the next page follows). Any other selection field is refused, never ignored:
ignoring it would answer zaken the asker did not ask for. Error texts never carry a BSN.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from lxml import etree

from stuf._reader import Reader
from stuf.model import (
    GeefZaakdetails,
    GeefZaakstatus,
    Message,
    Stuurgegevens,
    ZaakdetailsAntwoord,
    ZaakScope,
    ZaakSelectie,
    ZaakStatus,
)
from stuf.operations import q
from stuf.selectie import STATUS_SCOPE
from stuf.xml import STUF, XSI, ZKN

__all__ = ["guess_lv01", "zaak_la", "zaak_vraag"]

_DATES = ("startdatum", "registratiedatum")
_GERELATEERDE = q(ZKN, "gerelateerde")
_VOLGNUMMER = q(ZKN, "volgnummer")
_GEZET = q(ZKN, "datumStatusGezet")
_NIL = q(XSI, "nil")
_NOVALUE = q(STUF, "noValue")
_SCOPES = {
    "alles": ZaakScope(),
    "allesMaarKerngegevensRelaties": ZaakScope(),
    "allesZonderRelaties": ZaakScope(zaaktype=False, initiator=False, statussen=False),
}


def _children(element: etree._Element) -> list[etree._Element]:
    return [child for child in element if isinstance(child.tag, str)]


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _only(r: Reader, holder: etree._Element, path: tuple[str, ...], plek: str) -> str | None:
    """The text at ``path`` below ``holder``, refusing any other element on the way."""
    node = holder
    for step in path:
        kids = _children(node)
        if r.is_nil(node) and not kids:
            return None
        if len(kids) != 1 or _local(kids[0]) != step:
            names = ", ".join(sorted({_local(kid) for kid in kids})) or "niets"
            raise r.error(f"selectie op {plek}/{names} wordt niet ondersteund", plek)
        node = kids[0]
        plek = f"{plek}/{step}"
    value = r.value(node, plek, None)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _initiator(r: Reader, rel: etree._Element, plek: str) -> str | None:
    """The initiator's BSN: ``gerelateerde/identificatie`` (the 1.1 schema's BTR selection) or
    ``gerelateerde/natuurlijkPersoon/inp.bsn`` (as some systems send it)."""
    gerelateerde = [kid for kid in _children(rel) if _local(kid) == "gerelateerde"]
    kids = _children(gerelateerde[0]) if gerelateerde else []
    if len(kids) == 1 and _local(kids[0]) == "identificatie":
        return _only(r, rel, ("gerelateerde", "identificatie"), plek)
    return _only(r, rel, ("gerelateerde", "natuurlijkPersoon", "inp.bsn"), plek)


def _day(r: Reader, element: etree._Element, plek: str) -> date | None:
    value = r.day(element, plek, _local(element))
    return value if isinstance(value, date) else None


def _selectie(r: Reader, el: etree._Element, plek: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for kind in ("gelijk", "vanaf", "totEnMet"):
        holder = el.find(q(ZKN, kind))
        if holder is None:
            continue
        where = f"{plek}/{kind}"
        for child in _children(holder):
            name = _local(child)
            if name in _DATES:
                day = _day(r, child, where)
                if day is None:
                    continue
                if kind in ("gelijk", "vanaf"):
                    found[f"{name}_vanaf"] = day
                if kind in ("gelijk", "totEnMet"):
                    found[f"{name}_tot_en_met"] = day
            elif kind != "gelijk":
                raise r.error(f"{where}/{name}: alleen een datum kan een grens zijn", where)
            elif name == "identificatie":
                value = r.value(child, where, name)
                if isinstance(value, str) and value.strip():
                    found["identificatie"] = value.strip()
            elif name == "isVan":
                found["zaaktype_code"] = _only(r, child, ("gerelateerde", "code"), f"{where}/isVan")
            elif name == "heeftAlsInitiator":
                found["initiator_bsn"] = _initiator(r, child, f"{where}/heeftAlsInitiator")
            else:
                raise r.error(f"selectie op {where}/{name} wordt niet ondersteund", where)
    return {key: value for key, value in found.items() if value is not None}


def _scope(r: Reader, el: etree._Element, plek: str, default: ZaakScope) -> ZaakScope | None:
    obj = el.find(f"{q(ZKN, 'scope')}/{q(ZKN, 'object')}")
    if obj is None:
        return None
    named = obj.get(q(STUF, "scope"))
    if named is not None:
        if named not in _SCOPES:
            raise r.error(f"scope {named[:40]!r} wordt niet ondersteund", f"{plek}/scope/object")
        scope = _SCOPES[named]
    else:
        asked = {_local(child) for child in _children(obj)}
        scope = ZaakScope(
            zaaktype="isVan" in asked,
            initiator="heeftAlsInitiator" in asked,
            statussen="heeft" in asked,
            documenten="heeftRelevant" in asked,
        )
    return None if scope == default else scope


def _maximum(r: Reader, el: etree._Element, plek: str) -> int | None:
    params = el.find(q(ZKN, "parameters"))
    found = None if params is None else params.find(q(STUF, "maximumAantal"))
    value = None if found is None else r.value(found, f"{plek}/parameters", "maximumAantal")
    if not isinstance(value, str) or not value.strip():
        return None
    if not value.strip().isdigit() or int(value) < 1:
        raise r.error("maximumAantal is geen positief getal", f"{plek}/parameters/maximumAantal")
    return int(value)


def zaak_vraag(cls: Callable[..., GeefZaakdetails]) -> Callable[..., Message]:
    """The parser of a geefZaakdetails/geefZaakstatus ``zakLv01``."""

    def parse(r: Reader, el: etree._Element, plek: str) -> Message:
        sg: Stuurgegevens = r.stuurgegevens(el, plek)
        velden = _selectie(r, el, plek)
        if not velden:
            raise r.error("gelijk (selection) missing", f"{plek}/gelijk")
        start_el = el.find(f"{q(ZKN, 'start')}/{q(ZKN, 'object')}/{q(ZKN, 'identificatie')}")
        start = (start_el.text or "").strip() or None if start_el is not None else None
        selectie = ZaakSelectie(**velden)
        simple = ZaakSelectie(identificatie=selectie.identificatie)
        return cls(
            sg,
            zaak_identificatie=selectie.identificatie or "",
            selectie=None if selectie == simple else selectie,
            scope=_scope(r, el, plek, STATUS_SCOPE if cls is GeefZaakstatus else ZaakScope()),
            maximum_aantal=_maximum(r, el, plek),
            start=start,
        )

    return parse


def guess_lv01(element: etree._Element) -> str:
    """Without a SOAPAction: a scope with documents asks for the list, a scope of identificatie
    and statuses only is geefZaakstatus, anything else geefZaakdetails."""
    scope = element.find(f"{q(ZKN, 'scope')}/{q(ZKN, 'object')}")
    if scope is None:
        return "geefZaakdetails"
    asked = {child.tag for child in scope if isinstance(child.tag, str)}
    if q(ZKN, "heeftRelevant") in asked:
        return "geefLijstZaakdocumenten"
    if q(ZKN, "heeft") in asked and asked <= {q(ZKN, "identificatie"), q(ZKN, "heeft")}:
        return "geefZaakstatus"
    return "geefZaakdetails"


def _vervolg(el: etree._Element) -> bool:
    params = el.find(q(ZKN, "parameters"))
    found = None if params is None else params.findtext(q(STUF, "indicatorVervolgvraag"))
    return (found or "").strip() in ("true", "1")


def _without_value(rel: etree._Element) -> bool:
    """Has this status no volgnummer or no datumStatusGezet (absent, nil or noValue)?"""
    for path in (f"{_GERELATEERDE}/{_VOLGNUMMER}", _GEZET):
        found = rel.find(path)
        if found is None or found.get(_NIL) in ("true", "1") or found.get(_NOVALUE):
            return True
    return False


def _statussen(r: Reader, obj: etree._Element, zaak_id: str, plek: str) -> list[ZaakStatus]:
    result = []
    for index, rel in enumerate(obj.iterchildren(q(ZKN, "heeft")), start=1):
        where = f"{plek}/heeft[{index}]"
        if r.is_nil(rel):
            continue
        if _without_value(rel):
            r.warnings.append(f"{where}: status zonder volgnummer of datumStatusGezet weggelaten")
            continue
        result.append(r.status(rel, zaak_id, where))
    return result


def zaak_la(cls: type[ZaakdetailsAntwoord]) -> Callable[..., Message]:
    """A zakLa01 with zaken and their statuses (geefZaakdetails, geefZaakstatus).

    A status the answering system left without its volgnummer or datumStatusGezet (nil or
    noValue) is left out with a warning: the zaak and its other statuses are still answered.
    """

    def parse(r: Reader, el: etree._Element, plek: str) -> Message:
        sg = r.stuurgegevens(el, plek)
        zaken = []
        antwoord = el.find(q(ZKN, "antwoord"))
        objects = [] if antwoord is None else r.objects(antwoord, f"{plek}/antwoord")
        for index, obj in enumerate(objects, start=1):
            where = f"{plek}/antwoord/object[{index}]"
            zaak = r.zaak(obj, where)
            zaken.append((zaak, _statussen(r, obj, zaak.identificatie, where)))
        if not zaken:
            return cls(sg, None, [], vervolg=_vervolg(el))
        (zaak, statussen), *meer = zaken
        return cls(sg, zaak, statussen, meer, vervolg=_vervolg(el))

    return parse

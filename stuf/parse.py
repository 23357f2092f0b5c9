"""Parse inbound ZDS messages: liberal in what is accepted, precise about what is not."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, TypeVar

from lxml import etree

from stuf._parse_checkout import CHECKOUT_PARSERS, parameter
from stuf._parse_selectie import guess_lv01, zaak_la, zaak_vraag
from stuf._reader import Reader
from stuf.envelope import unwrap
from stuf.errors import BERICHTCODE_ONBEKEND, StufError
from stuf.model import (
    ActualiseerZaakstatus,
    Bevestiging,
    CreeerZaak,
    DocumentIdentificatieAntwoord,
    Fout,
    GeefLijstZaakdocumenten,
    GeefZaakdetails,
    GeefZaakdocumentLezen,
    GeefZaakstatus,
    GenereerDocumentIdentificatie,
    GenereerZaakIdentificatie,
    LijstZaakdocumentenAntwoord,
    Message,
    Stuurgegevens,
    UpdateZaak,
    UpdateZaakdocument,
    VoegZaakdocumentToe,
    ZaakdetailsAntwoord,
    ZaakdocumentAntwoord,
    ZaakIdentificatieAntwoord,
    ZaakstatusAntwoord,
    ZdsVersion,
)
from stuf.operations import OPERATIONS, STUF_ELEMENTS, by_element, q
from stuf.xml import STUF, ZDS, ZKN, parse_xml

__all__ = ["detect_function", "parse_element", "parse_message"]

_Parser = Callable[[Reader, etree._Element, str], Message]
_ZDS_PREFIX = f"{{{ZDS}}}"
_T = TypeVar("_T")


def parse_message(data: bytes, *, soap_action: str | None = None) -> Message:
    """Parse a SOAP 1.1/1.2 envelope or a bare StUF message into its typed message.

    A SOAP Fault carrying a ``Fo01/Fo02/Fo03`` returns :class:`Fout`; anything the codec cannot
    understand raises :class:`StufError` with code, plek and omschrijving.
    """
    root = parse_xml(data)
    element, _soap = unwrap(root)
    return parse_element(element, soap_action=soap_action)


def parse_element(element: etree._Element, *, soap_action: str | None = None) -> Message:
    """Parse a bare StUF message element (or a SOAP Fault element)."""
    tag = element.tag
    route = _ROUTES.get(tag) if isinstance(tag, str) else None
    if route is None:
        return _other_element(element)
    reader = Reader(route.fo)
    parser = route.parser or _PARSERS[detect_function(element, soap_action)]
    message = parser(reader, element, route.plek)
    sg = message.stuurgegevens
    if sg is not None and sg.berichtcode != route.berichtcode:
        raise _berichtcode_error(sg.berichtcode, route)
    message.version = route.version
    message.warnings.extend(reader.warnings)
    return message


def _other_element(element: etree._Element) -> Message:
    """A SOAP Fault, a Bv0x/Fo0x, or an element that is no ZDS message (an error)."""
    tag = element.tag
    if not isinstance(tag, str):
        raise StufError("message is not an element", plek="/")
    if tag.rpartition("}")[2] == "Fault":
        return _fault(element)
    if tag in STUF_ELEMENTS:
        return _generic(element, STUF_ELEMENTS[tag])
    raise _unknown_message(tag)


def _unknown_message(tag: str) -> StufError:
    namespace = etree.QName(tag).namespace
    code = "StUF019" if namespace in (ZKN, ZDS, STUF) else "StUF055"
    return StufError(f"unknown message {etree.QName(tag).localname[:60]!r}", code=code, plek="/")


def _berichtcode_error(berichtcode: str, route: _Route) -> StufError:
    """The berichtcode in the stuurgegevens must be the one the element name implies.

    A message whose element says ``zakLk01`` but whose berichtcode says ``Lk99`` has no clear
    meaning: refuse it (StUF019) rather than guess which of the two is right.
    """
    return StufError(
        f"berichtcode {berichtcode!r} does not match {route.local} ({route.berichtcode})",
        code=BERICHTCODE_ONBEKEND,
        plek=f"{route.plek}/stuurgegevens/berichtcode",
        berichtcode=route.fo,
    )


def _action_function(soap_action: str | None) -> str | None:
    if not soap_action:
        return None
    action = soap_action.strip().strip('"')
    for op in OPERATIONS.values():
        if action in (op.action_11, op.action_12) and not op.function.endswith(("_Du02", "_La01")):
            return op.function
    return None


def detect_function(element: etree._Element, soap_action: str | None = None) -> str:
    """Which ZDS function (``creeerZaak``, …) a message element is.

    ZDS 1.2 names the function in the element; a ZDS 1.1 ``zakLk01``/``zakLv01``/``zakLa01`` is
    told apart by the SOAPAction when given, else by its content.
    """
    tag = element.tag
    candidates = by_element(tag)
    if not candidates:
        raise _unknown_message(tag)
    if len(candidates) == 1:
        return candidates[0].function
    names = {op.function for op in candidates}
    by_action = _action_function(soap_action)
    if by_action is not None:
        for name in names:
            if name.split("_")[0] == by_action:
                return name
    local = etree.QName(tag).localname
    if local == "zakLk01":
        return _guess_lk01(element)
    if local == "zakLv01":
        return guess_lv01(element)
    if local == "zakLa01":
        obj = element.find(f"{q(ZKN, 'antwoord')}/{q(ZKN, 'object')}")
        lijst = (
            obj is not None
            and obj.find(q(ZKN, "heeftRelevant")) is not None
            and obj.find(q(ZKN, "isVan")) is None
            and obj.find(q(ZKN, "heeft")) is None
        )
        return "geefLijstZaakdocumenten_La01" if lijst else "geefZaakdetails_La01"
    raise StufError(f"cannot tell which function {local!r} is", code="StUF034", plek="/")


def _guess_lk01(element: etree._Element) -> str:
    objects = list(element.iterchildren(q(ZKN, "object")))
    if len(objects) == 1:
        return "creeerZaak"
    if len(objects) != 2:
        raise StufError(
            f"zakLk01 with {len(objects)} objects", code="StUF040", plek="/zakLk01/object"
        )
    allowed = {q(ZKN, "identificatie"), q(ZKN, "heeft")}
    only_status = all(
        {child.tag for child in obj if isinstance(child.tag, str)} <= allowed for obj in objects
    )
    if only_status and objects[1].find(q(ZKN, "heeft")) is not None:
        return "actualiseerZaakstatus"
    return "updateZaak"


# --- the parsers ---------------------------------------------------------------------------


def _stuurgegevens_only(cls: Callable[[Stuurgegevens], Message]) -> _Parser:
    """A Di02 question that carries nothing but its stuurgegevens (genereer…Identificatie)."""

    def parse(r: Reader, el: etree._Element, plek: str) -> Message:
        return cls(r.stuurgegevens(el, plek))

    return parse


def _identificatie_in(r: Reader, el: etree._Element, local: str, plek: str) -> str:
    holder = r.child(el, local)
    if holder is None:
        raise r.error(f"{local} missing", f"{plek}/{local}")
    return r.required(holder, q(ZKN, "identificatie"), f"{plek}/{local}/identificatie")


def _identificatie_antwoord(cls: Callable[[Stuurgegevens, str], Message], local: str) -> _Parser:
    """A Du02 answer: the new identificatie inside its ``zaak`` or ``document`` element."""

    def parse(r: Reader, el: etree._Element, plek: str) -> Message:
        sg = r.stuurgegevens(el, plek)
        return cls(sg, _identificatie_in(r, el, local, plek))

    return parse


def _objects(r: Reader, el: etree._Element, plek: str, count: int) -> list[etree._Element]:
    objects = r.objects(el, plek)
    if len(objects) != count:
        raise r.error(f"expected {count} object(s), found {len(objects)}", f"{plek}/object")
    for index, obj in enumerate(objects, start=1):
        if r.is_nil(obj):
            raise r.error("object is xsi:nil", f"{plek}/object[{index}]")
    return objects


def _kennisgeving(
    cls: Callable[[Stuurgegevens, _T], Message], read: Callable[[Reader, etree._Element, str], _T]
) -> _Parser:
    """A Lk01 with one object (creeerZaak, voegZaakdocumentToe), read by ``read``."""

    def parse(r: Reader, el: etree._Element, plek: str) -> Message:
        sg = r.stuurgegevens(el, plek)
        (obj,) = _objects(r, el, plek, 1)
        return cls(sg, read(r, obj, f"{plek}/object"))

    return parse


def _update(r: Reader, el: etree._Element, plek: str) -> Message:
    sg = r.stuurgegevens(el, plek)
    was, wordt = _objects(r, el, plek, 2)
    return UpdateZaak(sg, r.zaak(was, f"{plek}/object[1]"), r.zaak(wordt, f"{plek}/object[2]"))


def _actualiseer(r: Reader, el: etree._Element, plek: str) -> Message:
    sg = r.stuurgegevens(el, plek)
    was_el, wordt_el = _objects(r, el, plek, 2)
    zaak_id = r.required(wordt_el, q(ZKN, "identificatie"), f"{plek}/object[2]/identificatie")
    was = [s for s in r.statussen(was_el, zaak_id, f"{plek}/object[1]") if s is not None]
    wordt = [s for s in r.statussen(wordt_el, zaak_id, f"{plek}/object[2]") if s is not None]
    if len(wordt) != 1:
        raise r.error(f"expected one new status, found {len(wordt)}", f"{plek}/object[2]/heeft")
    if len(was) > 1:
        raise r.error("more than one previous status", f"{plek}/object[1]/heeft")
    return ActualiseerZaakstatus(sg, zaak_id, wordt[0], was[0] if was else None)


def _gelijk_id(r: Reader, el: etree._Element, plek: str) -> str:
    gelijk = el.find(q(ZKN, "gelijk"))
    if gelijk is None:
        raise r.error("gelijk (selection) missing", f"{plek}/gelijk")
    return r.required(gelijk, q(ZKN, "identificatie"), f"{plek}/gelijk/identificatie")


def _vraag(cls: Callable[[Stuurgegevens, str], Message]) -> _Parser:
    """A Lv01 question: its stuurgegevens and the identificatie it selects on (``gelijk``)."""

    def parse(r: Reader, el: etree._Element, plek: str) -> Message:
        return cls(r.stuurgegevens(el, plek), _gelijk_id(r, el, plek))

    return parse


def _antwoord_objects(r: Reader, el: etree._Element, plek: str) -> list[etree._Element]:
    antwoord = el.find(q(ZKN, "antwoord"))
    if antwoord is None:
        return []
    return r.objects(antwoord, f"{plek}/antwoord")


def _lijst_la(r: Reader, el: etree._Element, plek: str) -> Message:
    sg = r.stuurgegevens(el, plek)
    objects = _antwoord_objects(r, el, plek)
    if not objects:
        raise r.error("answer without zaak object", f"{plek}/antwoord/object")
    obj = objects[0]
    zaak_id = r.required(obj, q(ZKN, "identificatie"), f"{plek}/antwoord/object/identificatie")
    documenten = []
    for index, rel in enumerate(obj.iterchildren(q(ZKN, "heeftRelevant")), start=1):
        gerelateerde = rel.find(q(ZKN, "gerelateerde"))
        if r.is_nil(rel) or gerelateerde is None:
            continue
        doc = r.document(
            gerelateerde, f"{plek}/antwoord/object/heeftRelevant[{index}]/gerelateerde"
        )
        documenten.append(doc)
    return LijstZaakdocumentenAntwoord(sg, zaak_id, documenten)


def _lezen_la(r: Reader, el: etree._Element, plek: str) -> Message:
    sg = r.stuurgegevens(el, plek)
    objects = _antwoord_objects(r, el, plek)
    if not objects:
        return ZaakdocumentAntwoord(sg, None)
    return ZaakdocumentAntwoord(sg, r.document(objects[0], f"{plek}/antwoord/object"))


def _update_doc(r: Reader, el: etree._Element, plek: str) -> Message:
    sg = r.stuurgegevens(el, plek)
    checked_out = parameter(r, el, "checkedOutId")
    edc = r.child(el, "edcLk02")
    if edc is None:
        raise r.error("edcLk02 missing", f"{plek}/edcLk02")
    was, wordt = _objects(r, edc, f"{plek}/edcLk02", 2)
    return UpdateZaakdocument(
        sg,
        r.document(was, f"{plek}/edcLk02/object[1]"),
        r.document(wordt, f"{plek}/edcLk02/object[2]"),
        checked_out,
    )


_PARSERS: dict[str, _Parser] = {
    "genereerZaakIdentificatie": _stuurgegevens_only(GenereerZaakIdentificatie),
    "genereerZaakIdentificatie_Du02": _identificatie_antwoord(ZaakIdentificatieAntwoord, "zaak"),
    "genereerDocumentIdentificatie": _stuurgegevens_only(GenereerDocumentIdentificatie),
    "genereerDocumentIdentificatie_Du02": _identificatie_antwoord(
        DocumentIdentificatieAntwoord, "document"
    ),
    "creeerZaak": _kennisgeving(CreeerZaak, Reader.zaak),
    "updateZaak": _update,
    "actualiseerZaakstatus": _actualiseer,
    "geefZaakdetails": zaak_vraag(GeefZaakdetails),
    "geefZaakdetails_La01": zaak_la(ZaakdetailsAntwoord),
    "geefZaakstatus": zaak_vraag(GeefZaakstatus),
    "geefZaakstatus_La01": zaak_la(ZaakstatusAntwoord),
    "geefLijstZaakdocumenten": _vraag(GeefLijstZaakdocumenten),
    "geefLijstZaakdocumenten_La01": _lijst_la,
    "geefZaakdocumentLezen": _vraag(GeefZaakdocumentLezen),
    "geefZaakdocumentLezen_La01": _lezen_la,
    "voegZaakdocumentToe": _kennisgeving(VoegZaakdocumentToe, Reader.document),
    "updateZaakdocument": _update_doc,
    **CHECKOUT_PARSERS,
}


class _Route(NamedTuple):
    """What a message element's tag alone tells, worked out once per tag."""

    parser: _Parser | None  # None: a ZDS 1.1 element that several functions share
    version: ZdsVersion
    local: str
    plek: str
    berichtcode: str  # the one the element name implies (its last four characters)
    fo: str  # the Fo0x to answer with when the message cannot be understood


def _route(tag: str) -> _Route:
    local = tag.rpartition("}")[2]
    functions = [op.function for op in by_element(tag)]
    return _Route(
        _PARSERS[functions[0]] if len(functions) == 1 else None,
        ZdsVersion.V1_2 if tag.startswith(_ZDS_PREFIX) else ZdsVersion.V1_1,
        local,
        f"/{local}",
        local[-4:],
        "Fo03" if "Lk0" in local else "Fo02",
    )


_ROUTES = {tag: _route(tag) for op in OPERATIONS.values() for tag in (op.element_11, op.element_12)}


# --- Bv0x, Fo0x and SOAP faults --------------------------------------------------------------


def _generic(el: etree._Element, berichtcode: str) -> Message:
    reader = Reader("Fo02")
    sg_el = el.find(q(STUF, "stuurgegevens"))
    sg = None
    if sg_el is not None and sg_el.find(q(STUF, "zender")) is not None:
        sg = reader.stuurgegevens(el, f"/{berichtcode}Bericht")
    message: Message
    if sg is not None and sg.berichtcode != berichtcode:
        raise StufError(
            f"berichtcode {sg.berichtcode!r} does not match {berichtcode}Bericht",
            code=BERICHTCODE_ONBEKEND,
            plek=f"/{berichtcode}Bericht/stuurgegevens/berichtcode",
        )
    if berichtcode.startswith("Bv"):
        message = Bevestiging(berichtcode, sg)
    else:
        body = el.find(q(STUF, "body"))
        if body is None:
            raise StufError(f"{berichtcode} without body", plek=f"/{berichtcode}Bericht/body")

        def field(local: str) -> str:
            return (body.findtext(q(STUF, local)) or "").strip()

        details = body.findtext(q(STUF, "details"))
        message = Fout(
            berichtcode,
            field("code"),
            field("plek"),
            field("omschrijving"),
            " ".join(details.split()) if details else None,
            sg,
        )
    message.warnings.extend(reader.warnings)
    return message


def _fault(fault: etree._Element) -> Message:
    for code in ("Fo01", "Fo02", "Fo03"):
        found = next(fault.iter(q(STUF, f"{code}Bericht")), None)
        if found is not None:
            return _generic(found, code)
    texts = [text.strip() for text in fault.itertext() if text.strip()]
    reason = " | ".join(texts) or "SOAP Fault without StUF foutbericht"
    raise StufError(f"SOAP Fault: {reason[:300]}", code="StUF058", plek="server")

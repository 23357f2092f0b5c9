"""Build outbound ZDS messages: strict, schema-valid by construction (tests validate each one)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, TypeVar

from lxml import etree

from stuf import _write as w
from stuf import _write_doc as wd
from stuf.envelope import envelope, fault_envelope, serialize
from stuf.errors import StufError
from stuf.model import (
    ActualiseerZaakstatus,
    Bevestiging,
    CreeerZaak,
    DocumentIdentificatieAntwoord,
    Fout,
    GenereerDocumentIdentificatie,
    GenereerZaakIdentificatie,
    Message,
    SoapVersion,
    Stuurgegevens,
    Systeem,
    UpdateZaak,
    ZaakIdentificatieAntwoord,
    ZdsVersion,
)
from stuf.operations import OPERATIONS, STUF_ACTIONS, q
from stuf.values import AMSTERDAM, format_tijdstip, write_value
from stuf.xml import STUF, ZDS, ZKN

__all__ = ["build_element", "build_fault", "build_message", "new_stuurgegevens", "soap_action_for"]

_Builder = Callable[[Any, ZdsVersion], etree._Element]
_T = TypeVar("_T")
_BUILDERS: dict[type, tuple[str, _Builder]] = {}


def _builder(cls: type, operation: str) -> Callable[[_Builder], _Builder]:
    def register(func: _Builder) -> _Builder:
        _BUILDERS[cls] = (operation, func)
        return func

    return register


def new_stuurgegevens(
    berichtcode: str,
    zender: Systeem,
    ontvanger: Systeem,
    entiteittype: str | None = None,
    functie: str | None = None,
    cross_refnummer: str | None = None,
) -> Stuurgegevens:
    """Stuurgegevens with a fresh uuid4 referentienummer and tijdstipBericht now (17 digits)."""
    return Stuurgegevens(
        berichtcode=berichtcode,
        zender=zender,
        ontvanger=ontvanger,
        referentienummer=str(uuid.uuid4()),
        tijdstip_bericht=format_tijdstip(datetime.now(AMSTERDAM)),
        entiteittype=entiteittype,
        cross_refnummer=cross_refnummer,
        functie=functie,
    )


def _root(operation: str, version: ZdsVersion) -> etree._Element:
    op = OPERATIONS[operation]
    return etree.Element(op.element_11 if version is ZdsVersion.V1_1 else op.element_12)


def _di_ns(version: ZdsVersion) -> str:
    """Namespace of the children of the Di02/Du02 messages (anonymous types in ZDS 1.2)."""
    return ZKN if version is ZdsVersion.V1_1 else ZDS


def _kennisgeving(
    operation: str, version: ZdsVersion, msg: Any, entiteittype: str, mutatiesoort: str
) -> etree._Element:
    """A Lk01's root with its stuurgegevens and parameters (``mutatiesoort`` T or W)."""
    root = _root(operation, version)
    w.stuurgegevens(root, ZKN, msg.stuurgegevens, berichtcode="Lk01", entiteittype=entiteittype)
    params = w.sub(root, q(ZKN, "parameters"))
    write_value(params, q(STUF, "mutatiesoort"), mutatiesoort)
    write_value(params, q(STUF, "indicatorOvername"), "V")
    return root


def _was_wordt(
    parent: etree._Element, entiteittype: str, was: _T, wordt: _T
) -> Iterator[tuple[etree._Element, _T]]:
    """A wijziging (W) carries two objects, was then wordt: each as (its element, its value)."""
    for value in (was, wordt):
        yield w.sub(parent, q(ZKN, "object"), {w.ENT: entiteittype, w.VS: "W"}), value


def _genereer(
    vraag: type, antwoord: type, operation: str, functie: str, element: str, entiteittype: str
) -> None:
    """Register the Di02 question and Du02 answer of a genereer…Identificatie operation.

    The zaak and the document variant differ only in names: one pair of builders serves both.
    """

    def build_vraag(msg: Any, version: ZdsVersion) -> etree._Element:
        root = _root(operation, version)
        w.stuurgegevens(
            root, _di_ns(version), msg.stuurgegevens, berichtcode="Di02", functie=functie
        )
        return root

    def build_antwoord(msg: Any, version: ZdsVersion) -> etree._Element:
        root = _root(f"{operation}_Du02", version)
        ns = _di_ns(version)
        w.stuurgegevens(root, ns, msg.stuurgegevens, berichtcode="Du02", functie=functie)
        obj = w.sub(root, q(ns, element), {w.ENT: entiteittype, q(STUF, "functie"): "entiteit"})
        write_value(obj, q(ZKN, "identificatie"), msg.identificatie)
        return root

    _builder(vraag, operation)(build_vraag)
    _builder(antwoord, f"{operation}_Du02")(build_antwoord)


_genereer(
    GenereerZaakIdentificatie,
    ZaakIdentificatieAntwoord,
    "genereerZaakIdentificatie",
    "genereerZaakidentificatie",
    "zaak",
    "ZAK",
)
_genereer(
    GenereerDocumentIdentificatie,
    DocumentIdentificatieAntwoord,
    "genereerDocumentIdentificatie",
    "genereerDocumentidentificatie",
    "document",
    "EDC",
)


@_builder(CreeerZaak, "creeerZaak")
def _creeer(msg: CreeerZaak, version: ZdsVersion) -> etree._Element:
    root = _kennisgeving("creeerZaak", version, msg, "ZAK", "T")
    zaak = msg.zaak
    wd.require(zaak.zaaktype_code, "object/isVan/gerelateerde/code")
    wd.require(zaak.startdatum, "object/startdatum")
    wd.require(zaak.registratiedatum, "object/registratiedatum")
    obj = w.sub(root, q(ZKN, "object"), {w.ENT: "ZAK", w.VS: "T"})
    w.zaak_fields(obj, zaak, creeer=True)
    w.zaaktype(obj, zaak, kennisgeving=True)
    w.initiator(obj, zaak, kennisgeving=True, required=version is ZdsVersion.V1_2)
    return root


@_builder(UpdateZaak, "updateZaak")
def _update(msg: UpdateZaak, version: ZdsVersion) -> etree._Element:
    root = _kennisgeving("updateZaak", version, msg, "ZAK", "W")
    for obj, zaak in _was_wordt(root, "ZAK", msg.was, msg.wordt):
        w.zaak_fields(obj, zaak, creeer=False)
        w.zaaktype(obj, zaak, kennisgeving=True)
        w.initiator(obj, zaak, kennisgeving=True, required=False)
    return root


@_builder(ActualiseerZaakstatus, "actualiseerZaakstatus")
def _actualiseer(msg: ActualiseerZaakstatus, version: ZdsVersion) -> etree._Element:
    root = _kennisgeving("actualiseerZaakstatus", version, msg, "ZAK", "W")
    for obj, st in _was_wordt(root, "ZAK", msg.was, msg.wordt):
        write_value(obj, q(ZKN, "identificatie"), msg.zaak_identificatie)
        w.status(obj, st, kennisgeving=True)
    return root


def _vraag(
    operation: str,
    version: ZdsVersion,
    msg: Any,
    entiteittype: str,
    identificatie: str,
    fill_scope: Callable[[etree._Element], None] | None = None,
) -> etree._Element:
    """A Lv01 question for one ``entiteittype`` selected by ``identificatie``.

    ``fill_scope`` fills the ``<scope>`` element; without it the question asks for every field
    (``StUF:scope="alles"``).
    """
    root = _root(operation, version)
    w.stuurgegevens(root, ZKN, msg.stuurgegevens, berichtcode="Lv01", entiteittype=entiteittype)
    params = w.sub(root, q(ZKN, "parameters"))
    write_value(params, q(STUF, "sortering"), "0")
    write_value(params, q(STUF, "indicatorVervolgvraag"), "false")
    gelijk = w.sub(root, q(ZKN, "gelijk"), {w.ENT: entiteittype})
    write_value(gelijk, q(ZKN, "identificatie"), identificatie)
    scope_el = w.sub(root, q(ZKN, "scope"))
    if fill_scope is None:
        w.sub(scope_el, q(ZKN, "object"), {w.ENT: entiteittype, q(STUF, "scope"): "alles"})
    else:
        fill_scope(scope_el)
    return root


def _antwoord(operation: str, version: ZdsVersion, msg: Any, entiteittype: str) -> etree._Element:
    """A La01's root with its stuurgegevens (answering the question's referentienummer)."""
    root = _root(operation, version)
    w.stuurgegevens(
        root, ZKN, msg.stuurgegevens, berichtcode="La01", entiteittype=entiteittype, cross_ref=True
    )
    params = w.sub(root, q(ZKN, "parameters"))
    write_value(params, q(STUF, "indicatorVervolgvraag"), "false")
    return root


def _antwoord_object(root: etree._Element, entiteittype: str) -> etree._Element:
    """The ``<object>`` a La01 answers with."""
    antwoord = w.sub(root, q(ZKN, "antwoord"))
    return w.sub(antwoord, q(ZKN, "object"), {w.ENT: entiteittype})


def build_element(message: Message, version: ZdsVersion) -> etree._Element:
    """The bare StUF message element (no SOAP envelope)."""
    if isinstance(message, Bevestiging):
        return _bevestiging(message)
    if isinstance(message, Fout):
        return _fout(message)
    entry = _BUILDERS.get(type(message))
    if entry is None:
        raise StufError(f"cannot build {type(message).__name__}", code="StUF025", plek="/")
    return entry[1](message, ZdsVersion(version))


def _stuf_bericht(
    berichtcode: str, stuurgegevens: Stuurgegevens | None, kind: str, known: tuple[str, ...]
) -> etree._Element:
    """A Bv0x/Fo0x root with its stuurgegevens; a Bv02/Fo02 carries only its berichtcode."""
    if berichtcode not in known:
        raise StufError(f"unknown {kind} {berichtcode[:8]!r}", code="StUF019", plek="/")
    root = etree.Element(q(STUF, f"{berichtcode}Bericht"))
    if berichtcode.endswith("02"):
        sg = w.sub(root, q(STUF, "stuurgegevens"))
        write_value(sg, q(STUF, "berichtcode"), berichtcode)
    elif stuurgegevens is None:
        raise StufError(f"{berichtcode} needs stuurgegevens", plek="stuurgegevens")
    else:
        w.stuurgegevens(root, STUF, stuurgegevens, berichtcode=berichtcode, cross_ref=True)
    return root


def _bevestiging(msg: Bevestiging) -> etree._Element:
    return _stuf_bericht(
        msg.berichtcode, msg.stuurgegevens, "bevestiging", ("Bv01", "Bv02", "Bv03")
    )


def _fout(msg: Fout) -> etree._Element:
    root = _stuf_bericht(
        msg.berichtcode, msg.stuurgegevens, "foutbericht", ("Fo01", "Fo02", "Fo03")
    )
    body = w.sub(root, q(STUF, "body"))
    write_value(body, q(STUF, "code"), msg.code)
    write_value(body, q(STUF, "plek"), msg.plek)
    write_value(body, q(STUF, "omschrijving"), msg.omschrijving)
    write_value(body, q(STUF, "details"), msg.details)
    return root


def build_message(
    message: Message, version: ZdsVersion, *, soap: SoapVersion = SoapVersion.V1_1
) -> bytes:
    """``message`` as a SOAP envelope in UTF-8, valid against the ZDS ``version`` schema."""
    if isinstance(message, Fout):
        return build_fault(message, version, soap=soap)
    env, body = envelope(SoapVersion(soap))
    body.append(build_element(message, version))
    return serialize(env)


def build_fault(fout: Fout, version: ZdsVersion, soap: SoapVersion = SoapVersion.V1_1) -> bytes:
    """A Fo01/Fo02/Fo03 inside a SOAP 1.1 or 1.2 Fault."""
    client = fout.plek != "server"
    env, detail = fault_envelope(SoapVersion(soap), fout.omschrijving, client=client)
    detail.append(_fout(fout))
    return serialize(env)


def soap_action_for(message: Message, version: ZdsVersion) -> str:
    """The SOAPAction for sending ``message`` (answers carry the action of their question)."""
    if isinstance(message, Bevestiging | Fout):
        return STUF_ACTIONS[message.berichtcode]
    entry = _BUILDERS.get(type(message))
    if entry is None:
        raise StufError(f"no SOAPAction for {type(message).__name__}", code="StUF025", plek="/")
    op = OPERATIONS[entry[0]]
    return op.action_11 if ZdsVersion(version) is ZdsVersion.V1_1 else op.action_12


from stuf import (  # noqa: E402  (registers the zaak question, document and check-out builders)
    _build_checkout,  # noqa: F401
    _build_docs,  # noqa: F401
    _build_zaakvraag,  # noqa: F401
)

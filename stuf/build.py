"""Build outbound ZDS messages: strict, schema-valid by construction (tests validate each one)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

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
    GeefZaakdetails,
    GenereerDocumentIdentificatie,
    GenereerZaakIdentificatie,
    Message,
    SoapVersion,
    Stuurgegevens,
    Systeem,
    UpdateZaak,
    ZaakdetailsAntwoord,
    ZaakIdentificatieAntwoord,
    ZdsVersion,
)
from stuf.operations import OPERATIONS, STUF_ACTIONS, q
from stuf.values import AMSTERDAM, format_tijdstip, write_value
from stuf.xml import STUF, ZDS, ZKN

__all__ = ["build_element", "build_fault", "build_message", "new_stuurgegevens", "soap_action_for"]

_Builder = Callable[[Any, ZdsVersion], etree._Element]
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


def _parameters_lk01(root: etree._Element, mutatiesoort: str) -> None:
    params = w.sub(root, q(ZKN, "parameters"))
    write_value(params, q(STUF, "mutatiesoort"), mutatiesoort)
    write_value(params, q(STUF, "indicatorOvername"), "V")


@_builder(GenereerZaakIdentificatie, "genereerZaakIdentificatie")
def _gzi(msg: GenereerZaakIdentificatie, version: ZdsVersion) -> etree._Element:
    root = _root("genereerZaakIdentificatie", version)
    w.stuurgegevens(
        root,
        _di_ns(version),
        msg.stuurgegevens,
        berichtcode="Di02",
        functie="genereerZaakidentificatie",
    )
    return root


@_builder(ZaakIdentificatieAntwoord, "genereerZaakIdentificatie_Du02")
def _gzi_du(msg: ZaakIdentificatieAntwoord, version: ZdsVersion) -> etree._Element:
    root = _root("genereerZaakIdentificatie_Du02", version)
    ns = _di_ns(version)
    w.stuurgegevens(
        root, ns, msg.stuurgegevens, berichtcode="Du02", functie="genereerZaakidentificatie"
    )
    zaak = w.sub(root, q(ns, "zaak"), {w.ENT: "ZAK", q(STUF, "functie"): "entiteit"})
    write_value(zaak, q(ZKN, "identificatie"), msg.identificatie)
    return root


@_builder(GenereerDocumentIdentificatie, "genereerDocumentIdentificatie")
def _gdi(msg: GenereerDocumentIdentificatie, version: ZdsVersion) -> etree._Element:
    root = _root("genereerDocumentIdentificatie", version)
    w.stuurgegevens(
        root,
        _di_ns(version),
        msg.stuurgegevens,
        berichtcode="Di02",
        functie="genereerDocumentidentificatie",
    )
    return root


@_builder(DocumentIdentificatieAntwoord, "genereerDocumentIdentificatie_Du02")
def _gdi_du(msg: DocumentIdentificatieAntwoord, version: ZdsVersion) -> etree._Element:
    root = _root("genereerDocumentIdentificatie_Du02", version)
    ns = _di_ns(version)
    w.stuurgegevens(
        root, ns, msg.stuurgegevens, berichtcode="Du02", functie="genereerDocumentidentificatie"
    )
    doc = w.sub(root, q(ns, "document"), {w.ENT: "EDC", q(STUF, "functie"): "entiteit"})
    write_value(doc, q(ZKN, "identificatie"), msg.identificatie)
    return root


@_builder(CreeerZaak, "creeerZaak")
def _creeer(msg: CreeerZaak, version: ZdsVersion) -> etree._Element:
    root = _root("creeerZaak", version)
    w.stuurgegevens(root, ZKN, msg.stuurgegevens, berichtcode="Lk01", entiteittype="ZAK")
    _parameters_lk01(root, "T")
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
    root = _root("updateZaak", version)
    w.stuurgegevens(root, ZKN, msg.stuurgegevens, berichtcode="Lk01", entiteittype="ZAK")
    _parameters_lk01(root, "W")
    for zaak in (msg.was, msg.wordt):
        obj = w.sub(root, q(ZKN, "object"), {w.ENT: "ZAK", w.VS: "W"})
        w.zaak_fields(obj, zaak, creeer=False)
        w.zaaktype(obj, zaak, kennisgeving=True)
        w.initiator(obj, zaak, kennisgeving=True, required=False)
    return root


@_builder(ActualiseerZaakstatus, "actualiseerZaakstatus")
def _actualiseer(msg: ActualiseerZaakstatus, version: ZdsVersion) -> etree._Element:
    root = _root("actualiseerZaakstatus", version)
    w.stuurgegevens(root, ZKN, msg.stuurgegevens, berichtcode="Lk01", entiteittype="ZAK")
    _parameters_lk01(root, "W")
    for st in (msg.was, msg.wordt):
        obj = w.sub(root, q(ZKN, "object"), {w.ENT: "ZAK", w.VS: "W"})
        write_value(obj, q(ZKN, "identificatie"), msg.zaak_identificatie)
        w.status(obj, st, kennisgeving=True)
    return root


def _vraag(
    root: etree._Element, msg: Any, entiteittype: str, scope: Callable[[etree._Element], None]
) -> None:
    w.stuurgegevens(root, ZKN, msg.stuurgegevens, berichtcode="Lv01", entiteittype=entiteittype)
    params = w.sub(root, q(ZKN, "parameters"))
    write_value(params, q(STUF, "sortering"), "0")
    write_value(params, q(STUF, "indicatorVervolgvraag"), "false")
    scope(root)


def _gelijk(root: etree._Element, entiteittype: str, identificatie: str) -> None:
    gelijk = w.sub(root, q(ZKN, "gelijk"), {w.ENT: entiteittype})
    write_value(gelijk, q(ZKN, "identificatie"), identificatie)


@_builder(GeefZaakdetails, "geefZaakdetails")
def _gzd(msg: GeefZaakdetails, version: ZdsVersion) -> etree._Element:
    root = _root("geefZaakdetails", version)

    def body(r: etree._Element) -> None:
        _gelijk(r, "ZAK", msg.zaak_identificatie)
        scope = w.sub(r, q(ZKN, "scope"))
        w.sub(scope, q(ZKN, "object"), {w.ENT: "ZAK", q(STUF, "scope"): "alles"})

    _vraag(root, msg, "ZAK", body)
    return root


def _antwoord_sg(root: etree._Element, msg: Any, entiteittype: str) -> None:
    w.stuurgegevens(
        root, ZKN, msg.stuurgegevens, berichtcode="La01", entiteittype=entiteittype, cross_ref=True
    )
    params = w.sub(root, q(ZKN, "parameters"))
    write_value(params, q(STUF, "indicatorVervolgvraag"), "false")


@_builder(ZaakdetailsAntwoord, "geefZaakdetails_La01")
def _gzd_la(msg: ZaakdetailsAntwoord, version: ZdsVersion) -> etree._Element:
    root = _root("geefZaakdetails_La01", version)
    _antwoord_sg(root, msg, "ZAK")
    if msg.zaak is None:
        return root
    antwoord = w.sub(root, q(ZKN, "antwoord"))
    obj = w.sub(antwoord, q(ZKN, "object"), {w.ENT: "ZAK"})
    w.zaak_fields(obj, msg.zaak, creeer=False)
    w.zaaktype(obj, msg.zaak, kennisgeving=False)
    w.initiator(obj, msg.zaak, kennisgeving=False, required=False)
    for st in msg.statussen:
        w.status(obj, st, kennisgeving=False)
    return root


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


def _bevestiging(msg: Bevestiging) -> etree._Element:
    if msg.berichtcode not in ("Bv01", "Bv02", "Bv03"):
        raise StufError(f"unknown bevestiging {msg.berichtcode[:8]!r}", code="StUF019", plek="/")
    root = etree.Element(q(STUF, f"{msg.berichtcode}Bericht"))
    if msg.berichtcode == "Bv02":
        sg = w.sub(root, q(STUF, "stuurgegevens"))
        write_value(sg, q(STUF, "berichtcode"), "Bv02")
        return root
    if msg.stuurgegevens is None:
        raise StufError(f"{msg.berichtcode} needs stuurgegevens", plek="stuurgegevens")
    w.stuurgegevens(root, STUF, msg.stuurgegevens, berichtcode=msg.berichtcode, cross_ref=True)
    return root


def _fout(msg: Fout) -> etree._Element:
    if msg.berichtcode not in ("Fo01", "Fo02", "Fo03"):
        raise StufError(f"unknown foutbericht {msg.berichtcode[:8]!r}", code="StUF019", plek="/")
    root = etree.Element(q(STUF, f"{msg.berichtcode}Bericht"))
    if msg.berichtcode == "Fo02":
        sg = w.sub(root, q(STUF, "stuurgegevens"))
        write_value(sg, q(STUF, "berichtcode"), "Fo02")
    else:
        if msg.stuurgegevens is None:
            raise StufError(f"{msg.berichtcode} needs stuurgegevens", plek="stuurgegevens")
        w.stuurgegevens(root, STUF, msg.stuurgegevens, berichtcode=msg.berichtcode, cross_ref=True)
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


from stuf import _build_docs  # noqa: E402,F401  (registers the document builders)

"""Builders for the document messages (registered into :mod:`stuf.build`)."""

from __future__ import annotations

from lxml import etree

from stuf import _write as w
from stuf import _write_doc as wd
from stuf.build import _antwoord_sg, _builder, _di_ns, _gelijk, _parameters_lk01, _root, _vraag
from stuf.model import (
    GeefLijstZaakdocumenten,
    GeefZaakdocumentLezen,
    LijstZaakdocumentenAntwoord,
    UpdateZaakdocument,
    VoegZaakdocumentToe,
    ZaakdocumentAntwoord,
    ZdsVersion,
)
from stuf.operations import q
from stuf.values import write_value
from stuf.xml import STUF, ZKN


@_builder(VoegZaakdocumentToe, "voegZaakdocumentToe")
def _voeg_toe(msg: VoegZaakdocumentToe, version: ZdsVersion) -> etree._Element:
    root = _root("voegZaakdocumentToe", version)
    w.stuurgegevens(root, ZKN, msg.stuurgegevens, berichtcode="Lk01", entiteittype="EDC")
    _parameters_lk01(root, "T")
    obj = w.sub(root, q(ZKN, "object"), {w.ENT: "EDC", w.VS: "T"})
    wd.document_fields(obj, msg.document, voeg_toe=True)
    wd.zaak_relatie(obj, msg.document, kennisgeving=True, required=True)
    return root


@_builder(UpdateZaakdocument, "updateZaakdocument")
def _update_doc(msg: UpdateZaakdocument, version: ZdsVersion) -> etree._Element:
    root = _root("updateZaakdocument", version)
    ns = _di_ns(version)
    w.stuurgegevens(root, ns, msg.stuurgegevens, berichtcode="Di02", functie="updateZaakdocument")
    params = w.sub(root, q(ns, "parameters"))
    write_value(params, q(ns, "checkedOutId"), msg.checked_out_id)
    edc = w.sub(root, q(ns, "edcLk02"), {w.ENT: "EDC", q(STUF, "functie"): "update"})
    lk02 = w.sub(edc, q(ZKN, "parameters"))
    write_value(lk02, q(STUF, "mutatiesoort"), "W")
    for doc in (msg.was, msg.wordt):
        obj = w.sub(edc, q(ZKN, "object"), {w.ENT: "EDC", w.VS: "W"})
        wd.document_fields(obj, doc, voeg_toe=False)
    return root


@_builder(GeefLijstZaakdocumenten, "geefLijstZaakdocumenten")
def _lijst(msg: GeefLijstZaakdocumenten, version: ZdsVersion) -> etree._Element:
    root = _root("geefLijstZaakdocumenten", version)

    def body(r: etree._Element) -> None:
        _gelijk(r, "ZAK", msg.zaak_identificatie)
        scope = w.sub(r, q(ZKN, "scope"))
        obj = w.sub(scope, q(ZKN, "object"), {w.ENT: "ZAK"})
        rel = w.sub(obj, q(ZKN, "heeftRelevant"), {w.ENT: "ZAKEDC"})
        gerelateerde = w.sub(rel, q(ZKN, "gerelateerde"), {w.ENT: "EDC"})
        for name in wd.LIST_SCOPE:  # StUF scope notation: a nil element asks for that field
            w.sub(gerelateerde, q(ZKN, name), {w.NIL: "true"})

    _vraag(root, msg, "ZAK", body)
    return root


@_builder(LijstZaakdocumentenAntwoord, "geefLijstZaakdocumenten_La01")
def _lijst_la(msg: LijstZaakdocumentenAntwoord, version: ZdsVersion) -> etree._Element:
    root = _root("geefLijstZaakdocumenten_La01", version)
    _antwoord_sg(root, msg, "ZAK")
    antwoord = w.sub(root, q(ZKN, "antwoord"))
    obj = w.sub(antwoord, q(ZKN, "object"), {w.ENT: "ZAK"})
    write_value(obj, q(ZKN, "identificatie"), msg.zaak_identificatie)
    if not msg.documenten:
        w.nil_child(obj, q(ZKN, "heeftRelevant"), {w.ENT: "ZAKEDC"})
    for doc in msg.documenten:
        rel = w.sub(obj, q(ZKN, "heeftRelevant"), {w.ENT: "ZAKEDC"})
        gerelateerde = w.sub(rel, q(ZKN, "gerelateerde"), {w.ENT: "EDC"})
        wd.document_fields(gerelateerde, doc, voeg_toe=False, with_inhoud=False)
        w.nil_child(rel, q(ZKN, "registratiedatum"), {})
    return root


@_builder(GeefZaakdocumentLezen, "geefZaakdocumentLezen")
def _lezen(msg: GeefZaakdocumentLezen, version: ZdsVersion) -> etree._Element:
    root = _root("geefZaakdocumentLezen", version)

    def body(r: etree._Element) -> None:
        _gelijk(r, "EDC", msg.document_identificatie)
        scope = w.sub(r, q(ZKN, "scope"))
        w.sub(scope, q(ZKN, "object"), {w.ENT: "EDC", q(STUF, "scope"): "alles"})

    _vraag(root, msg, "EDC", body)
    return root


@_builder(ZaakdocumentAntwoord, "geefZaakdocumentLezen_La01")
def _lezen_la(msg: ZaakdocumentAntwoord, version: ZdsVersion) -> etree._Element:
    root = _root("geefZaakdocumentLezen_La01", version)
    _antwoord_sg(root, msg, "EDC")
    if msg.document is None:
        return root
    antwoord = w.sub(root, q(ZKN, "antwoord"))
    obj = w.sub(antwoord, q(ZKN, "object"), {w.ENT: "EDC"})
    wd.document_fields(obj, msg.document, voeg_toe=False)
    wd.zaak_relatie(obj, msg.document, kennisgeving=False, required=False)
    return root

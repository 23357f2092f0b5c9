"""Builders for the document messages (registered into :mod:`stuf.build`)."""

from __future__ import annotations

from lxml import etree

from stuf import _write as w
from stuf import _write_doc as wd
from stuf.build import (
    _antwoord,
    _antwoord_object,
    _builder,
    _di_ns,
    _kennisgeving,
    _root,
    _vraag,
    _was_wordt,
)
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
    root = _kennisgeving("voegZaakdocumentToe", version, msg, "EDC", "T")
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
    for obj, doc in _was_wordt(edc, "EDC", msg.was, msg.wordt):
        wd.document_fields(obj, doc, voeg_toe=False)
    return root


@_builder(GeefLijstZaakdocumenten, "geefLijstZaakdocumenten")
def _lijst(msg: GeefLijstZaakdocumenten, version: ZdsVersion) -> etree._Element:
    def scope(el: etree._Element) -> None:
        obj = w.sub(el, q(ZKN, "object"), {w.ENT: "ZAK"})
        rel = w.sub(obj, q(ZKN, "heeftRelevant"), {w.ENT: "ZAKEDC"})
        gerelateerde = w.sub(rel, q(ZKN, "gerelateerde"), {w.ENT: "EDC"})
        for name in wd.LIST_SCOPE:  # StUF scope notation: a nil element asks for that field
            w.sub(gerelateerde, q(ZKN, name), {w.NIL: "true"})

    return _vraag("geefLijstZaakdocumenten", version, msg, "ZAK", msg.zaak_identificatie, scope)


@_builder(LijstZaakdocumentenAntwoord, "geefLijstZaakdocumenten_La01")
def _lijst_la(msg: LijstZaakdocumentenAntwoord, version: ZdsVersion) -> etree._Element:
    root = _antwoord("geefLijstZaakdocumenten_La01", version, msg, "ZAK")
    obj = _antwoord_object(root, "ZAK")
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
    return _vraag("geefZaakdocumentLezen", version, msg, "EDC", msg.document_identificatie)


@_builder(ZaakdocumentAntwoord, "geefZaakdocumentLezen_La01")
def _lezen_la(msg: ZaakdocumentAntwoord, version: ZdsVersion) -> etree._Element:
    root = _antwoord("geefZaakdocumentLezen_La01", version, msg, "EDC")
    if msg.document is None:
        return root
    obj = _antwoord_object(root, "EDC")
    wd.document_fields(obj, msg.document, voeg_toe=False)
    wd.zaak_relatie(obj, msg.document, kennisgeving=False, required=False)
    return root

"""Builders for editing through check-out (ZDS geefZaakdocumentbewerken, cancelCheckout).

Registered into :mod:`stuf.build`. The check-in itself is an ordinary updateZaakdocument that
carries the ``checkedOutId`` (:mod:`stuf._build_docs`).
"""

from __future__ import annotations

from lxml import etree

from stuf import _write as w
from stuf import _write_doc as wd
from stuf.build import _builder, _di_ns, _root
from stuf.model import (
    CancelCheckout,
    GeefZaakdocumentBewerken,
    ZaakdocumentBewerkenAntwoord,
    ZdsVersion,
)
from stuf.operations import q
from stuf.values import write_value
from stuf.xml import STUF, ZKN

_FUNCTIE = q(STUF, "functie")
#: What the answer's EDC-antwoord-gzdb requires a value for (the schema allows no nil there).
_REQUIRED = ("creatiedatum", "titel", "formaat", "taal", "vertrouwelijkAanduiding", "auteur")


@_builder(GeefZaakdocumentBewerken, "geefZaakdocumentbewerken")
def _bewerken(msg: GeefZaakdocumentBewerken, version: ZdsVersion) -> etree._Element:
    root = _root("geefZaakdocumentbewerken", version)
    ns = _di_ns(version)
    w.stuurgegevens(
        root, ns, msg.stuurgegevens, berichtcode="Di02", functie="geefZaakdocumentbewerken"
    )
    edc = w.sub(root, q(ns, "edcLv01"), {w.ENT: "EDC", _FUNCTIE: "selectie"})
    w.sub(edc, q(ZKN, "parameters"))
    gelijk = w.sub(edc, q(ZKN, "gelijk"), {w.ENT: "EDC"})
    write_value(gelijk, q(ZKN, "identificatie"), msg.document_identificatie)
    return root  # no <scope>: the answer holds what the standard requires (StUF 03.01 5.5.4)


@_builder(ZaakdocumentBewerkenAntwoord, "geefZaakdocumentbewerken_Du02")
def _bewerken_du(msg: ZaakdocumentBewerkenAntwoord, version: ZdsVersion) -> etree._Element:
    doc = msg.document
    for name, value in zip(
        _REQUIRED,
        (doc.creatiedatum, doc.titel, doc.formaat, doc.taal, doc.vertrouwelijkheid, doc.auteur),
        strict=True,
    ):
        wd.require(value, f"edcLa01/antwoord/object/{name}")
    wd.require(doc.inhoud, "edcLa01/antwoord/object/inhoud")
    root = _root("geefZaakdocumentbewerken_Du02", version)
    ns = _di_ns(version)
    w.stuurgegevens(
        root,
        ns,
        msg.stuurgegevens,
        berichtcode="Du02",
        functie="geefZaakdocumentbewerken",
        cross_ref=True,
    )
    params = w.sub(root, q(ns, "parameters"))
    write_value(params, q(ns, "checkedOutId"), msg.checked_out_id)
    write_value(params, q(ns, "checkedOutBy"), msg.checked_out_by)
    edc = w.sub(root, q(ns, "edcLa01"), {w.ENT: "EDC", _FUNCTIE: "antwoord"})
    w.sub(edc, q(ZKN, "parameters"))
    antwoord = w.sub(edc, q(ZKN, "antwoord"))
    obj = w.sub(antwoord, q(ZKN, "object"), {w.ENT: "EDC"})
    wd.document_fields(obj, doc, voeg_toe=False, with_inhoud=False)
    write_value(obj, q(ZKN, "link"), "")  # required; the content travels in this message
    wd.inhoud(obj, doc)
    wd.zaak_relatie(obj, doc, kennisgeving=False, required=False)
    return root


@_builder(CancelCheckout, "cancelCheckout")
def _cancel(msg: CancelCheckout, version: ZdsVersion) -> etree._Element:
    root = _root("cancelCheckout", version)
    ns = _di_ns(version)
    w.stuurgegevens(root, ns, msg.stuurgegevens, berichtcode="Di02", functie="cancelCheckout")
    params = w.sub(root, q(ns, "parameters"))
    write_value(params, q(ns, "checkedOutId"), msg.checked_out_id)
    document = w.sub(root, q(ns, "document"), {w.ENT: "EDC", _FUNCTIE: "entiteit", w.VS: "I"})
    write_value(document, q(ZKN, "identificatie"), msg.document_identificatie)
    return root

"""Builders for the zaak questions and their answers (registered into :mod:`stuf.build`):
geefZaakdetails and geefZaakstatus, a ``zakLv01`` with its selection, scope and paging, and
the ``zakLa01`` with one or more zaken and ``indicatorVervolgvraag``."""

from __future__ import annotations

from datetime import date

from lxml import etree

from stuf import _write as w
from stuf.build import _builder, _root
from stuf.errors import StufError
from stuf.model import (
    GeefZaakdetails,
    GeefZaakstatus,
    Zaak,
    ZaakdetailsAntwoord,
    ZaakScope,
    ZaakSelectie,
    ZaakStatus,
    ZaakstatusAntwoord,
    ZdsVersion,
)
from stuf.operations import q
from stuf.selectie import STATUS_SCOPE
from stuf.values import format_date, write_value
from stuf.xml import BG, STUF, ZKN

_SCOPE = q(STUF, "scope")
#: The zaak's own fields a scope asks for (nil elements, StUF scope notation), schema order.
_EIGEN = (
    "identificatie",
    "omschrijving",
    "toelichting",
    "startdatum",
    "registratiedatum",
    "einddatumGepland",
    "einddatum",
)


def _date(parent: etree._Element, local: str, value: date | None) -> None:
    if value is not None:
        write_value(parent, q(ZKN, local), format_date(value))


def _selectie(root: etree._Element, selectie: ZaakSelectie) -> None:
    """``gelijk`` (identificatie, zaaktype, initiator, an exact date), ``vanaf``, ``totEnMet``."""
    start = (selectie.startdatum_vanaf, selectie.startdatum_tot_en_met)
    registratie = (selectie.registratiedatum_vanaf, selectie.registratiedatum_tot_en_met)
    gelijk = w.sub(root, q(ZKN, "gelijk"), {w.ENT: "ZAK"})
    write_value(gelijk, q(ZKN, "identificatie"), selectie.identificatie)
    for local, (low, high) in (("startdatum", start), ("registratiedatum", registratie)):
        _date(gelijk, local, low if low is not None and low == high else None)
    if selectie.zaaktype_code is not None:
        rel = w.sub(gelijk, q(ZKN, "isVan"), {w.ENT: "ZAKZKT"})
        zkt = w.sub(rel, q(ZKN, "gerelateerde"), {w.ENT: "ZKT"})
        write_value(zkt, q(ZKN, "code"), selectie.zaaktype_code)
    if selectie.initiator_bsn is not None:
        # the 1.1 selection names a betrokkene by its identificatie (BTR), the BSN for a person
        rel = w.sub(gelijk, q(ZKN, "heeftAlsInitiator"), {w.ENT: "ZAKBTRINI"})
        gerelateerde = w.sub(rel, q(ZKN, "gerelateerde"), {w.ENT: "BTR"})
        write_value(gerelateerde, q(ZKN, "identificatie"), selectie.initiator_bsn)
    for kind, index in (("vanaf", 0), ("totEnMet", 1)):
        bounds = [
            (local, pair[index])
            for local, pair in (("startdatum", start), ("registratiedatum", registratie))
            if pair[index] is not None and pair[0] != pair[1]
        ]
        if bounds:
            element = w.sub(root, q(ZKN, kind), {w.ENT: "ZAK"})
            for local, value in bounds:
                _date(element, local, value)


def _scope(root: etree._Element, scope: ZaakScope | None) -> None:
    holder = w.sub(root, q(ZKN, "scope"))
    if scope is None:
        w.sub(holder, q(ZKN, "object"), {w.ENT: "ZAK", _SCOPE: "alles"})
        return
    obj = w.sub(holder, q(ZKN, "object"), {w.ENT: "ZAK"})
    for local in _EIGEN if scope != STATUS_SCOPE else ("identificatie",):
        w.sub(obj, q(ZKN, local), {w.NIL: "true"})
    if scope.zaaktype:
        rel = w.sub(obj, q(ZKN, "isVan"), {w.ENT: "ZAKZKT"})
        zkt = w.sub(rel, q(ZKN, "gerelateerde"), {w.ENT: "ZKT"})
        for local in ("omschrijving", "code"):
            w.sub(zkt, q(ZKN, local), {w.NIL: "true"})
    if scope.initiator:
        rel = w.sub(obj, q(ZKN, "heeftAlsInitiator"), {w.ENT: "ZAKBTRINI"})
        gerelateerde = w.sub(rel, q(ZKN, "gerelateerde"))
        nps = w.sub(gerelateerde, q(ZKN, "natuurlijkPersoon"), {w.ENT: "NPS"})
        w.sub(nps, q(BG, "inp.bsn"), {w.NIL: "true"})
    if scope.statussen:
        rel = w.sub(obj, q(ZKN, "heeft"), {w.ENT: "ZAKSTT"})
        stt = w.sub(rel, q(ZKN, "gerelateerde"), {w.ENT: "STT"})
        for local in ("zkt.code", "volgnummer", "code", "omschrijving"):
            w.sub(stt, q(ZKN, local), {w.NIL: "true"})
        w.sub(rel, q(ZKN, "datumStatusGezet"), {w.NIL: "true"})
    if scope.documenten:
        rel = w.sub(obj, q(ZKN, "heeftRelevant"), {w.ENT: "ZAKEDC"})
        edc = w.sub(rel, q(ZKN, "gerelateerde"), {w.ENT: "EDC"})
        w.sub(edc, q(ZKN, "identificatie"), {w.NIL: "true"})


def _vraag(operation: str, msg: GeefZaakdetails, version: ZdsVersion) -> etree._Element:
    extra = (msg.selectie, msg.scope, msg.maximum_aantal, msg.start)
    if version is ZdsVersion.V1_2 and (isinstance(msg, GeefZaakstatus) or extra != (None,) * 4):
        # the 1.2 schema shapes these differently; Ketenbrug asks the e-Suite by identificatie
        raise StufError(f"{operation}: selectie, scope en paginering alleen in ZDS 1.1", plek="/")
    root = _root(operation, version)
    w.stuurgegevens(root, ZKN, msg.stuurgegevens, berichtcode="Lv01", entiteittype="ZAK")
    params = w.sub(root, q(ZKN, "parameters"))
    write_value(params, q(STUF, "sortering"), "0")
    write_value(params, q(STUF, "indicatorVervolgvraag"), "true" if msg.start else "false")
    if msg.maximum_aantal is not None:
        write_value(params, q(STUF, "maximumAantal"), str(msg.maximum_aantal))
    selectie = msg.selectie or ZaakSelectie(identificatie=msg.zaak_identificatie)
    _selectie(root, selectie)
    default = STATUS_SCOPE if isinstance(msg, GeefZaakstatus) else None
    _scope(root, msg.scope if msg.scope is not None else default)
    if msg.start is not None:
        start = w.sub(root, q(ZKN, "start"))
        obj = w.sub(start, q(ZKN, "object"), {w.ENT: "ZAK"})
        write_value(obj, q(ZKN, "identificatie"), msg.start)
    return root


@_builder(GeefZaakdetails, "geefZaakdetails")
def _gzd(msg: GeefZaakdetails, version: ZdsVersion) -> etree._Element:
    return _vraag("geefZaakdetails", msg, version)


@_builder(GeefZaakstatus, "geefZaakstatus")
def _gzs(msg: GeefZaakstatus, version: ZdsVersion) -> etree._Element:
    return _vraag("geefZaakstatus", msg, version)


def _zaak_object(
    antwoord: etree._Element, zaak: Zaak, statussen: list[ZaakStatus], scope: ZaakScope
) -> None:
    obj = w.sub(antwoord, q(ZKN, "object"), {w.ENT: "ZAK"})
    if scope == STATUS_SCOPE:
        w.check_zaak_identificatie(zaak.identificatie)
        write_value(obj, q(ZKN, "identificatie"), zaak.identificatie)
    else:
        w.zaak_fields(obj, zaak, creeer=False)
    if scope.zaaktype:
        w.zaaktype(obj, zaak, kennisgeving=False)
    if scope.initiator:
        w.initiator(obj, zaak, kennisgeving=False, required=False)
    if scope.statussen:
        for st in statussen:
            w.status(obj, st, kennisgeving=False)


def _antwoord(
    operation: str, msg: ZaakdetailsAntwoord, version: ZdsVersion, default: ZaakScope
) -> etree._Element:
    root = _root(operation, version)
    w.stuurgegevens(
        root, ZKN, msg.stuurgegevens, berichtcode="La01", entiteittype="ZAK", cross_ref=True
    )
    params = w.sub(root, q(ZKN, "parameters"))
    write_value(params, q(STUF, "indicatorVervolgvraag"), "true" if msg.vervolg else "false")
    zaken = msg.zaken
    if not zaken:
        return root
    antwoord = w.sub(root, q(ZKN, "antwoord"))
    scope = msg.scope or default
    for zaak, statussen in zaken:
        _zaak_object(antwoord, zaak, statussen, scope)
    return root


@_builder(ZaakdetailsAntwoord, "geefZaakdetails_La01")
def _gzd_la(msg: ZaakdetailsAntwoord, version: ZdsVersion) -> etree._Element:
    return _antwoord("geefZaakdetails_La01", msg, version, ZaakScope())


@_builder(ZaakstatusAntwoord, "geefZaakstatus_La01")
def _gzs_la(msg: ZaakstatusAntwoord, version: ZdsVersion) -> etree._Element:
    return _antwoord("geefZaakstatus_La01", msg, version, STATUS_SCOPE)

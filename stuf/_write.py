"""Shared writers for stuurgegevens and the zaak, status and document objects."""

from __future__ import annotations

from datetime import date

from lxml import etree

from stuf.errors import StufError
from stuf.model import DateValue, NoValue, Stuurgegevens, Systeem, Text, Zaak, ZaakStatus
from stuf.operations import q
from stuf.values import format_date, format_tijdstip, write_value
from stuf.xml import BG, STUF, XSI, ZKN

ENT = q(STUF, "entiteittype")
VS = q(STUF, "verwerkingssoort")
NIL = q(XSI, "nil")
NOVALUE = q(STUF, "noValue")
_TIJDSTIP_OK = frozenset("0123456789")


def sub(parent: etree._Element, tag: str, attrs: dict[str, str] | None = None) -> etree._Element:
    """Append an empty child element."""
    return etree.SubElement(parent, tag, attrs or {})


def date_text(value: DateValue) -> Text:
    """A date field as text (``yyyymmdd``), passing None and NoValue through."""
    if isinstance(value, date):
        return format_date(value)
    return value


def nil_child(parent: etree._Element, tag: str, attrs: dict[str, str]) -> etree._Element:
    """A required relation element without content: ``xsi:nil`` + ``StUF:noValue=geenWaarde``."""
    child = sub(parent, tag, attrs)
    child.set(NIL, "true")
    child.set(NOVALUE, NoValue.GEEN_WAARDE.value)
    return child


def attrs(entiteittype: str, kennisgeving: bool, verwerkingssoort: str = "T") -> dict[str, str]:
    """An object's StUF attributes: only a kennisgeving (Lk01) names its verwerkingssoort."""
    return {ENT: entiteittype, VS: verwerkingssoort} if kennisgeving else {ENT: entiteittype}


def relation(
    obj: etree._Element,
    local: str,
    entiteittype: str,
    *,
    present: bool,
    kennisgeving: bool,
    required: bool,
) -> etree._Element | None:
    """The relation element ``local``, or ``None`` when nothing is related.

    Nothing related is a nil element when the schema requires the relation, else no element.
    """
    rel_attrs = attrs(entiteittype, kennisgeving)
    if present:
        return sub(obj, q(ZKN, local), rel_attrs)
    if required:
        nil_child(obj, q(ZKN, local), rel_attrs)
    return None


def _systeem(parent: etree._Element, tag: str, systeem: Systeem) -> None:
    element = sub(parent, q(STUF, tag))
    write_value(element, q(STUF, "organisatie"), systeem.organisatie)
    write_value(element, q(STUF, "applicatie"), systeem.applicatie)
    write_value(element, q(STUF, "administratie"), systeem.administratie)
    write_value(element, q(STUF, "gebruiker"), systeem.gebruiker)


def check_stuurgegevens(sg: Stuurgegevens) -> None:
    """Outbound checks the schema makes too, with a clearer message."""
    if not 8 <= len(sg.tijdstip_bericht) <= 17 or not set(sg.tijdstip_bericht) <= _TIJDSTIP_OK:
        raise StufError("tijdstipBericht must be 8-17 digits", plek="stuurgegevens/tijdstipBericht")
    if not sg.referentienummer or len(sg.referentienummer) > 40:
        raise StufError(
            "referentienummer must be 1-40 characters", plek="stuurgegevens/referentienummer"
        )
    if sg.cross_refnummer is not None and len(sg.cross_refnummer) > 40:
        raise StufError("crossRefnummer exceeds 40 characters", plek="stuurgegevens/crossRefnummer")


def stuurgegevens(
    parent: etree._Element,
    ns: str,
    sg: Stuurgegevens,
    *,
    berichtcode: str,
    entiteittype: str | None = None,
    functie: str | None = None,
    cross_ref: bool = False,
) -> None:
    """Write ``<stuurgegevens>`` in namespace ``ns``; code, entiteittype and functie are fixed."""
    check_stuurgegevens(sg)
    element = sub(parent, q(ns, "stuurgegevens"))
    write_value(element, q(STUF, "berichtcode"), berichtcode)
    _systeem(element, "zender", sg.zender)
    _systeem(element, "ontvanger", sg.ontvanger)
    write_value(element, q(STUF, "referentienummer"), sg.referentienummer)
    write_value(element, q(STUF, "tijdstipBericht"), sg.tijdstip_bericht)
    if cross_ref:
        if not sg.cross_refnummer:
            raise StufError(
                f"{berichtcode} needs stuurgegevens.cross_refnummer",
                plek="stuurgegevens/crossRefnummer",
            )
        write_value(element, q(STUF, "crossRefnummer"), sg.cross_refnummer)
    write_value(element, q(STUF, "entiteittype"), entiteittype)
    write_value(element, q(STUF, "functie"), functie)


def check_zaak_identificatie(identificatie: str) -> None:
    """ZaakIdentificatie is 5-40 characters in both versions."""
    if not 5 <= len(identificatie) <= 40:
        raise StufError("zaak identificatie must be 5-40 characters", plek="object/identificatie")


def zaak_fields(obj: etree._Element, zaak: Zaak, *, creeer: bool) -> None:
    """The zaak's own fields, in schema order (identificatie … deelzakenIndicatie)."""
    check_zaak_identificatie(zaak.identificatie)
    write_value(obj, q(ZKN, "identificatie"), zaak.identificatie)
    write_value(obj, q(ZKN, "omschrijving"), zaak.omschrijving)
    write_value(obj, q(ZKN, "toelichting"), zaak.toelichting)
    write_value(obj, q(ZKN, "startdatum"), date_text(zaak.startdatum))
    write_value(obj, q(ZKN, "registratiedatum"), date_text(zaak.registratiedatum))
    write_value(obj, q(ZKN, "einddatumGepland"), date_text(zaak.einddatum_gepland))
    write_value(obj, q(ZKN, "einddatum"), date_text(zaak.einddatum))
    if creeer:
        write_value(obj, q(ZKN, "zaakniveau"), "1")
        write_value(obj, q(ZKN, "deelzakenIndicatie"), "N")


def zaaktype(obj: etree._Element, zaak: Zaak, *, kennisgeving: bool) -> None:
    """``isVan``: the zaaktype (ZKT), referenced by code."""
    if zaak.zaaktype_code is None and zaak.zaaktype_omschrijving is None:
        return
    rel = sub(obj, q(ZKN, "isVan"), attrs("ZAKZKT", kennisgeving))
    gerelateerde = sub(rel, q(ZKN, "gerelateerde"), attrs("ZKT", kennisgeving, "I"))
    write_value(gerelateerde, q(ZKN, "omschrijving"), zaak.zaaktype_omschrijving)
    write_value(gerelateerde, q(ZKN, "code"), zaak.zaaktype_code)


def initiator(obj: etree._Element, zaak: Zaak, *, kennisgeving: bool, required: bool) -> None:
    """``heeftAlsInitiator``: a natuurlijk persoon by BSN."""
    rel = relation(
        obj,
        "heeftAlsInitiator",
        "ZAKBTRINI",
        present=zaak.initiator_bsn is not None,
        kennisgeving=kennisgeving,
        required=required,
    )
    if rel is None:
        return
    gerelateerde = sub(rel, q(ZKN, "gerelateerde"))
    nps_attrs = attrs("NPS", kennisgeving, "I")
    nps = sub(gerelateerde, q(ZKN, "natuurlijkPersoon"), nps_attrs)
    write_value(nps, q(BG, "inp.bsn"), zaak.initiator_bsn)
    if not kennisgeving:
        write_value(nps, q(BG, "authentiek"), "J", {q(STUF, "metagegeven"): "true"})


def status(obj: etree._Element, st: ZaakStatus | None, *, kennisgeving: bool) -> None:
    """``heeft``: one status (ZAKSTT → STT). ``None`` writes a nil ``heeft``."""
    if st is None:
        nil_child(obj, q(ZKN, "heeft"), attrs("ZAKSTT", kennisgeving))
        return
    if not 1 <= st.statustype_volgnummer <= 9999:
        raise StufError(
            "statustype volgnummer must be 1-9999", plek="object/heeft/gerelateerde/volgnummer"
        )
    rel = sub(obj, q(ZKN, "heeft"), attrs("ZAKSTT", kennisgeving))
    gerelateerde = sub(rel, q(ZKN, "gerelateerde"), attrs("STT", kennisgeving, "I"))
    write_value(gerelateerde, q(ZKN, "zkt.code"), st.zaaktype_code)
    write_value(gerelateerde, q(ZKN, "volgnummer"), f"{st.statustype_volgnummer:04d}")
    write_value(gerelateerde, q(ZKN, "code"), st.statustype_code)
    write_value(
        gerelateerde,
        q(ZKN, "omschrijving"),
        "" if st.statustype_omschrijving is None and kennisgeving else st.statustype_omschrijving,
    )
    write_value(rel, q(ZKN, "toelichting"), st.toelichting)
    write_value(rel, q(ZKN, "datumStatusGezet"), format_tijdstip(st.datum_status_gezet))
    door = relation(
        rel,
        "isGezetDoor",
        "ZAKSTTBTR",
        present=st.gezet_door is not None,
        kennisgeving=kennisgeving,
        required=kennisgeving,
    )
    if door is not None:
        gerel = sub(door, q(ZKN, "gerelateerde"))
        mdw = sub(gerel, q(ZKN, "medewerker"), attrs("MDW", kennisgeving, "I"))
        write_value(mdw, q(ZKN, "identificatie"), st.gezet_door)

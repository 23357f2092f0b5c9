"""Shared readers: stuurgegevens, zaak, status and document objects (matched on namespace URI)."""

from __future__ import annotations

import base64
import binascii
from datetime import date

from lxml import etree

from stuf.errors import StufError
from stuf.model import DateValue, Document, NoValue, Stuurgegevens, Systeem, Text, Zaak, ZaakStatus
from stuf.operations import q
from stuf.values import parse_date, parse_tijdstip, read_value
from stuf.xml import BG, STUF, XMIME, XSI, ZDS, ZKN

_MSG_NS = (ZKN, ZDS, STUF)
_NIL = q(XSI, "nil")
_DOOR_PATH = "/".join(
    q(ZKN, n) for n in ("isGezetDoor", "gerelateerde", "medewerker", "identificatie")
)


class Reader:
    """Reads fields of one message, collecting leniency warnings."""

    def __init__(self, fo: str) -> None:
        self.warnings: list[str] = []
        self.fo = fo  # Fo0x to answer with when the message cannot be understood

    def error(self, omschrijving: str, plek: str, code: str = "StUF055") -> StufError:
        return StufError(omschrijving, code=code, plek=plek, berichtcode=self.fo)

    # -- generic -------------------------------------------------------------------------
    def child(self, parent: etree._Element, local: str) -> etree._Element | None:
        """The child ``local`` in any StUF message namespace (ZKN, ZDS, StUF)."""
        for ns in _MSG_NS:
            found = parent.find(q(ns, local))
            if found is not None:
                return found
        return None

    def text(self, parent: etree._Element, tag: str, plek: str) -> Text:
        return read_value(parent.find(tag), self.warnings, plek)

    def required(self, parent: etree._Element, tag: str, plek: str) -> str:
        value = self.text(parent, tag, plek)
        if value is None or isinstance(value, NoValue) or not value.strip():
            raise self.error(f"{plek} is missing or empty", plek)
        return value

    def date(self, parent: etree._Element, tag: str, plek: str) -> DateValue:
        value = self.text(parent, tag, plek)
        if value == "":
            self.warnings.append(f"{plek}: empty date read as absent")
            return None
        if isinstance(value, str):
            try:
                return parse_date(value, plek)
            except StufError as exc:
                raise self.error(exc.omschrijving, plek) from exc
        return value

    def is_nil(self, element: etree._Element) -> bool:
        return element.get(_NIL) in ("true", "1")

    # -- stuurgegevens -------------------------------------------------------------------
    def systeem(self, sg: etree._Element, local: str, plek: str) -> Systeem:
        element = sg.find(q(STUF, local))
        if element is None:
            self.warnings.append(f"{plek}/{local} missing")
            return Systeem(None, "")
        org = self.text(element, q(STUF, "organisatie"), plek)
        app = self.text(element, q(STUF, "applicatie"), plek)
        adm = self.text(element, q(STUF, "administratie"), plek)
        gebr = self.text(element, q(STUF, "gebruiker"), plek)
        return Systeem(
            org if isinstance(org, str) else None,
            app if isinstance(app, str) else "",
            adm if isinstance(adm, str) else None,
            gebr if isinstance(gebr, str) else None,
        )

    def stuurgegevens(self, root: etree._Element, plek: str) -> Stuurgegevens:
        sg = self.child(root, "stuurgegevens")
        plek = f"{plek}/stuurgegevens"
        if sg is None:
            raise self.error("stuurgegevens missing", plek)
        berichtcode = self.required(sg, q(STUF, "berichtcode"), f"{plek}/berichtcode")
        ref = self.text(sg, q(STUF, "referentienummer"), f"{plek}/referentienummer")
        if not isinstance(ref, str) or not ref:
            self.warnings.append(f"{plek}/referentienummer missing")
            ref = ""
        elif len(ref) > 40:
            self.warnings.append(
                f"{plek}/referentienummer has {len(ref)} characters (schema: max 40); accepted"
            )
        tijdstip = self.text(sg, q(STUF, "tijdstipBericht"), f"{plek}/tijdstipBericht")
        if not isinstance(tijdstip, str) or not tijdstip:
            self.warnings.append(f"{plek}/tijdstipBericht missing")
            tijdstip = ""
        elif not (8 <= len(tijdstip) <= 17 and tijdstip.isdigit()):
            self.warnings.append(f"{plek}/tijdstipBericht is not 8-17 digits; accepted")
        cross = self.text(sg, q(STUF, "crossRefnummer"), f"{plek}/crossRefnummer")
        ent = self.text(sg, q(STUF, "entiteittype"), f"{plek}/entiteittype")
        functie = self.text(sg, q(STUF, "functie"), f"{plek}/functie")
        return Stuurgegevens(
            berichtcode=berichtcode,
            zender=self.systeem(sg, "zender", plek),
            ontvanger=self.systeem(sg, "ontvanger", plek),
            referentienummer=ref,
            tijdstip_bericht=tijdstip,
            entiteittype=ent if isinstance(ent, str) else None,
            cross_refnummer=cross if isinstance(cross, str) else None,
            functie=functie if isinstance(functie, str) else None,
        )

    # -- zaak ----------------------------------------------------------------------------
    def objects(self, parent: etree._Element, plek: str) -> list[etree._Element]:
        return [el for el in parent.iterchildren(q(ZKN, "object"))]

    def zaak(self, obj: etree._Element, plek: str) -> Zaak:
        zkt_code: Text = None
        zkt_omschrijving: Text = None
        is_van = obj.find(q(ZKN, "isVan"))
        if is_van is not None and not self.is_nil(is_van):
            zkt = is_van.find(q(ZKN, "gerelateerde"))
            if zkt is not None:
                zkt_code = self.text(zkt, q(ZKN, "code"), f"{plek}/isVan/gerelateerde/code")
                zkt_omschrijving = self.text(
                    zkt, q(ZKN, "omschrijving"), f"{plek}/isVan/gerelateerde/omschrijving"
                )
        return Zaak(
            identificatie=self.required(obj, q(ZKN, "identificatie"), f"{plek}/identificatie"),
            zaaktype_code=zkt_code,
            zaaktype_omschrijving=zkt_omschrijving,
            omschrijving=self.text(obj, q(ZKN, "omschrijving"), f"{plek}/omschrijving"),
            toelichting=self.text(obj, q(ZKN, "toelichting"), f"{plek}/toelichting"),
            startdatum=self.date(obj, q(ZKN, "startdatum"), f"{plek}/startdatum"),
            registratiedatum=self.date(obj, q(ZKN, "registratiedatum"), f"{plek}/registratiedatum"),
            einddatum=self.date(obj, q(ZKN, "einddatum"), f"{plek}/einddatum"),
            initiator_bsn=self.initiator(obj, plek),
            einddatum_gepland=self.date(
                obj, q(ZKN, "einddatumGepland"), f"{plek}/einddatumGepland"
            ),
        )

    def initiator(self, obj: etree._Element, plek: str) -> str | None:
        rel = obj.find(q(ZKN, "heeftAlsInitiator"))
        if rel is None or self.is_nil(rel):
            return None
        bsn = rel.findtext(
            f"{q(ZKN, 'gerelateerde')}/{q(ZKN, 'natuurlijkPersoon')}/{q(BG, 'inp.bsn')}"
        )
        return bsn.strip() if bsn and bsn.strip() else None

    def statussen(self, obj: etree._Element, zaak_id: str, plek: str) -> list[ZaakStatus | None]:
        result: list[ZaakStatus | None] = []
        for index, rel in enumerate(obj.iterchildren(q(ZKN, "heeft")), start=1):
            result.append(
                None if self.is_nil(rel) else self.status(rel, zaak_id, f"{plek}/heeft[{index}]")
            )
        return result

    def status(self, rel: etree._Element, zaak_id: str, plek: str) -> ZaakStatus:
        stt = rel.find(q(ZKN, "gerelateerde"))
        if stt is None:
            raise self.error("status without gerelateerde (statustype)", plek)
        volgnummer = self.required(stt, q(ZKN, "volgnummer"), f"{plek}/gerelateerde/volgnummer")
        if not volgnummer.strip().isdigit():
            raise self.error(
                "statustype volgnummer is not a number", f"{plek}/gerelateerde/volgnummer"
            )
        gezet = self.required(rel, q(ZKN, "datumStatusGezet"), f"{plek}/datumStatusGezet")
        try:
            when = parse_tijdstip(gezet, f"{plek}/datumStatusGezet")
        except StufError as exc:
            raise self.error(exc.omschrijving, exc.plek) from exc
        door = rel.findtext(_DOOR_PATH)
        return ZaakStatus(
            zaak_identificatie=zaak_id,
            statustype_code=self.text(stt, q(ZKN, "code"), f"{plek}/gerelateerde/code"),
            statustype_volgnummer=int(volgnummer),
            datum_status_gezet=when,
            zaaktype_code=self.text(stt, q(ZKN, "zkt.code"), f"{plek}/gerelateerde/zkt.code"),
            statustype_omschrijving=self.text(
                stt, q(ZKN, "omschrijving"), f"{plek}/gerelateerde/omschrijving"
            ),
            toelichting=self.text(rel, q(ZKN, "toelichting"), f"{plek}/toelichting"),
            gezet_door=door.strip() if door and door.strip() else None,
        )

    # -- document ------------------------------------------------------------------------
    def document(self, obj: etree._Element, plek: str) -> Document:
        zaak_id = obj.findtext(
            f"{q(ZKN, 'isRelevantVoor')}/{q(ZKN, 'gerelateerde')}/{q(ZKN, 'identificatie')}"
        )
        inhoud_el = obj.find(q(ZKN, "inhoud"))
        bestandsnaam = content_type = None
        inhoud: bytes | NoValue | None = None
        if inhoud_el is not None:
            bestandsnaam = inhoud_el.get(q(STUF, "bestandsnaam"))
            content_type = inhoud_el.get(q(XMIME, "contentType"))
            value = read_value(inhoud_el, self.warnings, f"{plek}/inhoud")
            if isinstance(value, NoValue):
                self.warnings.append(f"{plek}/inhoud is xsi:nil (schema: not nillable); accepted")
                inhoud = value
            else:
                inhoud = self.base64(value or "", f"{plek}/inhoud")
        return Document(
            identificatie=self.required(obj, q(ZKN, "identificatie"), f"{plek}/identificatie"),
            titel=self.text(obj, q(ZKN, "titel"), f"{plek}/titel"),
            zaak_identificatie=zaak_id.strip() if zaak_id and zaak_id.strip() else None,
            documenttype_omschrijving=self.text(
                obj, q(ZKN, "dct.omschrijving"), f"{plek}/dct.omschrijving"
            ),
            bestandsnaam=bestandsnaam,
            formaat=self.text(obj, q(ZKN, "formaat"), f"{plek}/formaat"),
            creatiedatum=self.date(obj, q(ZKN, "creatiedatum"), f"{plek}/creatiedatum"),
            taal=self.text(obj, q(ZKN, "taal"), f"{plek}/taal"),
            vertrouwelijkheid=self.text(
                obj, q(ZKN, "vertrouwelijkAanduiding"), f"{plek}/vertrouwelijkAanduiding"
            ),
            auteur=self.text(obj, q(ZKN, "auteur"), f"{plek}/auteur"),
            inhoud=inhoud,
            content_type=content_type,
        )

    def base64(self, text: str, plek: str) -> bytes:
        try:
            return base64.b64decode("".join(text.split()), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise self.error("inhoud is not valid base64", plek) from exc


def as_date(value: DateValue) -> date | None:
    """A date, or None for absent/NoValue."""
    return value if isinstance(value, date) else None

"""Which MyLex documents have a bewaartermijn that has passed: read from their MDTO sidecars.

Why from the sidecars: the informatieobject records each document's waardering, bewaartermijn
and (when Ketenbrug wrote it) the zaaktype and the term's end, whoever archived it. This module
only reads; nothing here, or anywhere in Ketenbrug, deletes an archive file: the list is a
proposal for beheer and the archivist (``sync.vernietiging``).

The end of the term, in order of trust:

1. ``termijnEinddatum`` (a date; a bare year or year-month counts as its last day);
2. ``termijnStartdatumLooptijd`` + ``termijnLooptijd``;
3. nothing: a document without a start date of its term is **not** proposed. Its creation date
   is no substitute: the Selectielijst's term runs from the end of the zaak, which comes after
   every document of it, so creation + looptijd would propose destruction too early, which
   cannot be undone. Such documents are counted (``zonder_einde``) so beheer can see them.

A document with waardering ``B`` (blijvend te bewaren) is never proposed, whatever its term says.
"""

from __future__ import annotations

import calendar
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from adapters.errors import InvalidMessageError
from adapters.mylex.client import MyLexClient
from adapters.mylex.mdto import MDTO_NS, ZAAKTYPECATALOGUS
from stuf.errors import StufError
from stuf.xml import parse_xml

__all__ = ["Bewaring", "BewaringTelling", "einde_termijn", "iter_bewaring", "read_bewaring"]

log = logging.getLogger(__name__)

_Q = f"{{{MDTO_NS}}}"
_INFO_SUFFIX = ".MDTO.xml"
_BESTAND_SUFFIX = ".pdf.bestand.MDTO.xml"
_TERMIJN = re.compile(r"^P([0-9]{1,3})Y$")


def einde_termijn(start: date, looptijd: str | None) -> date | None:
    """``start`` + a looptijd in whole years (``P10Y``); None for any other duration.

    A term that starts on 29 February ends on 1 March of a year without one: the later of the
    two candidate days, so a term is never shortened.
    """
    match = _TERMIJN.match((looptijd or "").strip())
    if match is None:
        return None
    year = start.year + int(match.group(1))
    if start.month == 2 and start.day == 29 and not calendar.isleap(year):
        return date(year, 3, 1)
    return start.replace(year=year)


def _einddatum(text: str) -> date | None:
    """``termijnEinddatum`` (xsd:date, gYearMonth or gYear), as its last possible day."""
    text = text.strip()[:10]
    try:
        if re.fullmatch(r"\d{4}", text):
            return date(int(text), 12, 31)
        if re.fullmatch(r"\d{4}-\d{2}", text):
            year, month = int(text[:4]), int(text[5:7])
            return date(year, month, calendar.monthrange(year, month)[1])
        return date.fromisoformat(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class Bewaring:
    """One document's retention as its informatieobject sidecar records it."""

    identificatie: str
    zaak: str
    zaaktype: str | None
    waardering: str
    bewaartermijn: str | None
    selectielijst_categorie: str | None
    einde: date | None


@dataclass
class BewaringTelling:
    """What a walk saw besides the V documents it yielded (for the summary)."""

    gelezen: int = 0
    blijvend: int = 0
    zonder_einde: int = 0
    onleesbaar: int = 0


def read_bewaring(data: bytes, zaak: str) -> Bewaring:
    """The retention recorded in one informatieobject sidecar (parsed with ``parse_xml``)."""
    root = parse_xml(data)
    io = root.find(_Q + "informatieobject")
    if io is None:
        raise InvalidMessageError("MDTO zonder <informatieobject>", system="mylex")
    identificatie = (io.findtext(f"{_Q}identificatie/{_Q}identificatieKenmerk") or "").strip()
    waardering = (io.findtext(f"{_Q}waardering/{_Q}begripCode") or "").strip().upper()
    if not waardering:  # MyLex itself may record the label only
        label = (io.findtext(f"{_Q}waardering/{_Q}begripLabel") or "").lower()
        waardering = "B" if "blijvend" in label else "V" if "vernietig" in label else ""
    zaaktype = None
    for classificatie in io.findall(_Q + "classificatie"):
        lijst = classificatie.findtext(f"{_Q}begripBegrippenlijst/{_Q}verwijzingNaam") or ""
        if lijst.strip() == ZAAKTYPECATALOGUS:
            zaaktype = (
                classificatie.findtext(_Q + "begripCode")
                or classificatie.findtext(_Q + "begripLabel")
                or ""
            ).strip() or None
    termijn = io.find(_Q + "bewaartermijn")
    looptijd = einde = None
    if termijn is not None:
        looptijd = (termijn.findtext(_Q + "termijnLooptijd") or "").strip() or None
        einde = _einddatum(termijn.findtext(_Q + "termijnEinddatum") or "")
        start_text = (termijn.findtext(_Q + "termijnStartdatumLooptijd") or "").strip()
        if einde is None and start_text:
            try:
                einde = einde_termijn(date.fromisoformat(start_text[:10]), looptijd)
            except ValueError:
                einde = None
    categorie = (io.findtext(f"{_Q}informatiecategorie/{_Q}begripCode") or "").strip() or None
    return Bewaring(identificatie, zaak, zaaktype, waardering, looptijd, categorie, einde)


def iter_bewaring(
    client: MyLexClient, telling: BewaringTelling | None = None
) -> Iterator[Bewaring]:
    """Every complete document with waardering V whose term's end is known, folder by folder.

    Reads only the small informatieobject sidecars, through the client's pinned SFTP; a B, a
    document without a known end, and an unreadable sidecar are counted in ``telling`` and
    skipped (never proposed).
    """
    telling = telling if telling is not None else BewaringTelling()
    for folder in client._folders():
        zaak = folder.rsplit("/", 1)[-1]
        names = set(client._listdir(folder))
        for name in sorted(names):
            if not name.endswith(_BESTAND_SUFFIX):
                continue
            identificatie = name.removesuffix(_BESTAND_SUFFIX)
            info = f"{identificatie}{_INFO_SUFFIX}"
            if info not in names or not client._safe(identificatie):
                continue  # still being written (metadata last), or unsafe
            with client._sftp.guard("vernietigingslijst", identificatie):
                data = client._sftp.read_small(f"{folder}/{info}")
            if data is None:
                continue
            telling.gelezen += 1
            try:
                bewaring = read_bewaring(data, zaak)
            except (StufError, InvalidMessageError, ValueError):
                log.warning("mylex: metadata van %s onleesbaar; niet voorgesteld", identificatie)
                telling.onleesbaar += 1
                continue
            if bewaring.identificatie != identificatie or bewaring.waardering != "V":
                if bewaring.waardering == "B":
                    telling.blijvend += 1
                else:
                    telling.onleesbaar += 1
                continue
            if bewaring.einde is None:
                telling.zonder_einde += 1
                continue
            yield bewaring

"""Reading one document back out of MyLex: its content (streamed) and its MDTO metadata.

Why: documents from before the e-Suite exist only in MyLex; the migration brings them into the
new archive. MDTO says what the new archive needs (titel, creatiedatum, auteur,
vertrouwelijkheid, formaat, the zaak it belongs to) and, for old documents whose zaak never
existed in a zaaksysteem, who the client is (``betrokkene``: a client number, never a BSN).
"""

from __future__ import annotations

import hashlib
import posixpath
from dataclasses import dataclass
from datetime import date, datetime
from typing import BinaryIO

from lxml import etree

from adapters.errors import ChecksumMismatchError, InvalidMessageError
from adapters.mylex.client import SYSTEM, MyLexClient
from adapters.mylex.mdto import MDTO_NS
from stuf.xml import parse_xml

__all__ = ["OudDocument", "lees_document", "parse_informatieobject"]

_Q = f"{{{MDTO_NS}}}"
_CHUNK = 1 << 20
_BESTAND = ".bestand.MDTO.xml"
#: MDTO has no document type; a zaaksysteem needs one (ZDS dct.omschrijving).
DOCUMENTTYPE = "Document uit oud archief"


@dataclass(frozen=True)
class OudDocument:
    """What MyLex records about one document, in the documenten flow's field names."""

    identificatie: str
    titel: str
    zaak_identificatie: str
    creatiedatum: date | None
    auteur: str | None
    vertrouwelijkheid: str | None
    zaaktype: str | None
    client: str | None
    bestandsnaam: str
    formaat: str | None

    def fields(self) -> dict[str, object]:
        return {
            "identificatie": self.identificatie,
            "titel": self.titel,
            "zaak_identificatie": self.zaak_identificatie,
            "documenttype": DOCUMENTTYPE,
            "bestandsnaam": self.bestandsnaam,
            "formaat": self.formaat,
            "creatiedatum": self.creatiedatum.isoformat() if self.creatiedatum else None,
            "vertrouwelijkheid": self.vertrouwelijkheid,
            "auteur": self.auteur,
            "taal": "nl",
        }


def _text(element: etree._Element | None, path: str) -> str | None:
    if element is None:
        return None
    found = element.findtext(path)
    return found.strip() if found and found.strip() else None


def _creatiedatum(io: etree._Element) -> date | None:
    for event in io.findall(_Q + "event"):
        if (_text(event, f"{_Q}eventType/{_Q}begripLabel") or "").lower() != "creatie":
            continue
        raw = _text(event, _Q + "eventTijd")
        if raw:
            try:
                return datetime.fromisoformat(raw).date() if "T" in raw else date.fromisoformat(raw)
            except ValueError:
                return None
    return None


def _vertrouwelijkheid(io: etree._Element) -> str | None:
    """MyLex writes "Bevat persoonsgegevens; <vertrouwelijkheid>" (lower case)."""
    text = _text(io, f"{_Q}beperkingGebruik/{_Q}beperkingGebruikNadereBeschrijving")
    if not text or ";" not in text:
        return None
    return text.rsplit(";", 1)[1].strip().upper().replace(" ", "_") or None


def _client(io: etree._Element) -> str | None:
    for betrokkene in io.findall(_Q + "betrokkene"):
        kenmerk = _text(
            betrokkene,
            f"{_Q}betrokkeneActor/{_Q}verwijzingIdentificatie/{_Q}identificatieKenmerk",
        )
        if kenmerk:
            return kenmerk
    return None


def parse_informatieobject(data: bytes, identificatie: str) -> OudDocument:
    """The informatieobject sidecar as an :class:`OudDocument` (formaat and name filled later)."""
    root = parse_xml(data)
    io = root.find(_Q + "informatieobject")
    if io is None:
        raise InvalidMessageError(
            f"MDTO van {identificatie} heeft geen <informatieobject>", system=SYSTEM
        )
    kenmerk = _text(io, f"{_Q}identificatie/{_Q}identificatieKenmerk")
    if kenmerk != identificatie:
        raise InvalidMessageError(
            f"MDTO van {identificatie} noemt een ander document ({kenmerk!r})", system=SYSTEM
        )
    zaak = _text(io, f"{_Q}isOnderdeelVan/{_Q}verwijzingIdentificatie/{_Q}identificatieKenmerk")
    return OudDocument(
        identificatie=identificatie,
        titel=_text(io, _Q + "naam") or identificatie,
        zaak_identificatie=zaak or "",
        creatiedatum=_creatiedatum(io),
        auteur=_text(io, f"{_Q}event/{_Q}eventVerantwoordelijkeActor/{_Q}verwijzingNaam"),
        vertrouwelijkheid=_vertrouwelijkheid(io),
        zaaktype=_text(io, f"{_Q}classificatie/{_Q}begripCode"),
        client=_client(io),
        bestandsnaam=identificatie,
        formaat=None,
    )


def _formaat(data: bytes | None) -> str | None:
    if data is None:
        return None
    bestand = parse_xml(data).find(_Q + "bestand")
    return _text(bestand, f"{_Q}bestandsformaat/{_Q}begripCode") if bestand is not None else None


def lees_document(
    client: MyLexClient, locatie: str, identificatie: str, sink: BinaryIO, expected_sha256: str
) -> OudDocument:
    """Stream the content at ``locatie`` into ``sink`` and return its metadata.

    The bytes must hash to ``expected_sha256`` (what MyLex's bestand sidecar records and the
    reconciliation listed): damaged content is never migrated (``checksum_mismatch``).
    ``locatie`` comes from MyLex' own listing; it must still lie under the archive.
    """
    folder, naam = posixpath.split(locatie)
    if not folder.startswith(f"{client.archief}/") or ".." in locatie.split("/"):
        raise InvalidMessageError(
            f"MyLex-locatie van {identificatie} ligt buiten het archief", system=SYSTEM
        )
    with client._sftp.guard("lees_document", identificatie):
        info = client._sftp.read_small(f"{folder}/{identificatie}.MDTO.xml")
        bestand = client._sftp.read_small(f"{locatie}{_BESTAND}")
    if info is None:
        raise InvalidMessageError(
            f"MyLex heeft geen MDTO-metadata van {identificatie}", system=SYSTEM
        )
    document = parse_informatieobject(info, identificatie)
    digest = hashlib.sha256()
    with (
        client._sftp.guard("lees_document", identificatie),
        client._sftp.session().open(locatie, "rb") as handle,
    ):
        handle.prefetch()
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            sink.write(chunk)
    if digest.hexdigest() != expected_sha256.lower():
        raise ChecksumMismatchError(
            f"inhoud van {identificatie} in MyLex wijkt af van de vastgelegde checksum",
            system=SYSTEM,
            operation="lees_document",
            sha256=digest.hexdigest(),
        )
    return OudDocument(**{**document.__dict__, "bestandsnaam": naam, "formaat": _formaat(bestand)})

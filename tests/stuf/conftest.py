"""Shared fixtures for the StUF codec tests: one sample of every message kind."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from lxml import etree

import stuf
from stuf import (
    ActualiseerZaakstatus,
    Bevestiging,
    CreeerZaak,
    Document,
    DocumentIdentificatieAntwoord,
    Fout,
    GeefLijstZaakdocumenten,
    GeefZaakdetails,
    GeefZaakdocumentLezen,
    GenereerDocumentIdentificatie,
    GenereerZaakIdentificatie,
    LijstZaakdocumentenAntwoord,
    Message,
    NoValue,
    Stuurgegevens,
    Systeem,
    UpdateZaak,
    UpdateZaakdocument,
    VoegZaakdocumentToe,
    Zaak,
    ZaakdetailsAntwoord,
    ZaakdocumentAntwoord,
    ZaakIdentificatieAntwoord,
    ZaakStatus,
)
from stuf.values import AMSTERDAM
from stuf.xml import NS

# Real messages from public repositories, shipped with the tests (see tests/fixtures/README.md).
REFERENCE = Path(__file__).resolve().parents[1] / "fixtures"
EXAMPLES = REFERENCE / "stuf"
BSN = "111222333"

GWS = Systeem("1900", "GWS4all", None, "Gebruiker")
CDR = Systeem("1900", "CDR")


def sg(berichtcode: str = "Lk01", **kwargs: str) -> Stuurgegevens:
    base = {
        "referentienummer": "ref-0001",
        "tijdstip_bericht": "20240102030405678",
        "cross_refnummer": "cross-0001",
    }
    base.update(kwargs)
    return Stuurgegevens(berichtcode, GWS, CDR, **base)  # type: ignore[arg-type]


ZAAK = Zaak(
    identificatie="ZAAK-0001",
    zaaktype_code="B1026",
    zaaktype_omschrijving="Aanvraag minima",
    omschrijving="Aanvraag minimaregelingen",
    toelichting=None,
    startdatum=date(2024, 1, 2),
    registratiedatum=date(2024, 1, 2),
    einddatum=None,
    initiator_bsn=BSN,
)
STATUS = ZaakStatus(
    zaak_identificatie="ZAAK-0001",
    statustype_code="ontv",
    statustype_volgnummer=1,
    datum_status_gezet=datetime(2024, 1, 2, 8, 1, 4, 500000, tzinfo=AMSTERDAM),
    zaaktype_code="B1026",
    statustype_omschrijving="Ontvangen",
    gezet_door="Med75",
)
DOC = Document(
    identificatie="DOC-0001",
    titel="Besluit",
    zaak_identificatie="ZAAK-0001",
    documenttype_omschrijving="Besluit",
    bestandsnaam="besluit.pdf",
    formaat="pdf",
    creatiedatum=date(2024, 1, 3),
    vertrouwelijkheid="VERTROUWELIJK",
    auteur="Gemeente",
    inhoud=b"%PDF-1.4 hello",
    content_type="application/pdf",
)


def all_samples() -> list[Message]:
    """One message of every kind the codec builds."""
    status2 = ZaakStatus(
        "ZAAK-0001", "besl", 2, datetime(2024, 2, 1, 9, 0, tzinfo=AMSTERDAM), "B1026", "Besluit"
    )
    return [
        GenereerZaakIdentificatie(sg("Di02", functie="genereerZaakidentificatie")),
        ZaakIdentificatieAntwoord(sg("Du02"), "ZAAK-0001"),
        GenereerDocumentIdentificatie(sg("Di02")),
        DocumentIdentificatieAntwoord(sg("Du02"), "DOC-0001"),
        CreeerZaak(sg(), ZAAK),
        UpdateZaak(
            sg(), ZAAK, Zaak("ZAAK-0001", None, omschrijving="Nieuw", einddatum=date(2024, 3, 1))
        ),
        ActualiseerZaakstatus(sg(), "ZAAK-0001", status2, STATUS),
        ActualiseerZaakstatus(sg(), "ZAAK-0001", STATUS, None),
        GeefZaakdetails(sg("Lv01"), "ZAAK-0001"),
        ZaakdetailsAntwoord(sg("La01"), ZAAK, [STATUS, status2]),
        ZaakdetailsAntwoord(sg("La01"), None, []),
        GeefLijstZaakdocumenten(sg("Lv01"), "ZAAK-0001"),
        LijstZaakdocumentenAntwoord(sg("La01"), "ZAAK-0001", [DOC, DOC]),
        LijstZaakdocumentenAntwoord(sg("La01"), "ZAAK-0001", []),
        GeefZaakdocumentLezen(sg("Lv01"), "DOC-0001"),
        ZaakdocumentAntwoord(sg("La01"), DOC),
        VoegZaakdocumentToe(sg(), DOC),
        VoegZaakdocumentToe(
            sg(),
            Document(
                "DOC-0002",
                "Leeg",
                "ZAAK-0001",
                "Brief",
                "leeg.txt",
                NoValue.NIL,
                date(2024, 1, 3),
                NoValue.GEEN_WAARDE,
                "OPENBAAR",
                "",
                b"",
            ),
        ),
        UpdateZaakdocument(sg("Di02"), DOC, Document("DOC-0001", "Besluit (gewijzigd)"), "co-1"),
        Bevestiging("Bv03", sg("Bv03")),
        Bevestiging("Bv02"),
        Bevestiging("Bv01", sg("Bv01")),
        Fout("Fo02", "StUF055", "client", "Berichtbody is niet conform schema"),
        Fout("Fo01", "StUF058", "server", "Proces geeft fout", "details", sg("Fo01")),
        Fout("Fo03", "StUF058", "server", "Proces geeft fout", None, sg("Fo03")),
    ]


@pytest.fixture
def samples() -> list[Message]:
    return all_samples()


def xpath(data: bytes | etree._Element, path: str) -> list[object]:
    """XPath with the codec's own namespace map (plus ``soapenv`` for both SOAP versions)."""
    root = stuf.xml.parse_xml(data) if isinstance(data, bytes) else data
    nsmap = {**NS, "s11": stuf.xml.SOAP11, "s12": stuf.xml.SOAP12}
    result = root.xpath(path, namespaces=nsmap)
    return result if isinstance(result, list) else [result]


@pytest.fixture
def xp() -> Callable[[bytes, str], list[object]]:
    return xpath

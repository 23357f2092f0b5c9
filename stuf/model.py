"""Typed StUF-ZKN values and messages (ZDS 1.1 and 1.2 share one model).

A field holds ``None`` when the element is absent, ``""`` when it is present and empty, and a
:class:`NoValue` when it carries ``xsi:nil`` and/or ``StUF:noValue``: the four states stay
distinct, so ``parse_message`` → ``build_message`` writes back what it read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum, StrEnum
from typing import TypeAlias

from privacy.masking import mask_bsn
from stuf._lazy import InhoudField
from stuf.selectie import ZaakScope, ZaakSelectie

__all__ = [
    "ActualiseerZaakstatus",
    "Bevestiging",
    "CancelCheckout",
    "CreeerZaak",
    "DateValue",
    "Document",
    "DocumentIdentificatieAntwoord",
    "Fout",
    "GeefLijstZaakdocumenten",
    "GeefZaakdetails",
    "GeefZaakdocumentBewerken",
    "GeefZaakdocumentLezen",
    "GeefZaakstatus",
    "GenereerDocumentIdentificatie",
    "GenereerZaakIdentificatie",
    "LijstZaakdocumentenAntwoord",
    "Message",
    "NoValue",
    "SoapVersion",
    "Stuurgegevens",
    "StuurgegevensMessage",
    "Systeem",
    "Text",
    "UpdateZaak",
    "UpdateZaakdocument",
    "VoegZaakdocumentToe",
    "Zaak",
    "ZaakIdentificatieAntwoord",
    "ZaakScope",
    "ZaakSelectie",
    "ZaakStatus",
    "ZaakdetailsAntwoord",
    "ZaakdocumentAntwoord",
    "ZaakdocumentBewerkenAntwoord",
    "ZaakstatusAntwoord",
    "ZdsVersion",
]


class ZdsVersion(StrEnum):
    """Zaak- en Documentservices version: 1.1 (GWS4all, ``ZKN:`` messages), 1.2 (e-Suite)."""

    V1_1 = "1.1"
    V1_2 = "1.2"


class SoapVersion(StrEnum):
    """SOAP envelope version."""

    V1_1 = "1.1"
    V1_2 = "1.2"


class NoValue(Enum):
    """A field that is present without a value: ``xsi:nil="true"`` with ``StUF:noValue``.

    ``NIL`` is ``xsi:nil="true"`` *without* a ``StUF:noValue`` attribute (seen in real traffic);
    the five others are the StUF 03.01 ``noValue`` values.
    """

    GEEN_WAARDE = "geenWaarde"
    NIET_ONDERSTEUND = "nietOndersteund"
    NIET_GEAUTORISEERD = "nietGeautoriseerd"
    WAARDE_ONBEKEND = "waardeOnbekend"
    VASTGESTELD_ONBEKEND = "vastgesteldOnbekend"
    NIL = "nil"


Text: TypeAlias = str | NoValue | None
DateValue: TypeAlias = date | NoValue | None


@dataclass(frozen=True)
class Systeem:
    """StUF ``zender``/``ontvanger``."""

    organisatie: str | None
    applicatie: str
    administratie: str | None = None
    gebruiker: str | None = None


@dataclass(frozen=True)
class Stuurgegevens:
    """StUF ``stuurgegevens``. ``tijdstip_bericht`` is kept as the 8-17 digits it was sent as."""

    berichtcode: str
    zender: Systeem
    ontvanger: Systeem
    referentienummer: str
    tijdstip_bericht: str
    entiteittype: str | None = None
    cross_refnummer: str | None = None
    functie: str | None = None


@dataclass(frozen=True)
class Zaak:
    """A zaak as ZDS sends it. ``initiator_bsn`` is kept out of ``repr``."""

    identificatie: str
    zaaktype_code: Text
    zaaktype_omschrijving: Text = None
    omschrijving: Text = None
    toelichting: Text = None
    startdatum: DateValue = None
    registratiedatum: DateValue = None
    einddatum: DateValue = None
    initiator_bsn: str | None = field(default=None, repr=False)
    einddatum_gepland: DateValue = None

    @property
    def initiator_bsn_masked(self) -> str:
        """The initiator's BSN as ``*****1234`` (safe for logs)."""
        return mask_bsn(self.initiator_bsn)


@dataclass(frozen=True)
class ZaakStatus:
    """One status of a zaak (``ZAKSTT``)."""

    zaak_identificatie: str
    statustype_code: Text
    statustype_volgnummer: int
    datum_status_gezet: datetime
    zaaktype_code: Text = None
    statustype_omschrijving: Text = None
    toelichting: Text = None
    gezet_door: str | None = None


@dataclass(frozen=True)
class Document:
    """An enkelvoudig informatieobject (``EDC``); ``inhoud`` holds the decoded bytes.

    A parsed document decodes its base64 ``inhoud`` when the attribute is first read.
    """

    identificatie: str
    titel: Text
    zaak_identificatie: str | None = None
    documenttype_omschrijving: Text = None
    bestandsnaam: str | None = None
    formaat: Text = None
    creatiedatum: DateValue = None
    taal: Text = "nld"
    vertrouwelijkheid: Text = None
    auteur: Text = None
    inhoud: bytes | NoValue | None = field(default=None, repr=False)
    content_type: str | None = None


# A parsed document keeps its base64 text until ``inhoud`` is first read (see stuf._lazy).
setattr(Document, "inhoud", InhoudField("inhoud"))  # noqa: B010 - keep mypy's view of the field


@dataclass
class StuurgegevensMessage:
    """Base of every message with full stuurgegevens."""

    stuurgegevens: Stuurgegevens
    warnings: list[str] = field(default_factory=list, kw_only=True, compare=False)
    version: ZdsVersion | None = field(default=None, kw_only=True, compare=False)


@dataclass
class GenereerZaakIdentificatie(StuurgegevensMessage):
    """``genereerZaakIdentificatie_Di02``."""


@dataclass
class ZaakIdentificatieAntwoord(StuurgegevensMessage):
    """``genereerZaakIdentificatie_Du02``."""

    identificatie: str


@dataclass
class GenereerDocumentIdentificatie(StuurgegevensMessage):
    """``genereerDocumentIdentificatie_Di02``."""


@dataclass
class DocumentIdentificatieAntwoord(StuurgegevensMessage):
    """``genereerDocumentIdentificatie_Du02``."""

    identificatie: str


@dataclass
class CreeerZaak(StuurgegevensMessage):
    """``creeerZaak`` (``zakLk01``, mutatiesoort T)."""

    zaak: Zaak


@dataclass
class UpdateZaak(StuurgegevensMessage):
    """``updateZaak`` (``zakLk01``, two objects: was and wordt)."""

    was: Zaak
    wordt: Zaak


@dataclass
class ActualiseerZaakstatus(StuurgegevensMessage):
    """``actualiseerZaakstatus`` (``zakLk01``): a new status for a zaak."""

    zaak_identificatie: str
    wordt: ZaakStatus
    was: ZaakStatus | None = None


@dataclass
class VoegZaakdocumentToe(StuurgegevensMessage):
    """``voegZaakdocumentToe`` (``edcLk01``)."""

    document: Document


@dataclass
class UpdateZaakdocument(StuurgegevensMessage):
    """``updateZaakdocument_Di02`` (``checked_out_id`` from geefZaakdocumentbewerken)."""

    was: Document
    wordt: Document
    checked_out_id: str | None = None


@dataclass
class GeefZaakdetails(StuurgegevensMessage):
    """``geefZaakdetails`` (``zakLv01``).

    ``zaak_identificatie`` is the ``gelijk/identificatie`` ("" when the selection has none).
    ``selectie`` None: that identificatie is all it selects on (the simple, usual question);
    ``scope`` None: everything. ``maximum_aantal`` and ``start`` (the identificatie in
    ``start/object``, the last zaak of the previous answer) page a selection of several zaken.
    """

    zaak_identificatie: str
    selectie: ZaakSelectie | None = None
    scope: ZaakScope | None = None
    maximum_aantal: int | None = None
    start: str | None = None


@dataclass
class GeefZaakstatus(GeefZaakdetails):
    """``geefZaakstatus`` (ZDS 1.1 ``zakLv01``, 1.2 ``geefZaakstatus_ZakLv01``): the zaak's
    status history; selected as geefZaakdetails."""


@dataclass
class ZaakdetailsAntwoord(StuurgegevensMessage):
    """``geefZaakdetails`` answer (``zakLa01``), with the status history.

    A selection of several zaken answers ``zaak`` first and the rest in ``meer`` (each with its
    statuses); ``vervolg`` is the answer's indicatorVervolgvraag (more zaken follow). ``scope``
    (building only) leaves out the related entities the question did not ask for.
    """

    zaak: Zaak | None
    statussen: list[ZaakStatus] = field(default_factory=list)
    meer: list[tuple[Zaak, list[ZaakStatus]]] = field(default_factory=list)
    vervolg: bool = False
    scope: ZaakScope | None = field(default=None, compare=False)

    @property
    def zaken(self) -> list[tuple[Zaak, list[ZaakStatus]]]:
        """Every zaak of the answer with its statuses, in answer order."""
        if self.zaak is None:
            return []
        return [(self.zaak, self.statussen), *self.meer]


@dataclass
class ZaakstatusAntwoord(ZaakdetailsAntwoord):
    """``geefZaakstatus`` answer (``zakLa01``): per zaak its identificatie and statuses."""


@dataclass
class GeefLijstZaakdocumenten(StuurgegevensMessage):
    """``geefLijstZaakdocumenten`` (``zakLv01``)."""

    zaak_identificatie: str


@dataclass
class LijstZaakdocumentenAntwoord(StuurgegevensMessage):
    """``geefLijstZaakdocumenten`` answer (``zakLa01``)."""

    zaak_identificatie: str
    documenten: list[Document] = field(default_factory=list)


@dataclass
class GeefZaakdocumentLezen(StuurgegevensMessage):
    """``geefZaakdocumentLezen`` (``edcLv01``)."""

    document_identificatie: str


@dataclass
class ZaakdocumentAntwoord(StuurgegevensMessage):
    """``geefZaakdocumentLezen`` answer (``edcLa01``)."""

    document: Document | None


@dataclass
class GeefZaakdocumentBewerken(StuurgegevensMessage):
    """``geefZaakdocumentbewerken_Di02`` (its ``edcLv01`` selects one document): check-out."""

    document_identificatie: str


@dataclass
class ZaakdocumentBewerkenAntwoord(StuurgegevensMessage):
    """``geefZaakdocumentbewerken_Du02``: the document with its content, and the
    ``checked_out_id`` the check-in (updateZaakdocument) or cancelCheckout must carry."""

    document: Document
    checked_out_id: str
    checked_out_by: str | None = None


@dataclass
class CancelCheckout(StuurgegevensMessage):
    """``cancelCheckout_Di02``: no new version will come; release the check-out."""

    document_identificatie: str
    checked_out_id: str | None = None


@dataclass
class Bevestiging:
    """``Bv01``/``Bv02``/``Bv03``. Bv02 has no stuurgegevens beyond its berichtcode."""

    berichtcode: str
    stuurgegevens: Stuurgegevens | None = None
    warnings: list[str] = field(default_factory=list, kw_only=True, compare=False)
    version: ZdsVersion | None = field(default=None, kw_only=True, compare=False)


@dataclass
class Fout:
    """``Fo01``/``Fo02``/``Fo03`` foutbericht. Fo02 has no stuurgegevens beyond its berichtcode."""

    berichtcode: str
    code: str
    plek: str
    omschrijving: str
    details: str | None = None
    stuurgegevens: Stuurgegevens | None = None
    warnings: list[str] = field(default_factory=list, kw_only=True, compare=False)
    version: ZdsVersion | None = field(default=None, kw_only=True, compare=False)


Message: TypeAlias = (
    GenereerZaakIdentificatie
    | ZaakIdentificatieAntwoord
    | GenereerDocumentIdentificatie
    | DocumentIdentificatieAntwoord
    | CreeerZaak
    | UpdateZaak
    | ActualiseerZaakstatus
    | VoegZaakdocumentToe
    | UpdateZaakdocument
    | GeefZaakdetails
    | GeefZaakstatus
    | ZaakdetailsAntwoord
    | ZaakstatusAntwoord
    | GeefLijstZaakdocumenten
    | LijstZaakdocumentenAntwoord
    | GeefZaakdocumentLezen
    | ZaakdocumentAntwoord
    | GeefZaakdocumentBewerken
    | ZaakdocumentBewerkenAntwoord
    | CancelCheckout
    | Bevestiging
    | Fout
)

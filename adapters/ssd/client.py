"""GWS4all's UitkeringsSpecificatie service (v0600) through zeep, over mutual TLS.

Why zeep: the service is document/literal SOAP 1.1 with WS-Addressing and Centric's GWS header;
zeep builds all three from the shipped WSDL (``adapters/ssd/schemas``), with DTDs, entities
and external references forbidden. The answer becomes a plain :class:`Uitkeringsspecificatie`
(euro cents with their sign, the period, the components), or ``None`` for ``fwi:NietsGevonden``
(no payment that period: not an error).

Errors are classified by :mod:`adapters.soap_mtls` (certificate: ConfigError naming the
Connection; no line, HTTP 429/5xx: TransientError). Here: ``fwi:FWI`` in the answer, or an
``fwi:Fout`` in a SOAP Fault, is :class:`SsdFwiError` (reason ``ssd_fwi``, GWS4all's code and
masked text), and GWS4all's older wording of the other failures (:class:`_SsdErrors`).

The BSN is only ever in the request body: no error text or log line here quotes it unmasked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from typing import Any

import zeep.exceptions

from adapters import soap_mtls
from adapters.errors import KetenbrugError, PermanentError, TransientError
from adapters.ssd.config import SsdConfig
from privacy.masking import mask_text

__all__ = [
    "SYSTEM",
    "Component",
    "SsdClient",
    "SsdFwiError",
    "SsdRejectedError",
    "Uitkeringsspecificatie",
]

SYSTEM = "ssd"
_NS = "http://www.centric.nl/GWS/Diensten/UitkeringsSpecificatieClient/v0600"
_BINDING = f"{{{_NS}}}UitkeringsSpecificatieClientBinding"
_HEADER = "{http://www.centric.nl/GWS/Header/v0300}Header"
_FWI_NS = "http://www.centric.nl/GWS/FWI/v0200"
_OPERATION = "UitkeringsSpecificatieInfo"
_TOTAAL = "UIT TE BETALEN BEDRAG"
#: GWS4all's "hostname 'x' doesn't match" has no other needle (see soap_mtls.tls_problem).
_TLS_EXTRA = (("match", "servernaam past niet bij het certificaat (wrong host)"),)


def _wsdl() -> str:
    folder = resources.files("adapters.ssd") / "schemas" / "uitkering" / "v0600-b01"
    return str(folder / "UitkeringsSpecificatieClient.wsdl")


class SsdFwiError(PermanentError):
    """GWS4all answered with an FWI fault: its code and (masked) text, for beheer."""

    reason = "ssd_fwi"

    def __init__(self, code: str, tekst: str) -> None:
        self.code = code
        self.tekst = mask_text(tekst)
        super().__init__(
            f"GWS4all FWI-fout {code}: {self.tekst}", system=SYSTEM, operation=_OPERATION
        )


class SsdRejectedError(PermanentError):
    """GWS4all refused the request or gave an answer Ketenbrug cannot read."""

    reason = "ssd_geweigerd"


@dataclass(frozen=True)
class Component:
    """One line of the specification: ``bedrag_cent`` signed (a deduction is negative)."""

    omschrijving: str
    bedrag_cent: int


@dataclass(frozen=True)
class Uitkeringsspecificatie:
    """One month's payment specification as the resident should read it (no BSN in it)."""

    periode: str  # "YYYY-MM"
    naam: str
    clientnummer: str
    regeling: str
    dossiernummer: str
    datum_betaald: date | None
    iban_eind: str  # the last four characters only
    componenten: tuple[Component, ...]
    totaal_cent: int
    instantie: str


def _cents(amount: Any) -> int:
    """``{CdPositiefNegatief, WaardeBedrag}`` as signed euro cents."""
    if amount is None:
        return 0
    value = int(amount.WaardeBedrag or 0)
    return -value if (amount.CdPositiefNegatief or "+").strip() == "-" else value


def _date(text: str | None) -> date | None:
    raw = (text or "").strip()
    try:
        return date(int(raw[:4]), int(raw[4:6]), int(raw[6:8]))
    except ValueError:
        return None


def _naam(client: Any) -> str:
    parts = [client.Voorletters, client.Voorvoegsel, client.Achternaam]
    return " ".join(str(p) for p in parts if p)


class _SsdErrors(soap_mtls.SoapErrors):
    """GWS4all's own wording of a failed call (older than Suwinet's, kept for beheer)."""

    def tls_broken(self) -> TransientError:
        return self.error(
            TransientError, f"{self.where} ({self.conn_id}): TLS-verbinding afgebroken"
        )

    def fault(self, fault: zeep.exceptions.Fault, transient: bool) -> KetenbrugError:
        text = mask_text(f"GWS4all SOAP Fault {fault.code}: {fault.message}")
        if transient:
            return self.error(TransientError, text[:300])
        return self.error(self.rejected, text)

    def http_refused(self, status: int) -> KetenbrugError:
        return self.error(self.rejected, f"{self.where} antwoordde HTTP {status}")

    def unreadable(self, exc: Exception) -> KetenbrugError:
        text = mask_text(f"onleesbaar antwoord van GWS4all: {type(exc).__name__}: {exc}")
        return self.error(self.rejected, text[:300])


class SsdClient:
    """One zeep client per task: the WSDL is read once, the TLS session reused."""

    def __init__(self, config: SsdConfig) -> None:
        self.config = config
        self._transport = soap_mtls.mtls_transport(config)
        self._zeep = soap_mtls.zeep_client(_wsdl(), self._transport)
        self._service = self._zeep.create_service(_BINDING, config.url)
        self._header = self._zeep.get_element(_HEADER)
        self._errors = _SsdErrors(
            where="GWS4all SSD",
            conn_id=config.conn_id,
            system=SYSTEM,
            fwi_ns=_FWI_NS,
            fwi=SsdFwiError,
            rejected=SsdRejectedError,
            operation=_OPERATION,
            tls_extra=_TLS_EXTRA,
        )

    def close(self) -> None:
        self._transport.session.close()

    def _gws_header(self) -> Any:
        return self._header(
            RouteInformatie={
                "Bron": {
                    "Gemeentecode": self.config.gemeentecode,
                    "ApplicatieNaam": self.config.applicatie,
                },
                "Bestemming": {"Gemeentecode": self.config.gemeentecode},
            },
            BerichtIdentificatie={
                "DatTijdAanmaakRequest": datetime.now().astimezone().replace(microsecond=0),
            },
        )

    def uitkeringsspecificatie(self, bsn: str, periode: str) -> Uitkeringsspecificatie | None:
        """The specification of ``periode`` ("YYYY-MM") for ``bsn``; None: NietsGevonden."""
        result = soap_mtls.call(
            self._errors,
            self._service.SendUitkeringsSpecificatieClient,
            BurgerServiceNr=bsn,
            Periodenummer=periode.replace("-", ""),
            _soapheaders=[self._gws_header()],
        )
        return self._specificatie(result.body, periode)

    @staticmethod
    def _specificatie(body: Any, periode: str) -> Uitkeringsspecificatie | None:
        fwi = getattr(body, "FWI", None)
        if fwi is not None:
            fouten = [item["Fout"] for item in (fwi["_value_1"] or []) if item.get("Fout")]
            fout = fouten[0] if fouten else None
            raise SsdFwiError(
                str(fout.Code if fout is not None else "?"),
                str(fout.Tekst if fout is not None else "FWI zonder fout"),
            )
        usc = getattr(body, "UitkeringsSpecificatieClient", None)
        if usc is None:
            return None  # fwi:NietsGevonden: no payment this period
        componenten: list[Component] = []
        totaal = 0
        regeling = dossiernummer = instantie = iban = ""
        betaald: date | None = None
        for specificatie in usc.Uitkeringsspecificatie or []:
            if specificatie.Uitkeringsinstantie is not None:
                instantie = specificatie.Uitkeringsinstantie.Gemeentenaam or ""
            for historie in specificatie.Dossierhistorie or []:
                if (historie.Periodenummer or "") != periode.replace("-", ""):
                    continue
                regeling = historie.Regeling or regeling
                dossiernummer = historie.Dossiernummer or dossiernummer
                iban = historie.Iban or iban
                betaald = _date(historie.DatumBetaald) or betaald
                totaal += _cents(historie.UitbetaaldBedragDossier)
                for regel in historie.Componenthistorie or []:
                    omschrijving = str(regel.Omschrijving or "").strip()
                    if omschrijving.upper() == _TOTAAL:
                        continue
                    cents = _cents(regel.Bedrag)
                    if str(regel.IndicatieKolom or "1").strip() == "2":
                        cents = -cents  # the minus column: a deduction
                    componenten.append(Component(omschrijving, cents))
        if not componenten and not totaal:
            return None
        return Uitkeringsspecificatie(
            periode=periode,
            naam=_naam(usc.Client),
            clientnummer=str(usc.Client.Clientnummer or ""),
            regeling=regeling,
            dossiernummer=dossiernummer,
            datum_betaald=betaald,
            iban_eind=iban[-4:],
            componenten=tuple(componenten),
            totaal_cent=totaal,
            instantie=instantie,
        )

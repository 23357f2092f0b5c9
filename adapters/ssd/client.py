"""GWS4all's UitkeringsSpecificatie service (v0600) through zeep, over mutual TLS.

Why zeep: the service is document/literal SOAP 1.1 with WS-Addressing and Centric's GWS header;
zeep builds all three from the shipped WSDL (``adapters/ssd/schemas``), with DTDs, entities
and external references forbidden. The answer becomes a plain :class:`Uitkeringsspecificatie`
(euro cents with their sign, the period, the components), or ``None`` for ``fwi:NietsGevonden``
(no payment that period: not an error).

Errors, by what beheer or the engine can do about them:

* ``fwi:FWI`` in the answer, or a SOAP Fault with a ``fwi:Fout`` detail: :class:`SsdFwiError`
  (permanent, reason ``ssd_fwi``) carrying GWS4all's code and text, masked;
* no connection, a timeout, HTTP 429/5xx without a SOAP answer: :class:`TransientError`;
* a certificate problem (expired, not yet valid, wrong CA, wrong host): :class:`ConfigError`
  naming the Airflow Connection, one line, no stack of XML.

The BSN is only ever in the request body: no error text or log line here quotes it unmasked.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from typing import Any, TypeVar

import requests
import zeep.exceptions
from zeep import Client, Settings
from zeep.transports import Transport

from adapters.errors import ConfigError, KetenbrugError, PermanentError, TransientError
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

log = logging.getLogger(__name__)
# zeep logs every envelope at DEBUG, and every SSD request carries a BSN: never let it through.
logging.getLogger("zeep.transports").setLevel(logging.INFO)

SYSTEM = "ssd"
_NS = "http://www.centric.nl/GWS/Diensten/UitkeringsSpecificatieClient/v0600"
_BINDING = f"{{{_NS}}}UitkeringsSpecificatieClientBinding"
_HEADER = "{http://www.centric.nl/GWS/Header/v0300}Header"
_FWI_NS = "http://www.centric.nl/GWS/FWI/v0200"
_OPERATION = "UitkeringsSpecificatieInfo"
_TOTAAL = "UIT TE BETALEN BEDRAG"
#: zeep parses nothing it cannot trust (the same bar as stuf.xml's parser).
SAFE_SETTINGS = Settings(forbid_dtd=True, forbid_entities=True, forbid_external=True, strict=True)
E = TypeVar("E", bound=KetenbrugError)


def _wsdl() -> str:
    folder = resources.files("adapters.ssd") / "schemas" / "uitkering" / "v0600-b01"
    return str(folder / "UitkeringsSpecificatieClient.wsdl")


def _error(kind: type[E], text: str) -> E:
    """``kind`` for the one operation this client calls."""
    return kind(text, system=SYSTEM, operation=_OPERATION)


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


def _fwi_from_detail(detail: Any) -> tuple[str, str] | None:
    """(code, tekst) of the ``fwi:Fout`` in a SOAP Fault's detail (an lxml element zeep made)."""
    if detail is None:
        return None
    for fout in detail.iter(f"{{{_FWI_NS}}}Fout"):
        return (fout.findtext("Code") or "?").strip(), (fout.findtext("Tekst") or "").strip()
    return None


class SsdClient:
    """One zeep client per task: the WSDL is read once, the TLS session reused."""

    def __init__(self, config: SsdConfig) -> None:
        self.config = config
        self._http = requests.Session()
        self._http.trust_env = False  # REQUESTS_CA_BUNDLE must not override verify
        self._http.cert = (config.client_cert, config.client_key)
        self._http.verify = config.verify
        transport = Transport(
            session=self._http, timeout=config.timeout_s, operation_timeout=config.timeout_s
        )
        # WS-Addressing: zeep adds Action, MessageID and To itself, since the WSDL declares
        # wsaw:Action (a WsAddressingPlugin on top would send each header twice).
        self._zeep = Client(_wsdl(), settings=SAFE_SETTINGS, transport=transport)
        self._service = self._zeep.create_service(_BINDING, config.url)
        self._header = self._zeep.get_element(_HEADER)

    def close(self) -> None:
        self._http.close()

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
        try:
            result = self._service.SendUitkeringsSpecificatieClient(
                BurgerServiceNr=bsn,
                Periodenummer=periode.replace("-", ""),
                _soapheaders=[self._gws_header()],
            )
        except requests.exceptions.SSLError as exc:
            raise self._certificate_error(exc) from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise self._unreachable(f"niet bereikbaar: {type(exc).__name__}") from None
        except zeep.exceptions.Fault as fault:
            found = _fwi_from_detail(fault.detail)
            if found is not None:
                raise SsdFwiError(*found) from None
            text = mask_text(f"GWS4all SOAP Fault {fault.code}: {fault.message}")
            if "server" in str(fault.code or "").lower():  # no FWI: a passing server problem
                raise _error(TransientError, text[:300]) from None
            raise _error(SsdRejectedError, text) from None
        except zeep.exceptions.TransportError as exc:
            if exc.status_code == 429 or exc.status_code >= 500:
                raise self._unreachable(f"antwoordde HTTP {exc.status_code}") from None
            raise _error(
                SsdRejectedError, f"GWS4all SSD antwoordde HTTP {exc.status_code}"
            ) from None
        except zeep.exceptions.Error as exc:
            text = mask_text(f"onleesbaar antwoord van GWS4all: {type(exc).__name__}: {exc}")
            raise _error(SsdRejectedError, text[:300]) from None
        return self._specificatie(result.body, periode)

    def _certificate_error(self, exc: Exception) -> ConfigError | TransientError:
        """One readable line naming the Connection, never the TLS stack."""
        text = str(exc)
        if "expired" in text:
            what = "certificaat verlopen (expired)"
        elif "not yet valid" in text:
            what = "certificaat nog niet geldig (not yet valid)"
        elif "hostname" in text or "match" in text:
            what = "servernaam past niet bij het certificaat (wrong host)"
        elif "unknown ca" in text or "self-signed" in text or "unable to get" in text:
            what = "certificaat niet uitgegeven door de vertrouwde CA (wrong CA)"
        elif "certificate" in text and "alert" in text:
            what = "ons clientcertificaat geweigerd (client certificate refused)"
        else:  # EOF or reset mid-handshake: the line, not the certificate
            conn_id = self.config.conn_id
            return _error(TransientError, f"GWS4all SSD ({conn_id}): TLS-verbinding afgebroken")
        return _error(ConfigError, f"Connection {self.config.conn_id}: {what}")

    def _unreachable(self, what: str) -> TransientError:
        """A passing failure of the line or the service, naming the Connection to look at."""
        return _error(TransientError, f"GWS4all SSD ({self.config.conn_id}) {what}")

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

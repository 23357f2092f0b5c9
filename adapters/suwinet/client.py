"""Suwinet-Inkijk's BRPDossierPersoonGSD and UWVDossierInkomstenGSD (v0200) through zeep, mTLS.

Why zeep: both services are document/literal SOAP 1.1 with WS-Addressing required
(``wsaw:UsingAddressing``); zeep builds the envelope and the Action/MessageID/To headers from
BKWI's own WSDLs (``adapters/suwinet/schemas``), with DTDs, entities and external references
forbidden. Answers become plain dataclasses: :class:`Persoon` (BRP) and :class:`Inkomstenopgave`
lines (UWV), or ``None`` for ``fwi:NietsGevonden`` (nothing known: not an error).

Errors are classified by :mod:`adapters.soap_mtls`, in its wording; an ``fwi:FWI`` in the
answer, or an ``fwi:Fout`` in a SOAP Fault, is :class:`SuwinetFwiError` (reason
``suwinet_fwi``) with BKWI's code and masked text.

A BSN goes into the request body only: no error text or log line here quotes it unmasked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import partial
from importlib import resources
from typing import Any

from zeep.helpers import serialize_object

from adapters import soap_mtls
from adapters.errors import PermanentError
from adapters.suwinet.config import SuwinetConfig
from privacy.masking import mask_text

__all__ = [
    "BRP",
    "SYSTEM",
    "UWV",
    "Inkomstenopgave",
    "Persoon",
    "SuwinetClient",
    "SuwinetFwiError",
    "SuwinetRejectedError",
]

SYSTEM = "suwinet"
BRP = "BRPDossierPersoonGSD"
UWV = "UWVDossierInkomstenGSD"
_FWI_NS = "http://bkwi.nl/SuwiML/FWI/v0205"
_BINDINGS = {
    BRP: "{http://bkwi.nl/SuwiML/Diensten/BRPDossierPersoonGSD/v0200}BRPBinding",
    UWV: "{http://bkwi.nl/SuwiML/Diensten/UWVDossierInkomstenGSD/v0200}UWVIkvBinding",
}
#: BKWI's broker words two TLS failures that GWS4all does not (see soap_mtls.tls_problem).
_TLS_EXTRA = (
    ("signature failure", soap_mtls.WRONG_CA),
    ("verify failed", "servercertificaat niet vertrouwd (certificate verify failed)"),
)


def _wsdl(service: str) -> str:
    folder = resources.files("adapters.suwinet") / "schemas" / "Diensten" / service / "v0200-b02"
    return str(folder / f"{service}.wsdl")


class SuwinetFwiError(PermanentError):
    """The broker or the register answered with an FWI fault: code and (masked) text."""

    reason = "suwinet_fwi"

    def __init__(self, dienst: str, code: str, tekst: str) -> None:
        self.code = code
        self.tekst = mask_text(tekst)
        super().__init__(f"Suwinet {dienst} FWI-fout {code}: {self.tekst}", system=SYSTEM)


class SuwinetRejectedError(PermanentError):
    """The broker refused the request or gave an answer Ketenbrug cannot read."""

    reason = "suwinet_geweigerd"


@dataclass(frozen=True)
class Persoon:
    """The BRP data the dossier needs (no BSN: the caller has it, and nothing else needs it)."""

    naam: str
    geboortedatum: date | None
    straat: str
    postcode: str
    woonplaats: str
    geheim: bool


@dataclass(frozen=True)
class Inkomstenopgave:
    """One UWV income line: an employer's gross wage (euro cents, signed) over one period."""

    werkgever: str
    begin: date | None
    eind: date | None
    brutoloon_cent: int


def _date(text: Any) -> date | None:
    raw = str(text or "").strip()
    try:
        return date(int(raw[:4]), int(raw[4:6]), int(raw[6:8]))
    except ValueError:
        return None


def _items(value: Any) -> list[Any]:
    """zeep gives one element or a list, by maxOccurs: always a list, without Nones."""
    if value is None:
        return []
    return [v for v in value if v is not None] if isinstance(value, list) else [value]


def _text(mapping: Mapping[str, Any] | None, name: str) -> str:
    value = (mapping or {}).get(name)
    return "" if value is None else str(value).strip()


def _cents(amount: Mapping[str, Any] | None) -> int:
    """``{CdPositiefNegatief, WaardeBedr}`` as signed euro cents."""
    if not amount:
        return 0
    value = int(amount.get("WaardeBedr") or 0)
    return -value if _text(amount, "CdPositiefNegatief") == "-" else value


def _fwi(dienst: str, answer: Mapping[str, Any]) -> None:
    """Raise the first ``fwi:Fout`` of an ``fwi:FWI`` in the answer (zeep names it FWI, FWI__1)."""
    for name, value in answer.items():
        if not name.startswith("FWI") or not value:
            continue
        fouten = [item.get("Fout") for item in _items(value.get("_value_1")) if item]
        fout = next((f for f in fouten if f), None) or {}
        raise SuwinetFwiError(
            dienst, _text(fout, "Code") or "?", _text(fout, "Tekst") or "FWI zonder fout"
        )


def _persoon(answer: Mapping[str, Any]) -> Persoon | None:
    clients = _items(answer.get("ClientSuwi"))
    if not clients:
        return None
    client = clients[0]
    naam = " ".join(
        part
        for part in (
            _text(client, "Voornamen"),
            _text(client, "Voorvoegsel"),
            _text(client, "SignificantDeelVanDeAchternaam"),
        )
        if part
    )
    adressen = _items(client.get("DomicilieAdres")) or _items(client.get("Correspondentieadres"))
    adres = adressen[0] if adressen else {}
    straat = _text(adres, "NaamOpenbareRuimte") or _text(adres, "Straatnaam")
    huisnummer = "".join(
        _text(adres, name) for name in ("Huisnr", "Huisletter", "Huisnrtoevoeging")
    )
    return Persoon(
        naam=naam,
        geboortedatum=_date(client.get("Geboortedat")),
        straat=f"{straat} {huisnummer}".strip(),
        postcode=_text(adres, "Postcd"),
        woonplaats=_text(adres, "Woonplaatsnaam"),
        geheim=_text(client, "CdBrpGegevensGeheim") not in ("", "0"),
    )


def _inkomsten(answer: Mapping[str, Any]) -> list[Inkomstenopgave] | None:
    regels: list[Inkomstenopgave] = []
    for client in _items(answer.get("ClientSuwi")):
        for ikv in _items(client.get("Inkomstenverhouding")):
            eenheid = ikv.get("AdministratieveEenheid") or {}
            werkgever = _text(eenheid, "NaamAdministratieveEenheid") or "onbekende werkgever"
            for opgave in _items(ikv.get("Inkomstenopgave")):
                regels.append(
                    Inkomstenopgave(
                        werkgever=werkgever,
                        begin=_date(opgave.get("DatBIko")),
                        eind=_date(opgave.get("DatEIko")),
                        brutoloon_cent=_cents(opgave.get("BedrBrutoloonSv")),
                    )
                )
    return regels or None


class SuwinetClient:
    """One zeep client per service and task: the WSDLs are read once, the TLS session reused."""

    def __init__(self, config: SuwinetConfig) -> None:
        self.config = config
        self._transport = soap_mtls.mtls_transport(config)
        self._services = {
            name: soap_mtls.zeep_client(_wsdl(name), self._transport).create_service(
                binding, config.service_url(name)
            )
            for name, binding in _BINDINGS.items()
        }
        self._errors = {
            name: soap_mtls.SoapErrors(
                where=f"Suwinet {name}",
                conn_id=config.conn_id,
                system=SYSTEM,
                fwi_ns=_FWI_NS,
                fwi=partial(SuwinetFwiError, name),
                rejected=SuwinetRejectedError,
                tls_extra=_TLS_EXTRA,
            )
            for name in _BINDINGS
        }

    def close(self) -> None:
        self._transport.session.close()

    def persoon(self, bsn: str) -> Persoon | None:
        """BRPDossierPersoonGSD ``AanvraagPersoon``; None: NietsGevonden."""
        answer = self._call(BRP, "AanvraagPersoon", Burgerservicenr=bsn)
        return _persoon(answer) if answer is not None else None

    def inkomsten(self, bsn: str, begin: date, eind: date) -> list[Inkomstenopgave] | None:
        """UWVDossierInkomstenGSD ``UWVPersoonsIkvInfo`` over a period; None: NietsGevonden."""
        answer = self._call(
            UWV,
            "UWVPersoonsIkvInfo",
            Burgerservicenr=bsn,
            PeriodeGegevensvraagIko={
                "DatBPeriode": begin.strftime("%Y%m%d"),
                "DatEPeriode": eind.strftime("%Y%m%d"),
            },
        )
        return _inkomsten(answer) if answer is not None else None

    def _call(self, dienst: str, operation: str, **body: Any) -> dict[str, Any] | None:
        """One call; the answer as plain dicts (None: an empty answer), or a classified error."""
        call: Callable[..., Any] = getattr(self._services[dienst], operation)
        result = soap_mtls.call(self._errors[dienst], call, **body)
        if result is None:
            return None  # the answer holds only fwi:NietsGevonden (zeep gives no object)
        answer: dict[str, Any] = serialize_object(result, dict)
        _fwi(dienst, answer)
        return answer

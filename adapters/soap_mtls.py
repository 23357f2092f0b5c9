"""Zeep over mutual TLS: the plumbing GWS4all SSD and Suwinet-Inkijk share, in one place.

Why: both registers are WSDL-described SOAP services behind a client certificate, and a failed
call must be classified the same way for both (certificate: :class:`ConfigError` naming the
Connection; no line or HTTP 429/5xx: :class:`TransientError`; an ``fwi:Fout`` in a SOAP Fault:
the register's own FWI error). A client keeps its service logic and its wording for beheer
(:class:`SoapErrors`, overridable per register); the hardened zeep settings, the TLS session
and the silenced envelope logging (every request carries a BSN) live only here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

import requests
import zeep.exceptions
from cryptography import x509
from zeep import Client, Settings
from zeep.transports import Transport

from adapters.errors import ConfigError, KetenbrugError, PermanentError, TransientError
from privacy.masking import mask_text

__all__ = [
    "SAFE_SETTINGS",
    "WRONG_CA",
    "MtlsConfig",
    "SoapErrors",
    "call",
    "connection_fields",
    "expiry_warning",
    "expiry_warnings",
    "fwi_from_detail",
    "mtls_transport",
    "tls_problem",
    "zeep_client",
]

log = logging.getLogger(__name__)

# zeep logs every envelope at DEBUG, and every register request carries a BSN: never let it through.
logging.getLogger("zeep.transports").setLevel(logging.INFO)

#: zeep parses nothing it cannot trust (the same bar as stuf.xml's parser).
SAFE_SETTINGS = Settings(forbid_dtd=True, forbid_entities=True, forbid_external=True, strict=True)
E = TypeVar("E", bound=KetenbrugError)
T = TypeVar("T")

WRONG_CA = "certificaat niet uitgegeven door de vertrouwde CA (wrong CA)"
_TLS_PROBLEMS: tuple[tuple[str, str], ...] = (
    ("expired", "certificaat verlopen (expired)"),
    ("not yet valid", "certificaat nog niet geldig (not yet valid)"),
    ("hostname", "servernaam past niet bij het certificaat (wrong host)"),
    ("unknown ca", WRONG_CA),
    ("self-signed", WRONG_CA),
    ("unable to get", WRONG_CA),
)


class MtlsConfig(Protocol):
    """What a register's frozen config gives for the TLS line (SsdConfig, SuwinetConfig)."""

    @property
    def client_cert(self) -> str: ...
    @property
    def client_key(self) -> str: ...
    @property
    def verify(self) -> bool | str: ...
    @property
    def timeout_s(self) -> float: ...
    @property
    def conn_id(self) -> str: ...


#: A client certificate that expires within this is named in the flow summary.
EXPIRY_WARNING = timedelta(days=30)


def expiry_warning(
    config: MtlsConfig, *, now: datetime | None = None, within: timedelta = EXPIRY_WARNING
) -> str | None:
    """One Dutch line when the Connection's client certificate expires within ``within`` (or
    has expired, or cannot be read); None when it is good for longer.

    Why: a register refuses an expired certificate on the day it expires, and a new one takes a
    PKIoverheid request of weeks: beheer must hear of it in the run's summary well before.
    """
    now = now or datetime.now(UTC)
    try:
        pem = Path(config.client_cert).read_bytes()
        until = x509.load_pem_x509_certificate(pem).not_valid_after_utc
    except (OSError, ValueError) as error:
        return (
            f"Connection {config.conn_id}: clientcertificaat niet te lezen "
            f"(client certificate unreadable: {type(error).__name__})"
        )
    if until <= now:
        return (
            f"Connection {config.conn_id}: clientcertificaat is verlopen op {until:%d-%m-%Y} "
            "(client certificate expired)"
        )
    if until - now > within:
        return None
    days = (until - now).days
    return (
        f"Connection {config.conn_id}: clientcertificaat verloopt op {until:%d-%m-%Y}, over "
        f"{days} dag(en): vraag tijdig een nieuw aan (client certificate expires in {days} days)"
    )


def expiry_warnings(configs: Iterable[MtlsConfig], *, now: datetime | None = None) -> list[str]:
    """:func:`expiry_warning` of each config that has one, each also logged as a warning."""
    warnings = [w for w in (expiry_warning(c, now=now) for c in configs) if w is not None]
    for warning in warnings:
        log.warning("%s", warning)
    return warnings


def mtls_transport(config: MtlsConfig) -> Transport:
    """A zeep Transport on its own session with our client certificate and the register's CA."""
    http = requests.Session()
    http.trust_env = False  # REQUESTS_CA_BUNDLE must not override verify
    http.cert = (config.client_cert, config.client_key)
    http.verify = config.verify
    return Transport(session=http, timeout=config.timeout_s, operation_timeout=config.timeout_s)


def zeep_client(wsdl: str, transport: Transport) -> Client:
    """A zeep client of a shipped WSDL, with the hardened settings.

    WS-Addressing: zeep adds Action, MessageID and To itself where the WSDL declares
    wsaw:Action (a WsAddressingPlugin on top would send each header twice).
    """
    return Client(wsdl, settings=SAFE_SETTINGS, transport=transport)


def tls_problem(text: str, extra: Iterable[tuple[str, str]] = ()) -> str | None:
    """What is wrong with a certificate, in one line; None: the line broke, not a certificate.

    ``extra``: (needle, what) a register's TLS messages need besides the common ones.
    """
    for needle, what in (*_TLS_PROBLEMS, *extra):
        if needle in text:
            return what
    if "certificate" in text and "alert" in text:
        return "ons clientcertificaat geweigerd (client certificate refused)"
    return None


def fwi_from_detail(detail: Any, fwi_ns: str) -> tuple[str, str] | None:
    """(code, tekst) of the ``fwi:Fout`` in a SOAP Fault's detail (an lxml element zeep made)."""
    if detail is None:
        return None
    for fout in detail.iter(f"{{{fwi_ns}}}Fout"):
        return (fout.findtext("Code") or "?").strip(), (fout.findtext("Tekst") or "").strip()
    return None


@dataclass(frozen=True)
class SoapErrors:
    """How one register's client words a failed call; override a method for other wording.

    ``where`` names the service in a text ("Suwinet BRPDossierPersoonGSD"), ``fwi`` builds the
    register's FWI error from (code, tekst), ``rejected`` is its permanent refusal.
    """

    where: str
    conn_id: str
    system: str
    fwi_ns: str
    fwi: Callable[[str, str], PermanentError]
    rejected: type[PermanentError]
    operation: str = ""
    tls_extra: tuple[tuple[str, str], ...] = ()

    def error(self, kind: type[E], text: str) -> E:
        return kind(text, system=self.system, operation=self.operation)

    def named(self, kind: type[E], what: str) -> E:
        """``kind`` naming the service and the Connection to look at."""
        return self.error(kind, f"{self.where} ({self.conn_id}) {what}")

    def certificate(self, text: str) -> ConfigError | TransientError:
        """One readable line naming the Connection, never the TLS stack."""
        what = tls_problem(text, self.tls_extra)
        if what is None:  # EOF or reset mid-handshake: the line, not the certificate
            return self.tls_broken()
        return self.error(ConfigError, f"Connection {self.conn_id}: {what}")

    def tls_broken(self) -> TransientError:
        return self.named(TransientError, "TLS-verbinding afgebroken")

    def fault(self, fault: zeep.exceptions.Fault, transient: bool) -> KetenbrugError:
        text = mask_text(f"SOAP Fault {fault.code}: {fault.message}")[:300]
        return self.named(TransientError if transient else self.rejected, text)

    def http_refused(self, status: int) -> KetenbrugError:
        return self.named(self.rejected, f"antwoordde HTTP {status}")

    def unreadable(self, exc: Exception) -> KetenbrugError:
        text = mask_text(f"onleesbaar antwoord: {type(exc).__name__}: {exc}")[:300]
        return self.named(self.rejected, text)


def call(errors: SoapErrors, operation: Callable[..., T], **body: Any) -> T:
    """``operation(**body)``, its failures classified by what beheer or the engine can do."""
    try:
        return operation(**body)
    except requests.exceptions.SSLError as exc:
        raise errors.certificate(str(exc)) from None
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise errors.named(TransientError, f"niet bereikbaar: {type(exc).__name__}") from None
    except zeep.exceptions.Fault as fault:
        found = fwi_from_detail(fault.detail, errors.fwi_ns)
        if found is not None:
            raise errors.fwi(*found) from None
        server = "server" in str(fault.code or "").lower()  # no FWI: a passing server problem
        raise errors.fault(fault, transient=server) from None
    except zeep.exceptions.TransportError as exc:
        if exc.status_code == 429 or exc.status_code >= 500:
            raise errors.named(TransientError, f"antwoordde HTTP {exc.status_code}") from None
        raise errors.http_refused(exc.status_code) from None
    except zeep.exceptions.Error as exc:
        raise errors.unreadable(exc) from None


def connection_fields(
    connection: Any, conn_id: str, default_path: str, default_timeout_s: float
) -> dict[str, Any]:
    """The mTLS fields of an Airflow Connection as config keywords (for a register's hook).

    host, port, extra ``path``, ``client_cert``, ``client_key`` (file paths), ``verify`` (CA
    bundle path or a bool), ``timeout_s``. Raises ValueError on a timeout that is no number.
    """
    extra = connection.extra_dejson
    port = f":{connection.port}" if connection.port else ""
    verify = extra.get("verify", True)
    return {
        "url": f"https://{connection.host}{port}{extra.get('path', default_path)}",
        "client_cert": str(extra.get("client_cert") or ""),
        "client_key": str(extra.get("client_key") or ""),
        "verify": verify if isinstance(verify, bool) else str(verify),
        "timeout_s": float(extra.get("timeout_s", default_timeout_s)),
        "conn_id": conn_id,
    }

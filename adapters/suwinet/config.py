"""Connection settings of the Suwinet-Inkijk broker (BKWI): validated once, then frozen."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_TIMEOUT_S", "SuwinetConfig"]

DEFAULT_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class SuwinetConfig:
    """Where and as whom Ketenbrug asks Suwinet-Inkijk.

    ``url`` is the broker's SOAP base (``https://broker.prd.suwi.net/suwibroker/soap``); a
    service is ``<url>/<Service>-v0200``, as BKWI's ``Impl/BKWI.wsdl`` names them.
    ``client_cert``/``client_key`` are file paths (the PKIoverheid certificate BKWI knows: the
    broker has no other login); ``verify`` is the CA bundle of the broker's server certificate.
    ``inkomsten_maanden``: how many months of UWV income before the aanvraag are asked.
    ``conn_id`` names the Airflow Connection in every error, so beheer knows what to repair.
    """

    url: str
    client_cert: str
    client_key: str
    verify: bool | str = True
    timeout_s: float = DEFAULT_TIMEOUT_S
    inkomsten_maanden: int = 12
    conn_id: str = "ketenbrug_suwinet"

    def __post_init__(self) -> None:
        if not self.url.startswith("https://"):
            raise ValueError(f"Suwinet url must be https (mTLS): {self.url!r}")
        if not self.client_cert or not self.client_key:
            raise ValueError("Suwinet needs a client certificate and key (mTLS)")
        if self.timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        if not 1 <= self.inkomsten_maanden <= 60:
            raise ValueError("inkomsten_maanden must be between 1 and 60")

    def service_url(self, service: str) -> str:
        """The endpoint of one BKWI service (``BRPDossierPersoonGSD``, ...)."""
        return f"{self.url.rstrip('/')}/{service}-v0200"

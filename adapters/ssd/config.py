"""Connection settings of GWS4all's SSD endpoint: validated once, then frozen."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_TIMEOUT_S", "SsdConfig"]

DEFAULT_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class SsdConfig:
    """Where and as whom Ketenbrug asks GWS4all for specifications.

    ``client_cert``/``client_key`` are file paths (mTLS is required: SSD has no other login);
    ``verify`` is the CA bundle that signed GWS4all's server certificate. ``conn_id`` names the
    Airflow Connection in every error, so beheer knows which one to repair.
    """

    url: str
    client_cert: str
    client_key: str
    verify: bool | str = True
    timeout_s: float = DEFAULT_TIMEOUT_S
    gemeentecode: str = "0153"
    applicatie: str = "Ketenbrug"
    conn_id: str = "ketenbrug_ssd"

    def __post_init__(self) -> None:
        if not self.url.startswith("https://"):
            raise ValueError(f"SSD url must be https (mTLS): {self.url!r}")
        if not self.client_cert or not self.client_key:
            raise ValueError("SSD needs a client certificate and key (mTLS)")
        if self.timeout_s <= 0:
            raise ValueError("timeout_s must be positive")

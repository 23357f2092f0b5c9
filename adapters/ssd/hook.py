"""Airflow hook: the Connection ``ketenbrug_ssd`` as an :class:`SsdConfig`, plus the HMAC secret.

The only module of this adapter that imports Airflow. Fields: host, port, extra ``path``; extra
``client_cert``, ``client_key`` (file paths), ``verify`` (CA bundle path), ``timeout_s``,
``gemeentecode``, ``applicatie``. The Connection's password is the secret for the keyed hash
of a BSN (``sync.pseudonym``): ledger keys and dead letters carry that hash, never the BSN.
"""

from __future__ import annotations

from airflow.sdk import BaseHook

from adapters.errors import ConfigError
from adapters.soap_mtls import connection_fields
from adapters.ssd.config import DEFAULT_TIMEOUT_S, SsdConfig

__all__ = ["SsdHook"]


class SsdHook(BaseHook):
    """Turns the SSD Connection into the adapter's frozen config and the pseudonym secret."""

    conn_name_attr = "ssd_conn_id"
    default_conn_name = "ketenbrug_ssd"
    conn_type = "http"
    hook_name = "Ketenbrug GWS4all SSD (mTLS)"

    def __init__(self, ssd_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.ssd_conn_id = ssd_conn_id

    def get_config(self) -> SsdConfig:
        connection = self.get_connection(self.ssd_conn_id)
        extra = connection.extra_dejson
        try:
            return SsdConfig(
                **connection_fields(connection, self.ssd_conn_id, "/", DEFAULT_TIMEOUT_S),
                gemeentecode=str(extra.get("gemeentecode", "0153")),
                applicatie=str(extra.get("applicatie", "Ketenbrug")),
            )
        except ValueError as exc:
            raise ConfigError(f"Connection {self.ssd_conn_id}: {exc}", system="ssd") from None

    def get_secret(self) -> str:
        secret = self.get_connection(self.ssd_conn_id).password or ""
        if len(secret) < 16:
            raise ConfigError(
                f"Connection {self.ssd_conn_id}: het wachtwoord (sleutel voor de "
                "BSN-pseudonimisering) ontbreekt of is korter dan 16 tekens",
                system="ssd",
            )
        return secret

"""Airflow hook: the Connection ``ketenbrug_suwinet`` as a :class:`SuwinetConfig`, plus the key
for the keyed hash of a BSN.

The only module of this adapter that imports Airflow. Fields: host, port, extra ``path``
(default ``/suwibroker/soap``); extra ``client_cert``, ``client_key`` (file paths), ``verify``
(CA bundle path), ``timeout_s``, ``inkomsten_maanden``.

The pseudonymisation key is deliberately *not* this Connection's password: it is the password
of the Connection named in extra ``sleutel_conn_id`` (default ``ketenbrug_ssd``, the SSD
Connection). One key for the whole deployment keeps the doelbinding log answerable: "who looked
at this person" (``sync.doelbinding.queries_about``) finds the SSD and the Suwinet queries with
one hash. A separate key per register would split that answer in two.
"""

from __future__ import annotations

from airflow.sdk import BaseHook

from adapters.errors import ConfigError
from adapters.soap_mtls import connection_fields
from adapters.suwinet.config import DEFAULT_TIMEOUT_S, SuwinetConfig

__all__ = ["SuwinetHook"]

_SLEUTEL_CONN_ID = "ketenbrug_ssd"


class SuwinetHook(BaseHook):
    """Turns the Suwinet Connection into the adapter's frozen config and the pseudonym key."""

    conn_name_attr = "suwinet_conn_id"
    default_conn_name = "ketenbrug_suwinet"
    conn_type = "http"
    hook_name = "Ketenbrug Suwinet-Inkijk (mTLS)"

    def __init__(self, suwinet_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.suwinet_conn_id = suwinet_conn_id

    def get_config(self) -> SuwinetConfig:
        connection = self.get_connection(self.suwinet_conn_id)
        extra = connection.extra_dejson
        try:
            return SuwinetConfig(
                **connection_fields(
                    connection, self.suwinet_conn_id, "/suwibroker/soap", DEFAULT_TIMEOUT_S
                ),
                inkomsten_maanden=int(extra.get("inkomsten_maanden", 12)),
            )
        except ValueError as exc:
            raise ConfigError(
                f"Connection {self.suwinet_conn_id}: {exc}", system="suwinet"
            ) from None

    def get_secret(self, sleutel_conn_id: str | None = None) -> str:
        """The pseudonymisation key: the password of Connection ``sleutel_conn_id`` (given, else
        the extra's, else ``ketenbrug_ssd``; a tenant's DAG passes its own SSD Connection)."""
        extra = self.get_connection(self.suwinet_conn_id).extra_dejson
        sleutel_conn_id = sleutel_conn_id or str(extra.get("sleutel_conn_id") or _SLEUTEL_CONN_ID)
        secret = self.get_connection(sleutel_conn_id).password or ""
        if len(secret) < 16:
            raise ConfigError(
                f"Connection {sleutel_conn_id}: het wachtwoord (sleutel voor de "
                "BSN-pseudonimisering, ook voor Suwinet) ontbreekt of is korter dan 16 tekens",
                system="suwinet",
            )
        return secret

"""Airflow hook: the Airflow Connection ``ketenbrug_mylex`` as an :class:`MyLexConfig`.

The only module of this adapter that imports Airflow. The Connection is looked up when a task
runs (never when the DAG file is parsed). Its fields (conn_type ``sftp``):

- host, port (default 22), login
- extra ``private_key_path`` (required): the client key file on the worker
- extra ``known_hosts_line`` (required): ``[host]:port ssh-ed25519 AAAA…``, the pinned host key
- extra ``root_dir`` (default ``mylex``), ``timeout_s``
- extra ``archiefvormer``: ``{"naam": "Gemeente Deventer", "code": "gm0150"}`` (optional
  ``"bron"``, default ``TOOI``), the municipality every MDTO informatieobject names; without
  it, what a single installation always wrote. Each municipality's own Connection
  (``ketenbrug_mylex_<tenant>``) names its own.
"""

from __future__ import annotations

from airflow.sdk import BaseHook

from adapters.hook_support import RegisteredHook
from adapters.mylex.client import MyLexClient
from adapters.mylex.config import DEFAULT_ARCHIEFVORMER, Archiefvormer, MyLexConfig
from adapters.sftp.settings import connection_fields

__all__ = ["MyLexHook"]


class MyLexHook(RegisteredHook, BaseHook):
    """Turns the MyLex Connection into the adapter's frozen config (and a client)."""

    conn_name_attr = "mylex_conn_id"
    default_conn_name = "ketenbrug_mylex"
    plugin = "adapters.mylex.plugin"
    conn_type = "sftp"
    hook_name = "Ketenbrug MyLex (SFTP, MDTO archive)"

    def __init__(self, mylex_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.mylex_conn_id = mylex_conn_id

    def get_config(self) -> MyLexConfig:
        connection = self.get_connection(self.mylex_conn_id)
        extra = connection.extra_dejson
        return MyLexConfig(
            **connection_fields(connection, self.mylex_conn_id, "mylex"),
            root_dir=str(extra.get("root_dir", "mylex")),
            archiefvormer=Archiefvormer.of(extra.get("archiefvormer") or DEFAULT_ARCHIEFVORMER),
        )

    def get_client(self) -> MyLexClient:
        """A client for this Connection; it connects on first use."""
        return MyLexClient(self.get_config())

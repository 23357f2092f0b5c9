"""Airflow hook: the Airflow Connection ``ketenbrug_allegro`` as an :class:`AllegroConfig`.

The only module of this adapter that imports Airflow. The Connection is looked up when a task
runs (never when the DAG file is parsed). Its fields (conn_type ``sftp``):

- host, port (default 22), login
- extra ``private_key_path`` (required): the client key file on the worker
- extra ``known_hosts_line`` (required): ``[host]:port ssh-ed25519 AAAA…``, the pinned host key
- extra ``export_dir`` / ``return_dir`` (default ``export`` / ``return``), ``timeout_s``
"""

from __future__ import annotations

from airflow.sdk import BaseHook

from adapters.allegro.client import AllegroClient
from adapters.allegro.config import AllegroConfig
from adapters.hook_support import RegisteredHook
from adapters.sftp.settings import connection_fields

__all__ = ["AllegroHook"]


class AllegroHook(RegisteredHook, BaseHook):
    """Turns the Allegro Connection into the adapter's frozen config (and a client)."""

    conn_name_attr = "allegro_conn_id"
    default_conn_name = "ketenbrug_allegro"
    plugin = "adapters.allegro.plugin"
    conn_type = "sftp"
    hook_name = "Ketenbrug Allegro (SFTP, CSV exports)"

    def __init__(self, allegro_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.allegro_conn_id = allegro_conn_id

    def get_config(self) -> AllegroConfig:
        connection = self.get_connection(self.allegro_conn_id)
        extra = connection.extra_dejson
        return AllegroConfig(
            **connection_fields(connection, self.allegro_conn_id, "allegro"),
            export_dir=str(extra.get("export_dir", "export")),
            return_dir=str(extra.get("return_dir", "return")),
        )

    def get_client(self) -> AllegroClient:
        """A client for this Connection; it connects on first use."""
        return AllegroClient(self.get_config())

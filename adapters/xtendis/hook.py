"""Airflow hook: the Airflow Connection ``ketenbrug_xtendis`` as an :class:`XtendisConfig`.

The only module of this adapter that imports Airflow. The Connection is looked up when a task
runs (never when the DAG file is parsed). Its fields (conn_type ``sftp``):

- host, port (default 22), login
- extra ``private_key_path`` (required): the client key file on the worker
- extra ``known_hosts_line`` (required): ``[host]:port ssh-ed25519 AAAA…``, the pinned host key
- extra ``hotfolder_dir`` / ``receipts_dir`` (default ``hotfolder`` / ``receipts``), ``timeout_s``
"""

from __future__ import annotations

from airflow.sdk import BaseHook

from adapters.hook_support import RegisteredHook
from adapters.sftp.settings import connection_fields
from adapters.xtendis.client import XtendisClient
from adapters.xtendis.config import XtendisConfig

__all__ = ["XtendisHook"]


class XtendisHook(RegisteredHook, BaseHook):
    """Turns the Xtendis Connection into the adapter's frozen config (and a client)."""

    conn_name_attr = "xtendis_conn_id"
    default_conn_name = "ketenbrug_xtendis"
    plugin = "adapters.xtendis.plugin"
    conn_type = "sftp"
    hook_name = "Ketenbrug Xtendis (SFTP hot folder)"

    def __init__(self, xtendis_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.xtendis_conn_id = xtendis_conn_id

    def get_config(self) -> XtendisConfig:
        connection = self.get_connection(self.xtendis_conn_id)
        extra = connection.extra_dejson
        return XtendisConfig(
            **connection_fields(connection, self.xtendis_conn_id, "xtendis"),
            hotfolder_dir=str(extra.get("hotfolder_dir", "hotfolder")),
            receipts_dir=str(extra.get("receipts_dir", "receipts")),
        )

    def get_client(self) -> XtendisClient:
        """A client for this Connection; it connects on first use."""
        return XtendisClient(self.get_config())

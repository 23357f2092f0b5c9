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

from adapters.errors import ConfigError
from adapters.xtendis.client import XtendisClient
from adapters.xtendis.config import DEFAULT_TIMEOUT_S, XtendisConfig

__all__ = ["XtendisHook"]


class XtendisHook(BaseHook):
    """Turns the Xtendis Connection into the adapter's frozen config (and a client)."""

    conn_name_attr = "xtendis_conn_id"
    default_conn_name = "ketenbrug_xtendis"
    conn_type = "sftp"
    hook_name = "Ketenbrug Xtendis (SFTP hot folder)"

    def __init__(self, xtendis_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.xtendis_conn_id = xtendis_conn_id

    def get_config(self) -> XtendisConfig:
        connection = self.get_connection(self.xtendis_conn_id)
        extra = connection.extra_dejson
        missing = [k for k in ("private_key_path", "known_hosts_line") if not extra.get(k)]
        if missing:
            raise ConfigError(
                f"Connection {self.xtendis_conn_id}: extra {', '.join(missing)} ontbreekt "
                "(host keys worden vastgepind, nooit automatisch vertrouwd)",
                system="xtendis",
            )
        return XtendisConfig(
            host=connection.host or "",
            port=int(connection.port or 22),
            username=connection.login or "",
            key_path=str(extra["private_key_path"]),
            known_hosts_line=str(extra["known_hosts_line"]),
            hotfolder_dir=str(extra.get("hotfolder_dir", "hotfolder")),
            receipts_dir=str(extra.get("receipts_dir", "receipts")),
            timeout_s=float(extra.get("timeout_s", DEFAULT_TIMEOUT_S)),
        )

    def get_client(self) -> XtendisClient:
        """A client for this Connection; it connects on first use."""
        return XtendisClient(self.get_config())

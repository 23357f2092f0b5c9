"""Airflow hook: the Airflow Connection ``ketenbrug_mylex`` as an :class:`MyLexConfig`.

The only module of this adapter that imports Airflow. The Connection is looked up when a task
runs (never when the DAG file is parsed). Its fields (conn_type ``sftp``):

- host, port (default 22), login
- extra ``private_key_path`` (required): the client key file on the worker
- extra ``known_hosts_line`` (required): ``[host]:port ssh-ed25519 AAAA…``, the pinned host key
- extra ``root_dir`` (default ``mylex``), ``timeout_s``
"""

from __future__ import annotations

from airflow.sdk import BaseHook

from adapters.errors import ConfigError
from adapters.mylex.client import MyLexClient
from adapters.mylex.config import DEFAULT_TIMEOUT_S, MyLexConfig

__all__ = ["MyLexHook"]


class MyLexHook(BaseHook):
    """Turns the MyLex Connection into the adapter's frozen config (and a client)."""

    conn_name_attr = "mylex_conn_id"
    default_conn_name = "ketenbrug_mylex"
    conn_type = "sftp"
    hook_name = "Ketenbrug MyLex (SFTP, MDTO archive)"

    def __init__(self, mylex_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.mylex_conn_id = mylex_conn_id

    def get_config(self) -> MyLexConfig:
        connection = self.get_connection(self.mylex_conn_id)
        extra = connection.extra_dejson
        missing = [k for k in ("private_key_path", "known_hosts_line") if not extra.get(k)]
        if missing:
            raise ConfigError(
                f"Connection {self.mylex_conn_id}: extra {', '.join(missing)} ontbreekt "
                "(host keys worden vastgepind, nooit automatisch vertrouwd)",
                system="mylex",
            )
        return MyLexConfig(
            host=connection.host or "",
            port=int(connection.port or 22),
            username=connection.login or "",
            key_path=str(extra["private_key_path"]),
            known_hosts_line=str(extra["known_hosts_line"]),
            root_dir=str(extra.get("root_dir", "mylex")),
            timeout_s=float(extra.get("timeout_s", DEFAULT_TIMEOUT_S)),
        )

    def get_client(self) -> MyLexClient:
        """A client for this Connection; it connects on first use."""
        return MyLexClient(self.get_config())

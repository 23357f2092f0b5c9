"""Airflow hook: the Airflow Connection ``ketenbrug_${name}`` as a :class:`${Name}Config`.

The only module of this adapter that imports Airflow. Fields: host, port, schema
(``http``/``https``), extra ``path`` (default ``/``) and ``timeout_s``.
"""

from __future__ import annotations

from airflow.sdk import BaseHook

% if name < "hook_support":
from adapters.${name}.config import ${Name}Config
from adapters.hook_support import RegisteredHook
% else:
from adapters.hook_support import RegisteredHook
from adapters.${name}.config import ${Name}Config
% endif

__all__ = ["${Name}Hook"]


class ${Name}Hook(RegisteredHook, BaseHook):
    """Turns the ${Name} Connection into the adapter's frozen config."""

    conn_name_attr = "${name}_conn_id"
    default_conn_name = "ketenbrug_${name}"
    plugin = "adapters.${name}.plugin"
    conn_type = "http"
    hook_name = "Ketenbrug ${Name}"

    def __init__(self, ${name}_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.${name}_conn_id = ${name}_conn_id

    def get_config(self) -> ${Name}Config:
        connection = self.get_connection(self.${name}_conn_id)
        extra = connection.extra_dejson
        port = f":{connection.port}" if connection.port else ""
        scheme = connection.schema or "http"
        return ${Name}Config(
            url=f"{scheme}://{connection.host}{port}{extra.get('path', '/')}",
            timeout_s=float(extra.get("timeout_s", 30.0)),
        )

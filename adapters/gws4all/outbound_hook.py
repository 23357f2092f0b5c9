"""Airflow hook: the Connection ``ketenbrug_gws4all_stuf`` as a :class:`Gws4allOutboundConfig`.

The only module of the doorgifte adapter that imports Airflow; the Connection is read when a
task runs. Fields: host, port, schema (``http``/``https``), extra ``path`` (default ``/``);
extra ``gemeentecode`` (ontvanger organisatie), ``zender``/``ontvanger`` overrides
(``{"organisatie": ..., "applicatie": ...}``), ``timeout_s``, ``verify``, ``client_cert``,
``client_key``. The Connection form and its "Test" button (a geefZaakdetails that changes
nothing) come from GWS4all's registration (``adapters.gws4all.plugin``).
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseHook

from adapters.gws4all.outbound_config import (
    DEFAULT_GEMEENTECODE,
    DEFAULT_TIMEOUT_S,
    Gws4allOutboundConfig,
)
from adapters.hook_support import RegisteredHook
from stuf import Systeem

__all__ = ["Gws4allOutboundHook"]


def _systeem(raw: Any, organisatie: str, applicatie: str) -> Systeem:
    raw = raw or {}
    return Systeem(
        organisatie=str(raw.get("organisatie", organisatie)),
        applicatie=str(raw.get("applicatie", applicatie)),
        administratie=raw.get("administratie"),
        gebruiker=raw.get("gebruiker"),
    )


class Gws4allOutboundHook(RegisteredHook, BaseHook):
    """Turns the GWS4all StUF Connection into the doorgifte's frozen config."""

    conn_name_attr = "gws4all_stuf_conn_id"
    default_conn_name = "ketenbrug_gws4all_stuf"
    plugin = "adapters.gws4all.plugin"
    conn_type = "http"
    hook_name = "Ketenbrug GWS4all doorgifte (StUF ZDS 1.1)"

    def __init__(self, gws4all_stuf_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.gws4all_stuf_conn_id = gws4all_stuf_conn_id

    def get_config(self) -> Gws4allOutboundConfig:
        connection = self.get_connection(self.gws4all_stuf_conn_id)
        extra = connection.extra_dejson
        port = f":{connection.port}" if connection.port else ""
        gemeentecode = str(extra.get("gemeentecode", DEFAULT_GEMEENTECODE))
        verify = extra.get("verify", True)
        return Gws4allOutboundConfig(
            url=f"{connection.schema or 'http'}://{connection.host}{port}{extra.get('path', '/')}",
            zender=_systeem(extra.get("zender"), gemeentecode, "Ketenbrug"),
            ontvanger=_systeem(extra.get("ontvanger"), gemeentecode, "GWS4all"),
            timeout_s=float(extra.get("timeout_s", DEFAULT_TIMEOUT_S)),
            verify=verify if isinstance(verify, bool) else str(verify),
            client_cert=extra.get("client_cert"),
            client_key=extra.get("client_key"),
        )

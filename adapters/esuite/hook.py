"""Airflow hook: the Airflow Connection ``ketenbrug_esuite`` as an :class:`EsuiteConfig`.

The only module of this adapter that imports Airflow. The Connection is looked up when a task
runs (never when the DAG file is parsed). Its fields:

- host, port, schema (``http``/``https``), extra ``path`` (default ``/``): the ZDS endpoint
- extra ``zender`` / ``ontvanger``: ``{"organisatie": ..., "applicatie": ...}``
- extra ``timeout_s``, ``verify`` (CA bundle path or true), ``client_cert``, ``client_key``
- extra ``zgw_path``: the ZGW Documenten API (a path on the same host, or a full URL; default
  ``/documenten/api/v1``), used for the nightly archive listing
- extra ``zgw_zaken_path`` / ``zgw_catalogi_path``: the ZGW Zaken and Catalogi APIs (defaults
  ``/zaken/api/v1``, ``/catalogi/api/v1``), used by the doorgifte's listing of new aanvragen
- extra ``documenten_notificaties`` (true/false, default false) and ``documenten_ronde_dagen``
  (default 7): the e-Suite posts ZGW notificaties to Ketenbrug, so its documenten source reads
  those instead of walking every zaak each night (and walks them all once per ronde)
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseHook

from adapters.esuite.config import (
    DEFAULT_RONDE_DAGEN,
    DEFAULT_TIMEOUT_S,
    DEFAULT_ZGW_CATALOGI_PATH,
    DEFAULT_ZGW_PATH,
    DEFAULT_ZGW_ZAKEN_PATH,
    EsuiteConfig,
)
from adapters.hook_support import RegisteredHook
from stuf import Systeem

__all__ = ["EsuiteHook"]


def _systeem(raw: Any, default_applicatie: str) -> Systeem:
    raw = raw or {}
    return Systeem(
        organisatie=str(raw.get("organisatie", "1900")),
        applicatie=str(raw.get("applicatie", default_applicatie)),
        administratie=raw.get("administratie"),
        gebruiker=raw.get("gebruiker"),
    )


class EsuiteHook(RegisteredHook, BaseHook):
    """Turns the e-Suite Connection into the adapter's frozen config."""

    conn_name_attr = "esuite_conn_id"
    default_conn_name = "ketenbrug_esuite"
    plugin = "adapters.esuite.plugin"
    conn_type = "http"
    hook_name = "Ketenbrug e-Suite (StUF ZDS 1.2)"

    def __init__(self, esuite_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.esuite_conn_id = esuite_conn_id

    def get_config(self) -> EsuiteConfig:
        connection = self.get_connection(self.esuite_conn_id)
        extra = connection.extra_dejson
        scheme = connection.schema or "http"
        port = f":{connection.port}" if connection.port else ""
        path = str(extra.get("path", "/"))
        verify = extra.get("verify", True)
        return EsuiteConfig(
            url=f"{scheme}://{connection.host}{port}{path}",
            zender=_systeem(extra.get("zender"), "Ketenbrug"),
            ontvanger=_systeem(extra.get("ontvanger"), "e-Suite"),
            timeout_s=float(extra.get("timeout_s", DEFAULT_TIMEOUT_S)),
            verify=verify if isinstance(verify, bool) else str(verify),
            client_cert=extra.get("client_cert"),
            client_key=extra.get("client_key"),
            zgw_path=str(extra.get("zgw_path", DEFAULT_ZGW_PATH)),
            zgw_zaken_path=str(extra.get("zgw_zaken_path", DEFAULT_ZGW_ZAKEN_PATH)),
            zgw_catalogi_path=str(extra.get("zgw_catalogi_path", DEFAULT_ZGW_CATALOGI_PATH)),
            documenten_notificaties=extra.get("documenten_notificaties", False) is True,
            documenten_ronde_dagen=int(extra.get("documenten_ronde_dagen", DEFAULT_RONDE_DAGEN)),
        )

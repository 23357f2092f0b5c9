"""Airflow hook: the Airflow Connection ``ketenbrug_zgw`` as a :class:`ZgwConfig`.

The only module of this adapter that imports Airflow. Fields:

- host, port, schema (``http``/``https``): where the APIs are
- login / password: the ZGW ``client_id`` and its secret (the JWT is signed with it)
- extra ``zaken_api``, ``documenten_api``, ``catalogi_api``: each API's root, a path on that
  host or a full URL (defaults ``/zaken/api/v1``, ``/documenten/api/v1``, ``/catalogi/api/v1``)
- extra ``bronorganisatie`` (RSIN, required), ``verantwoordelijke_organisatie`` (RSIN,
  default the bronorganisatie), ``timeout_s``, ``informatieobjecttype`` (the fallback type's
  omschrijving, default ``Bijlage``), ``verify`` (CA bundle path or true)
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseHook

from adapters.hook_support import RegisteredHook
from adapters.zgw.config import DEFAULT_TIMEOUT_S, ZgwConfig

__all__ = ["ZgwHook"]

_ROOTS = {
    "zaken_api": "/zaken/api/v1",
    "documenten_api": "/documenten/api/v1",
    "catalogi_api": "/catalogi/api/v1",
}


def _root(base: str, value: Any) -> str:
    text = str(value).rstrip("/")
    return text if text.startswith(("http://", "https://")) else f"{base}{text}"


class ZgwHook(RegisteredHook, BaseHook):
    """Turns the ZGW Connection into the adapter's frozen config."""

    conn_name_attr = "zgw_conn_id"
    default_conn_name = "ketenbrug_zgw"
    plugin = "adapters.zgw.plugin"
    conn_type = "http"
    hook_name = "Ketenbrug ZGW API's (Zaken, Documenten, Catalogi)"

    def __init__(self, zgw_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.zgw_conn_id = zgw_conn_id

    def get_config(self) -> ZgwConfig:
        connection = self.get_connection(self.zgw_conn_id)
        extra = connection.extra_dejson
        port = f":{connection.port}" if connection.port else ""
        base = f"{connection.schema or 'https'}://{connection.host}{port}"
        roots = {key: _root(base, extra.get(key, default)) for key, default in _ROOTS.items()}
        bronorganisatie = str(extra.get("bronorganisatie", ""))
        verify = extra.get("verify", True)
        fallback = extra.get("informatieobjecttype", "Bijlage")
        return ZgwConfig(
            zaken_url=roots["zaken_api"],
            documenten_url=roots["documenten_api"],
            catalogi_url=roots["catalogi_api"],
            client_id=connection.login or "",
            secret=connection.password or "",
            bronorganisatie=bronorganisatie,
            verantwoordelijke_organisatie=str(
                extra.get("verantwoordelijke_organisatie", bronorganisatie)
            ),
            timeout_s=float(extra.get("timeout_s", DEFAULT_TIMEOUT_S)),
            informatieobjecttype=str(fallback) if fallback else None,
            verify=verify if isinstance(verify, bool) else str(verify),
        )

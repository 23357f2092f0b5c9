"""Airflow plugin: mounts Ketenbrug's beheer pages in the API server, with a menu entry.

Thin on purpose: everything but the Airflow glue lives in ``sync/beheer`` (tested without
Airflow). The glue is who the user is and what they may do, both decided by Airflow:

- the user: :func:`airflow.api_fastapi.core_api.security.get_user`, the same dependency the
  REST API uses (the ``_token`` JWT cookie the Airflow UI holds, or a Bearer token);
- viewing: the auth manager's ``is_authorized_custom_view(GET, "Ketenbrug beheer")``;
- acting (resend, skip, mappings, drift): ``is_authorized_custom_view(POST, ...)`` and
  ``is_authorized_dag(PUT, RUN)``: whoever may operate DAG runs may operate the flows. With
  the SimpleAuthManager that is role USER and up; VIEWER only looks.
"""

from __future__ import annotations

from datetime import datetime

from airflow.configuration import conf
from airflow.plugins_manager import AirflowPlugin
from fastapi import HTTPException
from starlette.requests import Request

from sync.beheer import AuthRefused, Beheerder, create_app
from sync.beheer.host import config_from_env
from sync.beheer.overzicht import PURGE_DAG

RESOURCE = "Ketenbrug beheer"
URL_PREFIX = "/beheer"


async def authenticate(request: Request) -> Beheerder:
    """The Airflow user of this request, or :class:`AuthRefused` (401 / 403)."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
    from airflow.api_fastapi.core_api.security import bearer_scheme, get_user

    try:
        user = await get_user(request, None, await bearer_scheme(request))
    except HTTPException as refused:
        raise AuthRefused(
            refused.status_code if refused.status_code in (401, 403) else 401,
            "Log in bij Airflow om Ketenbrug beheer te gebruiken.",
        ) from None
    manager = get_auth_manager()
    if not manager.is_authorized_custom_view(method="GET", resource_name=RESOURCE, user=user):
        raise AuthRefused(403, "Uw Airflow-rol geeft geen toegang tot Ketenbrug beheer.")
    may_operate = manager.is_authorized_custom_view(
        method="POST", resource_name=RESOURCE, user=user
    ) and manager.is_authorized_dag(method="PUT", access_entity=DagAccessEntity.RUN, user=user)
    return Beheerder(name=user.get_name(), may_operate=may_operate)


def last_purge() -> datetime | None:
    """End of the last successful run of the nightly purge, from Airflow's metadata database."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import func, select

    with create_session() as session:
        return session.scalar(
            select(func.max(DagRun.end_date)).where(
                DagRun.dag_id == PURGE_DAG, DagRun.state == "success"
            )
        )


app = create_app(
    config_from_env(
        authenticate,
        secret=conf.get("api", "secret_key", fallback="") or conf.get("api_auth", "jwt_secret"),
        login_url=f"/auth/login?next={URL_PREFIX}/",
        last_purge=last_purge,
    )
)


class KetenbrugBeheerPlugin(AirflowPlugin):
    name = "ketenbrug_beheer"
    fastapi_apps = [{"app": app, "url_prefix": URL_PREFIX, "name": "Ketenbrug beheer"}]
    external_views = [
        {
            "name": "Ketenbrug beheer",
            "href": f"{URL_PREFIX}/",
            "destination": "nav",
            "url_route": "ketenbrug-beheer",
            "nav_top_level": True,
        }
    ]

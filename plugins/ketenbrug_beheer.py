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

from collections.abc import Callable
from datetime import datetime
from typing import Any

from airflow.configuration import conf
from airflow.plugins_manager import AirflowPlugin
from fastapi import HTTPException
from starlette.requests import Request

from sync.beheer import AuthRefused, Beheerder, create_app
from sync.beheer.host import config_from_env
from sync.tenants import load_tenants

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


def last_purge(dag_id: str) -> Callable[[], datetime | None]:
    """End of the last successful run of a nightly purge DAG, from Airflow's database."""

    def ask() -> datetime | None:
        from airflow.models.dagrun import DagRun
        from airflow.utils.session import create_session
        from sqlalchemy import func, select

        with create_session() as session:
            return session.scalar(
                select(func.max(DagRun.end_date)).where(
                    DagRun.dag_id == dag_id, DagRun.state == "success"
                )
            )

    return ask


def _apps() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """One beheer app per municipality, each on its own state store (``sync.tenants``):
    ``/beheer`` for a single installation, ``/beheer/<code>`` with several."""
    secret = conf.get("api", "secret_key", fallback="") or conf.get("api_auth", "jwt_secret")
    apps: list[dict[str, Any]] = []
    views: list[dict[str, Any]] = []
    for tenant in load_tenants():
        prefix = tenant.suffixed(URL_PREFIX, "/")
        title = "Ketenbrug beheer" + ("" if tenant.is_default else f" {tenant.naam}")
        config = config_from_env(
            authenticate,
            secret=secret,
            login_url=f"/auth/login?next={prefix}/",
            last_purge=last_purge(tenant.dag_id("onderhoud")),
            tenant=tenant,
        )
        apps.append({"app": create_app(config), "url_prefix": prefix, "name": title})
        views.append(
            {
                "name": title,
                "href": f"{prefix}/",
                "destination": "nav",
                "url_route": tenant.suffixed("ketenbrug-beheer", "-"),
                "nav_top_level": True,
            }
        )
    return apps, views


APPS, VIEWS = _apps()


class KetenbrugBeheerPlugin(AirflowPlugin):
    name = "ketenbrug_beheer"
    fastapi_apps = APPS
    external_views = VIEWS

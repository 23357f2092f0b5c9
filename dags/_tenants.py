"""The municipalities this deployment serves, as the DAG files name them (issue #12).

Why: one deployment serves several municipalities (the DOWR: Deventer, Olst-Wijhe, Raalte), and
nothing of one may reach another's systems. So every DAG file builds one DAG per tenant, and
each DAG's ids, Assets, Connections and settings are its tenant's own: the DAG
``ketenbrug_zaken_deventer`` publishes ``ketenbrug://zaken/deventer`` and reads the Connection
``ketenbrug_esuite_deventer``.
The default tenant of a single-municipality installation keeps the names it always had. Pools
are not here: a system's limit holds across municipalities, so they stay per system.

Read at parse time (``KETENBRUG_TENANTS`` names a small JSON file). Not a DAG file (the leading
underscore): the DAG files import it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pendulum
from airflow.sdk import Asset, dag

from adapters.registry import AdapterRegistration
from sync.config import Settings, load_settings
from sync.tenants import Tenant, load_tenants

__all__ = ["START_DATE", "asset", "config", "settings", "tenant_dag", "tenants"]

START_DATE = pendulum.datetime(2026, 1, 1, tz="Europe/Amsterdam")


def tenants() -> tuple[Tenant, ...]:
    """The tenants to build DAGs for (``KETENBRUG_TENANTS``; else the default one)."""
    return load_tenants()


def asset(name: str, tenant: Tenant) -> Asset:
    """The tenant's own Asset: ``ketenbrug://zaken`` (default), ``ketenbrug://zaken/deventer``."""
    return Asset(tenant.suffixed(f"ketenbrug://{name}", "/"))


def tenant_dag(
    name: str,
    tenant: Tenant,
    *,
    schedule: Any,
    labels: Sequence[str],
    default_args: dict[str, Any],
    doc_md: str,
) -> Any:
    """``@tenant_dag(...)``: the tenant's DAG ``ketenbrug_<name>`` with what every Ketenbrug
    DAG shares (no catch-up, one run at a time). Its tags are ``ketenbrug``, ``labels`` and the
    tenant code (beheer filters one municipality); its description names the municipality."""
    return dag(
        dag_id=tenant.dag_id(name),
        schedule=schedule,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        tags=["ketenbrug", *labels, *([tenant.code] if tenant.code else [])],
        default_args=default_args,
        doc_md=doc_md if tenant.is_default else f"**{tenant.naam}**\n\n{doc_md}",
    )


def settings(tenant: Tenant) -> Settings:
    """The tenant's settings (home, state store, mappings); read inside a task."""
    return load_settings(tenant=tenant.code or None)


def config(registration: AdapterRegistration, tenant: Tenant) -> Any:
    """The system's config from the tenant's own Connection (``ketenbrug_esuite_deventer``)."""
    if registration.conn_id is None:
        raise LookupError(f"{registration.system}: geen Connection geregistreerd")
    return registration.config(tenant.conn_id(registration.conn_id))

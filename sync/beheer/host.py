"""Build the beheer app's configuration from Ketenbrug's settings (used by the Airflow plugin).

The keyed hash for BSN search uses ``KETENBRUG_BSN_HASH_KEY`` when set; otherwise a key
derived from the host's secret (the plugin passes Airflow's ``[api] secret_key``), so every
API-server worker computes the same hash.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable
from datetime import datetime

from sync.beheer.app import BeheerConfig
from sync.beheer.security import Authenticate
from sync.config import load_settings
from sync.store.db import Store, open_store
from sync.tenants import DEFAULT, Tenant

__all__ = ["config_from_env"]


def config_from_env(
    authenticate: Authenticate,
    *,
    secret: str,
    login_url: str,
    last_purge: Callable[[], datetime | None] | None = None,
    tenant: Tenant = DEFAULT,
) -> BeheerConfig:
    """The beheer app of one municipality: its own state store and mapping tables."""
    settings = load_settings(tenant=tenant.code or None)
    secret_bytes = hashlib.sha256(b"ketenbrug-beheer|" + secret.encode()).digest()
    key = os.environ.get("KETENBRUG_BSN_HASH_KEY", "")
    bsn_key = (
        key.encode() if key else hmac.new(secret_bytes, b"bsn-search", hashlib.sha256).digest()
    )

    def store() -> Store:
        return open_store(settings)

    return BeheerConfig(
        store=store,
        authenticate=authenticate,
        secret=secret_bytes,
        bsn_key=bsn_key,
        mappings_dir=settings.mappings_dir,
        login_url=login_url,
        last_purge=last_purge,
        purge_dag=tenant.dag_id("onderhoud"),
    )

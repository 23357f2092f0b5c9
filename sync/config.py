"""Where Ketenbrug keeps its state: one frozen settings object, read once from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sync.tenants import DEFAULT, Tenant, tenant_by_code

__all__ = ["DEFAULT_BATCH_SIZE", "DEFAULT_PARTITIONS", "Settings", "load_settings"]

DEFAULT_BATCH_SIZE = 500
DEFAULT_PARTITIONS = 4


@dataclass(frozen=True)
class Settings:
    """Settings of one Ketenbrug installation.

    ``home`` holds the embedded SQLite state store and working files. ``database_url`` points the
    state store elsewhere (PostgreSQL in production); it defaults to SQLite under ``home``.
    """

    home: Path
    database_url: str
    batch_size: int = DEFAULT_BATCH_SIZE
    partitions: int = DEFAULT_PARTITIONS
    mappings_dir: Path | None = None
    tenant: Tenant = DEFAULT


def load_settings(env: dict[str, str] | None = None, tenant: str | None = None) -> Settings:
    """Read settings from ``KETENBRUG_*`` environment variables, for one tenant.

    ``tenant`` (else ``KETENBRUG_TENANT``) names the municipality when the deployment serves
    several (``sync.tenants``): its home, state store and mapping tables are its own.
    """
    source = os.environ if env is None else env
    chosen = tenant_by_code(tenant or source.get("KETENBRUG_TENANT"), source)
    base = Path(source.get("KETENBRUG_HOME", str(Path.home() / ".ketenbrug"))).expanduser()
    home = chosen.home(base)
    url = chosen.database_url(source.get("KETENBRUG_DATABASE_URL") or None, home)
    mappings = source.get("KETENBRUG_MAPPINGS_DIR")
    return Settings(
        home=home,
        database_url=url,
        batch_size=int(source.get("KETENBRUG_BATCH_SIZE", DEFAULT_BATCH_SIZE)),
        partitions=int(source.get("KETENBRUG_PARTITIONS", DEFAULT_PARTITIONS)),
        mappings_dir=chosen.mappings_dir or (Path(mappings) if mappings else None),
        tenant=chosen,
    )

"""Tenants: the municipalities one Ketenbrug deployment serves (the DOWR: Deventer, Olst-Wijhe,
Raalte sharing one service), each kept apart from the others.

Why a tenant is a namespace, not a column: nothing of one municipality may reach another's
systems. Each tenant has its own state store and blob store (under ``KETENBRUG_HOME/tenants/
<code>``, or its own database through ``KETENBRUG_DATABASE_URL`` with ``{tenant}`` in it), its
own Airflow Connections (``ketenbrug_esuite_<code>``), its own mapping tables, its own numbering
(``<gemeentecode>KB…``) and its own DAG runs (``ketenbrug_zaken_<code>``). A question of one
tenant can therefore never read another's rows: there are none where it looks.

Without ``KETENBRUG_TENANTS`` there is one tenant, :data:`DEFAULT`, with the names and codes
Ketenbrug always had (Connections ``ketenbrug_esuite``, DAG ``ketenbrug_zaken``, numbers
``1900KB…``): a single-municipality installation changes nothing. ``KETENBRUG_TENANTS`` names
a JSON file::

    [{"code": "deventer", "naam": "Gemeente Deventer", "gemeentecode": "0150"},
     {"code": "raalte", "naam": "Gemeente Raalte", "gemeentecode": "0177",
      "mappings_dir": "/etc/ketenbrug/raalte/mappings"}]
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DEFAULT",
    "Tenant",
    "TenantError",
    "load_tenants",
    "split_dag_id",
    "tenant_by_code",
]

_CODE = re.compile(r"^[a-z][a-z0-9]{1,30}$")
_GEMEENTECODE = re.compile(r"^\d{4}$")


class TenantError(ValueError):
    """The tenants file is missing, unreadable or names a tenant twice."""


@dataclass(frozen=True)
class Tenant:
    """One municipality: its code (in names and paths), its name and its CBS gemeentecode.

    ``code`` empty is the default tenant of a single-municipality installation.
    """

    code: str
    naam: str
    gemeentecode: str
    mappings_dir: Path | None = None

    def __post_init__(self) -> None:
        if self.code and not _CODE.match(self.code):
            raise TenantError(
                f"tenantcode {self.code!r}: kleine letters en cijfers, 2 tot 31 tekens"
            )
        if not _GEMEENTECODE.match(self.gemeentecode):
            raise TenantError(f"tenant {self.code!r}: gemeentecode moet 4 cijfers zijn")

    @property
    def is_default(self) -> bool:
        return not self.code

    def suffixed(self, name: str, separator: str = "_") -> str:
        """``name`` for this tenant: ``ketenbrug_esuite_deventer`` (the default: unchanged)."""
        return name if self.is_default else f"{name}{separator}{self.code}"

    def dag_id(self, name: str) -> str:
        """This tenant's DAG of a flow: ``ketenbrug_zaken_deventer`` (default unchanged)."""
        return self.suffixed(f"ketenbrug_{name}")

    def conn_id(self, base: str) -> str:
        """This tenant's Airflow Connection for a system whose registration names ``base``."""
        return self.suffixed(base)

    def home(self, base: Path) -> Path:
        """Where this tenant's state and blobs live under ``KETENBRUG_HOME``."""
        return base if self.is_default else base / "tenants" / self.code

    def database_url(self, template: str | None, home: Path) -> str:
        """This tenant's state store: ``template`` with ``{tenant}`` filled in, else SQLite in
        the tenant's home. A shared URL without ``{tenant}`` is refused for a named tenant:
        two municipalities never share one store by accident."""
        if template is None:
            return f"sqlite:///{home / 'ketenbrug.db'}"
        if self.is_default:
            return template.replace("{tenant}", "ketenbrug")
        if "{tenant}" not in template:
            raise TenantError(
                "KETENBRUG_DATABASE_URL moet {tenant} bevatten als er meer gemeenten zijn "
                "(bijvoorbeeld postgresql://ketenbrug@db/ketenbrug_{tenant})"
            )
        return template.replace("{tenant}", self.code)

    @property
    def zaak_number_prefix(self) -> str:
        """Ketenbrug's zaak identificaties for this tenant: ``<gemeentecode>KB``."""
        return f"{self.gemeentecode}KB"

    @property
    def document_number_prefix(self) -> str:
        return f"{self.gemeentecode}KBD"


#: A single-municipality installation: the names and codes Ketenbrug always had.
DEFAULT = Tenant(code="", naam="Ketenbrug", gemeentecode="1900")


def load_tenants(env: Mapping[str, str] | None = None) -> tuple[Tenant, ...]:
    """The tenants this deployment serves (``KETENBRUG_TENANTS``), else the default one."""
    source = os.environ if env is None else env
    path = source.get("KETENBRUG_TENANTS", "").strip()
    if not path:
        return (DEFAULT,)
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TenantError(f"KETENBRUG_TENANTS {path}: niet te lezen ({exc})") from exc
    if not isinstance(raw, list) or not raw:
        raise TenantError(f"KETENBRUG_TENANTS {path}: verwacht een lijst van gemeenten")
    tenants: list[Tenant] = []
    for entry in raw:
        if not isinstance(entry, dict) or not entry.get("code"):
            raise TenantError(f"KETENBRUG_TENANTS {path}: elke gemeente heeft een code")
        mappings = entry.get("mappings_dir")
        tenants.append(
            Tenant(
                code=str(entry["code"]),
                naam=str(entry.get("naam") or entry["code"]),
                gemeentecode=str(entry.get("gemeentecode", "")),
                mappings_dir=Path(mappings) if mappings else None,
            )
        )
    for field in ("code", "gemeentecode"):
        values = [getattr(tenant, field) for tenant in tenants]
        if len(set(values)) != len(values):
            raise TenantError(f"KETENBRUG_TENANTS {path}: een {field} staat er twee keer in")
    return tuple(tenants)


def tenant_by_code(code: str | None, env: Mapping[str, str] | None = None) -> Tenant:
    """The tenant named ``code`` (None or empty: the only or default one)."""
    tenants = load_tenants(env)
    if not code:
        if len(tenants) != 1:
            raise TenantError("meerdere gemeenten ingesteld: noem de gemeente (tenant)")
        return tenants[0]
    for tenant in tenants:
        if tenant.code == code:
            return tenant
    raise TenantError(f"gemeente {code!r} staat niet in KETENBRUG_TENANTS")


def split_dag_id(dag_id: str, tenants: tuple[Tenant, ...] | None = None) -> tuple[str, Tenant]:
    """``ketenbrug_zaken_deventer`` -> (``zaken``, Deventer); ``ketenbrug_zaken`` -> the default.

    The run notes and the notifier find the tenant's state store this way, from the DAG run.
    """
    name = dag_id.removeprefix("ketenbrug_")
    for tenant in tenants if tenants is not None else load_tenants():
        if tenant.is_default:
            return name, tenant
        if name.endswith(f"_{tenant.code}"):
            return name.removesuffix(f"_{tenant.code}"), tenant
    raise TenantError(f"DAG {dag_id}: geen gemeente uit KETENBRUG_TENANTS")

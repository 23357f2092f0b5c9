"""The adapter registry: every system Ketenbrug talks to, declared once by its own package.

Why: the runners, the DAGs' task lists, the Airflow pools, the demo and the contract test kit
must agree on which systems exist, and adding a system should be a one-folder job. Each adapter
package has a ``plugin.py`` whose ``REGISTRATION`` says: the system's name, its Airflow pool and
slots, its hook, its Source and Target factories per flow, its mapping tables, and (by dotted
name, never imported by production code) its simulator and contract harness.

This module imports no adapter at import time (the DAG files read it while being parsed):
registrations are plain data, and every factory is named ``"package.module:attribute"`` and
loaded with :func:`load` only when a task runs.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal, Protocol

from adapters.base import Target

__all__ = [
    "BUILTIN",
    "AdapterRegistration",
    "BuiltTarget",
    "Pool",
    "SourceContext",
    "SourceSpec",
    "TargetContext",
    "cursor_sources",
    "flow_pool",
    "get",
    "in_play",
    "load",
    "pools",
    "registrations",
    "role_system",
    "role_systems",
    "sources_for",
    "targets_for",
]

#: The registry lines: one per adapter package (``ketenbrug new-adapter`` adds the next one).
BUILTIN: tuple[str, ...] = (
    "adapters.esuite.plugin",
    "adapters.gws4all.plugin",
    "adapters.allegro.plugin",
    "adapters.xtendis.plugin",
    "adapters.mylex.plugin",
    "adapters.zgw.plugin",
    # new adapters above this line
)


@dataclass(frozen=True)
class Pool:
    """The Airflow pool that caps parallel calls to one system, across all DAGs."""

    name: str
    slots: int
    description: str


@dataclass(frozen=True)
class SourceSpec:
    """How a flow reads from this system.

    ``kind="inbox"``: the system pushes into Ketenbrug's inbox (one mapped task per partition);
    ``kind="cursor"``: a task reads batches after a cursor from ``factory(config, context)``.
    ``optional``: the task is skipped when the system's Connection is missing (not linked).
    ``runs_last``: the task waits for the flow's other sources (it reads what they linked).
    """

    flow: str
    kind: Literal["inbox", "cursor"] = "cursor"
    factory: str | None = None
    keeps_cursor: bool = True
    optional: bool = False
    runs_last: bool = False


@dataclass
class SourceContext:
    """What a source factory may use besides its config (the engine's targets, blobs, store)."""

    settings: Any
    store: Any
    blob_root: Any
    targets: Mapping[str, Target]


@dataclass
class TargetContext:
    """What a target factory may use besides its config.

    ``dossier_bsn``: a zaak identificatie to its client's BSN, read from the systems of record
    (every ``AdapterRegistration.bsn_lookup`` in play, the zaaksysteem first, then the others
    by name: ``sync.tasks.flow.compose_dossier_bsn``) when a target needs it; never stored.
    """

    settings: Any
    dossier_bsn: Callable[[str | None], str] | None = None


@dataclass
class BuiltTarget:
    """A target and what must be closed after the task."""

    target: Target
    closers: list[Callable[[], None]] = field(default_factory=list)


class TargetFactory(Protocol):
    def __call__(self, config: Any, context: TargetContext) -> BuiltTarget: ...


@dataclass(frozen=True)
class AdapterRegistration:
    """One system, as its adapter package declares it (``adapters/<name>/plugin.py``)."""

    system: str
    title: str
    pool: Pool
    hook: str | None = None  # "adapters.x.hook:XHook": Connection -> config
    conn_id: str | None = None
    sources: tuple[SourceSpec, ...] = ()
    targets: Mapping[str, str] = field(default_factory=dict)  # flow -> target factory
    mapping_tables: tuple[str, ...] = ()
    probe: str | None = None  # (config) -> None: the hook's test_connection
    bsn_lookup: str | None = None  # (config) -> (DossierBsn, close): it holds clients' BSNs
    simulator: str | None = None  # dotted name in simulators/ (tests and demo only)
    contract: str | None = None  # dotted name of the contract harness (tests only)
    roles: tuple[str, ...] = ()  # the parts it can play in a flow (adapters.roles)
    ui_behaviour: Mapping[str, Any] = field(default_factory=dict)

    def source(self, flow: str) -> SourceSpec | None:
        return next((spec for spec in self.sources if spec.flow == flow), None)

    def source_spec(self, flow: str) -> SourceSpec:
        """How ``flow`` reads this system; LookupError when it does not."""
        spec = self.source(flow)
        if spec is None:
            raise LookupError(f"{self.system} is geen bron van de {flow}-flow")
        return spec

    def hook_class(self) -> Any:
        if self.hook is None:
            raise LookupError(f"{self.system}: geen hook geregistreerd")
        return load(self.hook)

    def config(self, conn_id: str | None = None) -> Any:
        """The system's config from its Airflow Connection (only inside a task).

        ``conn_id``: another Connection than the registered one (a tenant's own,
        ``ketenbrug_esuite_deventer``); every hook takes its Connection id first.
        """
        hook = self.hook_class()
        return (hook(conn_id) if conn_id else hook()).get_config()


def load(dotted: str) -> Any:
    """``"package.module:attribute"`` -> the attribute (imported now, not at registry import)."""
    module_name, _, attribute = dotted.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module


@cache
def _registered(modules: tuple[str, ...]) -> dict[str, AdapterRegistration]:
    found: dict[str, AdapterRegistration] = {}
    for name in modules:
        registration = importlib.import_module(name).REGISTRATION
        if not isinstance(registration, AdapterRegistration):
            raise TypeError(f"{name}.REGISTRATION is geen AdapterRegistration")
        if registration.system in found:
            raise ValueError(f"systeem {registration.system!r} is twee keer geregistreerd")
        found[registration.system] = registration
    return found


def registrations(modules: tuple[str, ...] | None = None) -> dict[str, AdapterRegistration]:
    """Every registered system by name, in registry order (``modules``: else ``BUILTIN``)."""
    return dict(_registered(BUILTIN if modules is None else modules))


def get(system: str) -> AdapterRegistration:
    try:
        return _registered(BUILTIN)[system]
    except KeyError:
        raise LookupError(f"systeem {system!r} staat niet in de adapterregistry") from None


def role_systems(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Which system plays each part in this deployment.

    ``KETENBRUG_ROL_<PART>`` names it (``KETENBRUG_ROL_ZAAKSYSTEEM=zgw``); without it, the
    first registered system that can play the part does. Read from the environment because
    the DAG files need it while Airflow parses them, before any task runs.
    """
    environ = os.environ if environ is None else environ
    chosen: dict[str, str] = {}
    for registration in _registered(BUILTIN).values():
        for role in registration.roles:
            chosen.setdefault(role, registration.system)
    for role in chosen:
        named = environ.get(f"KETENBRUG_ROL_{role.upper()}", "").strip()
        if not named:
            continue
        holder = _registered(BUILTIN).get(named)
        if holder is None or role not in holder.roles:
            raise LookupError(
                f"KETENBRUG_ROL_{role.upper()}={named}: dat systeem kan geen {role} zijn"
            )
        chosen[role] = named
    return chosen


def role_system(role: str) -> str:
    """The system that plays ``role`` (``adapters.roles``) in this deployment."""
    try:
        return role_systems()[role]
    except KeyError:
        raise LookupError(f"geen systeem geregistreerd dat {role} kan zijn") from None


def targets_for(flow: str) -> list[AdapterRegistration]:
    """The systems the flow writes to: its registered targets, less those whose part in this
    deployment another system plays (the e-Suite when a ZGW zaaksysteem was chosen)."""
    return [r for r in _registered(BUILTIN).values() if flow in r.targets and in_play(r)]


def in_play(registration: AdapterRegistration) -> bool:
    """Does this system play its parts here (no other system was chosen for one of them)?"""
    chosen = role_systems()
    return all(chosen[role] == registration.system for role in registration.roles)


def sources_for(flow: str) -> list[AdapterRegistration]:
    """The systems the flow reads from (a system whose part another plays takes no part)."""
    return [r for r in _registered(BUILTIN).values() if r.source(flow) is not None and in_play(r)]


def cursor_sources(flow: str) -> list[tuple[AdapterRegistration, SourceSpec]]:
    """The flow's sources read after a cursor (one task each), in registry order."""
    return [
        (r, r.source_spec(flow)) for r in sources_for(flow) if r.source_spec(flow).kind == "cursor"
    ]


def pools() -> dict[str, Pool]:
    """One pool per registered system (the name a task names in ``pool=``)."""
    return {r.pool.name: r.pool for r in _registered(BUILTIN).values()}


def flow_pool(flow: str, *systems: str) -> str:
    """The pool of a task that talks to ``systems`` and the flow's targets.

    Airflow runs a task in one pool only, so a task talking to several systems runs in the
    scarcest one (fewest slots; on a tie, the first in registry order): it can never exceed
    that system's limit, and the roomier systems stay under theirs because the same tasks are
    capped there first.
    """
    involved = [get(system) for system in systems] + targets_for(flow)
    if not involved:
        raise LookupError(f"flow {flow!r}: geen systemen geregistreerd")
    order = list(_registered(BUILTIN))
    scarcest = min(involved, key=lambda r: (r.pool.slots, order.index(r.system)))
    return scarcest.pool.name


def iter_contract(modules: tuple[str, ...] | None = None) -> Iterator[AdapterRegistration]:
    """The registrations that name a contract harness (what the contract kit runs over)."""
    return (r for r in registrations(modules).values() if r.contract)

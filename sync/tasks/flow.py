"""What every flow's tasks do: build the engine from the adapter registry, then drain one inbox
partition or one registered source within a time budget, or perform the resends beheer asked.

A task instance handles one partition (or source) and as many batches as fit in its budget, so
the number of Airflow task instances grows with partitions and batches, never with records.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from adapters import registry
from adapters.base import Target
from adapters.dossier import DossierBsn
from adapters.registry import SourceContext, TargetContext
from adapters.roles import ZAAKSYSTEEM
from mappings import load_tables
from sync.config import Settings, load_settings
from sync.drain import (
    DEFAULT_BUDGET_S,
    PartitionResult,
    close_source,
    counts_text,
    cursor_batches,
    drain,
    drain_inbox,
)
from sync.engine import Engine, Flow, RetryPolicy
from sync.inbox import InboxSource
from sync.resend import resend_requested
from sync.store.db import Store, open_store

__all__ = [
    "FlowKind",
    "FlowTargets",
    "compose_dossier_bsn",
    "flow_engine",
    "flow_kind",
    "flow_targets",
    "run_partition",
    "run_resends",
    "run_source",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FlowKind:
    """A flow as its tasks need it: its name, how to make it, and the inbox messages it drains."""

    name: str
    make: Callable[[], Flow]
    inbox_functions: tuple[str, ...]


def flow_kind(flow: str) -> FlowKind:
    """The flow by name: ``sync.tasks.<flow>`` defines it as ``<FLOW>`` (``ZAKEN``)."""
    kind = getattr(importlib.import_module(f"sync.tasks.{flow}"), flow.upper())
    if not isinstance(kind, FlowKind):
        raise LookupError(f"sync.tasks.{flow}.{flow.upper()} is geen FlowKind")
    return kind


@dataclass
class FlowTargets:
    """A flow's targets, built from the adapter registry, and what to close after the task."""

    targets: dict[str, Target]
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for close in self.closers:
            try:
                close()
            except Exception:  # closing must not hide the task's own outcome
                log.warning("afsluiten van een verbinding mislukt", exc_info=True)


def flow_targets(
    flow: str, configs: Mapping[str, object], settings: Settings | None = None
) -> FlowTargets:
    """Every target of ``flow`` in this deployment, built by its adapter's factory.

    ``configs`` has each target's config by system name. A target that needs a client's BSN
    (Xtendis) gets one lookup over every system in play with a ``bsn_lookup`` whose config is
    given (:func:`compose_dossier_bsn`): the zaaksysteem, and Allegro for its debt-help dossiers.
    """
    built = FlowTargets({})
    dossier_bsn, built.closers = compose_dossier_bsn(configs)
    context = TargetContext(settings=settings, dossier_bsn=dossier_bsn)
    try:
        for registration in registry.targets_for(flow):
            if registration.system not in configs:
                raise TypeError(f"{flow}: geen config voor doelsysteem {registration.system!r}")
            factory = registry.load(registration.targets[flow])
            target = factory(configs[registration.system], context)
            built.targets[registration.system] = target.target
            built.closers[:0] = target.closers  # targets close before the BSN lookup's client
    except BaseException:
        built.close()
        raise
    return built


def compose_dossier_bsn(
    configs: Mapping[str, object],
) -> tuple[Callable[[str | None], str] | None, list[Callable[[], None]]]:
    """One BSN lookup over every system in play with a ``bsn_lookup`` whose config is given,
    and the closers of their clients.

    Asked in a fixed order, the zaaksysteem first, then the others by system name, and the
    first BSN found answers: a zaak the zaaksysteem knows is never looked up elsewhere, and a
    debt-help dossier functiescheiding keeps out of it is found in Allegro. An error of one
    system (its service down) is not skipped: the answer would then depend on who was up.
    None of them knowing the zaak is one refusal naming every place asked; never the BSN.
    """
    holders = sorted(
        (
            holder
            for holder in registry.registrations().values()
            if holder.bsn_lookup and holder.system in configs and registry.in_play(holder)
        ),
        key=lambda holder: (ZAAKSYSTEEM not in holder.roles, holder.system),
    )
    lookups: list[tuple[Callable[[str], str | None], str]] = []
    closers: list[Callable[[], None]] = []
    try:
        for holder in holders:
            lookup, close = registry.load(str(holder.bsn_lookup))(configs[holder.system])
            closers.insert(0, close)
            if len(holders) == 1:
                return lookup, closers
            if isinstance(lookup, DossierBsn):  # ask its source, not its refusal
                lookups.append((lookup.read, lookup.where))
            else:
                lookups.append((lookup, holder.title))
    except BaseException:
        FlowTargets({}, closers).close()
        raise
    if not lookups:
        return None, closers

    def read(zaak_identificatie: str) -> str | None:
        for ask, _where in lookups:
            if bsn := ask(zaak_identificatie):
                return bsn
        return None

    wheres = [where for _ask, where in lookups]
    where = " en ".join((", ".join(wheres[:-1]), wheres[-1]))
    return DossierBsn(read, where), closers


@contextmanager
def flow_engine(
    kind: FlowKind,
    settings: Settings,
    store: Store | None,
    configs: Mapping[str, object],
    retry: RetryPolicy | None,
    *,
    migrate: bool = False,
) -> Iterator[tuple[Engine, Store]]:
    """The flow's engine over its registered targets, and the store (opened here if not given).

    Only the DAG's first task migrates the store (``migrate``); the others share its schema.
    """
    own_store = store is None
    store = store or open_store(settings, migrate=migrate)
    try:
        targets = flow_targets(kind.name, configs, settings)
        try:
            tables = load_tables(settings.mappings_dir)
            yield Engine(store, kind.make(), targets.targets, tables, retry=retry), store
        finally:
            targets.close()
    finally:
        if own_store:
            store.dispose()


def run_partition(
    kind: FlowKind,
    partition: int,
    *,
    settings: Settings | None = None,
    store: Store | None = None,
    budget_s: float = DEFAULT_BUDGET_S,
    retry: RetryPolicy | None = None,
    run_ref: str | None = None,
    **configs: object,
) -> PartitionResult:
    """Drain one inbox partition of the flow into its targets (``configs`` by system name)."""
    settings = settings or load_settings()
    with flow_engine(kind, settings, store, configs, retry) as (engine, store):
        source = InboxSource(
            store,
            flow=kind.name,
            functions=kind.inbox_functions,
            partition=partition,
            partitions=settings.partitions,
        )
        total, count = drain_inbox(
            engine,
            store,
            source,
            batch_size=settings.batch_size,
            budget_s=budget_s,
            run_ref=run_ref,
        )
    log.info(
        "%s partitie %s: %s werkpakket(ten), %s", kind.name, partition, count, counts_text(total)
    )
    return PartitionResult(kind.name, partition, count, total)


def run_source(
    kind: FlowKind,
    system: str,
    *,
    settings: Settings | None = None,
    store: Store | None = None,
    budget_s: float = DEFAULT_BUDGET_S,
    retry: RetryPolicy | None = None,
    run_ref: str | None = None,
    **configs: object,
) -> PartitionResult:
    """Read a registered cursor source of the flow into the flow's targets.

    ``configs`` holds the targets' configs and, under ``system``, the source's own (a source
    that is also a target, the e-Suite, shares it; one that holds BSNs, Allegro, also serves
    the BSN lookup).
    """
    settings = settings or load_settings()
    spec = registry.get(system).source_spec(kind.name)
    if spec.factory is None:
        raise LookupError(f"{system}: geen bronfactory voor de {kind.name}-flow")
    target_names = {r.system for r in registry.targets_for(kind.name)}
    target_names |= {r.system for r in registry.registrations().values() if r.bsn_lookup}
    target_configs = {name: config for name, config in configs.items() if name in target_names}
    with flow_engine(kind, settings, store, target_configs, retry) as (engine, store):
        context = SourceContext(settings, store, settings.home / "blobs", engine.targets)
        source = registry.load(spec.factory)(configs[system], context)
        try:
            batches = cursor_batches(
                engine, source, settings.batch_size, keeps_cursor=spec.keeps_cursor
            )
            total, count = drain(
                engine, store, source.system, batches, budget_s=budget_s, run_ref=run_ref
            )
        finally:
            close_source(source)  # a source with its own session (SFTP)
    return PartitionResult(kind.name, -1, count, total)


def run_resends(
    kind: FlowKind,
    *,
    settings: Settings | None = None,
    store: Store | None = None,
    retry: RetryPolicy | None = None,
    **configs: object,
) -> dict[str, object]:
    """Perform the resends beheer asked for in this flow (claimed once, delivered once).

    The first task of the flow's DAG: it brings the store's schema up to date.
    """
    settings = settings or load_settings()
    with flow_engine(kind, settings, store, configs, retry, migrate=True) as (engine, store):
        return resend_requested(store, engine, kind.inbox_functions)

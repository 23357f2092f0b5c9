"""Task entry point of the migration MyLex → new archive (``sync.migratie``).

The new archive is whatever plays the zaaksysteem here (the e-Suite, or a ZGW API): its
registration's zaken target creates a client's historisch dossier zaak, its documenten target
takes the document. One combined target serves both, so the engine sees one system.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from adapters import registry
from adapters.base import Operation, Target
from adapters.mylex.client import MyLexClient
from adapters.mylex.config import MyLexConfig
from adapters.registry import TargetContext
from adapters.roles import ZAAKSYSTEEM
from mappings import load_tables
from mappings.tables import DEFAULT_DIR
from sync.config import Settings, load_settings
from sync.drain import finish_run, start_run
from sync.engine import BatchOutcome, Engine, RetryPolicy
from sync.migratie import (
    FLOW_NAME,
    Budget,
    MigratieFlow,
    MigratieResult,
    RouteCheck,
    load_migratie,
    migratie_source,
    migreer,
    resend_loader,
)
from sync.resend import perform_resends
from sync.store.db import Store, open_store
from sync.store.models import utcnow
from sync.tasks.documenten import blob_store

__all__ = ["budget_from_env", "run_migratie", "run_migratie_resends", "zaaksysteem_allowed"]

_ZAAK_OPERATIONS = ("creeer_zaak", "update_zaak", "actualiseer_zaakstatus")


class _Zaaksysteem:
    """The zaaksysteem's zaken and documenten targets as one target (by operation name)."""

    def __init__(self, system: str, zaken: Target, documenten: Target) -> None:
        self.system = system
        self._zaken, self._documenten = zaken, documenten

    def _for(self, operation: Operation) -> Target:
        return self._zaken if operation.name in _ZAAK_OPERATIONS else self._documenten

    def apply(self, operation: Operation) -> None:
        self._for(operation).apply(operation)

    def is_applied(self, operation: Operation) -> bool:
        return self._for(operation).is_applied(operation)


def budget_from_env(environ: Mapping[str, str] | None = None) -> Budget:
    """``KETENBRUG_MIGRATIE_DOCUMENTEN`` and ``KETENBRUG_MIGRATIE_MB`` (per night)."""
    env = os.environ if environ is None else environ
    default = Budget()
    return Budget(
        documenten=int(env.get("KETENBRUG_MIGRATIE_DOCUMENTEN", default.documenten)),
        megabytes=int(env.get("KETENBRUG_MIGRATIE_MB", default.megabytes)),
    )


def zaaksysteem_allowed(settings: Settings) -> RouteCheck:
    """Functiescheiding: may a zaaktype's old documents enter the zaaksysteem?"""
    from mappings.zaaktype_routering import load_zaaktype_routering

    routering = load_zaaktype_routering(settings.mappings_dir or DEFAULT_DIR)

    def allowed(zaaktype: str | None) -> bool:
        return bool(routering.route(zaaktype, "mylex").zaaksysteem)

    return allowed


@dataclass
class _Opened:
    """What a migration task works with, opened once and closed after."""

    settings: Settings
    store: Store
    engine: Engine
    client: MyLexClient
    allowed: RouteCheck


@contextmanager
def _opened(
    zaaksysteem_config: object,
    mylex: MyLexConfig,
    settings: Settings | None,
    store: Store | None,
    retry: RetryPolicy | None,
    allowed: RouteCheck | None,
) -> Iterator[_Opened]:
    settings = settings or load_settings()
    own_store = store is None
    store = store or open_store(settings)
    system = registry.role_system(ZAAKSYSTEEM)
    registration = registry.get(system)
    context = TargetContext(settings=settings)
    closers: list[Callable[[], None]] = []
    client = MyLexClient(mylex)
    try:
        built = {
            flow: registry.load(registration.targets[flow])(zaaksysteem_config, context)
            for flow in ("zaken", "documenten")
        }
        for part in built.values():
            closers.extend(part.closers)
        target = _Zaaksysteem(system, built["zaken"].target, built["documenten"].target)
        mappings_dir = settings.mappings_dir or DEFAULT_DIR
        engine = Engine(
            store,
            MigratieFlow(system, load_migratie(mappings_dir)),
            {system: target},
            load_tables(settings.mappings_dir),
            retry=retry,
        )
        yield _Opened(settings, store, engine, client, allowed or zaaksysteem_allowed(settings))
    finally:
        for close in reversed(closers):
            close()
        client.close()
        if own_store:
            store.dispose()


def run_migratie(
    *,
    zaaksysteem_config: object,
    mylex: MyLexConfig,
    settings: Settings | None = None,
    store: Store | None = None,
    retry: RetryPolicy | None = None,
    run_ref: str | None = None,
    budget: Budget | None = None,
    allowed: RouteCheck | None = None,
) -> dict[str, object]:
    """One night's share of the migration; returns the counts and the summary for the XCom."""
    with _opened(zaaksysteem_config, mylex, settings, store, retry, allowed) as opened:
        ref = run_ref or f"handmatig:{utcnow():%Y%m%dT%H%M%S}"
        run_id = start_run(opened.store, "mylex", ref, flow=FLOW_NAME)
        result: MigratieResult | None = None
        error: str | None = None
        try:
            result = migreer(
                opened.store,
                opened.engine,
                opened.client,
                blob_store(opened.settings),
                allowed=opened.allowed,
                budget=budget or budget_from_env(),
                retry=retry,
            )
            return result.as_dict()
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            outcome = result.outcome if result is not None else BatchOutcome()
            if result is not None:
                outcome.read = result.gemigreerd + outcome.dead_lettered + outcome.deferred
            finish_run(opened.store, run_id, outcome, error)


def run_migratie_resends(
    *,
    zaaksysteem_config: object,
    mylex: MyLexConfig,
    settings: Settings | None = None,
    store: Store | None = None,
    retry: RetryPolicy | None = None,
    allowed: RouteCheck | None = None,
) -> dict[str, object]:
    """The migration's dead letters beheer asked to resend, read again from MyLex and written."""
    with _opened(zaaksysteem_config, mylex, settings, store, retry, allowed) as opened:
        return perform_resends(
            opened.store,
            opened.engine,
            resend_loader(
                opened.store,
                lambda: migratie_source(
                    opened.store,
                    opened.engine,
                    opened.client,
                    blob_store(opened.settings),
                    opened.allowed,
                    retry,
                ),
            ),
        )

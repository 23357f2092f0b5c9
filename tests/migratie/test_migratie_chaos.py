"""The chaos run covering the migration MyLex → e-Suite: kills, faults and two runs at once.

Whatever happens to a migration run (killed at any of the engine's crash points, its e-Suite
answers lost or refused, a second run beside it), rerunning it until done leaves every old
document in the e-Suite exactly once, with its bytes and under its zaak, each client's
historisch dossier created once, and every drift item ``gemigreerd``. "Exactly once" is counted
at the simulator: its call counters see every voegZaakdocumentToe and creeerZaak it processed,
so a second write (even one the e-Suite refuses as "bestaat al") shows up.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from adapters.base import Operation
from adapters.document import VOEG_ZAAKDOCUMENT_TOE
from adapters.errors import TransientError
from adapters.esuite.config import EsuiteConfig
from adapters.mylex import MyLexConfig
from simulators.mylex import MyLexArchive
from simulators.testing import SimulatorHandle
from stuf import Systeem, Zaak
from sync.archief import run_archief_reconciliatie
from sync.config import Settings, load_settings
from sync.engine import RetryPolicy
from sync.failpoints import CRASH_EXIT_CODE
from sync.identity import IdentityMap
from sync.migratie import Budget, voortgang
from sync.reconcile import DriftKind
from sync.store.db import Store
from sync.store.models import DeadLetter, DriftItemRow, DriftState
from sync.tasks import migratie as migratie_task
from sync.tasks.migratie import run_migratie
from tests.adapters_mylex.conftest import MakeConfig
from tests.migratie.crash_worker import SCHULDHULP

ROOT = Path(__file__).resolve().parents[2]
FAST = RetryPolicy(attempts=3, wait_base_s=0.01, wait_max_s=0.02)
KNOWN = "0153Z-OUD-1"  # a zaak the e-Suite knows (it came from GWS4all)
CLIENTS = {"K000123": 3, "K000456": 2}
#: Per identificatie: (sha256, the zaak it must end up under).
Expected = dict[str, tuple[str, str]]


@pytest.fixture
def settings(tmp_path: Path, store: Store) -> Settings:
    return load_settings({"KETENBRUG_HOME": str(tmp_path), "KETENBRUG_DATABASE_URL": store.url})


@pytest.fixture
def esuite_config(esuite: SimulatorHandle) -> EsuiteConfig:
    return EsuiteConfig(
        url=esuite.url + "/",
        zender=Systeem("1900", "Ketenbrug"),
        ontvanger=Systeem("0153", "e-Suite"),
        timeout_s=5.0,
    )


def _seed(
    esuite: SimulatorHandle,
    archive: MyLexArchive,
    make_config: MakeConfig,
    esuite_config: EsuiteConfig,
    settings: Settings,
    store: Store,
) -> tuple[MyLexConfig, Expected]:
    """Eight old documents (three of a known zaak, five of two clients), reconciled."""
    esuite.store.create_zaak(Zaak(KNOWN, "B1026", startdatum=date(2016, 1, 4)))
    with store.session() as session:
        IdentityMap(session).link("zaak", "gws4all", KNOWN, "esuite", KNOWN)
    expected: Expected = {}
    for _ in range(3):
        doc = archive.add_old_document(year=2016, zaak=KNOWN)
        expected[doc.identificatie] = (doc.sha256, KNOWN)
    for client, count in CLIENTS.items():
        for _ in range(count):
            doc = archive.add_old_document(year=2012, client=client)
            expected[doc.identificatie] = (doc.sha256, f"HD-{client}")
    config = make_config()
    found = run_archief_reconciliatie(
        esuite=esuite_config, mylex=config, settings=settings, store=store, repair=False
    )
    assert found["ontbreekt_in_nieuw_archief"] == len(expected)
    return config, expected


def _migrate(
    esuite_config: EsuiteConfig, config: MyLexConfig, settings: Settings, store: Store
) -> dict[str, object]:
    return run_migratie(
        zaaksysteem_config=esuite_config,
        mylex=config,
        settings=settings,
        store=store,
        retry=FAST,
        budget=Budget(documenten=100),
        allowed=lambda zaaktype: zaaktype not in SCHULDHULP,
    )


def _until_done(
    esuite_config: EsuiteConfig, config: MyLexConfig, settings: Settings, store: Store, *, runs: int
) -> int:
    """Rerun the migration until nothing is left (a run stuck on faults raises: next night)."""
    for night in range(1, runs + 1):
        with contextlib.suppress(TransientError):
            _migrate(esuite_config, config, settings, store)
        if voortgang(store).te_gaan == 0:
            return night
    raise AssertionError(f"after {runs} runs still {voortgang(store)}")


def _assert_exactly_once(esuite: SimulatorHandle, store: Store, expected: Expected) -> None:
    snapshot = esuite.store.snapshot()
    held = {
        identificatie: (document["sha256"], document["zaak"])
        for identificatie, document in snapshot["documenten"].items()
    }
    assert held == expected, "each document once, with its bytes, under its zaak"
    calls = esuite.store.counts()["calls"]
    assert calls.get("VoegZaakdocumentToe") == len(expected), f"a second write: {calls}"
    assert calls.get("CreeerZaak") == len(CLIENTS), f"a historisch dossier twice: {calls}"
    for client, count in CLIENTS.items():
        assert len(snapshot["zaken"][f"HD-{client}"]["documenten"]) == count
    assert len(snapshot["zaken"][KNOWN]["documenten"]) == 3
    with store.session() as session:
        states = session.scalars(
            select(DriftItemRow.state).where(DriftItemRow.kind == DriftKind.MISSING_IN_RIGHT.name)
        ).all()
        letters = session.scalars(select(DeadLetter).where(DeadLetter.flow == "migratie")).all()
    assert sorted(states) == [DriftState.GEMIGREERD] * len(expected)
    assert letters == []
    left = voortgang(store)
    assert (left.gemigreerd, left.te_gaan, left.wacht_op_beheer) == (len(expected), 0, 0)


# -- (a) killed at each crash point, then rerun ----------------------------------------------
@pytest.mark.parametrize(
    "point",
    [
        "after_intent",  # intent committed, nothing written
        "before_target_write:4",  # three writes landed, the batch's outcome not committed
        "after_target_write:4",  # the fourth write landed too, its answer never recorded
    ],
)
def test_a_migration_killed_at_a_crash_point_and_rerun_delivers_each_document_once(
    esuite: SimulatorHandle,
    esuite_config: EsuiteConfig,
    archive: MyLexArchive,
    make_config: MakeConfig,
    sqlite_store: Store,
    tmp_path: Path,
    point: str,
) -> None:
    # SQLite only: a worker process costs seconds of imports on a busy machine; the store's
    # concurrency (PostgreSQL too) is covered by the two tests below.
    store = sqlite_store
    settings = load_settings({"KETENBRUG_HOME": str(tmp_path), "KETENBRUG_DATABASE_URL": store.url})
    config, expected = _seed(esuite, archive, make_config, esuite_config, settings, store)
    env = {
        **os.environ,
        "KETENBRUG_HOME": str(settings.home),
        "KETENBRUG_DATABASE_URL": store.url,
        "KETENBRUG_MIGRATIE_DOCUMENTEN": "100",
        "KETENBRUG_CRASH_AT": point,
    }
    killed = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.migratie.crash_worker",
            esuite.url,
            json.dumps(asdict(config)),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        timeout=120,
    )
    assert killed.returncode == CRASH_EXIT_CODE, killed.stderr.decode()[-2000:]
    assert voortgang(store).gemigreerd == 0, "killed before its outcome was committed"

    assert _until_done(esuite_config, config, settings, store, runs=2) == 1
    _assert_exactly_once(esuite, store, expected)
    assert _migrate(esuite_config, config, settings, store)["gemigreerd"] == 0
    _assert_exactly_once(esuite, store, expected)


# -- (b) transient faults, lost answers among them -------------------------------------------
@pytest.mark.parametrize(
    ("variants", "seed"),
    [
        # processed, then the answer is lost: the one that tempts a second write
        (("lost_response",), 11),
        # never processed: the write must simply happen (once) on a later try
        (("reset", "http_503", "timeout"), 29),
    ],
    ids=["lost_response", "not_processed"],
)
def test_migration_under_transient_faults_delivers_each_document_once(
    esuite: SimulatorHandle,
    esuite_config: EsuiteConfig,
    archive: MyLexArchive,
    make_config: MakeConfig,
    settings: Settings,
    store: Store,
    variants: tuple[str, ...],
    seed: int,
) -> None:
    config, expected = _seed(esuite, archive, make_config, esuite_config, settings, store)
    # Fo02 is left out: the simulator counts it as a call without processing it, so the
    # call counts would no longer say how many writes landed.
    esuite.set_faults(transient_rate=0.4, seed=seed, transient_variants=variants, hang_s=0.2)
    _until_done(esuite_config, config, settings, store, runs=12)
    injected = esuite.fault_counts()
    esuite.set_faults()  # quiet again: the checks below read the e-Suite
    hits = sum(injected.get(f"transient:{variant}", 0) for variant in variants)
    assert hits >= 2, injected
    assert injected.get("op:voegZaakdocumentToe_EdcLk01", 0) >= 1, injected
    _assert_exactly_once(esuite, store, expected)


# -- (c) two runs at once --------------------------------------------------------------------
class _Hold:
    """Holds the first run's write of one document until the second run wrote it too (or
    finished without), so the two runs overlap exactly where a second write could happen."""

    def __init__(self, identificatie: str) -> None:
        self.identificatie = identificatie
        self.arrivals = 0
        self.condition = threading.Condition()
        self.holding = threading.Event()
        self.second_done = threading.Event()

    def wrap(self, apply: Any) -> Any:
        def held_apply(target: Any, operation: Operation) -> None:
            if (
                operation.name == VOEG_ZAAKDOCUMENT_TOE
                and operation.data["document"]["identificatie"] == self.identificatie
            ):
                with self.condition:
                    self.arrivals += 1
                    if self.arrivals == 1:
                        self.holding.set()
                        self.condition.wait_for(
                            lambda: self.arrivals >= 2 or self.second_done.is_set(), timeout=20
                        )
                    else:
                        self.condition.notify_all()
            apply(target, operation)

        return held_apply

    def done(self) -> None:
        with self.condition:
            self.second_done.set()
            self.condition.notify_all()


def test_two_migration_runs_at_once_deliver_each_document_once(
    esuite: SimulatorHandle,
    esuite_config: EsuiteConfig,
    archive: MyLexArchive,
    make_config: MakeConfig,
    settings: Settings,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config, expected = _seed(esuite, archive, make_config, esuite_config, settings, store)
    hold = _Hold(next(i for i, (_, zaak) in expected.items() if zaak == "HD-K000123"))
    monkeypatch.setattr(
        migratie_task._Zaaksysteem, "apply", hold.wrap(migratie_task._Zaaksysteem.apply)
    )
    outcomes: dict[str, object] = {}

    def first() -> None:
        try:
            outcomes["first"] = _migrate(esuite_config, config, settings, store)
        except Exception as exc:  # reported by the assertion below
            outcomes["first"] = exc

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert hold.holding.wait(30), "the first run never reached its write"
        try:  # the second run starts while the first is mid-write
            outcomes["second"] = _migrate(esuite_config, config, settings, store)
        except TransientError as exc:  # e.g. a run lease held by the first: retried later
            outcomes["second"] = exc
    finally:
        hold.done()
        thread.join(60)
    assert not thread.is_alive()
    assert isinstance(outcomes["first"], dict), outcomes["first"]
    _until_done(esuite_config, config, settings, store, runs=2)
    _assert_exactly_once(esuite, store, expected)

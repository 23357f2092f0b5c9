"""A creeerZaak the e-Suite refuses because the zaak is there already counts as delivered.

A create is retried when an earlier try may have landed unseen (a corrected message for the same
zaak, a ledger row that never saw the outcome). The e-Suite answers Fo03 StUF058 "Zaak ... bestaat
al"; the target turns that into :class:`AlreadyExistsError` (after checking the zaak is really
there) and the engine records the write as delivered: no dead letter for beheer to chase.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

import pytest
from sqlalchemy import func, select

from adapters.base import Operation, SourceRecord
from adapters.errors import AlreadyExistsError
from adapters.esuite.client import EsuiteClient
from adapters.esuite.config import EsuiteConfig
from adapters.esuite.target import EsuiteTarget
from adapters.gws4all import inbound
from adapters.roles import CREEER_ZAAK
from mappings import load_tables
from simulators.testing import SimulatorHandle, esuite, esuite_simulator
from stuf import Systeem, Zaak
from sync.engine import Engine, RetryPolicy
from sync.flows.zaken import ZakenFlow
from sync.store.db import Store
from sync.store.models import DeadLetter, LedgerEntry, LedgerState
from tests.sync.fakes import EchoFlow, FakeTarget, batch, record
from tests.sync.messages import creeer_zaak

__all__ = ["esuite", "esuite_simulator"]  # the simulator fixtures, used below

FAST = RetryPolicy(attempts=3, wait_base_s=0, wait_max_s=0)
ZAAK_ID = "1900KB0000000042"


def nothing(_session: object, _outcome: object) -> None:
    return None


def dead_letters(store: Store) -> int:
    with store.session() as session:
        return session.scalar(select(func.count(DeadLetter.id))) or 0


def ledger_states(store: Store) -> dict[str, str]:
    with store.session() as session:
        return dict(session.execute(select(LedgerEntry.source_key, LedgerEntry.state)).all())


# ------------------------------------------------------------------ engine, fake target
@dataclass
class ExistsTarget(FakeTarget):
    """Refuses a create of an object it has (``exists``) the way the e-Suite target does."""

    exists: set[str] = field(default_factory=set)

    def apply(self, operation: Operation) -> None:
        if operation.ledger_key in self.exists:
            raise AlreadyExistsError(f"Zaak {operation.ledger_key} bestaat al")
        super().apply(operation)


def test_already_exists_from_the_target_is_delivered_not_a_dead_letter(store: Store) -> None:
    target = ExistsTarget(exists={"r1"})
    runner = Engine(store, EchoFlow(), {"fake": target}, load_tables(), retry=FAST)
    outcome = runner.run_batch(batch(record("r1"), record("r2")), on_commit=nothing)
    assert (outcome.delivered, outcome.dead_lettered, outcome.deferred) == (2, 0, 0)
    assert outcome.record_states == {"r1": "delivered", "r2": "delivered"}
    assert dead_letters(store) == 0
    assert ledger_states(store) == {"r1": LedgerState.DELIVERED, "r2": LedgerState.DELIVERED}

    again = runner.run_batch(batch(record("r1")), on_commit=nothing)
    assert (again.delivered, again.in_step) == (0, 1), "recorded as delivered: not tried again"


def test_already_exists_after_a_transient_fault_is_delivered(store: Store) -> None:
    """The retried create: the first try failed (it may have landed), the retry finds it."""
    target = ExistsTarget(transient_left={"r1": 1}, exists={"r1"})
    runner = Engine(store, EchoFlow(), {"fake": target}, load_tables(), retry=FAST)
    outcome = runner.run_batch(batch(record("r1")), on_commit=nothing)
    assert (outcome.delivered, outcome.dead_lettered) == (1, 0)
    assert dead_letters(store) == 0


# ------------------------------------------------------------------ the e-Suite simulator
@pytest.fixture
def esuite_target(esuite: SimulatorHandle) -> Iterator[EsuiteTarget]:
    config = EsuiteConfig(
        url=f"{esuite.url}/zds",
        zender=Systeem("1900", "CDR"),
        ontvanger=Systeem("1900", "ESUITE"),
        timeout_s=5.0,
    )
    client = EsuiteClient(config)
    yield EsuiteTarget(client)
    client.close()


def _zaak_record() -> SourceRecord:
    decoded = inbound.decode(creeer_zaak(ZAAK_ID), soap_action=None, payload_ref="inbox:1")
    (only,) = decoded.records
    return only


def _existing_zaak(esuite: SimulatorHandle) -> None:
    """The zaak as an earlier, unrecorded try of the same creeerZaak left it in the e-Suite."""
    day = date(2026, 3, 1)
    esuite.store.create_zaak(Zaak(ZAAK_ID, "B1026", startdatum=day, registratiedatum=day))


def test_the_esuite_answer_to_a_second_creeerzaak_is_already_exists(
    esuite: SimulatorHandle, esuite_target: EsuiteTarget
) -> None:
    _existing_zaak(esuite)
    operation = Operation(
        target_system="esuite",
        name=CREEER_ZAAK,
        ledger_key=f"zaak:{ZAAK_ID}",
        target_key=ZAAK_ID,
        data={
            "identificatie": ZAAK_ID,
            "zaaktype_code": "B1026",
            "startdatum": "2026-03-01",
            "registratiedatum": "2026-03-01",
        },
    )
    with pytest.raises(AlreadyExistsError, match="bestaat al"):
        esuite_target.apply(operation)


def test_a_retried_creeerzaak_against_the_esuite_is_delivered_once(
    store: Store, esuite: SimulatorHandle, esuite_target: EsuiteTarget
) -> None:
    _existing_zaak(esuite)
    runner = Engine(store, ZakenFlow(), {"esuite": esuite_target}, load_tables(), retry=FAST)
    outcome = runner.run_batch(batch(_zaak_record()), on_commit=nothing)
    assert (outcome.delivered, outcome.dead_lettered, outcome.deferred) == (1, 0, 0)
    assert dead_letters(store) == 0
    assert ledger_states(store) == {f"zaak:{ZAAK_ID}": LedgerState.DELIVERED}
    assert list(esuite.state()["zaken"]) == [ZAAK_ID], "one zaak, not two"

"""Intent before write: a process that dies between the write and the outcome commit leaves the
operation ``in_flight``, and the rerun checks the target before it writes: never twice.

The crash is forced at the engine's own crash points (``sync.failpoints``), raised as an
exception that no ``except Exception`` catches, so the outcome step never runs.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

import sync.engine
from mappings import load_tables
from sync.engine import Engine, RetryPolicy
from sync.store.db import Store
from sync.store.models import LedgerEntry, LedgerState
from tests.sync.fakes import EchoFlow, FakeTarget, batch, record

FAST = RetryPolicy(attempts=2, wait_base_s=0, wait_max_s=0)


class Crash(BaseException):
    """The process dying at a crash point."""


def nothing(_session: object, _outcome: object) -> None:
    return None


def _crash_at(monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    def crash_point(name: str) -> None:
        if name == where:
            raise Crash(name)

    monkeypatch.setattr(sync.engine, "crash_point", crash_point)


def _state(store: Store) -> str:
    with store.session() as session:
        return session.scalars(select(LedgerEntry.state)).one()


@pytest.mark.parametrize("where", ["after_intent", "before_target_write", "after_target_write"])
def test_a_crash_anywhere_in_a_batch_ends_in_exactly_one_write(
    store: Store, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    target = FakeTarget()
    runner = Engine(store, EchoFlow(), {"fake": target}, load_tables(), retry=FAST)
    _crash_at(monkeypatch, where)
    with pytest.raises(Crash):
        runner.run_batch(batch(record("r1")), on_commit=nothing)
    assert _state(store) == LedgerState.IN_FLIGHT, "the intent was committed before the write"
    written_before = target.writes["r1"]
    assert written_before == (1 if where == "after_target_write" else 0)

    monkeypatch.undo()  # the process restarted
    outcome = runner.run_batch(batch(record("r1")), on_commit=nothing)
    assert outcome.delivered == 1
    assert target.writes["r1"] == 1, "written exactly once over both runs"
    assert target.checks == 1, "the in-flight operation was checked before any write"
    assert _state(store) == LedgerState.DELIVERED

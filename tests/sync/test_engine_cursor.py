"""The cursor moves past a batch only when every record of it is done (delivered, in step or a
dead letter): a deferred record must come back next run, so the cursor stays where it was."""

from __future__ import annotations

import pytest

from adapters.errors import TransientError
from mappings import load_tables
from sync.engine import Engine, RetryPolicy
from sync.store.db import Store
from tests.sync.fakes import EchoFlow, FakeTarget, batch, record

FAST = RetryPolicy(attempts=2, wait_base_s=0, wait_max_s=0)


def engine(store: Store, target: FakeTarget) -> Engine:
    return Engine(store, EchoFlow(), {"fake": target}, load_tables(), retry=FAST)


def nothing(_session: object, _outcome: object) -> None:
    return None


def _with_earlier_cursor(runner: Engine) -> None:
    """A first batch moved the cursor to ``c0``: the value a deferred batch must keep."""
    runner.run_batch(batch(record("r0"), cursor="c0"), cursor_source="src", on_commit=nothing)
    assert runner.read_cursor("src") == "c0"


def test_cursor_advances_when_nothing_was_deferred(store: Store) -> None:
    runner = engine(store, FakeTarget())
    _with_earlier_cursor(runner)
    outcome = runner.run_batch(
        batch(record("r1"), record("r2"), cursor="c1"), cursor_source="src", on_commit=nothing
    )
    assert (outcome.delivered, outcome.deferred) == (2, 0)
    assert runner.read_cursor("src") == "c1"


def test_cursor_stays_when_every_record_was_deferred(store: Store) -> None:
    target = FakeTarget()
    runner = engine(store, target)
    _with_earlier_cursor(runner)
    target.transient_left.update({"r1": 99, "r2": 99})
    with pytest.raises(TransientError):  # nothing written: Airflow retries the task
        runner.run_batch(
            batch(record("r1"), record("r2"), cursor="c1"), cursor_source="src", on_commit=nothing
        )
    assert runner.read_cursor("src") == "c0"


def test_cursor_stays_when_one_record_was_delivered_and_one_deferred(store: Store) -> None:
    target = FakeTarget()
    runner = engine(store, target)
    _with_earlier_cursor(runner)
    target.transient_left["r2"] = 99
    outcome = runner.run_batch(
        batch(record("r1"), record("r2"), cursor="c1"), cursor_source="src", on_commit=nothing
    )
    assert (outcome.delivered, outcome.deferred) == (1, 1)
    assert outcome.record_states == {"r1": "delivered", "r2": "deferred"}
    assert runner.read_cursor("src") == "c0", "r2 must be read again from the old position"

    # The next run reads the same batch again: r1 is in step, r2 delivered, cursor moves.
    target.transient_left.clear()
    again = runner.run_batch(
        batch(record("r1"), record("r2"), cursor="c1"), cursor_source="src", on_commit=nothing
    )
    assert (again.delivered, again.in_step, again.deferred) == (1, 1, 0)
    assert target.writes == {"r0": 1, "r1": 1, "r2": 1}
    assert runner.read_cursor("src") == "c1"


def test_cursor_stays_when_a_later_write_of_a_record_was_deferred(store: Store) -> None:
    """A record blocked behind a deferred write of the same object is not done either."""
    target = FakeTarget(transient_left={"a1": 99})
    runner = engine(store, target)
    outcome = runner.run_batch(
        batch(
            record("a1", order="2026-01-01T00:00:00Z", obj="a"),
            record("a2", order="2026-01-02T00:00:00Z", obj="a"),
            record("b1", order="2026-01-01T00:00:00Z", obj="b"),
            cursor="c1",
        ),
        cursor_source="src",
        on_commit=nothing,
    )
    assert outcome.record_states == {"a1": "deferred", "a2": "deferred", "b1": "delivered"}
    assert runner.read_cursor("src") is None


def test_cursor_advances_past_a_dead_letter(store: Store) -> None:
    """A dead letter is done (beheer resends it): it must not hold the cursor back."""
    runner = engine(store, FakeTarget(reject={"r2"}))
    outcome = runner.run_batch(
        batch(record("r1"), record("r2"), cursor="c1"), cursor_source="src", on_commit=nothing
    )
    assert (outcome.delivered, outcome.dead_lettered, outcome.deferred) == (1, 1, 0)
    assert runner.read_cursor("src") == "c1"

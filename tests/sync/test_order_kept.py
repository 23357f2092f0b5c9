"""A change written late never puts a zaak back in time (found by the chaos run).

Before: a deferred status retried after a newer one of the same zaak got through was written
last, so the target's current status went back. Now it is superseded and counted. (The resend
variant is in test_resend_safety.py.)
"""

from __future__ import annotations

from sqlalchemy import select

from adapters.base import SourceBatch
from mappings import load_tables
from sync.deadletters import record_from_letter
from sync.engine import Engine, RetryPolicy
from sync.resend import claim_requested, request_resend, resend_claimed
from sync.store.db import Store
from sync.store.models import DeadLetter, DeadLetterState
from tests.sync.fakes import EchoFlow, FakeTarget, record


def test_a_deferred_write_retried_after_a_newer_one_landed_is_superseded(store: Store) -> None:
    target = FakeTarget(transient_left={"old": 99})
    engine = Engine(store, EchoFlow(), {"fake": target}, load_tables(), retry=RetryPolicy(1, 0, 0))
    old = record("old", order="2026-03-01T00:00:00Z")
    new = record("new", order="2026-03-02T00:00:00Z")
    first = engine.run_batch(SourceBatch([old]), on_commit=_nothing, raise_when_stuck=False)
    assert first.deferred == 1
    engine.run_batch(SourceBatch([new]), on_commit=_nothing)  # another batch gets through
    target.transient_left.clear()
    retry = engine.run_batch(SourceBatch([old]), on_commit=_nothing)
    assert retry.superseded == 1 and retry.delivered == 0
    assert target.writes == {"new": 1}


def test_a_resent_write_older_than_a_delivered_one_is_superseded(store: Store) -> None:
    target = FakeTarget(reject={"old"})
    engine = Engine(store, EchoFlow(), {"fake": target}, load_tables(), retry=RetryPolicy(1, 0, 0))
    old = record("old", order="2026-03-01T00:00:00Z")
    new = record("new", order="2026-03-02T00:00:00Z")
    assert engine.run_batch(SourceBatch([old]), on_commit=_nothing).dead_lettered == 1
    engine.run_batch(SourceBatch([new]), on_commit=_nothing)
    target.reject.clear()  # beheer had the refusal repaired, then asks for a resend
    with store.session() as session:
        letter_id = session.scalars(select(DeadLetter.id)).one()
    request_resend(store, letter_id, actor="beheerder")
    claimed = claim_requested(store, "test", owner="run")
    outcome = resend_claimed(store, engine, claimed, record_from_letter, owner="run")
    assert outcome.superseded == 1 and outcome.delivered == 0
    assert target.writes == {"new": 1}, "the object was not put back in time"
    with store.session() as session:
        letter = session.get(DeadLetter, letter_id)
        assert letter is not None and letter.state == DeadLetterState.RESENT
        assert letter.resend_note and "nieuwere status" in letter.resend_note


def _nothing(_session: object, _outcome: object) -> None:
    return None


def test_an_older_change_waits_while_a_newer_one_is_in_flight_elsewhere(store: Store) -> None:
    """The newer write may have landed: the older one is neither written nor superseded yet."""
    target = FakeTarget(transient_left={"new": 99})
    engine = Engine(store, EchoFlow(), {"fake": target}, load_tables(), retry=RetryPolicy(1, 0, 0))
    new = record("new", order="2026-03-02T00:00:00Z")
    old = record("old", order="2026-03-01T00:00:00Z")
    assert engine.run_batch(SourceBatch([new]), on_commit=_nothing, raise_when_stuck=False).deferred
    waited = engine.run_batch(SourceBatch([old]), on_commit=_nothing)  # no TransientError
    assert (
        waited.deferred == 1
        and waited.superseded == 0
        and waited.record_states == {"old": "deferred"}
    )
    assert target.writes == {}
    target.transient_left.clear()
    assert engine.run_batch(SourceBatch([new]), on_commit=_nothing).delivered == 1
    later = engine.run_batch(SourceBatch([old]), on_commit=_nothing)
    assert later.superseded == 1 and target.writes == {"new": 1}


def test_an_older_change_in_the_same_batch_as_the_in_flight_newer_goes_first(store: Store) -> None:
    target = FakeTarget(transient_left={"new": 99})
    engine = Engine(store, EchoFlow(), {"fake": target}, load_tables(), retry=RetryPolicy(1, 0, 0))
    new = record("new", order="2026-03-02T00:00:00Z")
    old = record("old", order="2026-03-01T00:00:00Z")
    engine.run_batch(SourceBatch([new]), on_commit=_nothing, raise_when_stuck=False)
    target.transient_left.clear()
    both = engine.run_batch(SourceBatch([new, old]), on_commit=_nothing)
    assert both.delivered == 2
    assert list(target.writes) == ["old", "new"], "in order of their dates"


def test_an_in_flight_change_that_landed_is_found_before_older_ones_are_written(
    store: Store,
) -> None:
    """Found by the chaos run (seed 66618230): a newer status in flight from a killed run had
    landed; retried in one batch with an older one, the older was written after it."""
    target = FakeTarget(ambiguous_left={"new": 1})  # lands, but the answer is lost
    engine = Engine(store, EchoFlow(), {"fake": target}, load_tables(), retry=RetryPolicy(1, 0, 0))
    new = record("new", order="2026-03-02T00:00:00Z")
    old = record("old", order="2026-03-01T00:00:00Z")
    first = engine.run_batch(SourceBatch([new]), on_commit=_nothing, raise_when_stuck=False)
    assert first.deferred == 1 and target.writes == {"new": 1}
    both = engine.run_batch(SourceBatch([new, old]), on_commit=_nothing)
    assert both.superseded == 1 and both.delivered == 1
    assert target.writes == {"new": 1}, "the older one was not written after the newer"

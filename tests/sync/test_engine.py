"""The batch loop: ledger, dead letters, retries, ordering and cursor rules, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from adapters.base import RecordError
from adapters.errors import InvalidMessageError, TransientError
from mappings import load_tables
from sync.engine import Engine, RetryPolicy
from sync.store.db import Store
from sync.store.models import DeadLetter, LedgerEntry, LedgerState
from tests.sync.fakes import EchoFlow, FakeTarget, batch, record

FAST = RetryPolicy(attempts=4, wait_base_s=0, wait_max_s=0)


def engine(store: Store, target: FakeTarget) -> Engine:
    return Engine(store, EchoFlow(), {"fake": target}, load_tables(), retry=FAST)


def nothing(_session: object, _outcome: object) -> None:
    return None


def ledger_states(store: Store) -> dict[str, str]:
    with store.session() as session:
        return dict(session.execute(select(LedgerEntry.source_key, LedgerEntry.state)).all())


def test_each_record_written_once_and_rerun_is_in_step(store: Store) -> None:
    target = FakeTarget()
    runner = engine(store, target)
    first = runner.run_batch(batch(record("r1"), record("r2")), on_commit=nothing)
    second = runner.run_batch(batch(record("r1"), record("r2")), on_commit=nothing)
    assert (first.read, first.delivered, first.in_step) == (2, 2, 0)
    assert (second.read, second.delivered, second.in_step) == (2, 0, 2)
    assert target.writes == {"r1": 1, "r2": 1}
    assert set(ledger_states(store).values()) == {LedgerState.DELIVERED}


def test_changed_content_is_written_again(store: Store) -> None:
    target = FakeTarget()
    runner = engine(store, target)
    runner.run_batch(batch(record("r1", "old")), on_commit=nothing)
    outcome = runner.run_batch(batch(record("r1", "new")), on_commit=nothing)
    assert outcome.delivered == 1
    assert target.writes["r1"] == 2


def test_unmapped_code_is_dead_letter_and_batch_goes_on(store: Store) -> None:
    target = FakeTarget()
    outcome = engine(store, target).run_batch(
        batch(record("r1"), record("bad", "unmapped"), record("r3")), on_commit=nothing
    )
    assert outcome.delivered == 2
    assert outcome.dead_reasons == {"unmapped": 1}
    with store.session() as session:
        letter = session.scalars(select(DeadLetter)).one()
    assert letter.reason == "unmapped"
    assert "X1" in letter.message and "testtabel" in letter.message
    assert letter.payload_ref == "ref:bad"
    assert target.writes == {"r1": 1, "r3": 1}


def test_unreadable_record_is_dead_letter_with_reason(store: Store) -> None:
    bad = RecordError("src", "inbox:9", "inbox:9", InvalidMessageError("geen XML: regel 1"))
    outcome = engine(store, FakeTarget()).run_batch(batch(bad, record("r1")), on_commit=nothing)
    assert (outcome.read, outcome.delivered, outcome.dead_lettered) == (2, 1, 1)
    with store.session() as session:
        letter = session.scalars(select(DeadLetter)).one()
    assert (letter.reason, letter.source_key) == ("invalid_message", "inbox:9")


def test_transient_faults_are_retried_then_delivered_once(store: Store) -> None:
    target = FakeTarget(transient_left={"r1": 3})
    outcome = engine(store, target).run_batch(batch(record("r1")), on_commit=nothing)
    assert outcome.delivered == 1
    assert target.writes["r1"] == 1


def test_transient_faults_beyond_the_budget_defer_and_rerun_delivers(
    store: Store,
) -> None:
    target = FakeTarget(transient_left={"r1": 10})
    runner = engine(store, target)
    with pytest.raises(TransientError):  # nothing could be written at all
        runner.run_batch(batch(record("r1")), on_commit=nothing)
    target.transient_left.clear()
    outcome = runner.run_batch(batch(record("r1")), on_commit=nothing)
    assert outcome.delivered == 1
    assert target.writes["r1"] == 1


def test_ambiguous_write_is_checked_not_repeated(store: Store) -> None:
    target = FakeTarget(ambiguous_left={"r1": 1})
    outcome = engine(store, target).run_batch(batch(record("r1")), on_commit=nothing)
    assert outcome.delivered == 1
    assert target.writes["r1"] == 1
    assert target.checks == 1


def test_permanent_rejection_is_dead_letter(store: Store) -> None:
    target = FakeTarget(reject={"r2"})
    outcome = engine(store, target).run_batch(batch(record("r1"), record("r2")), on_commit=nothing)
    assert outcome.delivered == 1
    assert outcome.dead_reasons == {"target_rejected": 1}
    assert ledger_states(store)["r2"] == LedgerState.DEAD


def test_in_flight_entry_from_crashed_run_is_checked_before_writing(store: Store) -> None:
    target = FakeTarget()
    runner = engine(store, target)
    runner.run_batch(batch(record("r1")), on_commit=nothing)
    # Simulate a crash after the write but before the outcome commit.
    with store.session() as session:
        session.scalars(select(LedgerEntry)).one().state = LedgerState.IN_FLIGHT
    outcome = runner.run_batch(batch(record("r1")), on_commit=nothing)
    assert outcome.delivered == 1  # confirmed by reading the target ...
    assert target.writes["r1"] == 1  # ... not written again
    assert target.checks == 1


def test_older_status_never_overwrites_newer(store: Store) -> None:
    target = FakeTarget()
    runner = engine(store, target)
    runner.run_batch(batch(record("s2", order="2026-01-02T00:00:00Z")), on_commit=nothing)
    late = runner.run_batch(batch(record("s1", order="2026-01-01T00:00:00Z")), on_commit=nothing)
    assert late.delivered == 0 and late.in_step == 0 and late.superseded == 1
    assert "s1" not in target.writes
    assert ledger_states(store)["s1"] == LedgerState.SUPERSEDED


def test_statuses_in_one_batch_are_applied_in_time_order(store: Store) -> None:
    order: list[str] = []
    target = FakeTarget()
    original = target.apply

    def tracking(operation):  # type: ignore[no-untyped-def]
        order.append(operation.ledger_key)
        original(operation)

    target.apply = tracking  # type: ignore[method-assign]
    engine(store, target).run_batch(
        batch(
            record("late", order="2026-01-03T00:00:00Z"),
            record("early", order="2026-01-01T00:00:00Z"),
            record("mid", order="2026-01-02T00:00:00Z"),
        ),
        on_commit=nothing,
    )
    assert order == ["early", "mid", "late"]


def test_cursor_advances_only_when_the_batch_commits(store: Store) -> None:
    runner = engine(store, FakeTarget())

    def failing_commit(_session: object, _outcome: object) -> None:
        raise RuntimeError("crash during commit")

    with pytest.raises(RuntimeError):
        runner.run_batch(
            batch(record("r1"), cursor="c1"), cursor_source="src", on_commit=failing_commit
        )
    assert runner.read_cursor("src") is None
    runner.run_batch(batch(record("r1"), cursor="c1"), cursor_source="src", on_commit=nothing)
    assert runner.read_cursor("src") == "c1"


def test_duplicate_unmapped_record_keeps_one_open_dead_letter(store: Store) -> None:
    runner = engine(store, FakeTarget())
    runner.run_batch(batch(record("bad", "unmapped")), on_commit=nothing)
    runner.run_batch(batch(record("bad", "unmapped")), on_commit=nothing)
    with store.session() as session:
        assert session.scalar(select(func.count(DeadLetter.id))) == 1
        assert session.scalars(select(DeadLetter)).one().attempts == 2


def test_write_that_keeps_failing_is_deferred_with_later_writes_to_the_same_object(
    store: Store,
) -> None:
    target = FakeTarget(transient_left={"a1": 99})
    runner = engine(store, target)
    outcome = runner.run_batch(
        batch(
            record("a1", order="2026-01-01T00:00:00Z", obj="a"),
            record("a2", order="2026-01-02T00:00:00Z", obj="a"),
            record("b1", order="2026-01-01T00:00:00Z", obj="b"),
        ),
        on_commit=nothing,
    )
    assert outcome.delivered == 1 and outcome.deferred == 2
    assert outcome.record_states == {"a1": "deferred", "a2": "deferred", "b1": "delivered"}
    assert target.writes == {"b1": 1}, "a2 waited for a1: order holds"
    states = ledger_states(store)
    assert (states["a1"], states["a2"]) == (LedgerState.IN_FLIGHT, LedgerState.PENDING)

    target.transient_left.clear()
    again = runner.run_batch(
        batch(
            record("a1", order="2026-01-01T00:00:00Z", obj="a"),
            record("a2", order="2026-01-02T00:00:00Z", obj="a"),
        ),
        on_commit=nothing,
    )
    assert again.delivered == 2
    assert target.writes == {"a1": 1, "a2": 1, "b1": 1}


def test_batch_where_nothing_could_be_written_commits_then_asks_airflow_to_retry(
    store: Store,
) -> None:
    target = FakeTarget(transient_left={"r1": 99})
    committed: list[int] = []

    def remember(_session: object, outcome: object) -> None:
        committed.append(1)

    with pytest.raises(TransientError):
        engine(store, target).run_batch(batch(record("r1")), on_commit=remember)
    assert committed == [1]


def test_dead_letter_keeps_a_file_record_for_resend_but_not_an_inbox_one(store: Store) -> None:
    from dataclasses import replace

    from sync.deadletters import record_from_letter

    from_file = replace(record("alg", "unmapped"), payload_ref="allegro:ALG_ZAKEN_1.csv#3")
    from_inbox = replace(record("gws", "unmapped"), payload_ref="inbox:7")
    engine(store, FakeTarget()).run_batch(batch(from_file, from_inbox), on_commit=nothing)
    with store.session() as session:
        letters = {letter.source_key: letter for letter in session.scalars(select(DeadLetter))}
    assert record_from_letter(letters["alg"]) == [from_file]
    assert record_from_letter(letters["gws"]) == [], "the inbox keeps the message itself"

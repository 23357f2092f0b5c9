"""A deferred inbox message goes back to the pool: unclaimed, still ``received``, and the next
drain claims and delivers it, once. Deterministic: the fake target defers one zaak for good."""

from __future__ import annotations

import contextlib

from sqlalchemy import select

from adapters.errors import TransientError
from mappings import load_tables
from sync.drain import drain_inbox
from sync.engine import Engine, RetryPolicy
from sync.flows.zaken import FLOW_NAME, ZAKEN_FUNCTIONS, ZakenFlow
from sync.inbox import Inbox, InboxSource
from sync.store.db import Store
from sync.store.models import BatchState, DeadLetter, InboxMessage, InboxState, WorkBatch
from tests.sync.fakes import FakeTarget
from tests.sync.messages import creeer_zaak

FAST = RetryPolicy(attempts=2, wait_base_s=0, wait_max_s=0)
ZAKEN = ("1900KB0000000001", "1900KB0000000002", "1900KB0000000003")
DEFERRED = ZAKEN[1]


def _drain(store: Store, target: FakeTarget) -> None:
    engine = Engine(store, ZakenFlow(), {"esuite": target}, load_tables(), retry=FAST)
    source = InboxSource(
        store, flow=FLOW_NAME, functions=ZAKEN_FUNCTIONS, partition=0, partitions=1
    )
    # A batch where nothing at all could be written ends the drain with a TransientError
    # (Airflow retries the task); what matters here is what the store holds afterwards.
    with contextlib.suppress(TransientError):
        drain_inbox(engine, store, source, batch_size=10, budget_s=30, run_ref=None)


def _messages(store: Store) -> dict[str, tuple[str, int | None]]:
    with store.session() as session:
        rows = session.execute(
            select(InboxMessage.ordering_key, InboxMessage.state, InboxMessage.batch_id)
        ).all()
    return {key: (state, batch_id) for key, state, batch_id in rows}


def test_a_deferred_message_returns_to_the_pool_and_the_next_drain_delivers_it(
    store: Store,
) -> None:
    inbox = Inbox(store)
    for zaak in ZAKEN:
        assert inbox.receive(creeer_zaak(zaak), None).status == 200
    target = FakeTarget(system="esuite", transient_left={f"zaak:{DEFERRED}": 10_000})

    _drain(store, target)

    after = _messages(store)
    assert after[DEFERRED] == (InboxState.RECEIVED, None), "unclaimed and not processed"
    for zaak in (ZAKEN[0], ZAKEN[2]):
        assert after[zaak][0] == InboxState.PROCESSED
    assert target.writes == {f"zaak:{ZAKEN[0]}": 1, f"zaak:{ZAKEN[2]}": 1}
    with store.session() as session:
        open_batches = session.scalars(
            select(WorkBatch.id).where(WorkBatch.state == BatchState.OPEN)
        ).all()
    assert open_batches == [], "no batch left holding the deferred message"

    target.transient_left.clear()  # the e-Suite is back
    _drain(store, target)

    assert {state for state, _ in _messages(store).values()} == {InboxState.PROCESSED}
    assert target.writes == {f"zaak:{zaak}": 1 for zaak in ZAKEN}, "each zaak exactly once"


def test_a_message_whose_record_became_a_dead_letter_is_marked_dead_not_processed(
    store: Store,
) -> None:
    """Dead, not processed: the purge keeps a dead message's body while its letter is open,
    so beheer can still resend it; a processed one's body goes after the retention period."""
    inbox = Inbox(store)
    good = inbox.receive(creeer_zaak(ZAKEN[0]), None)
    unmapped = inbox.receive(creeer_zaak(ZAKEN[1], zaaktype="ONBEKEND-TYPE"), None)
    _drain(store, FakeTarget(system="esuite"))

    with store.session() as session:
        states = dict(session.execute(select(InboxMessage.id, InboxMessage.state)).all())
        letter = session.scalars(select(DeadLetter)).one()
    assert states == {good.message_id: InboxState.PROCESSED, unmapped.message_id: InboxState.DEAD}
    assert (letter.reason, letter.payload_ref) == ("unmapped", f"inbox:{unmapped.message_id}")

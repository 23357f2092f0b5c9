"""Work batches have an owner and an expiry: two drains never share one, a stale one is freed.

Before claims had owners, ``InboxSource.claim`` handed the open batch of a partition to any
drain that asked, so a task retry beside its still-running first attempt delivered statuses
twice; and a batch of a partition that no longer existed after repartitioning stayed open.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from adapters.base import Operation
from mappings import load_tables
from sync.claims import ClaimLostError
from sync.drain import drain_inbox
from sync.engine import Engine, RetryPolicy
from sync.flows.zaken import FLOW_NAME, ZAKEN_FUNCTIONS, ZakenFlow
from sync.inbox import Inbox, InboxSource, partition_hash
from sync.store.db import Store
from sync.store.models import BatchState, InboxMessage, InboxState, WorkBatch, utcnow
from tests.sync.messages import creeer_zaak, status


def source(store: Store, partition: int = 0, partitions: int = 1) -> InboxSource:
    return InboxSource(
        store,
        flow=FLOW_NAME,
        functions=ZAKEN_FUNCTIONS,
        partition=partition,
        partitions=partitions,
    )


def push_zaak(store: Store, zaak: str, statuses: int = 2) -> None:
    inbox = Inbox(store)
    inbox.receive(creeer_zaak(zaak), None)
    for number in range(1, statuses + 1):
        inbox.receive(status(zaak, f"GWS-AV-0{number}", number, number + 1), None)


def batch_of(store: Store, batch_id: int) -> WorkBatch:
    with store.session() as session:
        batch = session.get(WorkBatch, batch_id)
        assert batch is not None
        return batch


def test_a_held_batch_is_never_handed_to_a_second_drain(store: Store) -> None:
    push_zaak(store, "1900Z-1")
    first, second = source(store), source(store)
    taken = first.claim(50)
    assert taken is not None
    assert second.claim(50) is None, "the second drain finds nothing: the batch is held"
    assert batch_of(store, taken).owner == first.owner


def test_a_batch_of_a_dead_process_is_released_at_once_and_claimed_again(store: Store) -> None:
    push_zaak(store, "1900Z-2")
    code = (
        "from sync.store.db import Store; from sync.inbox import InboxSource; "
        f"s = InboxSource(Store({store.url!r}), flow='zaken', "
        "functions=('creeerZaak', 'actualiseerZaakstatus'), partition=0, partitions=1); "
        "print(s.claim(50))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    dead_batch = int(done.stdout.strip())
    assert batch_of(store, dead_batch).state == BatchState.OPEN
    rerun = source(store)
    again = rerun.claim(50)
    assert again is not None and again != dead_batch
    assert batch_of(store, dead_batch).state == BatchState.RELEASED
    assert len(rerun.load(again).records) == 3, "every message of the dead batch came back"


def test_an_expired_batch_is_released_but_a_renewed_one_is_not(store: Store) -> None:
    push_zaak(store, "1900Z-3")
    holder = source(store)
    taken = holder.claim(50)
    assert taken is not None
    with store.session() as session:
        session.execute(
            update(WorkBatch)
            .where(WorkBatch.id == taken)
            .values(claimed_until=utcnow() - timedelta(seconds=1))
        )
    assert holder.renew(taken), "the owner may renew while nobody took it over"
    assert source(store).claim(50) is None, "renewed: still held"
    with store.session() as session:
        session.execute(
            update(WorkBatch)
            .where(WorkBatch.id == taken)
            .values(claimed_until=utcnow() - timedelta(seconds=1))
        )
    thief = source(store)
    assert thief.claim(50) is not None
    assert batch_of(store, taken).state == BatchState.RELEASED
    assert not holder.renew(taken), "the old owner learns it lost the batch"


def test_an_outcome_after_the_claim_was_lost_is_rolled_back(store: Store) -> None:
    push_zaak(store, "1900Z-4", statuses=0)
    holder = source(store)
    taken = holder.claim(50)
    assert taken is not None
    with store.session() as session:
        session.execute(
            update(WorkBatch)
            .where(WorkBatch.id == taken)
            .values(claimed_until=utcnow() - timedelta(seconds=1))
        )
    assert source(store).claim(50) is not None
    with pytest.raises(ClaimLostError), store.session() as session:
        holder.acknowledge(session, taken, [])
    with store.session() as session:
        states = session.scalars(select(InboxMessage.state)).all()
    assert states == [InboxState.RECEIVED], "the lost owner's outcome did not commit"


def test_repartitioning_strands_no_open_batch(store: Store) -> None:
    zaken = [f"1900Z-R{n}" for n in range(12)]
    for zaak in zaken:
        push_zaak(store, zaak, statuses=1)
    # Under 4 partitions, a drain of partition 3 claimed its batch and then its process died.
    code = (
        "from sync.store.db import Store; from sync.inbox import InboxSource; "
        f"s = InboxSource(Store({store.url!r}), flow='zaken', "
        "functions=('creeerZaak', 'actualiseerZaakstatus'), partition=3, partitions=4); "
        "print(s.claim(500))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    stranded = int(done.stdout.strip())
    in_three = [z for z in zaken if partition_hash(z) % 4 == 3]
    assert in_three, "the test needs a zaak in partition 3 of 4"
    # Now beheer runs 2 partitions: partition 3 no longer exists.
    loaded: list[str] = []
    for partition in range(2):
        drain = source(store, partition, 2)
        while (batch_id := drain.claim(500)) is not None:
            loaded += [r.key for r in drain.load(batch_id).records]
            with store.session() as session:
                drain.acknowledge(session, batch_id, [])
    assert batch_of(store, stranded).state == BatchState.RELEASED
    for zaak in zaken:
        assert f"zaak:{zaak}" in loaded, f"{zaak} was stranded"
    with store.session() as session:
        left = session.scalars(
            select(InboxMessage.id).where(InboxMessage.state == InboxState.RECEIVED)
        ).all()
    assert left == []


class _HoldingTarget:
    """Counts writes per ledger key; the very first write waits until ``release`` is set."""

    def __init__(self) -> None:
        self.writes: Counter[str] = Counter()
        self.first_write_started = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()
        self._first = True

    def apply(self, operation: Operation) -> None:
        with self._lock:
            hold, self._first = self._first, False
        if hold:
            self.first_write_started.set()
            assert self.release.wait(30)
        with self._lock:
            self.writes[operation.ledger_key] += 1

    def is_applied(self, operation: Operation) -> bool:
        with self._lock:
            return self.writes[operation.ledger_key] > 0


def drain_into(store: Store, target: _HoldingTarget) -> None:
    """One drain of partition 0 of 1, as a task runs it, writing into ``target``."""
    engine = Engine(
        store,
        ZakenFlow(),
        {"esuite": target},  # type: ignore[dict-item]
        load_tables(None),
        retry=RetryPolicy(attempts=1),
        write_concurrency=1,
    )
    drain_inbox(engine, store, source(store), batch_size=50, budget_s=60, run_ref=None)


def test_two_drains_of_one_partition_deliver_each_status_once(store: Store) -> None:
    push_zaak(store, "1900Z-5", statuses=3)
    target = _HoldingTarget()

    def drain() -> None:
        drain_into(store, target)

    first = threading.Thread(target=drain)
    first.start()
    assert target.first_write_started.wait(30), "the first drain is writing its batch"
    try:
        drain()  # a task retry (or a manual run) beside the first attempt, which still runs
    finally:
        target.release.set()
        first.join(60)
    assert target.writes, "something was delivered"
    assert set(target.writes.values()) == {1}, f"delivered twice: {target.writes}"
    assert len(target.writes) == 4


def test_a_zaak_in_an_open_batch_waits_for_it_even_in_the_same_partition(store: Store) -> None:
    """Found by the chaos run: a re-sent copy of a status (same record, other bytes) in a
    second batch of the same partition was written by a second drain beside the first."""
    push_zaak(store, "1900Z-6", statuses=1)
    target = _HoldingTarget()

    def drain() -> None:
        drain_into(store, target)

    first = threading.Thread(target=drain)
    first.start()
    assert target.first_write_started.wait(30)
    # GWS4all re-sends the status (a new referentienummer: other bytes, the same record).
    Inbox(store).receive(
        status("1900Z-6", "GWS-AV-01", 1, 2).replace(b"GWS4all", b"GWS4all "), None
    )
    try:
        claimed = source(store).claim(50)
    finally:
        target.release.set()
        first.join(60)
    assert claimed is None, "zaak 1900Z-6 is held by the first drain's batch"
    drain()  # now the copy is claimed: in step, not written again
    assert set(target.writes.values()) == {1}, f"written twice: {target.writes}"

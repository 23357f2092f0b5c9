"""One run of a cursor source at a time: the lease, its takeover when stale, its release."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from sync.run_lock import RunBusyError, exclusive_run
from sync.store.db import Store
from sync.store.models import RunLock, utcnow


def _holders(store: Store) -> list[str]:
    with store.session() as session:
        return list(session.scalars(select(RunLock.name)))


def test_a_second_run_while_the_first_holds_the_lease_stops_and_the_lease_is_released(
    store: Store,
) -> None:
    with exclusive_run(store, "betaalspecificaties:gws4all"):
        with (
            pytest.raises(RunBusyError, match="er loopt al een run"),
            exclusive_run(store, "betaalspecificaties:gws4all"),
        ):
            pass
        with exclusive_run(store, "suwinet:suwinet"):  # another source: its own lease
            assert sorted(_holders(store)) == ["betaalspecificaties:gws4all", "suwinet:suwinet"]
    assert _holders(store) == []
    with exclusive_run(store, "betaalspecificaties:gws4all"):
        pass  # free again


@pytest.mark.parametrize(
    ("owner", "until"),
    [
        ("elders/1/1/abc", -timedelta(seconds=1)),  # expired
        # a process on this host that no longer runs (pid 2**22 + 7 never exists here)
        (None, timedelta(minutes=5)),
    ],
    ids=["expired", "dead-owner"],
)
def test_a_stale_lease_is_taken_over(store: Store, owner: str | None, until: timedelta) -> None:
    import socket

    owner = owner or f"{socket.gethostname()[:100]}/{2**22 + 7}/1/abc"
    with store.session() as session:
        session.add(RunLock(name="doorgifte:esuite", owner=owner, claimed_until=utcnow() + until))
    with exclusive_run(store, "doorgifte:esuite"):
        with store.session() as session:
            held = session.scalar(select(RunLock.owner))
        assert held != owner


def test_a_live_lease_of_another_host_is_respected_until_it_expires(store: Store) -> None:
    with store.session() as session:
        session.add(
            RunLock(
                name="doorgifte:esuite",
                owner="een-andere-worker/42/1/abc",
                claimed_until=utcnow() + timedelta(minutes=2),
            )
        )
    with (
        pytest.raises(RunBusyError, match="een-andere-worker"),
        exclusive_run(store, "doorgifte:esuite"),
    ):
        pass

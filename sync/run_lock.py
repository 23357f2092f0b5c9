"""One run of a cursor source at a time: a named lease in the state store.

Why: the inbox's partitions are claimed batch by batch, but a cursor source (a month's
specifications, the Suwinet-verrijking, the doorgifte, Allegro's exports) is read whole by the
run that drains it. Two such runs at once (the schedule and a manual run beside it) read the
same records; when a record changes between their reads, the older version can reach the
target last while the ledger holds the newer one, and nothing repairs it (the chaos run found
this for a corrected specification). So a run holds a lease on its name: a second run finds it
held and stops with a TransientError (Airflow retries it later). The lease has an owner and an
expiry, renewed while the run works (:mod:`sync.claims`); a lease of a killed process, or one
past its expiry, is taken over with a compare-and-set.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from adapters.errors import TransientError
from sync.claims import expiry, keep_alive, new_owner, owner_is_dead
from sync.store.db import Store
from sync.store.models import RunLock, utcnow

__all__ = ["RunBusyError", "exclusive_run"]


class RunBusyError(TransientError):
    """Another run holds the lease: this one stops, to be retried later."""


def _take(store: Store, name: str, owner: str) -> bool:
    """Insert the lease, or take over a stale one; whether we hold it now."""
    now = utcnow()
    try:
        with store.session() as session:
            session.add(RunLock(name=name, owner=owner, claimed_until=expiry(now), started_at=now))
        return True
    except IntegrityError:
        pass
    with store.session() as session:
        held = session.scalar(select(RunLock).where(RunLock.name == name))
        if held is None:
            return False  # released in between: the caller may simply try again later
        until = held.claimed_until
        if until.tzinfo is None:  # SQLite hands timestamps back naive; stored in UTC
            until = until.replace(tzinfo=now.tzinfo)
        if until > now and not owner_is_dead(held.owner):
            return False
        taken = session.execute(
            update(RunLock)
            .where(RunLock.name == name, RunLock.owner == held.owner)
            .values(owner=owner, claimed_until=expiry(now), started_at=now)
        )
        return bool(getattr(taken, "rowcount", 0))


def _holder(store: Store, name: str) -> str:
    with store.session() as session:
        held = session.scalar(select(RunLock).where(RunLock.name == name))
    if held is None:
        return "onbekend"
    started = held.started_at
    return f"{held.owner.split('/')[0]} sinds {started:%Y-%m-%d %H:%M} UTC"


@contextmanager
def exclusive_run(store: Store, name: str) -> Iterator[None]:
    """Hold the lease ``name`` for the block, renewed while it runs; RunBusyError when another
    live run holds it."""
    owner = new_owner()
    if not _take(store, name, owner):
        raise RunBusyError(
            f"{name}: er loopt al een run ({_holder(store, name)}); deze stopt en probeert het "
            "later opnieuw",
            system="ketenbrug",
        )

    def renew() -> bool:
        with store.session() as session:
            done = session.execute(
                update(RunLock)
                .where(RunLock.name == name, RunLock.owner == owner)
                .values(claimed_until=expiry(utcnow()))
            )
            return bool(getattr(done, "rowcount", 0))

    try:
        with keep_alive(renew):
            yield
    finally:
        with store.session() as session:
            session.execute(delete(RunLock).where(RunLock.name == name, RunLock.owner == owner))

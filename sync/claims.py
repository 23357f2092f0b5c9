"""Who holds a claim, until when, and when a claim is stale.

Work batches and resend requests are *claimed* before they are worked on. A claim names its
owner (host, process id, the process's start time and a token per claimer) and holds until
``claimed_until``; the owner renews it while it works (:func:`keep_alive`). Another run may
take a claim over, with a compare-and-set, only once it is stale: expired, or at once when
its owner was a process on this host that no longer runs (a killed task). So two drains of
one partition never work on one batch, and a crash strands nothing for long.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

__all__ = [
    "ClaimLostError",
    "claim_lease",
    "expiry",
    "keep_alive",
    "new_owner",
    "owner_is_dead",
]

log = logging.getLogger(__name__)

DEFAULT_LEASE_S = 120.0


class ClaimLostError(RuntimeError):
    """Our claim went stale and another run took it over: our outcome must not be committed."""


def claim_lease() -> timedelta:
    """How long a claim holds without renewal (``KETENBRUG_CLAIM_LEASE_S``, default 120 s)."""
    return timedelta(seconds=float(os.environ.get("KETENBRUG_CLAIM_LEASE_S", DEFAULT_LEASE_S)))


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else None


@cache
def _this_process() -> tuple[str, int, str]:
    pid = os.getpid()
    return socket.gethostname(), pid, _start_time(pid) or "0"


def new_owner() -> str:
    """A fresh owner name for one claimer: ``host/pid/start/token`` (at most 160 characters)."""
    host, pid, start = _this_process()
    if os.getpid() != pid:  # forked since: a new process
        _this_process.cache_clear()
        host, pid, start = _this_process()
    return f"{host[:100]}/{pid}/{start}/{uuid.uuid4().hex[:12]}"


def owner_is_dead(owner: str | None) -> bool:
    """True when ``owner`` was a process on this host that no longer runs.

    A process on another host cannot be seen from here: its claim goes stale by expiry only.
    The start time guards against a reused process id.
    """
    if not owner:
        return True
    parts = owner.rsplit("/", 3)
    if len(parts) != 4:
        return False
    host, pid, start, _token = parts
    if host != socket.gethostname()[:100] or not pid.isdigit():
        return False
    if not Path("/proc/self/stat").exists():  # no procfs: trust the expiry alone
        return False
    return _start_time(int(pid)) != start


@contextmanager
def keep_alive(renew: Callable[[], bool], every_s: float | None = None) -> Iterator[None]:
    """Renew a claim every ``every_s`` (a third of the lease) while the block runs.

    ``renew`` returns False when the claim was lost; the block's own commit then refuses
    (it checks its ownership with a compare-and-set), so renewal just stops here.
    """
    interval = every_s if every_s is not None else claim_lease().total_seconds() / 3
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval):
            try:
                if not renew():
                    return
            except Exception:  # a database hiccup: try again at the next tick
                log.warning("claim verlengen mislukt; volgende poging later", exc_info=True)

    thread = threading.Thread(target=loop, name="ketenbrug-claim", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def expiry(now: datetime) -> datetime:
    """When a claim taken or renewed at ``now`` expires."""
    return now + claim_lease()

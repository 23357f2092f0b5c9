"""Who is asking, what they may do, CSRF tokens, and the keyed hash BSN search matches on.

No Airflow here: the plugin hands in a function that asks Airflow's auth manager and returns
a :class:`Beheerder` (or raises :class:`AuthRefused`).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request

__all__ = [
    "AuthRefused",
    "Authenticate",
    "Beheerder",
    "bsn_digest",
    "check_csrf",
    "make_csrf",
]

CSRF_MAX_AGE_S = 8 * 3600


@dataclass(frozen=True)
class Beheerder:
    """An authenticated Airflow user; ``may_operate`` when the auth manager allows actions."""

    name: str
    may_operate: bool

    @property
    def actor(self) -> str:
        """The audit log's actor: the Airflow user, told apart from an OS user of the CLI."""
        return f"airflow:{self.name}"


class AuthRefused(Exception):
    """Not logged in (401) or not allowed (403)."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail


Authenticate = Callable[[Request], Awaitable[Beheerder]]


def _sign(secret: bytes, user: str, issued: int) -> str:
    return hmac.new(secret, f"csrf|{user}|{issued}".encode(), hashlib.sha256).hexdigest()


def make_csrf(secret: bytes, user: str, *, now: float | None = None) -> str:
    """A token bound to the user and its time of issue; forms carry it in a hidden field."""
    issued = int(now if now is not None else time.time())
    return f"{issued}.{_sign(secret, user, issued)}"


def check_csrf(secret: bytes, user: str, token: str, *, now: float | None = None) -> bool:
    """True for a token this server issued to this user within :data:`CSRF_MAX_AGE_S`."""
    issued_text, _, signature = (token or "").partition(".")
    if not issued_text.isdigit() or not signature:
        return False
    issued = int(issued_text)
    current = now if now is not None else time.time()
    if not 0 <= current - issued <= CSRF_MAX_AGE_S:
        return False
    return hmac.compare_digest(signature, _sign(secret, user, issued))


def bsn_digest(key: bytes, bsn: str) -> str:
    """The keyed hash (HMAC-SHA256) a BSN is matched on; the BSN itself is never kept."""
    return hmac.new(key, b"bsn|" + bsn.encode(), hashlib.sha256).hexdigest()

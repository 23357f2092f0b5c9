"""One ``requests.Session`` per thread for an HTTP client, all of them closed together.

Why: the engine writes from several threads and a ``requests.Session`` is not thread-safe, so
each thread gets its own; the task's closer must still reach every one. Everything comes from
the adapter's config (``trust_env`` off): no proxy, CA bundle or netrc from the environment (it
would also cost a scan of ``os.environ`` on every call).
"""

from __future__ import annotations

import threading

import requests

__all__ = ["ThreadSessions"]


class ThreadSessions:
    """Hands each thread its own configured session; :meth:`close` closes all of them."""

    def __init__(self, *, verify: bool | str, cert: str | tuple[str, str] | None = None) -> None:
        self._verify = verify
        self._cert = cert
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()

    def get(self) -> requests.Session:
        """This thread's session, made on first use."""
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False
            session.verify = self._verify
            if self._cert is not None:
                session.cert = self._cert
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def close(self) -> None:
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()

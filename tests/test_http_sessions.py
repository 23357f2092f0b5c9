"""The shared HTTP plumbing of the e-Suite and ZGW clients."""

from __future__ import annotations

import threading
from unittest import mock

import requests

from adapters.errors import AmbiguousWriteError, TransientError, no_answer
from adapters.http_sessions import ThreadSessions


def test_each_thread_gets_its_own_session_from_the_config_only() -> None:
    sessions = ThreadSessions(verify="/ca.pem", cert=("/c.pem", "/k.pem"))
    mine = sessions.get()
    assert sessions.get() is mine
    theirs: list[requests.Session] = []
    worker = threading.Thread(target=lambda: theirs.append(sessions.get()))
    worker.start()
    worker.join()
    assert theirs[0] is not mine
    for session in (mine, theirs[0]):
        assert session.trust_env is False  # no proxy, CA bundle or netrc from the environment
        assert session.verify == "/ca.pem"
        assert session.cert == ("/c.pem", "/k.pem")


def test_close_closes_every_thread_s_session() -> None:
    sessions = ThreadSessions(verify=True)
    made: list[requests.Session] = [sessions.get()]
    worker = threading.Thread(target=lambda: made.append(sessions.get()))
    worker.start()
    worker.join()
    with mock.patch.object(requests.Session, "close") as close:
        sessions.close()
    assert close.call_count == 2


def test_a_lost_answer_is_ambiguous_on_a_write_and_transient_on_a_read() -> None:
    write = no_answer("geen antwoord", writes=True, system="zgw", operation="POST /zaken")
    read = no_answer("geen antwoord", writes=False, system="zgw", operation="GET /zaken")
    assert isinstance(write, AmbiguousWriteError)
    assert isinstance(read, TransientError) and not isinstance(read, AmbiguousWriteError)
    assert (write.system, write.operation) == ("zgw", "POST /zaken")

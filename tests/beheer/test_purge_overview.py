"""The overview says when the nightly purge (``ketenbrug_onderhoud``) last succeeded.

The host (the plugin, asking Airflow) hands in when; the overview stands out when the purge
never ran, is more than two days old, or cannot be asked. Without a host nothing is shown.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sync.beheer import BeheerConfig, create_app, overzicht
from sync.notify import RunStory
from sync.store.db import Store
from tests.beheer.conftest import BSN_KEY, SECRET, header_login

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
VIEWER = {"x-test-user": "kijker:view"}


def _status(last: datetime | None) -> overzicht.PurgeStatus:
    status = overzicht.purge_status(lambda: last, now=NOW)
    assert status is not None
    return status


def test_never_ran_stands_out() -> None:
    status = _status(None)
    assert status.stands_out and "nog nooit gedraaid" in status.warning
    assert status.text == "nog nooit (ketenbrug_onderhoud)"


@pytest.mark.parametrize("age", [timedelta(hours=5), timedelta(days=2)])
def test_a_recent_purge_is_quiet(age: timedelta) -> None:
    status = _status(NOW - age)
    assert not status.stands_out
    assert status.text == f"{NOW - age:%d-%m-%Y %H:%M} UTC"


def test_more_than_two_days_stands_out_with_its_age() -> None:
    status = _status(NOW - timedelta(days=3, minutes=1))
    assert status.stands_out and "3 dagen geleden" in status.warning
    # SQLite-style naive timestamps are UTC too
    naive = _status((NOW - timedelta(days=3)).replace(tzinfo=None) - timedelta(seconds=1))
    assert naive.stands_out


def test_the_note_and_the_overview_say_it_alike() -> None:
    last = NOW - timedelta(hours=6)
    note = RunStory(flow="zaken", run_ref="airflow:x").note(last_purge=last)
    assert f"laatste opschoning (AVG): {_status(last).text}" in note
    never = RunStory(flow="zaken", run_ref="airflow:x").note(last_purge=None)
    assert "nog nooit" in never and "nog nooit" in _status(None).text


def test_airflow_away_stands_out_and_no_host_shows_nothing() -> None:
    def away() -> datetime | None:
        raise ConnectionError("metadata database away")

    status = overzicht.purge_status(away, now=NOW)
    assert status is not None and status.stands_out and not status.known
    assert overzicht.purge_status(None, now=NOW) is None


def _client(store: Store, last_purge: object) -> TestClient:
    config = BeheerConfig(
        store=lambda: store,
        authenticate=header_login,
        secret=SECRET,
        bsn_key=BSN_KEY,
        mappings_dir=None,
        last_purge=last_purge,  # type: ignore[arg-type]
    )
    host = FastAPI()
    host.mount("/beheer", create_app(config))
    return TestClient(host)


def _section(html: str) -> str:
    start = html.index('id="opschoning"')
    return html[html.rindex("<section", 0, start) : html.index("</section>", start)]


def test_the_overview_page_shows_the_purge(sqlite_store: Store) -> None:
    with _client(sqlite_store, lambda: None) as client:
        never = _section(client.get("/beheer/", headers=VIEWER).text)
    assert "opvallend" in never and "nog nooit gedraaid" in never

    recent = datetime.now(UTC) - timedelta(hours=3)
    with _client(sqlite_store, lambda: recent) as client:
        html = client.get("/beheer/", headers=VIEWER).text
    section = _section(html)
    assert "opvallend" not in section and "waarschuwing" not in section
    assert f"{recent:%d-%m-%Y %H:%M} UTC" in section

    with _client(sqlite_store, None) as client:
        assert 'id="opschoning"' not in client.get("/beheer/", headers=VIEWER).text

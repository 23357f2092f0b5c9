"""Run notes and the beheer notifier: Dutch counts per DAG run; e-mail only when beheer must act."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from sync.deadletters import record_dead_letter
from sync.notify import recipients, run_story
from sync.store.db import Store
from sync.store.models import SyncRun
from tests.beheer.seed import BSN
from tests.beheer.smtp_sink import SmtpSink

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "dags"))
from _beheer import BeheerNotifier

RUN_ID = "scheduled__2026-12-01T10:00:00+00:00"


def _a_run_with_dead_letters(store: Store) -> None:
    with store.session() as session:
        for partition in range(2):
            session.add(
                SyncRun(
                    flow="zaken",
                    source_system="gws4all",
                    run_ref=f"airflow:{RUN_ID}",
                    state="success",
                    records_read=10,
                    delivered=7,
                    in_step=2,
                    dead_lettered=partition,
                )
            )
        session.add(SyncRun(flow="zaken", source_system="gws4all", run_ref="airflow:other"))
        record_dead_letter(
            session,
            flow="zaken",
            source_system="gws4all",
            source_key="1900KBZ1",
            reason="unmapped",
            message=f"code 'GWS-X' onbekend voor {BSN}",
            payload_ref=None,
        )


def test_the_run_note_tells_the_counts_and_open_dead_letters_in_dutch(sqlite_store: Store) -> None:
    _a_run_with_dead_letters(sqlite_store)
    story = run_story(sqlite_store, "zaken", RUN_ID)
    note = story.note(failed=False, last_purge=None)
    assert note.startswith("**Klaar**: 20 gelezen, 14 afgeleverd, 4 al in de pas")
    assert "**1 nieuwe dead letters**: unmapped 1" in note
    assert "open dead letters (zaken): 1 (unmapped 1)" in note
    assert "laatste opschoning (AVG): **nog nooit**" in note
    assert BSN not in note and len(note) <= 1000
    assert story.needs_beheer


def test_recipients_per_flow() -> None:
    env = {"KETENBRUG_MELDING": "beheer@gemeente.test", "KETENBRUG_MELDING_DOCUMENTEN": "-"}
    assert recipients("zaken", env) == ["beheer@gemeente.test"]
    assert recipients("documenten", env) == []
    assert recipients("zaken", {"KETENBRUG_MELDING_ZAKEN": "a@x.test, b@x.test"}) == [
        "a@x.test",
        "b@x.test",
    ]


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch, sqlite_store: Store) -> SmtpSink:
    with SmtpSink() as sink:
        connection = {
            "conn_type": "smtp",
            "host": "127.0.0.1",
            "port": sink.port,
            "extra": {"disable_ssl": True, "disable_tls": True, "from_email": "ketenbrug@x.test"},
        }
        monkeypatch.setenv("AIRFLOW_CONN_KETENBRUG_SMTP", json.dumps(connection))
        monkeypatch.setenv("KETENBRUG_DATABASE_URL", sqlite_store.url)
        yield sink


def test_new_dead_letters_reach_beheer_by_mail(
    smtp: SmtpSink, sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    _a_run_with_dead_letters(sqlite_store)
    monkeypatch.setenv("KETENBRUG_MELDING_ZAKEN", "beheer@gemeente.test")
    BeheerNotifier("zaken").notify({"run_id": RUN_ID})
    [(to, message)] = smtp.received
    assert to == ["beheer@gemeente.test"]
    assert message["Subject"] == "Ketenbrug zaken: 1 nieuwe dead letters"
    body = message.get_payload()[0].get_payload(decode=True).decode()  # type: ignore[index,union-attr]
    assert "unmapped 1" in body and BSN not in body


def test_a_quiet_run_or_a_flow_switched_off_sends_nothing(
    smtp: SmtpSink, sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    _a_run_with_dead_letters(sqlite_store)
    monkeypatch.setenv("KETENBRUG_MELDING", "beheer@gemeente.test")
    BeheerNotifier("zaken").notify({"run_id": "airflow-run-without-new-letters"})
    monkeypatch.setenv("KETENBRUG_MELDING_ZAKEN", "-")
    BeheerNotifier("zaken").notify({"run_id": RUN_ID})
    assert smtp.received == []

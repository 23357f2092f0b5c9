"""A status dated years ahead (2062 for 2026) is a dead letter, and superseding is never silent.

Before: the 2062 status was delivered, and every later correct status of that zaak counted as
"in step" with nothing delivered, no dead letter, and the e-Suite stuck on the wrong status.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from adapters.base import SourceBatch, SourceRecord
from adapters.esuite.config import EsuiteConfig
from mappings import load_tables
from simulators.http import SimulatorServer
from stuf import Systeem
from sync.config import load_settings
from sync.engine import Engine, RetryPolicy
from sync.inbox import Inbox
from sync.store.db import Store
from sync.store.models import DeadLetter, SyncRun
from sync.summary import flow_report, format_report
from sync.tasks.zaken import run_zaken_partition
from tests.sync.fakes import EchoFlow, FakeTarget, record
from tests.sync.messages import creeer_zaak, status
from tests.sync.test_resend import statuses

FAST = RetryPolicy(attempts=2, wait_base_s=0, wait_max_s=0)


def drain(store: Store, esuite: SimulatorServer, home: Path) -> dict[str, object]:
    settings = load_settings(
        {
            "KETENBRUG_DATABASE_URL": store.url,
            "KETENBRUG_HOME": str(home),
            "KETENBRUG_PARTITIONS": "1",
        }
    )
    config = EsuiteConfig(
        url=esuite.url, zender=Systeem("1900", "KB"), ontvanger=Systeem("0153", "ESUITE")
    )
    return run_zaken_partition(
        0, esuite=config, settings=settings, store=store, retry=FAST
    ).as_dict()


def test_a_status_dated_2062_is_a_dead_letter_and_later_statuses_are_delivered(
    store: Store, esuite: SimulatorServer, tmp_path: Path
) -> None:
    inbox = Inbox(store)
    inbox.receive(creeer_zaak("1900Z-F1"), None)
    inbox.receive(status("1900Z-F1", "GWS-AV-01", 1, 2, year=2062), None)  # typo for 2026
    first = drain(store, esuite, tmp_path)
    assert first["dead_reasons"] == {"future_date": 1}
    with store.session() as session:
        letter = session.scalars(select(DeadLetter)).one()
    assert "2062" in letter.message and "toekomst" in letter.message

    inbox.receive(status("1900Z-F1", "GWS-AV-02", 2, 3), None)
    inbox.receive(status("1900Z-F1", "GWS-AV-03", 3, 4), None)
    second = drain(store, esuite, tmp_path)
    assert second["delivered"] == 2 and second["superseded"] == 0
    assert statuses(esuite, "1900Z-F1") == [2, 3], "the e-Suite shows the correct statuses"


def test_a_date_just_ahead_of_the_clock_is_accepted(store: Store) -> None:
    soon = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    target = FakeTarget()
    runner = Engine(store, EchoFlow(), {"fake": target}, load_tables(), retry=FAST)
    out = runner.run_batch(_batch(record("s1", order=soon)), on_commit=lambda _session, _out: None)
    assert out.delivered == 1 and out.dead_lettered == 0


def test_the_tolerance_is_configurable(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KETENBRUG_MAX_FUTURE_HOURS", "1")
    soon = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    runner = Engine(store, EchoFlow(), {"fake": FakeTarget()}, load_tables(), retry=FAST)
    out = runner.run_batch(_batch(record("s1", order=soon)), on_commit=lambda _session, _out: None)
    assert out.dead_reasons == {"future_date": 1}


def test_superseded_records_are_counted_in_the_run_and_shown_in_the_summary(
    store: Store, esuite: SimulatorServer, tmp_path: Path
) -> None:
    inbox = Inbox(store)
    inbox.receive(creeer_zaak("1900Z-F2"), None)
    inbox.receive(status("1900Z-F2", "GWS-AV-03", 3, 5), None)
    drain(store, esuite, tmp_path)
    inbox.receive(status("1900Z-F2", "GWS-AV-02", 2, 4), None)  # older, arrives late
    late = drain(store, esuite, tmp_path)
    assert late["superseded"] == 1 and late["delivered"] == 0 and late["in_step"] == 0
    with store.session() as session:
        runs = session.scalars(select(SyncRun.superseded).order_by(SyncRun.id)).all()
    assert runs[-1] == 1
    report = flow_report(store, "zaken")
    assert report["superseded"] == 1
    assert "vervangen (ouder)        1" in format_report("zaken", report)
    assert statuses(esuite, "1900Z-F2") == [3]


def _batch(*records: SourceRecord) -> SourceBatch:
    return SourceBatch(records=list(records))

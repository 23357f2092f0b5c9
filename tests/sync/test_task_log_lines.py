"""Beheer reads a task log: one Dutch line per batch with its counts and dead-letter reasons."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from adapters.esuite.config import EsuiteConfig
from simulators.http import SimulatorServer
from stuf import Systeem
from sync.config import load_settings
from sync.engine import RetryPolicy
from sync.inbox import Inbox
from sync.store.db import Store
from sync.tasks.zaken import run_zaken_partition
from tests.sync.messages import BSN, creeer_zaak, status


def test_each_batch_logs_its_counts_in_dutch_and_no_bsn(
    store: Store, esuite: SimulatorServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    inbox = Inbox(store)
    inbox.receive(creeer_zaak("1900Z-L1"), None)
    inbox.receive(status("1900Z-L1", "GWS-AV-01", 1, 2), None)
    inbox.receive(status("1900Z-L1", "GWS-ONBEKEND", 2, 3), None)
    settings = load_settings(
        {
            "KETENBRUG_DATABASE_URL": store.url,
            "KETENBRUG_HOME": str(tmp_path),
            "KETENBRUG_PARTITIONS": "1",
        }
    )
    config = EsuiteConfig(
        url=esuite.url, zender=Systeem("1900", "KB"), ontvanger=Systeem("0153", "ESUITE")
    )
    with caplog.at_level(logging.INFO, logger="sync"):
        run_zaken_partition(
            0, esuite=config, settings=settings, store=store, retry=RetryPolicy(2, 0, 0)
        )
    # the batch lines come from the drain loop, the partition line from the task
    lines = [r.getMessage() for r in caplog.records if r.name in ("sync.drain", "sync.tasks.flow")]
    batch = next(line for line in lines if line.startswith("zaken uit gws4all, batch:"))
    assert "3 gelezen, 2 afgeleverd, 0 al in de pas, 1 nieuwe dead letters (unmapped 1)" in batch
    assert any(line.startswith("zaken partitie 0: 1 werkpakket(ten), 3 gelezen") for line in lines)
    assert all(BSN not in line for line in lines)

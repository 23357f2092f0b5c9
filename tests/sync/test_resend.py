"""Resend and skip: unmapped → mapping added → resend delivers once; audited; no double press."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select

from adapters.esuite.config import EsuiteConfig
from simulators.http import SimulatorServer
from stuf import Systeem
from sync.config import load_settings
from sync.engine import RetryPolicy
from sync.inbox import Inbox
from sync.resend import ResendRefused, claim_requested, request_resend, skip_dead_letter
from sync.store.db import Store
from sync.store.models import AuditEntry, DeadLetter, DeadLetterState
from sync.tasks.zaken import run_zaken_partition, run_zaken_resends
from tests.sync.messages import creeer_zaak, status

FAST = RetryPolicy(attempts=3, wait_base_s=0, wait_max_s=0)


def run(
    store: Store, esuite: SimulatorServer, mappings_dir: Path, *, resends: bool = False
) -> dict:
    settings = load_settings(
        {
            "KETENBRUG_DATABASE_URL": store.url,
            "KETENBRUG_MAPPINGS_DIR": str(mappings_dir),
            "KETENBRUG_PARTITIONS": "1",
        }
    )
    config = EsuiteConfig(
        url=esuite.url, zender=Systeem("1900", "KB"), ontvanger=Systeem("0153", "ESUITE")
    )
    if resends:
        return run_zaken_resends(esuite=config, settings=settings, store=store, retry=FAST)
    return run_zaken_partition(
        0, esuite=config, settings=settings, store=store, retry=FAST
    ).as_dict()


def statuses(esuite: SimulatorServer, zaak: str) -> list[int]:
    state = esuite.app.store.snapshot(zaak)  # type: ignore[attr-defined]
    return [s["volgnummer"] for s in state["zaken"][zaak]["statussen"]]


def the_letter(store: Store) -> DeadLetter:
    with store.session() as session:
        return session.scalars(select(DeadLetter)).one()


def test_unmapped_then_mapping_added_then_resend_delivers_once(
    store: Store, esuite: SimulatorServer, mappings_dir: Path
) -> None:
    inbox = Inbox(store)
    inbox.receive(creeer_zaak("1900Z-77"), None)
    inbox.receive(status("1900Z-77", "GWS-AV-01", 1, 2), None)
    inbox.receive(status("1900Z-77", "GWS-NIEUW", 3, 4), None)
    first = run(store, esuite, mappings_dir)
    assert first["dead_reasons"] == {"unmapped": 1}
    assert statuses(esuite, "1900Z-77") == [1], "the rest of the batch was delivered"
    letter = the_letter(store)
    assert "GWS-NIEUW" in letter.message and "statussen" in letter.message

    with (mappings_dir / "statussen.csv").open("a", encoding="utf-8") as handle:
        handle.write("gws4all;GWS-NIEUW;3;Nieuwe code van GWS4all\n")
    request_resend(store, letter.id, actor="beheerder-a")
    request_resend(store, letter.id, actor="beheerder-b")  # pressed twice: one request
    outcome = run(store, esuite, mappings_dir, resends=True)
    assert outcome["resends"] == 1 and outcome["delivered"] == 1
    assert statuses(esuite, "1900Z-77") == [1, 3]
    assert the_letter(store).state == DeadLetterState.RESENT

    again = run(store, esuite, mappings_dir, resends=True)
    assert again["resends"] == 0
    assert statuses(esuite, "1900Z-77") == [1, 3]
    with store.session() as session:
        actions = [
            (a.actor, a.action) for a in session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]
    assert actions == [("beheerder-a", "resend_requested"), ("ketenbrug", "resent")]


def test_resend_that_fails_again_reopens_the_letter(
    store: Store, esuite: SimulatorServer, mappings_dir: Path
) -> None:
    inbox = Inbox(store)
    inbox.receive(creeer_zaak("1900Z-78"), None)
    inbox.receive(status("1900Z-78", "GWS-NIEUW", 3, 4), None)
    run(store, esuite, mappings_dir)
    letter = the_letter(store)
    request_resend(store, letter.id, actor="beheerder")
    run(store, esuite, mappings_dir, resends=True)
    reopened = the_letter(store)
    assert reopened.state == DeadLetterState.OPEN
    assert reopened.attempts == 2


def test_two_claimers_take_a_request_once(
    store: Store, esuite: SimulatorServer, mappings_dir: Path
) -> None:
    inbox = Inbox(store)
    inbox.receive(creeer_zaak("1900Z-79"), None)
    inbox.receive(status("1900Z-79", "GWS-NIEUW", 3, 4), None)
    run(store, esuite, mappings_dir)
    request_resend(store, the_letter(store).id, actor="beheerder")
    with ThreadPoolExecutor(max_workers=4) as pool:
        claims = list(pool.map(lambda _: claim_requested(store, "zaken"), range(4)))
    assert sorted(len(c) for c in claims) == [0, 0, 0, 1]


def test_skip_needs_a_reason_and_is_audited(
    store: Store, esuite: SimulatorServer, mappings_dir: Path
) -> None:
    inbox = Inbox(store)
    inbox.receive(creeer_zaak("1900Z-80"), None)
    inbox.receive(status("1900Z-80", "GWS-NIEUW", 3, 4), None)
    run(store, esuite, mappings_dir)
    letter_id = the_letter(store).id
    with pytest.raises(ResendRefused):
        skip_dead_letter(store, letter_id, actor="beheerder", reason=" ")
    skip_dead_letter(store, letter_id, actor="beheerder", reason="testzaak, vervallen")
    assert the_letter(store).state == DeadLetterState.SKIPPED
    with pytest.raises(ResendRefused):
        request_resend(store, letter_id, actor="beheerder")
    with store.session() as session:
        audit = session.scalars(select(AuditEntry)).one()
    assert (audit.action, audit.detail) == ("skipped", "testzaak, vervallen")

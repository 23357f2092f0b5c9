"""Resend under a bad day: the target down, a run that fails, two runs claiming at once.

Each test here failed on the code before the claim had an owner: a deferred resend was marked
``resent`` with nothing delivered, a failed run's claims sat in ``resending`` for 30 minutes,
and an unconditional claim let two runs resend one request.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from adapters.esuite.config import EsuiteConfig
from simulators.http import SimulatorServer
from stuf import Systeem
from sync import resend
from sync.config import load_settings
from sync.engine import Engine, RetryPolicy
from sync.inbox import Inbox
from sync.resend import claim_requested, request_resend, resend_claimed
from sync.store.db import Store
from sync.store.models import AuditEntry, DeadLetter, DeadLetterState, LedgerEntry, utcnow
from sync.tasks.zaken import run_zaken_partition, run_zaken_resends
from tests.sync.messages import creeer_zaak, status
from tests.sync.test_resend import statuses

FAST = RetryPolicy(attempts=2, wait_base_s=0, wait_max_s=0)


def _settings(store: Store, mappings: Path) -> object:
    return load_settings(
        {
            "KETENBRUG_DATABASE_URL": store.url,
            "KETENBRUG_MAPPINGS_DIR": str(mappings),
            "KETENBRUG_PARTITIONS": "1",
        }
    )


def _config(url: str) -> EsuiteConfig:
    return EsuiteConfig(
        url=url, zender=Systeem("1900", "KB"), ontvanger=Systeem("0153", "ESUITE"), timeout_s=2
    )


def _closed_port_url() -> str:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"  # nothing listens there any more: connection refused


def _unmapped_letter(store: Store, esuite: SimulatorServer, mappings: Path, zaak: str) -> int:
    """A zaak delivered, and one status dead for an unmapped code that beheer then maps."""
    inbox = Inbox(store)
    inbox.receive(creeer_zaak(zaak), None)
    inbox.receive(status(zaak, "GWS-NIEUW", 3, 4), None)
    settings = _settings(store, mappings)
    result = run_zaken_partition(
        0,
        esuite=_config(esuite.url),
        settings=settings,  # type: ignore[arg-type]
        store=store,
        retry=FAST,
    )
    assert result.outcome.dead_reasons == {"unmapped": 1}
    with (mappings / "statussen.csv").open("a", encoding="utf-8") as handle:
        handle.write("gws4all;GWS-NIEUW;3;Nieuwe code van GWS4all\n")
    with store.session() as session:
        return session.scalars(select(DeadLetter.id)).one()


def _letter(store: Store, letter_id: int) -> DeadLetter:
    with store.session() as session:
        letter = session.get(DeadLetter, letter_id)
        assert letter is not None
        return letter


def _resends(store: Store, mappings: Path, url: str) -> dict[str, object]:
    return run_zaken_resends(
        esuite=_config(url),
        settings=_settings(store, mappings),  # type: ignore[arg-type]
        store=store,
        retry=FAST,
    )


def test_resend_while_the_esuite_is_down_leaves_the_letter_open_and_delivers_later(
    store: Store, esuite: SimulatorServer, mappings_dir: Path
) -> None:
    letter_id = _unmapped_letter(store, esuite, mappings_dir, "1900Z-91")
    request_resend(store, letter_id, actor="beheerder")

    down = _resends(store, mappings_dir, _closed_port_url())

    assert down["delivered"] == 0 and down["deferred"] == 1
    letter = _letter(store, letter_id)
    assert letter.state == DeadLetterState.OPEN, "deferred: requestable again, never 'resent'"
    assert letter.claim_owner is None and letter.claimed_until is None
    assert letter.resend_note and "uitgesteld" in letter.resend_note
    assert statuses(esuite, "1900Z-91") == [], "nothing reached the e-Suite"
    with store.session() as session:
        parked = session.scalars(
            select(LedgerEntry.state).where(LedgerEntry.source_key.like("status:1900Z-91:%"))
        ).all()
    assert parked == ["dead"], "parked with the open letter, not left in flight for good"

    listed = subprocess.run(
        [sys.executable, "-m", "sync.cli", "deadletters", "list"],
        env={"KETENBRUG_DATABASE_URL": store.url, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "uitgesteld" in listed, "beheer sees the deferral in the list"

    request_resend(store, letter_id, actor="beheerder")
    up = _resends(store, mappings_dir, esuite.url)
    assert up["delivered"] == 1
    assert _letter(store, letter_id).state == DeadLetterState.RESENT
    assert _letter(store, letter_id).resend_note is None
    assert statuses(esuite, "1900Z-91") == [3]


def test_a_failed_resend_run_gives_its_claims_back_at_once(
    store: Store, esuite: SimulatorServer, mappings_dir: Path
) -> None:
    letter_id = _unmapped_letter(store, esuite, mappings_dir, "1900Z-92")
    request_resend(store, letter_id, actor="beheerder")
    owner = "test-owner"
    claimed = claim_requested(store, "zaken", owner=owner)
    assert claimed == [letter_id]

    class Exploding(Engine):
        def run_batch(self, *_args: object, **_kwargs: object) -> object:  # type: ignore[override]
            raise RuntimeError("worker lost its database connection")

    from mappings import load_tables
    from sync.flows.zaken import ZakenFlow

    engine = Exploding(store, ZakenFlow(), {}, load_tables(mappings_dir))
    with pytest.raises(RuntimeError):
        resend_claimed(store, engine, claimed, lambda _letter: [], owner=owner)
    letter = _letter(store, letter_id)
    assert letter.state == DeadLetterState.OPEN, "not stuck in 'resending' for the lease"
    assert letter.resend_note and "afgebroken" in letter.resend_note


def test_a_letter_that_yields_no_record_is_not_resent(
    store: Store, esuite: SimulatorServer, mappings_dir: Path
) -> None:
    letter_id = _unmapped_letter(store, esuite, mappings_dir, "1900Z-93")
    request_resend(store, letter_id, actor="beheerder")
    owner = "test-owner"
    claimed = claim_requested(store, "zaken", owner=owner)
    from mappings import load_tables
    from sync.flows.zaken import ZakenFlow

    engine = Engine(store, ZakenFlow(), {}, load_tables(mappings_dir))
    resend_claimed(store, engine, claimed, lambda _letter: [], owner=owner)
    letter = _letter(store, letter_id)
    assert letter.state == DeadLetterState.OPEN
    assert letter.resend_note and "niet meer te lezen" in letter.resend_note


def test_a_stale_resend_claim_of_a_dead_process_is_taken_over_and_a_live_one_is_not(
    store: Store, esuite: SimulatorServer, mappings_dir: Path
) -> None:
    letter_id = _unmapped_letter(store, esuite, mappings_dir, "1900Z-94")
    request_resend(store, letter_id, actor="beheerder")
    # A run in another process claims it, then dies before it resends.
    code = (
        "from sync.store.db import Store; from sync.resend import claim_requested; "
        f"print(claim_requested(Store({store.url!r}), 'zaken'))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == f"[{letter_id}]", done.stderr
    assert _letter(store, letter_id).state == DeadLetterState.RESENDING
    # The claim has not expired, but its owner is gone: the next run takes it over at once.
    assert claim_requested(store, "zaken", owner="next-run") == [letter_id]
    # A live owner's claim (this process, not expired) is left alone.
    assert claim_requested(store, "zaken", owner="third-run") == []
    # Expired: taken over, whoever owned it.
    with store.session() as session:
        session.execute(
            update(DeadLetter)
            .where(DeadLetter.id == letter_id)
            .values(claimed_until=utcnow() - timedelta(seconds=1))
        )
    assert claim_requested(store, "zaken", owner="fourth-run") == [letter_id]
    assert _letter(store, letter_id).claim_owner == "fourth-run"


def _hold_claimers_after_candidates(
    monkeypatch: pytest.MonkeyPatch, parties: int
) -> threading.Barrier:
    """Both claimers read the same candidates, then wait for each other before claiming."""
    barrier = threading.Barrier(parties, timeout=30)
    original = resend._candidate_ids

    def held(*args: object, **kwargs: object) -> list[object]:
        found = original(*args, **kwargs)  # type: ignore[arg-type]
        barrier.wait()
        return found

    monkeypatch.setattr(resend, "_candidate_ids", held)
    return barrier


def test_two_claimers_past_the_candidate_query_claim_once(
    store: Store, esuite: SimulatorServer, mappings_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    letter_id = _unmapped_letter(store, esuite, mappings_dir, "1900Z-95")
    request_resend(store, letter_id, actor="beheerder")
    _hold_claimers_after_candidates(monkeypatch, 2)
    results: dict[str, list[int]] = {}

    def claimer(name: str) -> None:
        results[name] = claim_requested(store, "zaken", owner=name)

    threads = [threading.Thread(target=claimer, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(len(claimed) for claimed in results.values()) == [0, 1]


def test_two_resend_runs_on_one_request_deliver_one_status_and_one_audit_row(
    store: Store, esuite: SimulatorServer, mappings_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    letter_id = _unmapped_letter(store, esuite, mappings_dir, "1900Z-96")
    request_resend(store, letter_id, actor="beheerder")
    _hold_claimers_after_candidates(monkeypatch, 2)
    outcomes: list[dict[str, object]] = []

    def run() -> None:
        outcomes.append(_resends(store, mappings_dir, esuite.url))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(int(o["resends"]) for o in outcomes) == [0, 1]  # type: ignore[call-overload]
    assert statuses(esuite, "1900Z-96") == [3]
    with store.session() as session:
        resent = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "resent", AuditEntry.object_id == str(letter_id)
            )
        ).all()
        ledger = session.scalars(
            select(LedgerEntry.state).where(LedgerEntry.source_key.like("status:1900Z-96:%"))
        ).all()
    assert len(resent) == 1
    assert ledger == ["delivered"]


def test_a_resent_status_older_than_the_delivered_one_is_superseded_not_written(
    store: Store,
    esuite: SimulatorServer,
    mappings_dir: Path,
) -> None:
    letter_id = _unmapped_letter(store, esuite, mappings_dir, "1900Z-O1")  # GWS-NIEUW, day 4
    Inbox(store).receive(status("1900Z-O1", "GWS-AV-05", 5, 9), None)  # newer, delivered
    from sync.tasks.zaken import run_zaken_partition
    from tests.sync.test_resend_safety import FAST, _config, _settings

    run_zaken_partition(
        0,
        esuite=_config(esuite.url),
        settings=_settings(store, mappings_dir),  # type: ignore[arg-type]
        store=store,
        retry=FAST,
    )
    assert statuses(esuite, "1900Z-O1") == [5]
    request_resend(store, letter_id, actor="beheerder")
    outcome = _resends(store, mappings_dir, esuite.url)
    assert outcome["superseded"] == 1 and outcome["delivered"] == 0
    assert statuses(esuite, "1900Z-O1") == [5], "the zaak did not go back in time"
    letter = _letter(store, letter_id)
    assert letter.state == DeadLetterState.RESENT
    assert letter.resend_note and "nieuwere status" in letter.resend_note


def test_a_second_press_is_told_it_was_requested_already(
    store: Store, esuite: SimulatorServer, mappings_dir: Path
) -> None:
    letter_id = _unmapped_letter(store, esuite, mappings_dir, "1900Z-97")
    assert request_resend(store, letter_id, actor="anna") is True
    assert request_resend(store, letter_id, actor="bob") is False  # read after anna's commit
    claim_requested(store, "zaken", owner="run")
    # bob's press lost the compare-and-set while the run already holds it: still "al aangevraagd"
    assert request_resend(store, letter_id, actor="bob") is False
    with store.session() as session:
        requests = session.scalars(
            select(AuditEntry.actor).where(AuditEntry.action == "resend_requested")
        ).all()
    assert requests == ["anna"]

"""The ketenbrug command as beheer uses it: list, resend, skip, status, purge."""

from __future__ import annotations

import pytest

from sync.cli import main
from sync.deadletters import record_dead_letter
from sync.store.db import Store


@pytest.fixture
def letter_id(sqlite_store: Store, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("KETENBRUG_DATABASE_URL", sqlite_store.url)
    with sqlite_store.session() as session:
        letter = record_dead_letter(
            session,
            flow="zaken",
            source_system="gws4all",
            source_key="status:1900Z-1:X:2026",
            reason="unmapped",
            message="code 'X' onbekend voor client 111222333",
            payload_ref="inbox:1",
        )
        session.flush()
        return letter.id


def test_list_masks_bsns(letter_id: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["deadletters", "list"]) == 0
    out = capsys.readouterr().out
    assert "unmapped" in out and "111222333" not in out and "*****2333" in out


def test_resend_twice_is_one_request_then_skip_is_refused_without_reason(
    letter_id: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["deadletters", "resend", str(letter_id)]) == 0
    assert main(["deadletters", "resend", str(letter_id)]) == 0
    assert main(["deadletters", "list", "--state", "resend_requested"]) == 0
    assert "1 dead letter(s)" in capsys.readouterr().out
    assert main(["deadletters", "skip", str(letter_id), "--reason", " "]) == 1
    assert main(["deadletters", "skip", str(letter_id), "--reason", "vervallen"]) == 0
    assert main(["deadletters", "resend", str(letter_id)]) == 1, "a skipped letter stays skipped"


def test_status_and_purge_run(letter_id: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--hours", "1"]) == 0
    assert "zaken (GWS4all" in capsys.readouterr().out
    assert main(["purge", "--days", "30"]) == 0
    assert "verwijderd" in capsys.readouterr().out

"""RetryPolicy.call: the first try without tenacity, the same tries and waits as retrying()."""

from __future__ import annotations

import pytest

from adapters.errors import PermanentError, TransientError
from sync import engine
from sync.engine import RetryPolicy


def _flaky(failures: int, calls: list[int]) -> object:
    def action() -> None:
        calls.append(1)
        if len(calls) <= failures:
            raise TransientError("even niet")

    return action


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    seen: list[float] = []
    monkeypatch.setattr(engine.time, "sleep", seen.append)
    monkeypatch.setattr("tenacity.nap.time.sleep", seen.append)
    return seen


def test_success_at_once_tries_once_and_never_waits(waits: list[float]) -> None:
    calls: list[int] = []
    RetryPolicy(attempts=5).call(_flaky(0, calls))  # type: ignore[arg-type]
    assert len(calls) == 1 and waits == []


def test_transient_faults_get_every_attempt_with_growing_waits(waits: list[float]) -> None:
    calls: list[int] = []
    policy = RetryPolicy(attempts=4, wait_base_s=0.1, wait_max_s=0.3)
    policy.call(_flaky(3, calls))  # type: ignore[arg-type]
    assert len(calls) == 4
    assert waits == pytest.approx([0.1, 0.2, 0.3])  # base, doubled, capped: as retrying()


def test_the_last_transient_fault_is_raised_after_all_attempts(waits: list[float]) -> None:
    calls: list[int] = []
    with pytest.raises(TransientError):
        RetryPolicy(attempts=3, wait_base_s=0.0).call(_flaky(10, calls))  # type: ignore[arg-type]
    assert len(calls) == 3


def test_a_permanent_error_is_not_retried(waits: list[float]) -> None:
    calls: list[int] = []

    def action() -> None:
        calls.append(1)
        raise PermanentError("nooit")

    with pytest.raises(PermanentError):
        RetryPolicy(attempts=5).call(action)
    assert len(calls) == 1

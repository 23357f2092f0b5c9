"""The kit is red on a broken adapter: each check fails on the fault it exists for.

The e-Suite harness is wrapped so its target misbehaves in one way at a time; the check that
covers that way must raise AssertionError (and the untouched target passes, test_contract).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.base import Operation, Target
from adapters.errors import AmbiguousWriteError, TransientError
from adapters.registry import get
from tests.contract import kit
from tests.contract.harnesses import EsuiteHarness

log = logging.getLogger("adapters.broken")


class Broken:
    """The real e-Suite target with one fault of behaviour."""

    system = "esuite"

    def __init__(self, inner: Target, fault: str) -> None:
        self.inner, self.fault = inner, fault

    def apply(self, operation: Operation) -> None:
        if self.fault == "logs_data":
            log.info("schrijf %s", dict(operation.data))
        try:
            self.inner.apply(operation)
        except AmbiguousWriteError as exc:
            if self.fault == "hides_ambiguity":
                raise TransientError("mislukt") from exc
            raise
        if self.fault == "writes_twice":
            self.inner.apply(operation)

    def is_applied(self, operation: Operation) -> bool:
        if self.fault == "always_applied":
            return True
        return self.inner.is_applied(operation)


CASES: list[tuple[str, Callable[..., None]]] = [
    ("always_applied", kit.check_is_applied_exactly_after_apply),
    ("writes_twice", kit.check_idempotent_write),
    ("hides_ambiguity", kit.check_lost_answer),
    ("logs_data", kit.check_target_logs_no_bsn),
]


@pytest.mark.parametrize(("fault", "check"), CASES, ids=[c[0] for c in CASES])
def test_the_kit_fails_a_target_that(
    fault: str, check: Callable[..., None], request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    class BrokenHarness(EsuiteHarness):
        def target(self, config: Any) -> Target:
            return Broken(super().target(config), fault)

    harness = BrokenHarness(request, tmp_path)
    harness.start()
    try:
        with pytest.raises(AssertionError):
            check(get("esuite"), harness)
    finally:
        harness.stop()

"""The contract kit over every adapter in the registry (``adapters.registry.BUILTIN``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.contract.kit import Case, contract_cases, run_case


@pytest.mark.parametrize("case", contract_cases())
def test_contract(case: Case, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    run_case(case, request, tmp_path)

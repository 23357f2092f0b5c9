"""Zgw against the adapter contract kit (tests/contract/kit.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.contract.kit import Case, contract_cases, run_case


@pytest.mark.parametrize("case", contract_cases(["adapters.zgw.plugin"]))
def test_contract(case: Case, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    run_case(case, request, tmp_path)

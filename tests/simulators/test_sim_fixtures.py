"""The fixtures in ``simulators.testing`` as the lead will use them from tests/conftest.py."""

from __future__ import annotations

import requests

from simulators.testing import SimulatorHandle, esuite, esuite_simulator

__all__ = ["esuite", "esuite_simulator"]


def test_session_simulator_is_running(esuite_simulator: SimulatorHandle) -> None:
    assert esuite_simulator.server.running
    assert requests.get(esuite_simulator.url + "/_admin/state", timeout=5).ok


def test_each_test_starts_clean_part_one(esuite: SimulatorHandle) -> None:
    esuite.store.next_identificatie()
    esuite.set_faults(transient_rate=1.0, transient_variants=["http_503"])
    assert requests.post(esuite.url, data=b"x", timeout=5).status_code == 503


def test_each_test_starts_clean_part_two(esuite: SimulatorHandle) -> None:
    assert esuite.server.faults.config.is_quiet
    assert esuite.fault_counts() == {}
    assert esuite.store.next_identificatie() == "0153ESUITE1000001"
    assert esuite.statuses("0153ESUITE1000001") == []

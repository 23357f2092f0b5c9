"""Fixtures for the HTTPS simulator tests (the lead imports the same ones elsewhere)."""

from __future__ import annotations

from simulators.tls_testing import simulator_pki, ssd, ssd_simulator, suwinet, suwinet_simulator

__all__ = ["simulator_pki", "ssd", "ssd_simulator", "suwinet", "suwinet_simulator"]

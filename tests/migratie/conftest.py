"""Fixtures of the migration tests: MyLex over the real sshd and the e-Suite simulator."""

from __future__ import annotations

from simulators.testing import esuite, esuite_simulator
from tests.adapters_mylex.conftest import archive, make_config, mylex

__all__ = ["archive", "esuite", "esuite_simulator", "make_config", "mylex"]

"""The throwaway PostgreSQL that `./run test` starts on a machine without one.

Run here beside the real server on 5432: the script must pick another port, serve loopback
only, hold a migratable `test` database, and leave nothing behind when stopped.
"""

from __future__ import annotations

import socket
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, inspect, text

from sync.store.db import Store
from tests.conftest import THROWAWAY_PG

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def _script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(THROWAWAY_PG), *args], capture_output=True, text=True, check=False, timeout=300
    )


def _answers(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_throwaway_cluster_starts_migrates_and_goes_away() -> None:
    folder = Path(tempfile.mkdtemp(prefix="ketenbrug-pg-test-", dir="/tmp"))
    started = _script("start", str(folder))
    try:
        assert started.returncode == 0, started.stderr
        url = started.stdout.strip().splitlines()[-1]
        port = urlsplit(url.replace("postgresql+psycopg2", "postgresql")).port
        assert port and port != 5432
        assert (folder / "url").read_text().strip() == url

        engine = create_engine(url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT current_database()")).scalar() == "test"
            assert conn.execute(text("SHOW listen_addresses")).scalar() == "127.0.0.1"
        engine.dispose()

        store = Store(url)
        store.migrate()
        assert {"inbox_message", "ledger_entry", "dead_letter"} <= set(
            inspect(store.engine).get_table_names()
        )
        store.dispose()
    finally:
        stopped = _script("stop", str(folder))
    assert stopped.returncode == 0, stopped.stderr
    assert not folder.exists()
    assert not _answers(port)


def test_stop_of_a_folder_that_is_gone_is_harmless(tmp_path: Path) -> None:
    """`./run test` stops in an EXIT trap, also when the start failed half-way."""
    assert _script("stop", str(tmp_path / "never-started")).returncode == 0


def test_usage_errors_are_refused() -> None:
    result = _script("frobnicate")
    assert result.returncode != 0
    assert "usage" in result.stderr

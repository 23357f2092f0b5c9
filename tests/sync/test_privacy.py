"""Privacy of the state store and of log output: file modes, durable commits, masked logs."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, cast

import pytest
from sqlalchemy import text

from adapters.errors import PermanentError
from privacy.masking import BsnMaskingFilter
from sync.blobs import BlobStore
from sync.sources.esuite_documents import EsuiteDocumentSource
from sync.store.db import Store

BSN = "111222333"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that lets everyone read new files (a common default): the store must not."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_sqlite_store_its_wal_and_shm_are_private(tmp_path: Path, open_umask: None) -> None:
    db = tmp_path / "nieuw" / "state.db"
    store = Store(f"sqlite:///{db}")
    try:
        store.migrate()
        with store.engine.connect() as connection:  # held open: -wal and -shm exist
            connection.execute(text("CREATE TABLE proef (x INTEGER)"))
            connection.execute(text("INSERT INTO proef VALUES (1)"))
            connection.commit()
            wal, shm = db.with_name("state.db-wal"), db.with_name("state.db-shm")
            assert wal.exists() and shm.exists()
            assert {p.name: _mode(p) for p in (db, wal, shm)} == {
                "state.db": 0o600,
                "state.db-wal": 0o600,
                "state.db-shm": 0o600,
            }
        assert _mode(db.parent) == 0o700  # Ketenbrug made the folder
    finally:
        store.dispose()


def test_a_store_left_readable_by_an_older_version_is_tightened(
    tmp_path: Path, open_umask: None
) -> None:
    db = tmp_path / "state.db"
    db.touch(mode=0o644)
    os.chmod(db, 0o644)
    Store(f"sqlite:///{db}").dispose()
    assert _mode(db) == 0o600


def test_sqlite_commits_are_synced_fully(sqlite_store: Store) -> None:
    with sqlite_store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL


class _FailingReader:
    def list_documents(self, zaak_identificatie: str) -> list[Any]:
        raise PermanentError(
            f"Fo01: zaak {zaak_identificatie} van betrokkene {BSN} (ook 111.222.333) onbekend",
            system="esuite",
            operation="geefLijstZaakdocumenten",
        )

    def read_document(self, identificatie: str, sink: BinaryIO) -> tuple[Any, str, int]:
        raise AssertionError("not reached")


def test_esuite_fault_text_is_logged_masked(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = EsuiteDocumentSource(
        cast(Store, None), _FailingReader(), BlobStore(tmp_path / "blobs"), known=lambda _: False
    )
    caplog.set_level(logging.INFO, logger="sync.sources.esuite_documents")
    assert source._new_documents("ZAAK-1") == []
    assert "niet op te vragen" in caplog.text and "*****2333" in caplog.text
    assert BSN not in caplog.text and "111.222.333" not in caplog.text


@pytest.fixture
def pristine_logging() -> Iterator[None]:
    """Undo what ``inbox serve`` installs process-wide, so other tests see plain logging."""
    factory = logging.getLogRecordFactory()
    yield
    logging.setLogRecordFactory(factory)
    for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
        for handler in getattr(logger, "handlers", []):
            for found in [f for f in handler.filters if isinstance(f, BsnMaskingFilter)]:
                handler.removeFilter(found)


def test_inbox_serve_masks_bsns_in_its_log(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    pristine_logging: None,
) -> None:
    from sync import cli
    from sync.inbox_guard import GuardedServer

    monkeypatch.setenv("KETENBRUG_HOME", str(tmp_path))
    monkeypatch.delenv("KETENBRUG_DATABASE_URL", raising=False)

    def serve(_server: GuardedServer) -> None:  # what the running inbox would log
        logging.getLogger("sync.inbox").warning("bericht van %s geweigerd", BSN)
        logging.getLogger("uvicorn.error").error("fout voor 111 222 333")

    monkeypatch.setattr(GuardedServer, "run", serve)
    caplog.set_level(logging.INFO)
    assert cli.main(["inbox", "serve", "--insecure-http", "--port", "0"]) == 0
    shown = caplog.text + "".join(capfd.readouterr())
    assert "geweigerd" in shown and "fout voor" in shown  # the lines were logged
    assert BSN not in shown and "111 222 333" not in shown
    assert shown.count("*****2333") >= 2

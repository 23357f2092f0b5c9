"""Check-out, edit, check-in: the documenten flow makes the check-in one new version in the
e-Suite and takes it to Xtendis and MyLex once (real sshd, hot folder and e-Suite simulator)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.esuite.config import EsuiteConfig
from adapters.mylex.config import MyLexConfig
from adapters.xtendis.config import XtendisConfig
from simulators.mylex import MyLexArchive
from simulators.sftp.client import pinned_line
from simulators.sftp.server import SshdServer
from simulators.sftp.testing import SftpArea
from simulators.testing import SimulatorHandle
from simulators.xtendis import XtendisHotFolder
from stuf import Systeem
from sync.config import Settings
from sync.engine import RetryPolicy
from sync.identity import IdentityMap
from sync.inbox import Inbox
from sync.store.db import Store
from sync.tasks.documenten import run_gws4all_documenten
from tests.vragen.messages import esuite_document, esuite_zaak
from tests.vragen.test_checkout import DOC, PDF, ZAAK, check_in, check_out

FAST = RetryPolicy(attempts=2, wait_base_s=0, wait_max_s=0)
VERSIE_2 = b"%PDF-1.7 brief, bewerkt in GWS4all " * 60


@pytest.fixture
def hotfolder(sftp_area: SftpArea) -> Iterator[XtendisHotFolder]:
    (sftp_area.local / "mylex" / "archief").mkdir(parents=True)
    folder = XtendisHotFolder(sftp_area.local / "xtendis", poll_interval=0.05).start()
    yield folder
    folder.stop()


def _configs(esuite: SimulatorHandle, sshd: SshdServer, remote: str) -> dict[str, Any]:
    ssh: dict[str, Any] = {
        "host": sshd.host,
        "port": sshd.port,
        "username": sshd.username,
        "key_path": str(sshd.client_key_path),
        "known_hosts_line": pinned_line(sshd, None),
        "timeout_s": 5.0,
    }
    return {
        "esuite": EsuiteConfig(
            url=f"{esuite.url}/zds",
            zender=Systeem("1900", "CDR"),
            ontvanger=Systeem("1900", "ESUITE"),
            timeout_s=5.0,
        ),
        "xtendis": XtendisConfig(
            **ssh,
            hotfolder_dir=f"{remote}/xtendis/hotfolder",
            receipts_dir=f"{remote}/xtendis/receipts",
        ),
        "mylex": MyLexConfig(**ssh, root_dir=f"{remote}/mylex"),
    }


def test_check_out_then_check_in_is_one_new_version_delivered_once(
    inbox: Inbox,
    store: Store,
    esuite: SimulatorHandle,
    sshd_server: SshdServer,
    sftp_area: SftpArea,
    hotfolder: XtendisHotFolder,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    esuite_zaak(esuite.store, ZAAK)
    esuite_document(esuite.store, DOC, ZAAK, PDF)
    with store.session() as session:
        IdentityMap(session).link("zaak", "gws4all", ZAAK, "esuite", ZAAK)
    versions: list[str] = []
    update = esuite.store.update_streamed_document

    def counting(wordt: Any, **kwargs: Any) -> Any:
        versions.append(str(kwargs.get("sha256")))
        return update(wordt, **kwargs)

    monkeypatch.setattr(esuite.store, "update_streamed_document", counting)

    held = check_out(inbox)
    answer = inbox.receive(check_in(DOC, ZAAK, VERSIE_2, held.checked_out_id), None)
    assert answer.status == 200, answer.body[:400]

    settings = Settings(home=tmp_path / "home", database_url="unused", batch_size=100, partitions=1)
    configs = _configs(esuite, sshd_server, sftp_area.remote)
    for _run in range(2):  # the second run finds nothing left to do
        run_gws4all_documenten(
            0, settings=settings, store=store, retry=FAST, budget_s=60, **configs
        )
    assert versions == [hashlib.sha256(VERSIE_2).hexdigest()], "one new version"
    stored = esuite.store.document(DOC)
    assert stored is not None and stored.sha256 == hashlib.sha256(VERSIE_2).hexdigest()
    assert len(hotfolder.documents()) == 1, "Xtendis got it once"
    inventory = MyLexArchive(sftp_area.local / "mylex").inventory()
    assert [d.identificatie for d in inventory] == [DOC], "MyLex got it once"

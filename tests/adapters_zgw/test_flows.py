"""The proof of issue #13: a ZGW zaaksysteem in the zaaksysteem part, nothing in sync/ changed.

With ``KETENBRUG_ROL_ZAAKSYSTEEM=zgw`` the real task entry points deliver GWS4all's zaken,
statuses and documents into the ZGW simulator, the documents also into Xtendis (filed under
the BSN read from the zaak's initiator Rol) and MyLex; the e-Suite is not a target at all.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters import registry
from adapters.mylex.config import MyLexConfig
from adapters.xtendis.config import XtendisConfig
from simulators.mylex import MyLexArchive
from simulators.sftp.client import pinned_line
from simulators.sftp.server import SshdServer
from simulators.sftp.testing import SftpArea
from simulators.xtendis import XtendisHotFolder
from simulators.zgw import ZgwServer
from sync.blobs import BlobStore
from sync.config import Settings
from sync.engine import RetryPolicy
from sync.inbox import Inbox
from sync.store.db import Store
from sync.tasks.documenten import run_gws4all_documenten
from sync.tasks.zaken import run_zaken_partition
from tests.adapters_zgw.conftest import zgw_config
from tests.sync.messages import BSN, creeer_zaak, status, voeg_document

FAST = RetryPolicy(attempts=2, wait_base_s=0, wait_max_s=0)
ZAAK = "1900ZGW0001"


@pytest.fixture(autouse=True)
def zgw_is_the_zaaksysteem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KETENBRUG_ROL_ZAAKSYSTEEM", "zgw")


def test_the_registry_puts_zgw_in_the_zaaksysteem_part() -> None:
    assert [r.system for r in registry.targets_for("zaken")] == ["zgw"]
    assert "esuite" not in [r.system for r in registry.targets_for("documenten")]
    assert "zgw" in [r.system for r in registry.targets_for("documenten")]
    assert registry.pools()["zgw"].slots >= 1
    assert registry.role_system("zaaksysteem") == "zgw"


def test_without_the_choice_the_esuite_stays_the_zaaksysteem(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("KETENBRUG_ROL_ZAAKSYSTEEM")
    assert [r.system for r in registry.targets_for("zaken")] == ["esuite"]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", database_url="unused", batch_size=100, partitions=1)


def _ssh(sshd: SshdServer) -> dict[str, object]:
    return {
        "host": sshd.host,
        "port": sshd.port,
        "username": sshd.username,
        "key_path": str(sshd.client_key_path),
        "known_hosts_line": pinned_line(sshd, None),
        "timeout_s": 5.0,
    }


@pytest.fixture
def hotfolder(sftp_area: SftpArea) -> Iterator[XtendisHotFolder]:
    (sftp_area.local / "mylex" / "archief").mkdir(parents=True)
    folder = XtendisHotFolder(sftp_area.local / "xtendis", poll_interval=0.05).start()
    yield folder
    folder.stop()


def test_zaken_and_documenten_flow_into_the_zgw_zaaksysteem(
    store: Store,
    zgw: ZgwServer,
    settings: Settings,
    sshd_server: SshdServer,
    sftp_area: SftpArea,
    hotfolder: XtendisHotFolder,
) -> None:
    inbox = Inbox(store, blobs=BlobStore(settings.home / "blobs"))
    inbox.receive(creeer_zaak(ZAAK), None)
    inbox.receive(status(ZAAK, "GWS-AV-01", 1, 2), None)
    content = b"%PDF-1.4\n" + os.urandom(50_000)
    inbox.receive(voeg_document(f"{ZAAK}-D1", ZAAK, content), None)

    zaken = run_zaken_partition(0, zgw=zgw_config(zgw), settings=settings, store=store, retry=FAST)
    assert (zaken.outcome.delivered, zaken.outcome.dead_lettered) == (2, 0)
    zaak = zgw.store.zaak_by_identificatie(ZAAK)
    assert zaak is not None
    key = next(k for k, z in zgw.store.zaken.items() if z is zaak)
    assert [r["betrokkeneIdentificatie"]["inpBsn"] for r in zgw.store.rollen_of(key)] == [BSN]
    assert len(zgw.store.statussen_of(key)) == 1

    ssh, remote = _ssh(sshd_server), sftp_area.remote
    configs: dict[str, object] = {
        "zgw": zgw_config(zgw),
        "xtendis": XtendisConfig(
            **ssh,  # type: ignore[arg-type]
            hotfolder_dir=f"{remote}/xtendis/hotfolder",
            receipts_dir=f"{remote}/xtendis/receipts",
        ),
        "mylex": MyLexConfig(**ssh, root_dir=f"{remote}/mylex"),  # type: ignore[arg-type]
    }
    documenten = run_gws4all_documenten(
        0, settings=settings, store=store, retry=FAST, budget_s=60, **configs
    )
    assert (documenten.outcome.delivered, documenten.outcome.dead_lettered) == (1, 0)
    stored = zgw.store.document_by_identificatie(f"{ZAAK}-D1")
    assert stored is not None
    assert Path(stored.latest["_path"]).read_bytes() == content
    assert len(zgw.store.links_of(key)) == 1
    assert len(hotfolder.documents()) == 1, "Xtendis got it, under the BSN from the Rol"
    inventory = MyLexArchive(sftp_area.local / "mylex").inventory()
    assert [d.identificatie for d in inventory] == [f"{ZAAK}-D1"]

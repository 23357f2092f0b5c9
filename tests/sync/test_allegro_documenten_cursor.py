"""Allegro's document exports follow a cursor: a document whose write was deferred must bring its
export back next run, and then be delivered, once, to every target.

The whole path is real: the export on a real sshd (Allegro simulator), ``run_allegro_documenten``
with its engine and cursor, the e-Suite simulator over HTTP (answering 503 to every call in the
first run), Xtendis' hot folder with its import processor and MyLex over SFTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from adapters.allegro.config import AllegroConfig
from adapters.esuite.config import EsuiteConfig
from adapters.mylex.config import MyLexConfig
from adapters.xtendis.config import XtendisConfig
from simulators.allegro import AllegroExporter, DocumentExport
from simulators.mylex import MyLexArchive
from simulators.sftp.client import pinned_line
from simulators.sftp.server import SshdServer
from simulators.sftp.testing import SftpArea
from simulators.testing import SimulatorHandle, esuite, esuite_simulator
from simulators.xtendis import XtendisHotFolder
from stuf import Systeem, Zaak
from sync.config import Settings
from sync.drain import PartitionResult
from sync.engine import RetryPolicy
from sync.identity import IdentityMap
from sync.store.db import Store
from sync.tasks.documenten import run_allegro_documenten
from sync.zaak_kenmerken import ZaakKenmerken

__all__ = ["esuite", "esuite_simulator"]  # the simulator fixtures, used below

FAST = RetryPolicy(attempts=2, wait_base_s=0, wait_max_s=0)
BSN = "123456782"  # synthetic, passes the elfproef (Xtendis files the drop under it)


@dataclass
class Rig:
    store: Store
    esuite: SimulatorHandle
    area: SftpArea
    settings: Settings
    configs: dict[str, object]
    xtendis: XtendisHotFolder
    mylex: MyLexArchive

    def run(self) -> PartitionResult:
        return run_allegro_documenten(
            settings=self.settings, store=self.store, retry=FAST, budget_s=60, **self.configs
        )  # type: ignore[arg-type]

    def exports_waiting(self) -> list[str]:
        return sorted(p.name for p in (self.area.local / "export").glob("ALG_DOC_*.csv"))

    def esuite_documents(self) -> list[str]:
        return sorted(self.esuite.store.snapshot().get("documenten", {}))

    def xtendis_documents(self) -> int:
        return len(self.xtendis.documents())

    def mylex_documents(self) -> list[str]:
        return sorted(doc.identificatie for doc in self.mylex.inventory())


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
def rig(
    store: Store,
    esuite: SimulatorHandle,
    sshd_server: SshdServer,
    sftp_area: SftpArea,
    tmp_path: Path,
) -> Iterator[Rig]:
    remote, ssh = sftp_area.remote, _ssh(sshd_server)
    (sftp_area.local / "mylex" / "archief").mkdir(parents=True)
    hotfolder = XtendisHotFolder(
        sftp_area.local / "xtendis", poll_interval=0.05, incomplete_after=5.0
    ).start()
    configs: dict[str, object] = {
        "esuite": EsuiteConfig(
            url=f"{esuite.url}/zds",
            zender=Systeem("1900", "CDR"),
            ontvanger=Systeem("1900", "ESUITE"),
            timeout_s=5.0,
        ),
        "xtendis": XtendisConfig(
            **ssh,  # type: ignore[arg-type]
            hotfolder_dir=f"{remote}/xtendis/hotfolder",
            receipts_dir=f"{remote}/xtendis/receipts",
        ),
        "mylex": MyLexConfig(**ssh, root_dir=f"{remote}/mylex"),  # type: ignore[arg-type]
        "allegro": AllegroConfig(
            **ssh,  # type: ignore[arg-type]
            export_dir=f"{remote}/export",
            return_dir=f"{remote}/return",
        ),
    }
    settings = Settings(home=tmp_path / "home", database_url="unused", batch_size=100)
    try:
        yield Rig(
            store,
            esuite,
            sftp_area,
            settings,
            configs,
            hotfolder,
            MyLexArchive(sftp_area.local / "mylex"),
        )
    finally:
        hotfolder.stop()


def _export_with_known_zaken(rig: Rig) -> DocumentExport:
    """Two documents of dossiers whose zaken the e-Suite has, under the dossiernummer, as the
    zaken flow created, linked and recorded them (zaaktype B1026: routed to the e-Suite, the
    dossier and MyLex, see mappings/zaaktype_routering.csv)."""
    exporter = AllegroExporter(rig.area.local, seed=7)
    exporter.write_batch(2)
    export = exporter.write_documents(2, sizes=4096, document_faults={}, export_fault="")
    day = date(2026, 3, 1)
    for dossier in sorted({d.dossiernummer for d in export.documents}):
        rig.esuite.store.create_zaak(
            Zaak(dossier, "B1026", startdatum=day, registratiedatum=day, initiator_bsn=BSN)
        )
        with rig.store.session() as session:
            IdentityMap(session).link("zaak", "allegro", dossier, "esuite", dossier)
            ZaakKenmerken(session).record(dossier, bron="allegro", zaaktype="B1026", startdatum=day)
    return export


def test_a_deferred_document_brings_its_export_back_and_is_delivered_once(rig: Rig) -> None:
    export = _export_with_known_zaken(rig)
    documents = sorted(d.document_id for d in export.documents)

    rig.esuite.set_faults(transient_rate=1.0, transient_variants=("http_503",))
    down = rig.run()
    assert down.outcome.deferred == len(documents)
    assert down.outcome.dead_lettered == 0
    assert rig.esuite_documents() == []
    assert rig.exports_waiting() == [export.name], "offered again: not archived"

    rig.esuite.set_faults()  # the e-Suite is back
    back = rig.run()
    assert back.outcome.deferred == 0
    assert back.outcome.delivered == len(documents)
    assert rig.exports_waiting() == [], "archived once everything is delivered"
    assert rig.esuite_documents() == documents
    assert rig.mylex_documents() == documents
    assert rig.xtendis_documents() == len(documents)

    again = rig.run()
    assert (again.batches, again.outcome.read) == (0, 0), "the export is not offered a third time"
    assert rig.esuite_documents() == documents
    assert rig.xtendis_documents() == len(documents), "each document dropped once"
    assert rig.mylex_documents() == documents

"""Xtendis in the reconciliation: delivered drops in the ledger against the simulator's receipts,
read over the real sshd."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from adapters.base import SourceRecord
from adapters.document import DROP_DOCUMENT
from adapters.xtendis.client import XtendisClient
from adapters.xtendis.config import XtendisConfig
from adapters.xtendis.controle import ontvangstbevestigingen
from simulators.sftp.client import pinned_line
from simulators.sftp.server import SshdServer
from simulators.sftp.testing import SftpArea
from simulators.xtendis import XtendisHotFolder, build_index_xml, drop_local
from sync.flows.documenten import drop_name
from sync.store.db import Store
from sync.store.models import DriftItemRow, DriftState, LedgerEntry, LedgerState
from sync.xtendis_controle import controleer_xtendis

GOED_BSN = "123456782"
FOUT_BSN = "123456789"  # fails the elfproef: Xtendis answers FOUT


@pytest.fixture
def hotfolder(sftp_area: SftpArea) -> XtendisHotFolder:
    return XtendisHotFolder(sftp_area.local, incomplete_after=0.0)


@pytest.fixture
def client(
    sshd_server: SshdServer, sftp_area: SftpArea, hotfolder: XtendisHotFolder
) -> Iterator[XtendisClient]:
    config = XtendisConfig(
        host=sshd_server.host,
        port=sshd_server.port,
        username=sshd_server.username,
        key_path=str(sshd_server.client_key_path),
        known_hosts_line=pinned_line(sshd_server, None),
        hotfolder_dir=f"{sftp_area.remote}/hotfolder",
        receipts_dir=f"{sftp_area.remote}/receipts",
        timeout_s=5.0,
    )
    xtendis = XtendisClient(config)
    yield xtendis
    xtendis.close()


def _deliver(
    store: Store, hotfolder: XtendisHotFolder, number: int, *, bsn: str = GOED_BSN, versie: int = 1
) -> str:
    """One document dropped as the documenten flow names it, and delivered in the ledger."""
    identificatie = f"1900-2024-{number:08d}-D01"
    pdf = f"%PDF-1.4 brief {number} versie {versie}\n%%EOF\n".encode()
    sha = hashlib.sha256(pdf).hexdigest()
    record = SourceRecord(
        source_system="gws4all",
        key=f"gws4all:document:{identificatie}:{sha[:16]}",
        kind="document",
        data={"document": {"identificatie": identificatie}, "content": {"sha256": sha}},
        payload_ref=f"inbox:{number}",
    )
    name = drop_name(record)
    index = build_index_xml(
        archief="WERK_INKOMEN",
        bsn=bsn,
        kenmerk=identificatie,
        documenttype="Brief",
        documentdatum="2024-03-01",
        titel=f"Brief {number}",
        bestandsnaam=f"{name}.pdf",
    )
    drop_local(hotfolder.hotfolder, name, pdf, index)
    hotfolder.process_once()
    with store.session() as session:
        session.add(
            LedgerEntry(
                flow="documenten",
                source_system="gws4all",
                source_key=record.key,
                target_system="xtendis",
                target_key=identificatie,
                operation=DROP_DOCUMENT,
                content_hash=hashlib.sha256(name.encode()).hexdigest(),
                state=LedgerState.DELIVERED,
            )
        )
    return name


def _open(store: Store) -> dict[str, str | None]:
    with store.session() as session:
        return {
            row.identificatie: row.note
            for row in session.scalars(
                select(DriftItemRow).where(
                    DriftItemRow.kind == "XTENDIS_ONTBREEKT", DriftItemRow.state == DriftState.OPEN
                )
            )
        }


def test_all_receipts_ok_is_no_drift(
    store: Store, hotfolder: XtendisHotFolder, client: XtendisClient
) -> None:
    for number in range(1, 6):
        _deliver(store, hotfolder, number)
    result = controleer_xtendis(store, ontvangstbevestigingen(client), run_ref="r1", sort_chunk=2)
    assert (result.afgeleverd, result.bevestigd, result.ontbreekt) == (5, 5, 0)
    assert result.ontvangstbevestigingen == 5
    assert _open(store) == {}


def test_a_delivered_drop_without_ok_receipt_is_drift_for_beheer(
    store: Store, hotfolder: XtendisHotFolder, client: XtendisClient
) -> None:
    for number in range(1, 5):
        _deliver(store, hotfolder, number)
    lost = _deliver(store, hotfolder, 7)
    (hotfolder.receipts / f"{lost}.ok.xml").unlink()  # the receipt is gone
    rejected = _deliver(store, hotfolder, 8, bsn=FOUT_BSN)  # Xtendis said FOUT after all
    assert (hotfolder.receipts / f"{rejected}.error.xml").exists()

    result = controleer_xtendis(store, ontvangstbevestigingen(client), run_ref="r1", sort_chunk=2)

    assert (result.afgeleverd, result.ontbreekt, result.fout) == (6, 2, 1)
    drift = _open(store)
    assert set(drift) == {"1900-2024-00000007-D01", "1900-2024-00000008-D01"}
    assert rejected in str(drift["1900-2024-00000008-D01"]), "the drop name for beheer"
    assert "2 documenten zonder OK-bevestiging" in result.summary()

    # a second pass finds the same drift: one row each; once the receipt is back, opgelost
    controleer_xtendis(store, ontvangstbevestigingen(client), run_ref="r2")
    assert len(_open(store)) == 2
    (hotfolder.receipts / f"{rejected}.error.xml").rename(hotfolder.receipts / f"{rejected}.ok.xml")
    again = controleer_xtendis(store, ontvangstbevestigingen(client), run_ref="r3")
    assert set(_open(store)) == {"1900-2024-00000007-D01"}
    assert again.opgelost == 1


def test_a_receipt_listed_twice_counts_once_and_hides_no_missing_version(
    store: Store, hotfolder: XtendisHotFolder, client: XtendisClient
) -> None:
    """A listing cut mid-way is read again from the start: names before the cut come twice."""
    for number in range(1, 4):
        _deliver(store, hotfolder, number)
    _deliver(store, hotfolder, 9)
    second = _deliver(store, hotfolder, 9, versie=2)  # a new version of the same document
    (hotfolder.receipts / f"{second}.ok.xml").unlink()  # its receipt never came
    listed = list(ontvangstbevestigingen(client))
    assert len(listed) == 4

    result = controleer_xtendis(store, iter(listed + listed), run_ref="r1", sort_chunk=2)

    assert result.ontvangstbevestigingen == 4, "each receipt file counted once"
    assert (result.afgeleverd, result.bevestigd, result.ontbreekt) == (5, 3, 1)
    assert set(_open(store)) == {"1900-2024-00000009-D01"}

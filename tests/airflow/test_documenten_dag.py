"""The documenten flow and the archive reconciliation, run through Airflow against the simulators.

GWS4all pushes zaken with their letters to the inbox; the zaken DAG puts the zaken in the
e-Suite; the documenten DAG delivers each letter to the e-Suite, Xtendis (hot folder over a
real sshd, receipts from the simulator's importer) and MyLex (MDTO), while the e-Suite answers
20% of calls with transient faults and a TCP proxy cuts 30% of SFTP connections mid-stream.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from demo.airflow import LocalAirflow
from simulators.faults import FaultConfig, FaultInjector
from simulators.gws4all import push_scenario
from simulators.mylex import MyLexArchive
from simulators.sftp.client import pinned_line
from simulators.sftp.proxy import TcpProxy
from simulators.sftp.server import SshdServer
from simulators.sftp.testing import SftpArea
from simulators.xtendis import XtendisHotFolder
from sync.airflow_local import connection_env
from sync.failpoints import CRASH_EXIT_CODE
from sync.store.models import DeadLetter, DriftItemRow, LedgerEntry, LedgerState
from tests.airflow.conftest import ChainRig, make_rig

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

_KENMERK = re.compile(rb"<(?:\w+:)?kenmerk>([^<]+)<")


def sftp_connection(sshd: SshdServer, port: int, **extra: object) -> dict[str, object]:
    return {
        "conn_type": "sftp",
        "host": sshd.host,
        "port": port,
        "login": sshd.username,
        "extra": {
            "private_key_path": str(sshd.client_key_path),
            "known_hosts_line": pinned_line(sshd, port),
            "timeout_s": 5,
            **extra,
        },
    }


@dataclass
class DocumentRig:
    chain: ChainRig
    sshd: SshdServer
    area: SftpArea
    proxy: TcpProxy
    xtendis: XtendisHotFolder
    mylex: MyLexArchive

    def airflow(self, **env: str) -> LocalAirflow:
        remote = self.area.remote
        return self.chain.airflow(
            KETENBRUG_PARTITIONS="2",
            **connection_env(
                "ketenbrug_xtendis",
                sftp_connection(
                    self.sshd,
                    self.proxy.port,
                    hotfolder_dir=f"{remote}/xtendis/hotfolder",
                    receipts_dir=f"{remote}/xtendis/receipts",
                ),
            ),
            **connection_env(
                "ketenbrug_mylex",
                sftp_connection(self.sshd, self.proxy.port, root_dir=f"{remote}/mylex"),
            ),
            **env,
        )

    def esuite_documents(self) -> dict[str, str]:
        state = self.chain.esuite.app.store.snapshot()  # type: ignore[attr-defined]
        return {d: doc["sha256"] for d, doc in state.get("documenten", {}).items()}

    def xtendis_kenmerken(self) -> Counter[str]:
        found: Counter[str] = Counter()
        for folder in self.xtendis.documents():
            match = _KENMERK.search((folder / "index.xml").read_bytes())
            assert match, folder
            found[match.group(1).decode()] += 1
        return found

    def mylex_documents(self) -> dict[str, str]:
        return {doc.identificatie: doc.sha256 for doc in self.mylex.inventory()}


@pytest.fixture
def docrig(
    tmp_path: Path, airflow_home: Path, sshd_server: SshdServer, sftp_area: SftpArea
) -> Iterator[DocumentRig]:
    faults = FaultConfig(transient_rate=0.2, seed=11, transient_variants=("http_503",))
    (sftp_area.local / "mylex" / "archief").mkdir(parents=True)
    hotfolder = XtendisHotFolder(
        sftp_area.local / "xtendis", poll_interval=0.05, incomplete_after=5.0
    ).start()
    proxy = TcpProxy(
        sshd_server.host,
        sshd_server.port,
        faults=FaultInjector(FaultConfig(transient_rate=0.3, seed=5)),
        fault_cut_range=(16_384, 120_000),
        cut_direction="both",
    ).start()
    try:
        for chain in make_rig(tmp_path, airflow_home, faults=faults):
            yield DocumentRig(
                chain,
                sshd_server,
                sftp_area,
                proxy,
                hotfolder,
                MyLexArchive(sftp_area.local / "mylex"),
            )
    finally:
        proxy.stop()
        hotfolder.stop()


def _pushed_documents(rig: DocumentRig, zaken: int, seed: int) -> dict[str, str]:
    pushed = push_scenario(
        rig.chain.inbox.url, zaken=zaken, include_documents=True, duplicate_rate=0.2, seed=seed
    )
    documents = {key.split(":")[2] for key in pushed.keys if key.startswith("document:")}
    assert documents, "the scenario pushed letters"
    return {d: "" for d in documents}


def _deliver(rig: DocumentRig, **env: str) -> None:
    airflow = rig.airflow(**env)
    zaken = airflow.test_dag("ketenbrug_zaken")
    assert zaken.state == "success", zaken.log_path.read_text()[-3000:]
    documenten = airflow.test_dag("ketenbrug_documenten")
    assert documenten.state == "success", documenten.log_path.read_text()[-4000:]


def _assert_each_once(rig: DocumentRig, documents: set[str]) -> None:
    esuite = rig.esuite_documents()
    assert set(esuite) == documents
    kenmerken = rig.xtendis_kenmerken()
    assert set(kenmerken) == documents and max(kenmerken.values()) == 1, kenmerken
    mylex = rig.mylex_documents()
    assert set(mylex) == documents
    assert mylex == esuite, "the same checksum in the new and the old archive"
    assert not list(rig.mylex.verify()), "MyLex content matches its MDTO checksums"


def test_documents_reach_every_target_exactly_once_under_faults(docrig: DocumentRig) -> None:
    documents = set(_pushed_documents(docrig, zaken=6, seed=21))
    _deliver(docrig)

    _assert_each_once(docrig, documents)
    assert docrig.proxy.stats.cut > 0, "SFTP connections were really cut"
    with docrig.chain.store.session() as session:
        letters = session.scalars(select(DeadLetter)).all()
        delivered = Counter(
            session.scalars(
                select(LedgerEntry.target_system).where(
                    LedgerEntry.flow == "documenten", LedgerEntry.state == LedgerState.DELIVERED
                )
            )
        )
    assert not letters, [(x.reason, x.message) for x in letters]
    assert delivered == {
        "esuite": len(documents),
        "xtendis": len(documents),
        "mylex": len(documents),
    }

    again = docrig.airflow().test_dag("ketenbrug_documenten")
    assert again.state == "success"
    _assert_each_once(docrig, documents)


def test_a_crash_mid_transfer_leaves_no_half_file_and_the_rerun_delivers_once(
    docrig: DocumentRig,
) -> None:
    documents = set(_pushed_documents(docrig, zaken=4, seed=22))
    airflow = docrig.airflow()
    assert airflow.test_dag("ketenbrug_zaken").state == "success"
    crashed = docrig.airflow(KETENBRUG_CRASH_AT="mid_transfer:3").test_dag("ketenbrug_documenten")
    assert crashed.returncode == CRASH_EXIT_CODE, "the run died in the middle of an upload"

    # Nothing half-written is visible under a final name: every visible pdf (hot folder,
    # Xtendis' archive, MyLex) is a whole document that exists as a blob at the source.
    blobs = docrig.chain.home / "blobs"

    def whole(pdf: Path) -> bool:
        sha = hashlib.sha256(pdf.read_bytes()).hexdigest()
        return (blobs / sha[:2] / sha).is_file()

    assert not list(docrig.mylex.verify())
    visible = [
        *(docrig.area.local / "xtendis").rglob("[!.]*.pdf"),
        *(docrig.area.local / "mylex").rglob("[!.]*.pdf"),
    ]
    assert visible, "some documents were delivered before the crash"
    assert [pdf.name for pdf in visible if not whole(pdf)] == []

    rerun = docrig.airflow().test_dag("ketenbrug_documenten")
    assert rerun.state == "success", rerun.log_path.read_text()[-4000:]
    _assert_each_once(docrig, documents)


def test_drift_in_mylex_is_found_and_the_missing_document_repaired(docrig: DocumentRig) -> None:
    documents = sorted(_pushed_documents(docrig, zaken=5, seed=23))
    _deliver(docrig)
    removed, changed = documents[0], documents[1]
    before = docrig.mylex_documents()
    docrig.mylex.remove_document(removed)
    docrig.mylex.change_checksum(changed, mode="metadata")
    extra = docrig.mylex.add_extra_document()

    result = docrig.airflow().test_dag("ketenbrug_archief_reconciliatie")
    assert result.state == "success", result.log_path.read_text()[-4000:]

    after = docrig.mylex_documents()
    assert after[removed] == before[removed], "the missing document is archived again"
    with docrig.chain.store.session() as session:
        drift = {(r.kind, r.identificatie): r.state for r in session.scalars(select(DriftItemRow))}
    assert drift == {
        ("MISSING_IN_LEFT", removed): "hersteld",
        ("DIFFERENT_CHECKSUM", changed): "open",
        # the bytes no longer match MyLex' own record either (the byte check reads them all)
        ("BESCHADIGD", changed): "open",
        # only in MyLex, without a zaak or client to place it: waits for beheer as a dead letter
        ("MISSING_IN_RIGHT", extra.identificatie): "open",
    }

    again = docrig.airflow().test_dag("ketenbrug_archief_reconciliatie")
    assert again.state == "success"
    with docrig.chain.store.session() as session:
        rows = session.scalars(select(DriftItemRow)).all()
    assert len(rows) == 4, "the same drift is one item, not a new one each night"

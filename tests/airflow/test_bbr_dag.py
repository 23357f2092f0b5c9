"""The betaalspecificaties DAG really run through Airflow (``airflow dags test``): its
``bbr_specificaties`` task takes Allegro's BBR export over a real sshd into Xtendis' hot folder
(the simulator's importer answers), its ``specificaties`` task asks the SSD simulator over mTLS
for a client with a zaak in the e-Suite simulator (no payment in the run's month: NietsGevonden,
so the e-Suite stays empty). Functiescheiding: BBR goes to Xtendis only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import select

from demo.airflow import LocalAirflow
from demo.run import esuite_connection
from simulators.allegro import AllegroExporter, parse_export
from simulators.sftp.server import SshdServer
from simulators.sftp.testing import SftpArea
from simulators.tls_testing import SoapSimHandle
from simulators.xtendis import INDEX_NS, XtendisHotFolder
from stuf.xml import parse_xml_file
from sync.airflow_local import connection_env
from sync.store.models import DeadLetter, LedgerEntry
from tests.airflow.conftest import ChainRig
from tests.airflow.mtls import mtls_connection, simulator_pki, ssd, ssd_simulator
from tests.airflow.test_allegro_dag import allegro_connection
from tests.airflow.test_documenten_dag import sftp_connection
from tests.airflow.test_suwinet_dag import known_zaak, task_states

__all__ = ["simulator_pki", "ssd", "ssd_simulator"]

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

DAG_ID = "ketenbrug_betaalspecificaties"
SSD_CLIENT = 3


@pytest.fixture
def xtendis(sftp_area: SftpArea) -> Iterator[XtendisHotFolder]:
    hotfolder = XtendisHotFolder(sftp_area.local / "xtendis", poll_interval=0.05).start()
    yield hotfolder
    hotfolder.stop()


def _airflow(rig: ChainRig, sshd: SshdServer, area: SftpArea, ssd: SoapSimHandle) -> LocalAirflow:
    remote = area.remote
    xtendis = sftp_connection(
        sshd,
        sshd.port,
        hotfolder_dir=f"{remote}/xtendis/hotfolder",
        receipts_dir=f"{remote}/xtendis/receipts",
    )
    return rig.airflow(
        **connection_env("ketenbrug_allegro", allegro_connection(sshd, area)),
        **connection_env("ketenbrug_xtendis", xtendis),
        **connection_env(
            "ketenbrug_ssd", mtls_connection(ssd, "/SSD/UitkeringsSpecificatieClient-v0600")
        ),
        **connection_env("ketenbrug_esuite", esuite_connection(rig.esuite.url)),
    )


def _ssd_zaak(rig: ChainRig, ssd: SoapSimHandle) -> str:
    """A zaak of a zaaktype routed to the e-Suite, for the SSD task."""
    zaak = f"0153ESUITE{9_100_000 + SSD_CLIENT}"
    return known_zaak(rig, zaak, "B1026", ssd.known_bsn(SSD_CLIENT), date(2024, 1, 15))


def _kenmerken(xtendis: XtendisHotFolder) -> dict[str, list[str]]:
    """Xtendis' stored documents by kenmerk: the archive each was filed in."""
    found: dict[str, list[str]] = {}
    for folder in xtendis.documents():
        tree = parse_xml_file(folder / "index.xml")
        kenmerk = tree.findtext(f"{{{INDEX_NS}}}document/{{{INDEX_NS}}}kenmerk") or ""
        found.setdefault(kenmerk, []).append(folder.parent.parent.name)
    return found


def _esuite_documents(rig: ChainRig) -> dict[str, str]:
    """Every document in the e-Suite and the zaak it is in."""
    state = rig.esuite.app.store.snapshot()  # type: ignore[attr-defined]
    return {d: document["zaak"] for d, document in state["documenten"].items()}


def test_every_bbr_client_lands_in_the_schuldhulp_dossier_once_and_nowhere_else(
    rig: ChainRig,
    sshd_server: SshdServer,
    sftp_area: SftpArea,
    xtendis: XtendisHotFolder,
    ssd: SoapSimHandle,
) -> None:
    exporter = AllegroExporter(sftp_area.local, seed=3, client_count=40)
    exporter.write_batch(12)  # the dossiers (some budgetbeheer) the BBR specs are written for
    [export] = exporter.write_bbr("2024-01", correction_rate=0.0)
    clients = {
        row["bsn"] for row in parse_export((sftp_area.local / "export" / export.name).read_bytes())
    }
    assert len(clients) >= 2
    _ssd_zaak(rig, ssd)
    airflow = _airflow(rig, sshd_server, sftp_area, ssd)

    result = airflow.test_dag(DAG_ID)

    assert (result.returncode, result.state) == (0, "success"), result.log_path.read_text()[-3000:]
    assert task_states(rig.airflow_home, DAG_ID) == {
        "resend_requested": "success",
        "specificaties": "success",
        "bbr_specificaties": "success",
    }
    filed = _kenmerken(xtendis)
    assert len(filed) == len(clients), "one document per BBR client"
    assert all(archives == ["SCHULDHULP"] for archives in filed.values()), filed
    with rig.store.session() as session:
        letters = session.scalars(select(DeadLetter)).all()
        writes = {(e.source_system, e.target_system) for e in session.scalars(select(LedgerEntry))}
    assert not letters, [(x.reason, x.message) for x in letters]
    assert {target for source, target in writes if source == "allegro"} == {"xtendis"}, (
        "functiescheiding: BBR writes to Xtendis only"
    )
    assert ssd.state()["counts"] == {"niets_gevonden": 1}, "the SSD task asked GWS4all (mTLS)"
    assert _esuite_documents(rig) == {}, "nothing in the e-Suite"
    mylex = sftp_area.local / "mylex"
    assert not mylex.exists() or not any(mylex.rglob("*.pdf")), "nothing in MyLex"

    again = airflow.test_dag(DAG_ID)

    assert again.state == "success", again.log_path.read_text()[-3000:]
    assert _kenmerken(xtendis) == filed, "a second run drops nothing new"
    assert len(xtendis.documents()) == len(clients)
    assert _esuite_documents(rig) == {}
    hotfolder = sftp_area.local / "xtendis" / "hotfolder"
    assert not any(p.is_file() for p in hotfolder.rglob("*")), "no drop left waiting"

"""Allegro's CSV exports over a real sshd into the e-Suite, through the zaken DAG.

Functiescheiding keeps debt-help zaken out of the e-Suite (mappings/zaaktype_routering.csv;
tests/sync/test_functiescheiding.py); this test is about delivering Allegro's exports exactly
once through faults, so beheer's own mappings folder routes Allegro's zaaktypen to the e-Suite.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from mappings.tables import DEFAULT_DIR
from mappings.zaaktype_routering import ZAAKTYPE_ROUTERING
from simulators.allegro import AllegroExporter
from simulators.faults import FaultConfig
from simulators.sftp.client import pinned_line
from simulators.sftp.server import SshdServer
from simulators.sftp.testing import SftpArea
from sync.airflow_local import connection_env
from sync.store.models import DeadLetter, LedgerEntry, LedgerState
from tests.airflow.conftest import ChainRig

pytestmark = [pytest.mark.airflow, pytest.mark.slow]


def allegro_connection(server: SshdServer, area: SftpArea) -> dict[str, object]:
    return {
        "conn_type": "sftp",
        "host": server.host,
        "port": server.port,
        "login": server.username,
        "extra": {
            "private_key_path": str(server.client_key_path),
            "known_hosts_line": pinned_line(server),
            "export_dir": f"{area.remote}/export",
            "return_dir": f"{area.remote}/return",
        },
    }


def allegro_to_the_esuite(tmp_path: Path) -> Path:
    """A copy of the shipped tables in which beheer routes Allegro's zaaktypen to the e-Suite."""
    folder = tmp_path / "mappings"
    folder.mkdir()
    for csv in DEFAULT_DIR.glob("*.csv"):
        shutil.copy(csv, folder / csv.name)
    routering = folder / ZAAKTYPE_ROUTERING
    shipped = routering.read_text(encoding="utf-8")
    routed = shipped.replace(";nee;SCHULDHULP;nee;", ";ja;SCHULDHULP;ja;")
    assert routed.count(";ja;SCHULDHULP;ja;") == 3, "B2010, B2011 and B2012"
    routering.write_text(routed, encoding="utf-8")
    return folder


def test_allegro_exports_delivered_once_with_bad_files_dead_lettered(
    rig: ChainRig, sshd_server: SshdServer, sftp_area: SftpArea, tmp_path: Path
) -> None:
    faults = FaultConfig(transient_rate=0.2, permanent_rate=0.2, duplicate_rate=0.2, seed=4)
    exporter = AllegroExporter(sftp_area.local, seed=4, faults=faults, unmapped_rate=0.05)
    published = [f for _ in range(8) for f in exporter.write_batch(25)]
    published += exporter.flush_late()
    assert exporter.faults.counts().get("permanent", 0) > 0, "some files are broken"

    airflow = rig.airflow(
        KETENBRUG_MAPPINGS_DIR=str(allegro_to_the_esuite(tmp_path)),
        **connection_env("ketenbrug_allegro", allegro_connection(sshd_server, sftp_area)),
    )
    result = airflow.test_dag("ketenbrug_zaken")
    assert result.state == "success", result.log_path.read_text()[-3000:]

    answered = {r.file.removesuffix(".retour.csv") for r in exporter.read_returns()}
    assert answered == {f.name.removesuffix(".csv") for f in published}, "every export answered"

    state = rig.esuite.app.store.snapshot()  # type: ignore[attr-defined]
    statuses = Counter(
        (zaak_id, s["volgnummer"], s["datum_status_gezet"])
        for zaak_id, zaak in state["zaken"].items()
        for s in zaak["statussen"]
    )
    assert statuses and max(statuses.values()) == 1, "no status twice in the e-Suite"
    assert rig.esuite_counts()["duplicate_statussen"] == 0
    with rig.store.session() as session:
        delivered = session.scalars(
            select(LedgerEntry).where(
                LedgerEntry.source_system == "allegro",
                LedgerEntry.operation == "actualiseer_zaakstatus",
                LedgerEntry.state == LedgerState.DELIVERED,
            )
        ).all()
        reasons = Counter(session.scalars(select(DeadLetter.reason)))
    assert len(delivered) == sum(statuses.values())
    assert reasons["unmapped"] > 0
    assert reasons["truncated"] + reasons["checksum_mismatch"] > 0

    exporter.process_returns()
    again = airflow.test_dag("ketenbrug_zaken")
    assert again.state == "success"
    assert rig.esuite_counts()["status_writes"] == sum(statuses.values()), "nothing new written"

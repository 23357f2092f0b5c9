"""The zaken flow run through Airflow (``airflow dags test``) against the simulators."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from simulators.faults import FaultConfig
from simulators.gws4all import push_scenario
from simulators.synthetic_model import GWS4ALL_UNMAPPED_CODE
from sync.failpoints import CRASH_EXIT_CODE
from sync.store.models import DeadLetter, InboxMessage, InboxState
from tests.airflow.conftest import ChainRig, make_rig

pytestmark = [pytest.mark.airflow, pytest.mark.slow]


def expected_statuses(keys: list[str]) -> set[str]:
    """Distinct mapped statuses the driver sent: ``status:<zaak>:<code>:<volgnummer>``."""
    return {
        key
        for key in keys
        if key.startswith("status:") and key.split(":")[2] != GWS4ALL_UNMAPPED_CODE
    }


def esuite_status_keys(rig: ChainRig) -> list[str]:
    state = rig.esuite.app.store.snapshot()  # type: ignore[attr-defined]
    return [
        f"{zaak_id}:{status['volgnummer']}"
        for zaak_id, zaak in state["zaken"].items()
        for status in zaak["statussen"]
    ]


def test_flow_delivers_every_status_once_with_dead_letters_for_bad_input(rig: ChainRig) -> None:
    pushed = push_scenario(
        rig.inbox.url,
        zaken=12,
        duplicate_rate=0.2,
        inject_malformed=2,
        unmapped_rate=0.1,
        include_documents=False,
        seed=7,
    )
    assert pushed.unmapped > 0 and pushed.malformed == 2 and pushed.duplicates > 0

    result = rig.airflow().test_dag("ketenbrug_zaken")
    assert (result.returncode, result.state) == (0, "success"), result.log_path.read_text()[-3000:]

    expected = expected_statuses(pushed.keys)
    delivered = esuite_status_keys(rig)
    assert len(delivered) == len(set(delivered)) == len(expected)
    assert rig.esuite_counts()["duplicate_statussen"] == 0

    with rig.store.session() as session:
        letters = list(session.scalars(select(DeadLetter)))
        inbox_left = session.scalars(
            select(InboxMessage).where(InboxMessage.state == InboxState.RECEIVED)
        ).all()
    unmapped = [letter for letter in letters if letter.reason == "unmapped"]
    invalid = [letter for letter in letters if letter.reason == "invalid_message"]
    assert len(unmapped) == pushed.unmapped
    assert all(GWS4ALL_UNMAPPED_CODE in letter.message for letter in unmapped)
    assert all("statussen" in letter.message for letter in unmapped)
    assert len(invalid) == pushed.malformed
    assert all(letter.payload_ref and letter.payload_ref.startswith("inbox:") for letter in invalid)
    assert inbox_left == [], "every message was either delivered or dead-lettered"

    again = rig.airflow().test_dag("ketenbrug_zaken")
    assert again.state == "success"
    assert len(esuite_status_keys(rig)) == len(expected), "a second run writes nothing"


@pytest.fixture
def faulty_rig(tmp_path: Path, airflow_home: Path) -> Iterator[ChainRig]:
    faults = FaultConfig(transient_rate=0.2, seed=3, transient_variants=("http_503",))
    yield from make_rig(tmp_path, airflow_home, faults)


@pytest.mark.parametrize(
    "point", ["after_target_write:5", "after_intent:1", "before_target_write:9"]
)
def test_crash_then_rerun_converges_exactly_once(faulty_rig: ChainRig, point: str) -> None:
    rig = faulty_rig
    pushed = push_scenario(
        rig.inbox.url, zaken=10, duplicate_rate=0.1, include_documents=False, seed=11
    )
    crashed = rig.airflow(KETENBRUG_CRASH_AT=point).test_dag("ketenbrug_zaken")
    assert crashed.returncode == CRASH_EXIT_CODE, "the run really died at the crash point"

    rerun = rig.airflow().test_dag("ketenbrug_zaken")
    assert rerun.state == "success", rerun.log_path.read_text()[-3000:]

    expected = expected_statuses(pushed.keys)
    delivered = esuite_status_keys(rig)
    assert len(delivered) == len(set(delivered)) == len(expected)
    assert rig.esuite_counts()["duplicate_statussen"] == 0
    assert rig.esuite_counts()["zaken"] == pushed.zaken


def test_no_bsn_in_airflow_logs(rig: ChainRig) -> None:
    from simulators.synthetic import SyntheticData

    push_scenario(rig.inbox.url, zaken=5, include_documents=False, seed=5)
    result = rig.airflow().test_dag("ketenbrug_zaken")
    assert result.state == "success"
    bsns = {zaak.client.bsn for zaak in SyntheticData(5, document_scale=0.05).zaken(5)}
    logs = [result.log_path, *Path(rig.airflow_home, "logs").rglob("*")]
    for log in (p for p in logs if p.is_file()):
        text = log.read_text(errors="ignore")
        leaked = [bsn for bsn in bsns if bsn in text]
        assert not leaked, f"BSN in {os.path.basename(log)}"

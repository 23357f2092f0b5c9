"""Issue 6: 1,000 zaken under 20% transient faults, and kill -9 of the running Airflow process."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulators.faults import HTTP_TRANSIENT_VARIANTS, FaultConfig
from simulators.gws4all import push_scenario
from tests.airflow.conftest import ChainRig, make_rig
from tests.airflow.test_zaken_dag import expected_statuses

pytestmark = [pytest.mark.airflow, pytest.mark.slow]


@pytest.fixture
def rig_20pct(tmp_path: Path, airflow_home: Path) -> Iterator[ChainRig]:
    # Every transient variant, "lost_response" (processed, answer lost) included.
    faults = FaultConfig(
        transient_rate=0.2, seed=20, transient_variants=HTTP_TRANSIENT_VARIANTS, hang_s=0.5
    )
    yield from make_rig(tmp_path, airflow_home, faults)


def statuses_per_zaak(rig: ChainRig) -> dict[str, list[tuple[str, int]]]:
    state = rig.esuite.app.store.snapshot()  # type: ignore[attr-defined]
    return {
        zaak_id: [(s["datum_status_gezet"], s["volgnummer"]) for s in zaak["statussen"]]
        for zaak_id, zaak in state["zaken"].items()
    }


def test_thousand_zaken_under_20pct_faults_exactly_once_in_order(rig_20pct: ChainRig) -> None:
    rig = rig_20pct
    pushed = push_scenario(
        rig.inbox.url, zaken=1000, include_documents=False, concurrency=8, seed=1000
    )
    expected = expected_statuses(pushed.keys)
    assert len(expected) >= 4000  # about five statuses per zaak

    airflow = rig.airflow(KETENBRUG_BATCH_SIZE="500")
    for _ in range(3):  # a run whose retry budget ran out is finished by the next one
        result = airflow.test_dag("ketenbrug_zaken")
        if result.state == "success":
            break
    assert result.state == "success", result.log_path.read_text()[-3000:]

    per_zaak = statuses_per_zaak(rig)
    delivered = sum(len(s) for s in per_zaak.values())
    assert len(per_zaak) == pushed.zaken
    assert delivered == len(expected)
    assert rig.esuite_counts()["duplicate_statussen"] == 0
    for zaak_id, statuses in per_zaak.items():
        moments = [moment for moment, _ in statuses]
        assert moments == sorted(moments), f"statuses of {zaak_id} applied out of order"
    injected = rig.esuite.faults.counts()  # type: ignore[attr-defined]
    assert injected.get("transient", 0) > 500, injected


def test_kill_9_of_the_airflow_process_then_rerun(rig_20pct: ChainRig) -> None:
    rig = rig_20pct
    pushed = push_scenario(rig.inbox.url, zaken=150, include_documents=False, seed=99)
    expected = expected_statuses(pushed.keys)
    airflow = rig.airflow(KETENBRUG_BATCH_SIZE="40")
    process = airflow.start_dag_test("ketenbrug_zaken")
    deadline = time.monotonic() + 240
    while rig.esuite_counts()["status_writes"] < len(expected) // 3:  # type: ignore[operator]
        assert process.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL
    assert rig.esuite_counts()["status_writes"] < len(expected), "killed halfway"  # type: ignore[operator]

    for _ in range(3):
        result = airflow.test_dag("ketenbrug_zaken")
        if result.state == "success":
            break
    assert result.state == "success", result.log_path.read_text()[-3000:]
    delivered = sum(len(s) for s in statuses_per_zaak(rig).values())
    assert delivered == len(expected)
    assert rig.esuite_counts()["duplicate_statussen"] == 0

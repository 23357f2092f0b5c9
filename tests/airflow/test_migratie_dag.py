"""The migration through Airflow: the nightly archive DAG moves what only MyLex holds into the
e-Suite over two nights within its budget, under e-Suite faults and cut SFTP connections."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sync.store.models import DriftItemRow, DriftState
from tests.airflow.test_documenten_dag import DocumentRig, docrig

__all__ = ["docrig"]

pytestmark = [pytest.mark.airflow, pytest.mark.slow]


def test_the_nightly_dag_migrates_old_documents_within_its_budget(docrig: DocumentRig) -> None:
    client = [docrig.mylex.add_old_document(year=2013, client="K004711") for _ in range(3)]
    schuldhulp = docrig.mylex.add_old_document(year=2014, client="K000009", zaaktype="B2010")
    budget = {"KETENBRUG_MIGRATIE_DOCUMENTEN": "2"}

    first = docrig.airflow(**budget).test_dag("ketenbrug_archief_reconciliatie")
    assert first.state == "success", first.log_path.read_text()[-4000:]
    migrated = {d: sha for d, sha in docrig.esuite_documents().items() if d.startswith("MLX-")}
    assert len(migrated) == 2, "the budget allows two documents a night"

    second = docrig.airflow(**budget).test_dag("ketenbrug_archief_reconciliatie")
    assert second.state == "success", second.log_path.read_text()[-4000:]
    migrated = {d: sha for d, sha in docrig.esuite_documents().items() if d.startswith("MLX-")}
    assert migrated == {doc.identificatie: doc.sha256 for doc in client}
    with docrig.chain.store.session() as session:
        states = {
            row.identificatie: row.state
            for row in session.scalars(
                select(DriftItemRow).where(DriftItemRow.kind == "MISSING_IN_RIGHT")
            )
        }
    assert states == {
        **{doc.identificatie: DriftState.GEMIGREERD for doc in client},
        schuldhulp.identificatie: DriftState.NIET_MIGREREN,
    }
    zaken = docrig.chain.esuite.app.store.snapshot()["zaken"]  # type: ignore[attr-defined]
    assert sorted(zaken["HD-K004711"]["documenten"]) == sorted(d.identificatie for d in client)

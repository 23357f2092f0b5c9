"""The archief page shows the migration's progress and its estimate of the nights left."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from sync.store.db import Store
from sync.store.models import DriftItemRow, DriftState

VIEWER = {"X-Test-User": "victor:view"}


def _item(identificatie: str, state: str, size: int) -> DriftItemRow:
    return DriftItemRow(
        kind="MISSING_IN_RIGHT",
        identificatie=identificatie,
        state=state,
        mylex_sha256="ab" * 32,
        mylex_size=size,
        mylex_locatie=f"mylex/archief/2015/MLX-2015-DOSSIER/{identificatie}.pdf",
    )


def test_the_archief_page_shows_migration_progress(
    client: TestClient, sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KETENBRUG_MIGRATIE_DOCUMENTEN", "2")
    with sqlite_store.session() as session:
        session.add_all(
            [_item(f"MLX-2015-{n:03d}", DriftState.OPEN, 1000) for n in range(5)]
            + [_item(f"MLX-2014-{n:03d}", DriftState.GEMIGREERD, 1000) for n in range(7)]
            + [_item("MLX-2013-001", DriftState.NIET_MIGREREN, 1000)]
        )
    text = client.get("/beheer/archief", headers=VIEWER).text
    section = text[text.index('id="migratie"') :]
    section = section[: section.index("</p>")]
    assert "Gemigreerd: <b>7</b>" in section
    assert "nog te gaan: <b>5</b>" in section
    assert "nog <b>3</b> nacht(en) bij 2 documenten" in section  # 5 left, 2 a night
    assert "blijft in MyLex (functiescheiding): 1" in section

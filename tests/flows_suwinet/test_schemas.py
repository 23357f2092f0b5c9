"""The adapter's WSDLs and the zaaktypen table: shipped, equal to the simulator's, checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from mappings.tables import MappingError
from simulators.suwinet import SCHEMA_DIR
from sync.suwinet import VERRIJKING, load_verrijking

ADAPTER_SCHEMAS = Path(__file__).resolve().parents[2] / "adapters" / "suwinet" / "schemas"


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in root.rglob("*")
        if path.suffix in (".xsd", ".wsdl")
    }


def test_the_adapter_ships_the_same_bkwi_schemas_as_the_simulator() -> None:
    shipped = _files(ADAPTER_SCHEMAS)
    assert len(shipped) > 10 and shipped == _files(SCHEMA_DIR)


def test_the_shipped_table_enriches_the_bijstandsaanvraag() -> None:
    assert "B1026" in load_verrijking()


def test_a_zaaktype_twice_is_refused_with_its_line(tmp_path: Path) -> None:
    (tmp_path / VERRIJKING).write_text("zaaktype;omschrijving\nB1026;a\nB1026;b\n", "utf-8")
    with pytest.raises(MappingError, match="regel 3: zaaktype B1026 staat er twee keer"):
        load_verrijking(tmp_path)

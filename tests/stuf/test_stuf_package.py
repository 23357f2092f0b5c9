"""Public surface, CLI and module hygiene of the stuf package."""

from __future__ import annotations

import ast
import io
import subprocess
import sys
from pathlib import Path

import pytest

import stuf
from stuf import CreeerZaak, ZdsVersion, build_message
from stuf.cli import check_files
from tests.stuf.conftest import EXAMPLES, ZAAK, sg

PACKAGE = Path(stuf.__file__).parent
REPO = PACKAGE.parent


def test_exports_are_explicit_and_resolvable() -> None:
    assert sorted(stuf.__all__) == sorted(set(stuf.__all__))
    for name in stuf.__all__:
        assert getattr(stuf, name) is not None
    public = {n for n in vars(stuf) if not n.startswith("_") and n[0].isupper()}
    assert public <= set(stuf.__all__) | {"Path"}


def test_api_names_used_by_other_developers() -> None:
    for name in (
        "ZdsVersion",
        "SoapVersion",
        "StufError",
        "UnsafeXmlError",
        "Systeem",
        "Stuurgegevens",
        "Zaak",
        "ZaakStatus",
        "Document",
        "NoValue",
        "GenereerZaakIdentificatie",
        "ZaakIdentificatieAntwoord",
        "CreeerZaak",
        "UpdateZaak",
        "ActualiseerZaakstatus",
        "VoegZaakdocumentToe",
        "UpdateZaakdocument",
        "GeefZaakdetails",
        "ZaakdetailsAntwoord",
        "GeefLijstZaakdocumenten",
        "LijstZaakdocumentenAntwoord",
        "GeefZaakdocumentLezen",
        "ZaakdocumentAntwoord",
        "Bevestiging",
        "Fout",
        "parse_message",
        "build_message",
        "build_fault",
        "soap_action_for",
        "new_stuurgegevens",
        "validate",
        "stream_inhoud",
    ):
        assert name in stuf.__all__
    assert [v.value for v in stuf.ZdsVersion] == ["1.1", "1.2"]
    assert {v.value for v in stuf.NoValue} >= {
        "geenWaarde",
        "nietOndersteund",
        "nietGeautoriseerd",
        "waardeOnbekend",
        "vastgesteldOnbekend",
    }


def test_no_airflow_and_no_io_imports() -> None:
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(("airflow", "requests", "socket", "urllib", "http")), (
                    path
                )


def test_modules_stay_small() -> None:
    for path in PACKAGE.glob("*.py"):
        assert len(path.read_text().splitlines()) < 420, path.name


def test_shipped_schemas_load_without_the_reference() -> None:
    from stuf.schema import schema_path

    for version in ZdsVersion:
        assert schema_path(version).is_file()
        assert str(REPO / "stuf" / "schemas") in str(schema_path(version))


def test_check_files_reports_examples(tmp_path: Path) -> None:
    built = tmp_path / "built.xml"
    built.write_bytes(build_message(CreeerZaak(sg(), ZAAK), ZdsVersion.V1_2))
    out = io.StringIO()
    files = [*sorted(str(p) for p in EXAMPLES.glob("*.xml")), str(built)]
    assert check_files(files, out=out) == 0
    report = out.getvalue()
    assert "function:         creeerZaak" in report
    assert "berichtcode:      Bv03" in report
    assert "referentienummer: ref-0001" in report
    assert "schema ZDS 1.2:   valid" in report
    assert "111222333" not in report


def test_check_files_fails_on_unreadable_or_unclear(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<!DOCTYPE x><x/>")
    out = io.StringIO()
    assert check_files([str(bad), str(tmp_path / "missing.xml")], out=out) == 1
    assert "NOT UNDERSTOOD" in out.getvalue()
    assert check_files([], out=io.StringIO()) == 1


def test_check_reports_schema_findings_but_passes(tmp_path: Path) -> None:
    data = build_message(CreeerZaak(sg(), ZAAK), ZdsVersion.V1_1).replace(
        b"<StUF:referentienummer>ref-0001<", b"<StUF:referentienummer>" + b"r" * 50 + b"<"
    )
    path = tmp_path / "long-ref.xml"
    path.write_bytes(data)
    out = io.StringIO()
    assert check_files([str(path)], out=out) == 0
    assert "warning:" in out.getvalue()
    assert "maxLength" in out.getvalue()


@pytest.mark.slow
def test_python_dash_m_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "stuf.cli", "check", str(EXAMPLES / "openforms_mock_Bv03.xml")],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Bv03" in result.stdout

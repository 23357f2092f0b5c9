"""``ketenbrug new-adapter``: the scaffold is green on the kit's structural checks and red on
the behaviour still to be written."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from stuf.xml import parse_xml
from sync.cli import main
from sync.scaffold import REGISTRY_MARKER, ScaffoldError, new_adapter

ROOT = Path(__file__).resolve().parents[1]
STRUCTURAL = {"registration", "hook_shape", "no_simulator_import"}
TO_IMPLEMENT = {
    "hook_connection",
    "factories",
    "is_applied",
    "idempotent_write",
    "transient_error",
    "permanent_error",
    "lost_answer",
    "no_bsn_in_logs",
}
# Run the scaffolded test module as if its folders were part of this repository's packages.
_DRIVER = """
import sys
import adapters, simulators, tests
root = sys.argv[1]
adapters.__path__.append(root + "/adapters")
simulators.__path__.append(root + "/simulators")
tests.__path__.append(root + "/tests")
import pytest
sys.exit(pytest.main([root + "/tests/adapters_kijkdoos/test_contract.py", "-q",
    "-p", "no:cacheprovider", "--rootdir", root, "--junitxml", root + "/junit.xml"]))
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """An empty repository but for the registry the scaffold adds its line to."""
    (tmp_path / "adapters").mkdir()
    shutil.copy(ROOT / "adapters" / "registry.py", tmp_path / "adapters" / "registry.py")
    return tmp_path


def test_the_scaffold_writes_one_folder_plus_its_registry_line(repo: Path) -> None:
    assert main(["new-adapter", "kijkdoos", "--root", str(repo)]) == 0
    package = repo / "adapters" / "kijkdoos"
    assert {p.name for p in package.iterdir()} == {
        "__init__.py",
        "config.py",
        "target.py",
        "hook.py",
        "plugin.py",
    }
    assert (repo / "simulators" / "kijkdoos.py").is_file()
    assert (repo / "tests" / "adapters_kijkdoos" / "test_contract.py").is_file()
    registry = (repo / "adapters" / "registry.py").read_text()
    assert f'    "adapters.kijkdoos.plugin",\n{REGISTRY_MARKER}' in registry
    for path in [*package.glob("*.py"), *(repo / "tests").rglob("*.py")]:
        compile(path.read_text(), str(path), "exec")
    with pytest.raises(ScaffoldError, match="bestaat al"):
        new_adapter("kijkdoos", repo)
    assert registry == (repo / "adapters" / "registry.py").read_text()  # no second line


@pytest.mark.parametrize("name", ["Zgw", "1zgw", "zgw-api", "class", "a", "../x"])
def test_unusable_names_write_nothing(repo: Path, name: str) -> None:
    with pytest.raises(ScaffoldError):
        new_adapter(name, repo)
    assert sorted(p.name for p in repo.rglob("*")) == ["adapters", "registry.py"]


def test_a_new_adapter_starts_green_on_structure_and_red_on_behaviour(repo: Path) -> None:
    new_adapter("kijkdoos", repo)
    completed = subprocess.run(
        [sys.executable, "-c", _DRIVER, str(repo)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 1, completed.stdout[-2000:] + completed.stderr[-2000:]
    outcome: dict[str, str] = {}
    for case in parse_xml((repo / "junit.xml").read_bytes()).iter("testcase"):
        check = case.attrib["name"].split("[kijkdoos-", 1)[1].rstrip("]")
        failure = case.find("failure")
        outcome[check] = "passed" if failure is None else failure.attrib.get("message", "")
    assert set(outcome) == STRUCTURAL | TO_IMPLEMENT
    assert {c for c, o in outcome.items() if o == "passed"} == STRUCTURAL
    for check in TO_IMPLEMENT:
        assert "NotImplementedError" in outcome[check], (check, outcome[check])

"""Ketenbrug as an installed package: build the sdist and wheel, install the wheel, use it.

An operator installs the wheel, not the checkout. Everything the code reads at run time (the
ZDS schemas, the mapping tables, the Alembic migrations) must travel inside it, and the commands
must work from any folder. The wheel is built from the sdist (``uv build``), so a file missing
from the sdist fails here too. Only PyPI is needed, and uv's cache makes that cheap.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_self_contained import tracked_files

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("adapters", "mappings", "privacy", "simulators", "stuf", "sync")
# What the code opens at run time (pyproject.toml [tool.setuptools.package-data]).
CODE_AND_DATA = {".py", ".xsd", ".wsdl", ".csv", ".ini", ".mako", ".xml", ".pdf"}
EXAMPLE = REPO / "tests" / "fixtures" / "stuf" / "haarlem_creeerZaak_zakLk01.xml"


def _uv() -> str:
    found = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    assert found, "uv not found: ./run setup installs it into .venv"
    return found


def _run(args: list[str | Path], **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(arg) for arg in args],
        capture_output=True,
        text=True,
        check=False,
        timeout=540,
        **kwargs,  # type: ignore[arg-type]
    )
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sdist and wheel, built from a copy of the working tree (no build/ or egg-info left in it)."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    for path in tracked_files():
        if path.is_file():
            target = source / path.relative_to(REPO)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    _run([_uv(), "build", "--quiet", "--out-dir", base / "dist", source])
    return base / "dist"


@pytest.fixture(scope="module")
def installed(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the wheel and its dependencies (pinned by requirements.lock)."""
    venv = tmp_path_factory.mktemp("venv") / "venv"
    python = getattr(sys, "_base_executable", sys.executable)
    _run([_uv(), "venv", "--quiet", "--python", python, venv])
    (wheel,) = dist.glob("ketenbrug-*.whl")
    _run(
        [
            _uv(),
            "pip",
            "install",
            "--quiet",
            "--python",
            venv / "bin" / "python",
            wheel,
            "--constraint",
            REPO / "requirements.lock",
        ]
    )
    return venv


@pytest.fixture
def outside(tmp_path: Path, installed: Path) -> Iterator[dict[str, str]]:
    """Environment for running the installed commands with nothing of the checkout in reach."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KETENBRUG_", "PYTHON"))}
    env["KETENBRUG_HOME"] = str(tmp_path / "home")
    env["PATH"] = f"{installed / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(installed)
    yield env


def _package_files() -> set[str]:
    names = set()
    for path in tracked_files():
        relative = path.relative_to(REPO)
        if relative.parts[0] in PACKAGES and path.suffix in CODE_AND_DATA and path.is_file():
            names.add(relative.as_posix())
    return names


def test_wheel_and_sdist_carry_the_code_schemas_mappings_and_migrations(dist: Path) -> None:
    (wheel,) = dist.glob("ketenbrug-*.whl")
    (sdist,) = dist.glob("ketenbrug-*.tar.gz")
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    with tarfile.open(sdist) as archive:
        in_sdist = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    expected = _package_files()
    assert "stuf/schemas/zds-1.2/_aggregate/all.xsd" in expected
    assert "sync/migrations/script.py.mako" in expected
    assert sorted(expected - in_wheel) == []
    assert sorted(expected - in_sdist) == []
    versions = [n for n in in_wheel if n.startswith("sync/migrations/versions/")]
    assert len(versions) >= 5  # __init__.py and every revision
    assert "sync/migrations/env.py" in in_wheel
    assert not [n for n in in_wheel if n.startswith("tests/")]


def test_installed_commands_work_outside_the_checkout(
    installed: Path, outside: dict[str, str], tmp_path: Path
) -> None:
    work = tmp_path / "elsewhere"
    work.mkdir()
    bin_dir = installed / "bin"

    where = _run(
        [bin_dir / "python", "-c", "import stuf, sync, mappings; print(stuf.__file__)"],
        cwd=work,
        env=outside,
    )
    assert Path(where.stdout.strip()).is_relative_to(installed)

    message = work / "bericht.xml"
    shutil.copy(EXAMPLE, message)
    check = _run([bin_dir / "ketenbrug", "stuf", "check", message], cwd=work, env=outside)
    assert "schema ZDS 1.2:   valid" in check.stdout

    database = tmp_path / "state.db"
    env = {**outside, "KETENBRUG_DATABASE_URL": f"sqlite:///{database}"}
    _run([bin_dir / "ketenbrug", "db", "upgrade"], cwd=work, env=env)
    with sqlite3.connect(database) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        (revision,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    assert {"inbox_message", "ledger_entry", "dead_letter", "numbering"} <= tables
    assert revision == _head_revision()

    mappings = _run([bin_dir / "ketenbrug", "mappings", "check"], cwd=work, env=outside)
    assert "in orde" in mappings.stdout
    assert str(installed) in mappings.stdout  # the tables shipped in the wheel


def test_mappings_dir_outside_the_package_still_wins(
    installed: Path, outside: dict[str, str], tmp_path: Path
) -> None:
    """Beheer keeps their own tables elsewhere; the installed command reads those."""
    own = tmp_path / "beheer-tabellen"
    shutil.copytree(REPO / "mappings", own, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    env = {**outside, "KETENBRUG_MAPPINGS_DIR": str(own)}
    good = _run([installed / "bin" / "ketenbrug", "mappings", "check"], cwd=tmp_path, env=env)
    assert f"{own}: in orde" in good.stdout

    statussen = own / "statussen.csv"
    statussen.write_text(statussen.read_text() + "gws4all;GWS-XX-99;99;bestaat niet\n")
    bad = subprocess.run(
        [installed / "bin" / "ketenbrug", "mappings", "check"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "statussen.csv" in bad.stdout


def _head_revision() -> str:
    """The newest revision in the checkout's migrations (what the wheel must reach)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from sync.store.db import MIGRATIONS_DIR

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head
    return head

"""Production code never imports a test double, the demo or the tests; and its dependencies
point one way: dags/plugins -> sync -> adapters -> stuf -> privacy (mappings beside adapters).

``simulators/`` answers in place of the real systems, ``demo/`` drives them and a local
Airflow, ``tests/`` checks it all: none of them may ship as a dependency of what runs in a
deployment. Every import statement counts, also one inside a function or under
``TYPE_CHECKING``, since each is a path by which the code could reach them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PRODUCTION = ("privacy", "sync", "adapters", "stuf", "mappings", "dags", "plugins")
FORBIDDEN = frozenset({"simulators", "demo", "tests"})
#: What each layer may import of Ketenbrug's own packages (besides itself).
MAY_IMPORT = {
    "privacy": frozenset(),
    "stuf": frozenset({"privacy"}),
    "mappings": frozenset({"privacy"}),
    "adapters": frozenset({"privacy", "stuf", "mappings"}),
    "sync": frozenset({"privacy", "stuf", "mappings", "adapters"}),
}
OURS = frozenset({*PRODUCTION, *FORBIDDEN})


def imported_modules(source: str, package: str) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import in ``source``, relative ones resolved.

    ``package`` is the dotted package the file sits in (``sync.beheer`` for both
    ``sync/beheer/__init__.py`` and ``sync/beheer/pages.py``): what ``from . import x`` means.
    """
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            base = ".".join(parts[: len(parts) - node.level + 1]) if node.level else ""
            name = ".".join(part for part in (base, node.module or "") if part)
            if name:
                yield node.lineno, name
            else:  # ``from .. import simulators``: the names are the modules
                for alias in node.names:
                    yield node.lineno, alias.name


def forbidden_imports(root: Path = REPO, packages: tuple[str, ...] = PRODUCTION) -> list[str]:
    """``path:line imports name`` for each import of a forbidden package under ``packages``."""
    found = []
    for top in packages:
        for path in sorted((root / top).rglob("*.py")):
            relative = path.relative_to(root)
            package = ".".join(relative.parent.parts)
            for line, name in imported_modules(path.read_text(encoding="utf-8"), package):
                if name.split(".")[0] in FORBIDDEN:
                    found.append(f"{relative}:{line} imports {name}")
    return found


def test_production_code_imports_no_simulator_demo_or_test() -> None:
    assert forbidden_imports() == []


def upward_imports(root: Path = REPO) -> list[str]:
    """``path:line imports name`` for each import against the direction of the layers."""
    found = []
    for top, allowed in MAY_IMPORT.items():
        for path in sorted((root / top).rglob("*.py")):
            relative = path.relative_to(root)
            package = ".".join(relative.parent.parts)
            for line, name in imported_modules(path.read_text(encoding="utf-8"), package):
                first = name.split(".")[0]
                if first in OURS and first != top and first not in allowed:
                    found.append(f"{relative}:{line} imports {name}")
    return found


def test_dependencies_point_one_way() -> None:
    assert upward_imports() == []


def test_the_direction_check_sees_an_adapter_importing_the_engine(tmp_path: Path) -> None:
    (tmp_path / "adapters").mkdir()
    (tmp_path / "adapters" / "x.py").write_text("import stuf\ndef f():\n    import sync.engine\n")
    assert upward_imports(tmp_path) == ["adapters/x.py:3 imports sync.engine"]


def test_the_check_sees_imports_inside_functions_and_relative_ones(tmp_path: Path) -> None:
    (tmp_path / "sync").mkdir()
    (tmp_path / "sync" / "ok.py").write_text("import sync.store\nfrom sync import cli\n")
    (tmp_path / "sync" / "bad.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from simulators.esuite import x\n"
        "def run():\n"
        "    import demo.run\n"
        "    from tests.contract import kit\n"
        "    from .. import simulators\n"
    )
    assert forbidden_imports(tmp_path, ("sync",)) == [
        "sync/bad.py:3 imports simulators.esuite",
        "sync/bad.py:5 imports demo.run",
        "sync/bad.py:6 imports tests.contract",
        "sync/bad.py:7 imports simulators",
    ]

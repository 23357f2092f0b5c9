"""``ketenbrug new-adapter NAME``: a new system's package, hook, simulator stub and contract test.

Why: connecting a system should be a one-folder job that starts from a shape the contract kit
already accepts. The scaffold writes ``adapters/NAME/`` (config, target, hook, registration),
a simulator stub ``simulators/NAME.py``, ``tests/adapters_NAME/`` (its contract harness and a
test module that runs the kit) and the registry line in ``adapters/registry.py``. The result is
green on the kit's structural checks and red on the behaviour still to be written (its
simulator and its target raise NotImplementedError).

The templates are Mako files beside this module (package data).
"""

from __future__ import annotations

import keyword
import re
from importlib import resources
from pathlib import Path

from mako.template import Template

__all__ = ["ScaffoldError", "new_adapter"]

_NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")
REGISTRY_MARKER = "    # new adapters above this line\n"

#: template -> path written, relative to the repository root (``{name}`` filled in).
FILES = {
    "adapter_init.py.mako": "adapters/{name}/__init__.py",
    "adapter_config.py.mako": "adapters/{name}/config.py",
    "adapter_target.py.mako": "adapters/{name}/target.py",
    "adapter_hook.py.mako": "adapters/{name}/hook.py",
    "adapter_plugin.py.mako": "adapters/{name}/plugin.py",
    "simulator.py.mako": "simulators/{name}.py",
    "tests_init.py.mako": "tests/adapters_{name}/__init__.py",
    "tests_harness.py.mako": "tests/adapters_{name}/harness.py",
    "tests_contract.py.mako": "tests/adapters_{name}/test_contract.py",
}


class ScaffoldError(Exception):
    """The name is unusable or the adapter exists already: nothing was written."""


def new_adapter(name: str, root: Path) -> list[Path]:
    """Write the new adapter under ``root`` (the repository); returns the files written."""
    if not _NAME.match(name) or keyword.iskeyword(name):
        raise ScaffoldError(
            f"{name!r}: use lower case letters, digits and _ (2-31, starting with a letter)"
        )
    targets = {template: root / path.format(name=name) for template, path in FILES.items()}
    existing = [str(path) for path in targets.values() if path.exists()]
    if existing:
        raise ScaffoldError(f"bestaat al: {', '.join(existing)}")
    registry = root / "adapters" / "registry.py"
    text = registry.read_text(encoding="utf-8")
    if REGISTRY_MARKER not in text:
        raise ScaffoldError(f"{registry}: regel {REGISTRY_MARKER.strip()!r} niet gevonden")
    values = {"name": name, "Name": "".join(p.capitalize() for p in name.split("_"))}
    folder = resources.files(__name__)
    for template, path in targets.items():
        source = folder.joinpath(template).read_text(encoding="utf-8")
        path.parent.mkdir(parents=True, exist_ok=True)
        rendered = Template(source).render(**values)  # noqa: S702 - Python source, not HTML
        path.write_text(rendered, encoding="utf-8")
    line = f'    "adapters.{name}.plugin",\n'
    registry.write_text(text.replace(REGISTRY_MARKER, line + REGISTRY_MARKER), encoding="utf-8")
    return [*targets.values(), registry]

"""MyLex's registry entry: the old archive (MDTO) over pinned SFTP, a documenten target."""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.registry import AdapterRegistration, BuiltTarget, Pool, TargetContext
from adapters.roles import ARCHIEF
from adapters.sftp.form import connection_form

if TYPE_CHECKING:  # the registry is read while DAG files are parsed: import lazily
    from adapters.mylex.config import MyLexConfig

SYSTEM = "mylex"

__all__ = ["REGISTRATION"]


def document_target(config: MyLexConfig, _context: TargetContext) -> BuiltTarget:
    from adapters.mylex.target import MyLexTarget

    target = MyLexTarget(config)
    return BuiltTarget(target, [target.close])


def probe(config: MyLexConfig) -> None:
    """Is the archive root there (the pinned host key and the login checked on the way)?"""
    from adapters.sftp.pinned import probe_folder

    probe_folder(config, SYSTEM, config.root_dir)


REGISTRATION = AdapterRegistration(
    system=SYSTEM,
    roles=(ARCHIEF,),
    title="MyLex (oud archief, SFTP, MDTO)",
    pool=Pool(SYSTEM, 2, "MyLex oud archief"),
    hook="adapters.mylex.hook:MyLexHook",
    conn_id="ketenbrug_mylex",
    targets={"documenten": "adapters.mylex.plugin:document_target"},
    probe="adapters.mylex.plugin:probe",
    simulator="simulators.mylex:MyLexArchive",
    contract="tests.contract.harnesses:MyLexHarness",
    ui_behaviour=connection_form(SYSTEM, root_dir="mylex"),
)

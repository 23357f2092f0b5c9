"""MyLex's registry entry: the old archive (MDTO) over pinned SFTP, a documenten target."""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.registry import AdapterRegistration, BuiltTarget, Pool, TargetContext
from adapters.roles import ARCHIEF

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
    from adapters.sftp.pinned import PinnedSftp

    sftp = PinnedSftp(config, SYSTEM)
    try:
        with sftp.guard("verbindingstest"):
            sftp.session().listdir(config.root_dir)
    finally:
        sftp.close()


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
    ui_behaviour={
        "hidden_fields": ["schema", "password"],
        "relabeling": {"login": "Gebruiker"},
        "placeholders": {
            "port": "22",
            "extra": '{"private_key_path": "/run/secrets/mylex_key", "known_hosts_line": '
            '"[mylex.local]:22 ssh-ed25519 AAAA...", "root_dir": "mylex"}',
        },
    },
)

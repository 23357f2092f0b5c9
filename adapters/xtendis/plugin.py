"""Xtendis' registry entry: the client dossier, a hot folder over pinned SFTP.

A document target of the documenten flow. A drop is filed under the client's BSN, which
documents do not carry: the target gets it through ``TargetContext.dossier_bsn`` from the
systems of record, the registry's ``bsn_lookup`` (the e-Suite) composed with Allegro's zaken
exports for the debt-help zaken the e-Suite never holds (``sync.tasks.flow.compose_dossier_bsn``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.errors import ConfigError
from adapters.registry import AdapterRegistration, BuiltTarget, Pool, TargetContext
from adapters.roles import DOSSIER
from adapters.sftp.form import connection_form

if TYPE_CHECKING:  # the registry is read while DAG files are parsed: import lazily
    from adapters.xtendis.config import XtendisConfig

SYSTEM = "xtendis"

__all__ = ["REGISTRATION"]


def document_target(config: XtendisConfig, context: TargetContext) -> BuiltTarget:
    from adapters.xtendis.target import XtendisTarget

    if context.dossier_bsn is None:
        raise ConfigError("Xtendis heeft een BSN-bron nodig (bsn_lookup)", system=SYSTEM)
    target = XtendisTarget(
        config, dossier_bsn=context.dossier_bsn, poll_s=0.2, default_documenttype="Overig"
    )
    return BuiltTarget(target, [target.close])


def probe(config: XtendisConfig) -> None:
    """Is the hot folder there (the pinned host key and the login checked on the way)?"""
    from adapters.sftp.pinned import probe_folder

    probe_folder(config, SYSTEM, config.hotfolder_dir)


REGISTRATION = AdapterRegistration(
    system=SYSTEM,
    roles=(DOSSIER,),
    title="Xtendis (SFTP hot folder)",
    pool=Pool(SYSTEM, 2, "Xtendis hot folder"),
    hook="adapters.xtendis.hook:XtendisHook",
    conn_id="ketenbrug_xtendis",
    targets={"documenten": "adapters.xtendis.plugin:document_target"},
    probe="adapters.xtendis.plugin:probe",
    simulator="simulators.xtendis:XtendisHotFolder",
    contract="tests.contract.harnesses:XtendisHarness",
    ui_behaviour=connection_form(SYSTEM, hotfolder_dir="hotfolder"),
)

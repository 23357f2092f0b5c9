"""Allegro's registry entry: CSV exports over pinned SFTP, a source of both flows.

Allegro is also where a debt-help client's BSN is found (``bsn_lookup``: its zaken exports,
``adapters.allegro.dossier_bsn``) for the SCHULDHULP dossier in Xtendis.

Allegro holds one SFTP session at a time, so its pool has one slot: every task that reads it
runs there (``adapters.registry.flow_pool`` picks the scarcest pool).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from adapters.registry import AdapterRegistration, Pool, SourceContext, SourceSpec
from adapters.sftp.form import connection_form

if TYPE_CHECKING:  # the registry is read while DAG files are parsed: import lazily
    from adapters.allegro.config import AllegroConfig
    from adapters.allegro.documents import AllegroDocumentSource
    from adapters.allegro.source import AllegroZakenSource

SYSTEM = "allegro"

__all__ = ["REGISTRATION"]


def zaken_source(config: AllegroConfig, _context: SourceContext) -> AllegroZakenSource:
    from adapters.allegro.client import AllegroClient
    from adapters.allegro.source import AllegroZakenSource

    return AllegroZakenSource(AllegroClient(config))


def document_source(config: AllegroConfig, context: SourceContext) -> AllegroDocumentSource:
    from adapters.allegro.client import AllegroClient
    from adapters.allegro.documents import AllegroDocumentSource

    return AllegroDocumentSource(AllegroClient(config), Path(context.blob_root))


def probe(config: AllegroConfig) -> None:
    """Is the export folder there (the pinned host key and the login checked on the way)?"""
    from adapters.sftp.pinned import probe_folder

    probe_folder(config, SYSTEM, config.export_dir)


REGISTRATION = AdapterRegistration(
    system=SYSTEM,
    title="Allegro (SFTP, CSV-exports)",
    pool=Pool(SYSTEM, 1, "Allegro SFTP: één sessie tegelijk"),
    hook="adapters.allegro.hook:AllegroHook",
    conn_id="ketenbrug_allegro",
    sources=(
        SourceSpec("zaken", factory="adapters.allegro.plugin:zaken_source", optional=True),
        SourceSpec("documenten", factory="adapters.allegro.plugin:document_source", optional=True),
    ),
    mapping_tables=("zaaktypen.csv", "statussen.csv"),
    probe="adapters.allegro.plugin:probe",
    # the system of record of debt-help clients, whose zaken stay out of the zaaksysteem
    bsn_lookup="adapters.allegro.dossier_bsn:dossier_bsn",
    simulator="simulators.allegro:AllegroExporter",
    contract="tests.contract.harnesses:AllegroHarness",
    ui_behaviour=connection_form(SYSTEM, export_dir="export"),
)

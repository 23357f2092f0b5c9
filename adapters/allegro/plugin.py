"""Allegro's registry entry: CSV exports over pinned SFTP, a source of both flows.

Allegro holds one SFTP session at a time, so its pool has one slot: every task that reads it
runs there (``adapters.registry.flow_pool`` picks the scarcest pool).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from adapters.registry import AdapterRegistration, Pool, SourceContext, SourceSpec

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
    """List the export folder: the pinned host key, the login and the folder in one call."""
    from adapters.allegro.client import AllegroClient

    client = AllegroClient(config)
    try:
        client.list_exports()
    finally:
        client.close()


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
    simulator="simulators.allegro:AllegroExporter",
    contract="tests.contract.harnesses:AllegroHarness",
    ui_behaviour={
        "hidden_fields": ["schema", "password"],
        "relabeling": {"login": "Gebruiker"},
        "placeholders": {
            "port": "22",
            "extra": '{"private_key_path": "/run/secrets/allegro_key", "known_hosts_line": '
            '"[allegro.local]:22 ssh-ed25519 AAAA...", "export_dir": "export"}',
        },
    },
)

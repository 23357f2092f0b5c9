"""The documenten DAG's tasks: documents from GWS4all's inbox, Allegro's exports and the
zaaksysteem itself into the flow's targets (zaaksysteem, dossier, archief), and the resends.

Xtendis needs a dossier's BSN, which documents do not carry: it is read when the drop is made
from the zaak in the zaaksysteem or, for a debt-help dossier kept out of it, from Allegro's
zaken exports when Allegro is linked (``sync.tasks.flow.compose_dossier_bsn``), never stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from adapters.base import Source
from adapters.esuite.config import EsuiteConfig
from adapters.esuite.zaak_lijst import EsuiteZaakLijst
from adapters.registry import SourceContext
from sync.blobs import BlobStore
from sync.config import Settings
from sync.drain import PartitionResult
from sync.flows.documenten import FLOW_NAME, DocumentenFlow
from sync.inbox import DOCUMENT_FUNCTIONS
from sync.sources.esuite_documents import DocumentReader, EsuiteDocumentSource
from sync.tasks.flow import (
    FlowKind,
    FlowTargets,
    flow_targets,
    run_partition,
    run_resends,
    run_source,
)

__all__ = [
    "DOCUMENTEN",
    "blob_store",
    "document_targets",
    "esuite_document_source",
    "run_allegro_documenten",
    "run_documenten_resends",
    "run_esuite_documenten",
    "run_gws4all_documenten",
    "run_source_documenten",
]

DOCUMENTEN = FlowKind(FLOW_NAME, DocumentenFlow, DOCUMENT_FUNCTIONS)


def blob_store(settings: Settings) -> BlobStore:
    """Where document content waits between its source and its targets."""
    return BlobStore(settings.home / "blobs")


def document_targets(
    configs: Mapping[str, object], settings: Settings | None = None
) -> FlowTargets:
    """The documenten flow's targets in this deployment (zaaksysteem, Xtendis, MyLex, ...)."""
    return flow_targets(FLOW_NAME, configs, settings)


def esuite_document_source(config: object, context: SourceContext) -> Source:
    """The e-Suite's documenten source (registry factory): the zaken its notificaties name,
    and a ronde over every zaak (each run without notificaties, else every few days)."""
    reader = cast(DocumentReader, context.targets["esuite"])  # EsuiteDocumentTarget reads too
    esuite = cast(EsuiteConfig, config)
    return EsuiteDocumentSource(
        context.store,
        reader,
        BlobStore(context.blob_root),
        zaken=EsuiteZaakLijst(esuite) if esuite.documenten_notificaties else None,
        ronde_dagen=esuite.documenten_ronde_dagen,
    )


def run_gws4all_documenten(partition: int, **arguments: Any) -> PartitionResult:
    """Drain one partition of the documents GWS4all pushed into the flow's targets."""
    return run_partition(DOCUMENTEN, partition, **arguments)


def run_source_documenten(system: str, **arguments: Any) -> PartitionResult:
    """Read a registered cursor source of the documenten flow into the flow's targets."""
    return run_source(DOCUMENTEN, system, **arguments)


def run_allegro_documenten(**arguments: Any) -> PartitionResult:
    """Read Allegro's document exports (one export per batch) into the flow's targets."""
    return run_source(DOCUMENTEN, "allegro", **arguments)


def run_esuite_documenten(**arguments: Any) -> PartitionResult:
    """Take the documents added in the e-Suite itself into the archives.

    Reads the zaken the e-Suite's notificaties named since the cursor, and walks every zaak in
    a ronde (each run without notificaties, else every ``documenten_ronde_dagen`` days); the
    identity map says which documents were taken already, without downloading them.
    """
    return run_source(DOCUMENTEN, "esuite", **arguments)


def run_documenten_resends(**arguments: Any) -> dict[str, object]:
    """Perform the document resends beheer asked for (claimed once, delivered once)."""
    return run_resends(DOCUMENTEN, **arguments)

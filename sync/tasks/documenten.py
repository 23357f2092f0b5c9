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


def esuite_document_source(_config: object, context: SourceContext) -> Source:
    """The e-Suite's documenten source (registry factory): Ketenbrug's walk over its zaken."""
    reader = cast(DocumentReader, context.targets["esuite"])  # EsuiteDocumentTarget reads too
    return EsuiteDocumentSource(context.store, reader, BlobStore(context.blob_root))


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

    Walks every zaak once per run (the cursor is not kept: the identity map says which
    documents were taken already, without downloading them).
    """
    return run_source(DOCUMENTEN, "esuite", **arguments)


def run_documenten_resends(**arguments: Any) -> dict[str, object]:
    """Perform the document resends beheer asked for (claimed once, delivered once)."""
    return run_resends(DOCUMENTEN, **arguments)

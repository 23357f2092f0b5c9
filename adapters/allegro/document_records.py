"""A checked document index row as the canonical ``document`` record of the documenten flow.

Why on its own: this is the contract with the flow and its targets (Xtendis, the archives, the
e-Suite): which field of Allegro's index becomes which field of a document, and the record key
(``allegro-doc:<document_id>:<sha16>``) that makes a re-read export harmless in the ledger.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adapters.allegro.config import SYSTEM
from adapters.allegro.document_index import DocumentRow
from adapters.base import SourceRecord

__all__ = ["document_record", "row_ref"]


def row_ref(name: str, line: int) -> str:
    """Where a record came from: export ``name``, file line ``line``."""
    return f"sftp:{SYSTEM}:{name}#{line}"


def document_record(name: str, row: DocumentRow, blob: Path) -> SourceRecord:
    """The record of ``row`` of export ``name``; its verified bytes are the file ``blob``."""
    document: dict[str, Any] = {
        "identificatie": row.document_id,
        "titel": row.titel,
        "zaak_identificatie": row.dossiernummer,
        "documenttype": row.documenttype,
        "bestandsnaam": row.bestandsnaam,
        "formaat": row.mime,
        "creatiedatum": row.documentdatum.isoformat(),
        "vertrouwelijkheid": None,
        "auteur": "Allegro",
        "taal": "nld",
    }
    return SourceRecord(
        source_system=SYSTEM,
        key=f"allegro-doc:{row.document_id}:{row.sha256[:16]}",
        kind="document",
        data={
            "document": document,
            "content": {"path": str(blob), "sha256": row.sha256, "size": row.omvang},
        },
        payload_ref=row_ref(name, row.line),
        warnings=row.warnings,
    )

"""Allegro document exports (``ALG_DOC_*.csv`` plus files) as a Source for the documenten flow.

Allegro drops documents the way it drops status mutations (``docs/file-layouts.md``, section
``ALG_DOC_*``): the files first, in a folder named after the export, then an index CSV with one
row per document, then the index's ``.sha256`` sidecar. This module is the source: which export
and which rows come next, and what happens to an export once it is committed. The jobs it
leans on live apart: safe names (:mod:`~adapters.allegro.file_names`), the index
(:mod:`~adapters.allegro.document_index`), a document into the blob folder
(:mod:`~adapters.allegro.document_download`), the record
(:mod:`~adapters.allegro.document_records`).

**An export is taken once, and a crash at any point converges.** The batch cursor says how far
into an export the engine committed (``<name>#<line>#<sha12>``, or ``#compleet#`` at the end);
after the last part the export (index, sidecar, folder) moves to ``export/processed/``, the
index first. A rerun finishes a move that was cut short and never offers a committed export
again; an export re-read after a crash yields the same keys, so the ledger makes it harmless.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import NamedTuple

from adapters.allegro.client import AllegroClient, VerifiedExport, safe_name
from adapters.allegro.config import SYSTEM, AllegroConfig
from adapters.allegro.document_download import DocumentDownloader
from adapters.allegro.document_index import IndexEntry, invalid_line, parse_document_index
from adapters.allegro.document_records import document_record, row_ref
from adapters.allegro.export_verdict import rejected_batch, take_export
from adapters.base import RecordError, SourceBatch, SourceRecord
from adapters.errors import InvalidMessageError, PermanentError

__all__ = ["DOCUMENT_PREFIX", "AllegroDocumentSource"]

log = logging.getLogger(__name__)

DOCUMENT_PREFIX = "ALG_DOC_"
PROCESSED_DIR = "processed"
CHECKSUM_RETRIES = 3
MAX_DOCUMENT_BYTES = 2 << 30

_DONE = "compleet"


class _Position(NamedTuple):
    name: str
    line: int  # last file line committed; -1: the whole export
    sha12: str


def _parse_cursor(cursor: str | None) -> _Position | None:
    """``<name>#<line>#<sha12>`` or ``<name>#compleet#<sha12>``; anything else: no position."""
    parts = (cursor or "").split("#")
    if len(parts) != 3:
        return None  # no cursor yet, or one of another shape: start with the oldest export
    name, line, sha12 = parts
    if line == _DONE:
        return _Position(name, -1, sha12)
    return _Position(name, int(line), sha12) if line.isdigit() else None


def _cursor(name: str, line: int | None, sha256: str) -> str:
    return f"{name}#{_DONE if line is None else line}#{sha256[:12]}"


# ---------------------------------------------------------------------- source
class AllegroDocumentSource:
    """Reads ``ALG_DOC_*`` exports into the blob folder; :meth:`after_commit` archives them.

    One batch is (part of) one export: at most ``limit`` index rows, in file order. Every row
    becomes a :class:`SourceRecord` (kind ``document``, the blob in ``data["content"]``) or a
    :class:`RecordError`: ``unsafe_name``, ``invalid_message``, ``document_missing``,
    ``checksum_mismatch`` (after ``checksum_retries`` more downloads). A dropped line raises
    :class:`~adapters.errors.TransientError` out of :meth:`read_batch`; nothing is committed
    and the next call reads the same rows again.

    ``batch.context`` carries ``file``, ``sha256``, ``complete`` (the last part of the export)
    and, for an export that failed its checks, ``corrupt`` (the reason).
    """

    system = SYSTEM

    def __init__(
        self,
        client: AllegroClient | AllegroConfig,
        blob_dir: Path,
        *,
        prefix: str = DOCUMENT_PREFIX,
        processed_dir: str = PROCESSED_DIR,
        checksum_retries: int = CHECKSUM_RETRIES,
        max_document_bytes: int = MAX_DOCUMENT_BYTES,
    ) -> None:
        self.client = client if isinstance(client, AllegroClient) else AllegroClient(client)
        self.blob_dir = Path(blob_dir)
        self.prefix = prefix
        self.processed_dir = safe_name(processed_dir)
        if checksum_retries < 0 or max_document_bytes < 0:
            raise ValueError("checksum_retries and max_document_bytes must not be negative")
        self.max_document_bytes = max_document_bytes
        self.downloader = DocumentDownloader(self.client, self.blob_dir, checksum_retries)

    def close(self) -> None:
        self.client.close()

    # ------------------------------------------------------------------ reading
    def read_batch(self, cursor: str | None, limit: int) -> SourceBatch | None:
        """The next rows of the oldest export still in ``export/``; None when none is ready.

        Exports are taken in name order, the one the cursor is inside of first. The cursor is
        no filter on names: an export still in ``export/`` is not taken yet, whatever its
        sequence number (a late file), and one the cursor marks complete is only archived.
        """
        position = _parse_cursor(cursor)
        names = self.client.list_exports(self.prefix)
        self._finish_interrupted_moves(names)
        if position is not None and position.name in names:
            names.remove(position.name)
            names.insert(0, position.name)
        for name in names:
            taken = take_export(self.client, name, self.prefix, self.client.fetch_export)
            if taken is None:
                continue
            after = 1
            here = (name, taken.sha256[:12])
            if position is not None and (position.name, position.sha12) == here:
                if position.line < 0:  # committed, only the move was left undone
                    self.archive(name)
                    continue
                after = position.line
            if taken.export is None:
                assert taken.failure is not None
                return self._corrupt_batch(name, taken.sha256, taken.failure)
            batch = self._batch(taken.export, after, max(limit, 1))
            if batch is not None:
                return batch
            self.archive(name)  # nothing (left) to offer: an empty export
        return None

    def _batch(self, export: VerifiedExport, after: int, limit: int) -> SourceBatch | None:
        name = export.name
        try:
            parsed = parse_document_index(export.content)
        except InvalidMessageError as exc:
            return self._corrupt_batch(name, export.sha256, exc)
        todo = [entry for entry in parsed.entries if entry.line > after]
        if not todo:
            return None
        chosen = todo[:limit]
        complete = len(chosen) == len(todo)
        records = [self._record(name, entry) for entry in chosen]
        failed = sum(isinstance(item, RecordError) for item in records)
        log.info(
            "allegro: %s regels %d-%d: %d documenten, %d afgekeurd%s",
            name,
            chosen[0].line,
            chosen[-1].line,
            len(records) - failed,
            failed,
            "" if complete else " (export nog niet af)",
        )
        return SourceBatch(
            records=records,
            cursor_after=_cursor(name, None if complete else chosen[-1].line, export.sha256),
            ref=f"sftp:{SYSTEM}:{name}",
            context={"file": name, "sha256": export.sha256, "complete": complete},
        )

    def _record(self, name: str, entry: IndexEntry) -> SourceRecord | RecordError:
        ref = row_ref(name, entry.line)
        row = entry.row
        if row is None:
            assert entry.error is not None
            return RecordError(SYSTEM, ref, ref, entry.error)
        if row.omvang > self.max_document_bytes:
            error = invalid_line(row.line, f"omvang groter dan {self.max_document_bytes} bytes")
            return RecordError(SYSTEM, ref, ref, error)
        try:
            blob = self.downloader.fetch(name, row)
        except PermanentError as exc:
            return RecordError(SYSTEM, ref, ref, exc)
        return document_record(name, row, blob)

    # ------------------------------------------------------------------ archiving
    def after_commit(self, batch: SourceBatch) -> None:
        """Once the last part of an export is committed, move it to ``export/processed/``."""
        if batch.context.get("complete"):
            self.archive(str(batch.context["file"]))

    def archive(self, name: str) -> None:
        """Move export ``name`` to ``processed/``: the index first (from then on it is no longer
        offered), then the sidecar and the folder of documents. Idempotent: what is moved
        already is skipped, so a rerun after a crash just finishes the job."""
        name = safe_name(name)
        stem = name.removesuffix(".csv")
        self.client.move_exports((name, f"{name}.sha256", stem), self.processed_dir)
        log.info("allegro: %s verplaatst naar %s/", name, self.processed_dir)

    def _finish_interrupted_moves(self, listed: list[str]) -> None:
        """Move a sidecar or folder left in ``export/`` whose index is in ``processed/``
        already (a crash in the middle of :meth:`archive`)."""
        for entry in self.client.list_export_dir():
            if not entry.startswith(self.prefix) or entry.endswith(".csv"):
                continue
            index = entry.removesuffix(".sha256") if entry.endswith(".sha256") else f"{entry}.csv"
            if index in listed or not index.endswith(".csv"):
                continue  # not taken yet, or an index still being published
            if self.client.export_path_exists(f"{self.processed_dir}/{index}"):
                log.info("allegro: onderbroken verplaatsing van %s afgemaakt", index)
                self.archive(index)

    def _corrupt_batch(self, name: str, sha256: str, error: PermanentError) -> SourceBatch:
        """An index that failed its checks: one error for the whole export, no records."""
        return rejected_batch(
            name,
            sha256,
            error,
            key_prefix="allegro-doc-file",
            ref=f"sftp:{SYSTEM}:{name}",
            cursor_after=_cursor(name, None, sha256),
            complete=True,
        )

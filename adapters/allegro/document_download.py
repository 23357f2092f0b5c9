"""One document of an Allegro export into the blob folder, verified against its index row.

Why on its own: documents are streamed, never held. Each file goes from SFTP into a temporary
file in the blob folder while its SHA-256 is computed, is compared with the index (hash *and*
size), and only then renamed to its content address ``<blob_dir>/<sha[:2]>/<sha>``. A wrong
hash is downloaded again (a line that corrupted bytes) and only after that a dead letter.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from adapters.allegro.client import AllegroClient
from adapters.allegro.config import SYSTEM
from adapters.allegro.document_index import DocumentRow
from adapters.errors import ChecksumMismatchError
from adapters.sftp.pinned import RemoteFileError
from privacy.masking import mask_text

__all__ = ["DocumentDownloader", "DocumentMissingError"]

log = logging.getLogger(__name__)


class DocumentMissingError(RemoteFileError):
    """The index lists a document whose file is not in the export."""

    reason = "document_missing"


class DocumentDownloader:
    """Fetches the documents of export rows into ``blob_dir``; ``checksum_retries`` more
    downloads after a first one that does not match its row."""

    def __init__(self, client: AllegroClient, blob_dir: Path, checksum_retries: int) -> None:
        self.client = client
        self.blob_dir = blob_dir
        self.checksum_retries = checksum_retries

    def fetch(self, name: str, row: DocumentRow) -> Path:
        """Download ``row``'s document of export ``name``, verified; returns its blob path.

        :class:`DocumentMissingError` when the export lacks the file,
        :class:`~adapters.errors.ChecksumMismatchError` when no download matched the row.
        """
        relative = f"{name.removesuffix('.csv')}/{row.file}"
        where = mask_text(f"{name} regel {row.line}: document {row.document_id}")
        if self.client.export_file_size(relative) is None:
            raise DocumentMissingError(
                f"{where} ontbreekt in de export", system=SYSTEM, operation="read_batch"
            )
        attempts = self.checksum_retries + 1
        for attempt in range(1, attempts + 1):
            try:
                sha256, size, temp = self._download(relative, row)
            except RemoteFileError as exc:
                if isinstance(exc.__cause__, FileNotFoundError):
                    raise DocumentMissingError(
                        f"{where} ontbreekt in de export", system=SYSTEM, operation="read_batch"
                    ) from exc
                raise
            if temp is not None:
                return self._publish(temp, sha256, size)
            log.warning(
                "allegro: %s: SHA-256 of omvang wijkt af van de index (poging %d van %d)",
                where,
                attempt,
                attempts,
            )
        raise ChecksumMismatchError(
            f"{where}: SHA-256 {sha256[:12]}… ({size} bytes) wijkt af van de index "
            f"{row.sha256[:12]}… ({row.omvang} bytes), {attempts} keer gedownload",
            system=SYSTEM,
            operation="read_batch",
            sha256=sha256,
        )

    def _download(self, relative: str, row: DocumentRow) -> tuple[str, int, Path | None]:
        """Stream one file into a temp file next to the blobs, hashing on the way.

        Returns the SHA-256 and size read, and the temp file only when both match the row
        (then fsynced). Otherwise, and on any error, the temp file is gone already.
        """
        self.blob_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".allegro-", suffix=".part", dir=self.blob_dir)
        temp = Path(name)
        try:
            with os.fdopen(fd, "wb") as sink:
                sha256, size = self.client.download_export_file(
                    relative, sink, max_bytes=row.omvang
                )
                good = (sha256, size) == (row.sha256, row.omvang)
                if good:
                    sink.flush()
                    os.fsync(sink.fileno())
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        if not good:
            temp.unlink()
            return sha256, size, None
        return sha256, size, temp

    def _publish(self, temp: Path, sha256: str, size: int) -> Path:
        final = self.blob_dir / sha256[:2] / sha256
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.is_file() and final.stat().st_size == size:
            temp.unlink()  # the same content is there already: keep it
        else:
            os.replace(temp, final)
        return final

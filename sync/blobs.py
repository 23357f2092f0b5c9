"""Content-addressed file store for document bodies: ``<home>/blobs/<sha[:2]>/<sha>``.

Why: a document is never held whole in memory nor put in the database. A source streams it
here once (hashing on the way), the flow's operations carry only its path and SHA-256, and
every target streams from the file and checks the hash again. Equal content is stored once;
a write goes to a temporary name in the same folder and is renamed only when complete and
fsynced, so a crash never leaves a half blob under a final name.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

__all__ = ["PART_GLOB", "BlobRef", "BlobStore", "BlobWriter"]

CHUNK = 1 << 20
#: Bytes a writer lets pile up before it has them flushed to disk in the background.
FLUSH_EVERY = 32 << 20
_PART_PREFIX, _PART_SUFFIX = ".blob-", ".part"
#: The temporary files of writers (in the store's root): a killed writer's are purged by age.
PART_GLOB = f"{_PART_PREFIX}*{_PART_SUFFIX}"


@dataclass(frozen=True)
class BlobRef:
    """A stored blob: where it is, its SHA-256 (hex) and its size in bytes."""

    path: Path
    sha256: str
    size: int

    def as_content(self) -> dict[str, object]:
        """The ``content`` part of a document operation (plain JSON)."""
        return {"path": str(self.path), "sha256": self.sha256, "size": self.size}


class BlobWriter:
    """A file-like sink that hashes what is written (for :func:`stuf.stream_inhoud` and SFTP).

    Every :data:`FLUSH_EVERY` bytes it has what was written so far flushed to disk in the
    background, so the fsync before publishing has only the tail left (a 500 MB document's
    single fsync took a second after its last byte) and dirty pages stay bounded.
    """

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self.hash = hashlib.sha256()
        self.size = 0
        self.ref: BlobRef | None = None  # set once the blob is published
        self._flushed_at = 0
        self._flushing: threading.Thread | None = None
        self._flush_error: OSError | None = None

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        self.size += len(data)
        written = self._handle.write(data)
        if self.size - self._flushed_at >= FLUSH_EVERY and not self._busy():
            self._handle.flush()
            self._flushed_at = self.size
            self._flushing = threading.Thread(target=self._datasync, daemon=True)
            self._flushing.start()
        return written

    def wait(self) -> None:
        """Wait for a background flush still running (before the file is closed)."""
        if self._flushing is not None:
            self._flushing.join()

    def sync(self) -> None:
        """Everything written is on disk; raises what a background flush met."""
        self.wait()
        if self._flush_error is not None:  # seen by that flush, so the fsync below won't
            raise self._flush_error
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def _busy(self) -> bool:
        return self._flushing is not None and self._flushing.is_alive()

    def _datasync(self) -> None:
        try:
            os.fdatasync(self._handle.fileno())
        except OSError as error:
            self._flush_error = error


class BlobStore:
    """Blobs under ``root``; safe for many writers (threads and processes) at once."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError("geen SHA-256 in hex")
        return self.root / sha256[:2] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    @contextmanager
    def writer(self) -> Iterator[BlobWriter]:
        """Write a new blob through the yielded sink; its ``ref`` is set afterwards.

        The blob is published only when the ``with`` block ends without an error.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=_PART_PREFIX, suffix=_PART_SUFFIX, dir=self.root)
        try:
            with os.fdopen(fd, "wb") as handle:
                sink = BlobWriter(handle)
                try:
                    yield sink
                finally:
                    sink.wait()  # never close the file under a background flush
                sink.sync()
            sink.ref = self._publish(Path(temp), sink.hash.hexdigest(), sink.size)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def put_stream(self, source: BinaryIO) -> BlobRef:
        """Copy ``source`` in chunks into the store."""
        with self.writer() as sink:
            while chunk := source.read(CHUNK):
                sink.write(chunk)
        assert sink.ref is not None
        return sink.ref

    def put_bytes(self, data: bytes) -> BlobRef:
        with self.writer() as sink:
            sink.write(data)
        assert sink.ref is not None
        return sink.ref

    def _publish(self, temp: Path, sha256: str, size: int) -> BlobRef:
        final = self.path_for(sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.is_file() and final.stat().st_size == size:
            temp.unlink()  # same content stored before: keep the first copy,
            os.utime(final)  # young again, so the purge's age rule spares it for its new user
        else:
            os.replace(temp, final)
        return BlobRef(final, sha256, size)

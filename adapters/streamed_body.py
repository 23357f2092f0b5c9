"""A streamed StUF request body: the envelope's head, the base64 of a blob read in chunks, the
tail; shared by every adapter that uploads a document (e-Suite ZDS 1.2, GWS4all ZDS 1.1).

Why: documents can be 500 MB and must never be whole in memory. An adapter builds its envelope
once with :data:`PLACEHOLDER` as the inhoud (:func:`split_around`), and :class:`StreamedBody`
then sends *head + base64 of the blob + tail* with its length known in advance (so requests
sends a Content-Length, not chunked encoding). The blob's SHA-256 and size are checked as it
streams: the tail (the closing tags) is handed out only when both match, so on a mismatch the
receiver gets XML cut short and stores nothing.
"""

from __future__ import annotations

import base64
import hashlib
import os
from typing import BinaryIO

__all__ = ["PLACEHOLDER", "BlobMismatch", "BlobReadError", "StreamedBody", "split_around"]

_FILE_CHUNK = 3 * 64 * 1024  # bytes of blob per base64 piece (a multiple of 3: no padding)
#: Stand-in inhoud: its base64 (40 characters) occurs once in the envelope, where the blob goes.
PLACEHOLDER = b"KETENBRUG-INHOUD:" + os.urandom(13)
_PLACEHOLDER_B64 = base64.b64encode(PLACEHOLDER)


class BlobMismatch(Exception):
    """The blob's bytes are not the promised ones (raised inside the upload: aborts it)."""

    def __init__(self, sha256: str, size: int) -> None:
        super().__init__(f"sha256 {sha256}, {size} bytes")
        self.sha256 = sha256
        self.size = size


class BlobReadError(Exception):
    """Reading the blob failed (not an OSError: requests would take it for a network error)."""


def split_around(template: bytes) -> tuple[bytes, bytes] | None:
    """(head, tail) of an envelope built with :data:`PLACEHOLDER` as its inhoud; None when the
    placeholder is not there exactly once (the caller says what that means for its message)."""
    if template.count(_PLACEHOLDER_B64) != 1:  # pragma: no cover - 2**-104
        return None
    head, tail = template.split(_PLACEHOLDER_B64)
    return head, tail


class StreamedBody:
    """A request body read by requests/urllib3: ``head``, base64 of ``handle``, ``tail``.

    ``len()`` is known before the first byte (so a Content-Length is sent). The blob is read in
    pieces of :data:`_FILE_CHUNK` and hashed as it goes; ``tail`` is handed out only when the
    size and SHA-256 are the expected ones, else ``read`` raises ``BlobMismatch`` and the
    request is cut off before the envelope is complete.
    """

    def __init__(self, head: bytes, handle: BinaryIO, tail: bytes, size: int, sha256: str) -> None:
        self._parts: list[bytes] = [head]
        self._handle = handle
        self._tail = tail
        self._size = size
        self._sha256 = sha256
        self._hash = hashlib.sha256()
        self._read = 0
        self._carry = b""
        self._blob_done = False
        self._pending = memoryview(b"")
        self.length = len(head) + 4 * ((size + 2) // 3) + len(tail)

    def __len__(self) -> int:
        return self.length

    @property
    def sha256(self) -> str:
        """SHA-256 of the blob bytes streamed so far."""
        return self._hash.hexdigest()

    def read(self, size: int | None = -1, /) -> bytes:
        wanted = self.length if size is None or size < 0 else size
        out = bytearray()
        while len(out) < wanted:
            if not self._pending:
                piece = self._next_piece()
                if piece is None:
                    break
                self._pending = memoryview(piece)
                continue
            take = self._pending[: wanted - len(out)]
            out += take
            self._pending = self._pending[len(take) :]
        return bytes(out)

    def _next_piece(self) -> bytes | None:
        if self._parts:
            return self._parts.pop(0)
        if not self._blob_done:
            encoded = self._next_blob_piece()
            if encoded is not None:
                return encoded
            self._blob_done = True
            return self._tail
        return None

    def _next_blob_piece(self) -> bytes | None:
        remaining = self._size - self._read
        if remaining == 0:
            try:
                extra = self._handle.read(1)
            except OSError as exc:
                raise BlobReadError(str(exc)) from exc
            if extra or self._carry or self._hash.hexdigest() != self._sha256:
                raise BlobMismatch(self._hash.hexdigest(), self._read + len(extra))
            return None
        try:
            data = self._handle.read(min(_FILE_CHUNK, remaining))
        except OSError as exc:
            raise BlobReadError(str(exc)) from exc
        if not data:  # shorter than promised
            raise BlobMismatch(self._hash.hexdigest(), self._read)
        self._hash.update(data)
        self._read += len(data)
        data = self._carry + data
        usable = len(data) if self._read == self._size else len(data) - len(data) % 3
        self._carry = data[usable:]
        return base64.b64encode(data[:usable])

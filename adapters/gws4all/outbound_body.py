"""The streamed voegZaakdocumentToe (ZDS 1.1) for GWS4all: envelope head, base64 blob, tail.

Why: documents can be large and must never be whole in memory. The envelope is built once by
``build_message`` with a stand-in ``inhoud``, checked against the ZDS 1.1 schema, and split
around it; the request body is then *head + base64 of the blob read in chunks + tail*, with its
length known in advance (so requests sends a Content-Length, not chunked encoding).

The blob's SHA-256 and size are checked as it streams: the tail (the closing tags) is handed
out only when both match, so on a mismatch GWS4all receives XML cut short and stores nothing.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import replace
from typing import BinaryIO

from stuf import StufError, VoegZaakdocumentToe, ZdsVersion, build_message, validate

__all__ = ["BlobMismatch", "BlobReadError", "StreamedBody", "envelope_parts"]

_CHUNK = 3 * 64 * 1024  # blob bytes per base64 piece (a multiple of 3: no padding inside)
_PLACEHOLDER = b"KETENBRUG-GWS4ALL:" + os.urandom(12)  # 30 bytes: 40 base64 chars, no padding
_PLACEHOLDER_B64 = base64.b64encode(_PLACEHOLDER)


class BlobMismatch(Exception):
    """The blob is not the promised bytes (raised inside the upload, which it cuts off)."""

    def __init__(self, sha256: str, size: int) -> None:
        super().__init__(f"sha256 {sha256}, {size} bytes")
        self.sha256 = sha256
        self.size = size


class BlobReadError(Exception):
    """Reading the blob failed (not an OSError: requests would take it for a network error)."""


def envelope_parts(message: VoegZaakdocumentToe) -> tuple[bytes, bytes]:
    """(head, tail) of the ZDS 1.1 envelope; the base64 of the content goes between them.

    Raises :class:`StufError` when the document lacks what the schema requires (a finding of
    the schema check is raised as one too).
    """
    templated = replace(message, document=replace(message.document, inhoud=_PLACEHOLDER))
    template = build_message(templated, ZdsVersion.V1_1)
    findings = validate(template, ZdsVersion.V1_1)
    if findings:
        raise StufError("niet ZDS 1.1-geldig: " + "; ".join(findings[:3]), plek="/edcLk01")
    if template.count(_PLACEHOLDER_B64) != 1:  # pragma: no cover - 2**-96
        raise StufError("plaatshouder voor inhoud niet uniek", plek="/edcLk01/object/inhoud")
    head, tail = template.split(_PLACEHOLDER_B64)
    return head, tail


class StreamedBody:
    """A request body for requests/urllib3: ``head``, base64 of ``handle``, ``tail``."""

    def __init__(self, head: bytes, handle: BinaryIO, tail: bytes, size: int, sha256: str) -> None:
        self._pieces = [head]
        self._handle = handle
        self._tail = tail
        self._size = size
        self._sha256 = sha256
        self._hash = hashlib.sha256()
        self._read = 0
        self._carry = b""
        self._done = False
        self._pending = memoryview(b"")
        self.length = len(head) + 4 * ((size + 2) // 3) + len(tail)

    def __len__(self) -> int:
        return self.length

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
        if self._pieces:
            return self._pieces.pop()
        if self._done:
            return None
        encoded = self._next_blob_piece()
        if encoded is not None:
            return encoded
        self._done = True
        return self._tail

    def _blob_read(self, size: int) -> bytes:
        try:
            return self._handle.read(size)
        except OSError as exc:
            raise BlobReadError(type(exc).__name__) from exc

    def _next_blob_piece(self) -> bytes | None:
        remaining = self._size - self._read
        if remaining == 0:
            extra = self._blob_read(1)
            if extra or self._carry or self._hash.hexdigest() != self._sha256:
                raise BlobMismatch(self._hash.hexdigest(), self._read + len(extra))
            return None
        data = self._blob_read(min(_CHUNK, remaining))
        if not data:  # shorter than promised
            raise BlobMismatch(self._hash.hexdigest(), self._read)
        self._hash.update(data)
        self._read += len(data)
        data = self._carry + data
        usable = len(data) if self._read == self._size else len(data) - len(data) % 3
        self._carry = data[usable:]
        return base64.b64encode(data[:usable])

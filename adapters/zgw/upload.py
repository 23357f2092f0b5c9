"""A JSON request body whose ``inhoud`` is a blob in base64, read from disk while it is sent.

Why: the Documenten API takes a document's content as base64 inside the JSON. A 200 MB scan
would be 270 MB of JSON in memory; this body is instead *head + base64 of the blob read in
chunks + tail*, with its length known in advance (``4 * ceil(size / 3)`` for the base64), so
requests sends a Content-Length (no chunked encoding) and memory holds one chunk.

The blob's SHA-256 is computed on the bytes as they are sent. The tail (the closing quote
and the rest of the JSON) is sent only when hash and size match ``content.sha256``/``size``:
on a mismatch the body stops short, the API receives JSON that does not parse, and stores
nothing. The caller then reads the blob again (:data:`adapters.document.CHECKSUM_ATTEMPTS`).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO

__all__ = ["BlobReadError", "ChecksumMismatch", "StreamedJson"]

_CHUNK = 3 * 64 * 1024  # bytes of blob per base64 piece: a multiple of 3, so no padding inside
_MARK = "KETENBRUG-INHOUD-HIER"


class ChecksumMismatch(Exception):
    """The blob's bytes did not hash to the promised SHA-256: the body was cut off."""

    def __init__(self, sha256: str) -> None:
        super().__init__(sha256)
        self.sha256 = sha256


class BlobReadError(Exception):
    """Reading the blob failed while it was sent (not a network error: kept apart)."""


class StreamedJson:
    """``fields`` as JSON with ``"inhoud"`` streamed from ``handle`` (iterable, with a length)."""

    def __init__(self, fields: Mapping[str, Any], handle: BinaryIO, size: int, sha256: str) -> None:
        text = json.dumps({**fields, "inhoud": _MARK}, ensure_ascii=False)
        head, tail = text.split(json.dumps(_MARK), 1)
        self.head = head.encode() + b'"'
        self.tail = b'"' + tail.encode()
        self.handle = handle
        self.size = size
        self.sha256 = sha256
        self.length = len(self.head) + 4 * ((size + 2) // 3) + len(self.tail)

    def __len__(self) -> int:
        return self.length

    def __iter__(self) -> Iterator[bytes]:
        yield self.head
        digest = hashlib.sha256()
        sent = 0
        while sent < self.size:
            data = self._read(min(_CHUNK, self.size - sent))
            if not data:
                break  # shorter than promised: the hash below cannot match
            digest.update(data)
            sent += len(data)
            if len(data) % 3 and sent < self.size:  # a short read: top up to a multiple of 3
                more = self._read(3 - len(data) % 3)
                digest.update(more)
                sent += len(more)
                data += more
            yield base64.b64encode(data)
        if sent != self.size or self._read(1) or digest.hexdigest() != self.sha256:
            raise ChecksumMismatch(digest.hexdigest())
        yield self.tail

    def _read(self, size: int) -> bytes:
        try:
            return self.handle.read(size)
        except OSError as exc:
            raise BlobReadError(type(exc).__name__) from exc

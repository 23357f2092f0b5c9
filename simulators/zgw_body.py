"""Reading a ZGW request body whose ``inhoud`` may be a large base64 string, without holding it.

Why: the ZGW simulator runs in the test process, so a test that measures the adapter's memory
while it uploads 20 MB measures the simulator too. The body is read in 64 KiB pieces; the
``inhoud`` string is decoded on the fly into a file (with its SHA-256 and size), and only the
rest of the JSON (the metadata) is kept and parsed, with ``"inhoud": null`` in its place.
A body that stops short (a client that cut its upload off) or bad base64 is :class:`BadBody`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

__all__ = ["BadBody", "Blob", "read_json"]

_PIECE = 64 * 1024
_INHOUD = re.compile(rb'"inhoud"\s*:\s*"')


class BadBody(Exception):
    """The body is not complete JSON (or its inhoud not base64)."""


@dataclass(frozen=True)
class Blob:
    """Decoded ``inhoud``, on disk."""

    path: Path
    size: int
    sha256: str


class _Decoder:
    def __init__(self, folder: Path) -> None:
        handle, name = tempfile.mkstemp(dir=folder, suffix=".inhoud")
        self.file = os.fdopen(handle, "wb")
        self.path = Path(name)
        self.carry = b""
        self.digest = hashlib.sha256()
        self.size = 0

    def feed(self, text: bytes) -> None:
        text = (self.carry + text).replace(b"\\/", b"/")  # JSON may escape the slash
        keep = 1 if text.endswith(b"\\") else 0
        text, tail = text[: len(text) - keep], text[len(text) - keep :]
        usable = len(text) - len(text) % 4
        self.carry = text[usable:] + tail
        self._write(text[:usable])

    def _write(self, text: bytes) -> None:
        try:
            data = base64.b64decode(text, validate=True)
        except binascii.Error as exc:
            raise BadBody("inhoud is geen base64") from exc
        self.digest.update(data)
        self.size += len(data)
        self.file.write(data)

    def finish(self) -> Blob:
        self._write(self.carry)
        self.file.close()
        return Blob(self.path, self.size, self.digest.hexdigest())

    def discard(self) -> None:
        self.file.close()
        self.path.unlink(missing_ok=True)


def read_json(stream: IO[bytes], length: int, folder: Path) -> tuple[Any, Blob | None]:
    """The body's JSON (``inhoud`` as null) and the decoded inhoud, if the body had one."""
    outside = bytearray()
    decoder: _Decoder | None = None
    in_string = False
    remaining = length
    try:
        while remaining > 0:
            chunk = stream.read(min(_PIECE, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            while chunk:
                if in_string:
                    assert decoder is not None
                    end = chunk.find(b'"')
                    piece, chunk = (chunk, b"") if end < 0 else (chunk[:end], chunk[end + 1 :])
                    decoder.feed(piece)
                    if end >= 0:
                        in_string = False
                        outside += b"null"
                    continue
                start = len(outside)
                outside += chunk
                chunk = b""
                match = _INHOUD.search(outside, max(0, start - 20)) if decoder is None else None
                if match:
                    chunk = bytes(outside[match.end() :])
                    del outside[match.end() - 1 :]
                    decoder = _Decoder(folder)
                    in_string = True
        if remaining > 0 or in_string:
            raise BadBody(f"body afgebroken: {remaining} bytes te weinig")
        try:
            data = json.loads(bytes(outside) or b"{}")
        except ValueError as exc:
            raise BadBody("body is geen JSON") from exc
        return data, decoder.finish() if decoder is not None else None
    except BaseException:
        if decoder is not None:
            decoder.discard()
        raise

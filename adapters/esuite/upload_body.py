"""The streamed request body of a document upload: the ZDS 1.2 envelope around the blob.

The voegZaakdocumentToe/updateZaakdocument envelope is built once with a stand-in ``inhoud`` and
split around it (:func:`envelope_parts`); the request body (:class:`StreamedBody`) is then *head
+ base64 of the blob, read in chunks + tail*, with its length known in advance (``4 * ceil(size
/ 3)`` for the base64), so requests sends a Content-Length and the document is never in memory.
The bytes are byte for byte what ``build_message`` writes with the content inline, and the
envelope is checked against the ZDS 1.2 schema before anything is sent.

The SHA-256 of the blob is computed on the bytes as they are streamed. The tail of the envelope
(the closing tags) is handed out only when that hash and the size match: on a mismatch the
upload is cut off, the e-Suite receives XML that is not well-formed and stores nothing.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import replace
from typing import BinaryIO

from adapters.document import UPDATE_ZAAKDOCUMENT, VOEG_ZAAKDOCUMENT_TOE
from adapters.esuite.document_upload import invalid
from stuf import (
    StufError,
    UpdateZaakdocument,
    VoegZaakdocumentToe,
    ZdsVersion,
    build_message,
    validate,
)

__all__ = ["BlobMismatch", "BlobReadError", "StreamedBody", "envelope_parts"]

_FILE_CHUNK = 3 * 64 * 1024  # bytes of blob per base64 piece (a multiple of 3: no padding)
#: Stand-in inhoud: its base64 (40 characters) occurs once in the envelope, where the blob goes.
_PLACEHOLDER = b"KETENBRUG-INHOUD:" + os.urandom(13)
_PLACEHOLDER_B64 = base64.b64encode(_PLACEHOLDER)


class BlobMismatch(Exception):
    """The blob's bytes are not the promised ones (raised inside the upload: aborts it)."""

    def __init__(self, sha256: str, size: int) -> None:
        super().__init__(f"sha256 {sha256}, {size} bytes")
        self.sha256 = sha256
        self.size = size


class BlobReadError(Exception):
    """Reading the blob failed (not an OSError: requests would take it for a network error)."""


def envelope_parts(message: VoegZaakdocumentToe | UpdateZaakdocument) -> tuple[bytes, bytes]:
    """(head, tail) of the ZDS 1.2 envelope of ``message``; the base64 inhoud goes between.

    The inhoud is that of the voegZaakdocumentToe's document, or of the updateZaakdocument's
    *wordt* (its *was* must carry none). Built by ``build_message`` with a stand-in inhoud and
    checked against the ZDS 1.2 schema, so ``head + base64(content) + tail`` is exactly
    ``build_message`` with the content inline. Raises :class:`InvalidMessageError` when the
    document lacks what the schema requires.
    """
    templated: VoegZaakdocumentToe | UpdateZaakdocument
    if isinstance(message, UpdateZaakdocument):
        operation, identificatie = UPDATE_ZAAKDOCUMENT, message.wordt.identificatie
        if message.was.inhoud is not None:
            raise invalid("het was-object hoort geen inhoud te hebben", operation)
        templated = replace(message, wordt=replace(message.wordt, inhoud=_PLACEHOLDER))
    else:
        operation, identificatie = VOEG_ZAAKDOCUMENT_TOE, message.document.identificatie
        templated = replace(message, document=replace(message.document, inhoud=_PLACEHOLDER))
    try:
        template = build_message(templated, ZdsVersion.V1_2)
    except StufError as exc:
        raise invalid(f"document {identificatie}: {exc.omschrijving}", operation) from exc
    findings = validate(template, ZdsVersion.V1_2)
    if findings:
        text = "; ".join(findings[:3])
        raise invalid(f"document {identificatie} is niet ZDS 1.2-geldig: {text}", operation)
    if template.count(_PLACEHOLDER_B64) != 1:  # pragma: no cover - 2**-104
        raise invalid("plaatshouder voor inhoud niet uniek in het bericht", operation)
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

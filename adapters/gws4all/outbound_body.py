"""The streamed voegZaakdocumentToe (ZDS 1.1) for GWS4all: envelope head, base64 blob, tail.

Why: documents can be large and must never be whole in memory. The envelope is built once by
``build_message`` with a stand-in ``inhoud``, checked against the ZDS 1.1 schema, and split
around it; the request body is then *head + base64 of the blob read in chunks + tail*, with its
length known in advance (so requests sends a Content-Length, not chunked encoding).

The blob's SHA-256 and size are checked as it streams: the tail (the closing tags) is handed
out only when both match, so on a mismatch GWS4all receives XML cut short and stores nothing.
"""

from __future__ import annotations

from dataclasses import replace

from adapters.streamed_body import (
    PLACEHOLDER,
    BlobMismatch,
    BlobReadError,
    StreamedBody,
    split_around,
)
from stuf import StufError, VoegZaakdocumentToe, ZdsVersion, build_message, validate

__all__ = ["BlobMismatch", "BlobReadError", "StreamedBody", "envelope_parts"]


def envelope_parts(message: VoegZaakdocumentToe) -> tuple[bytes, bytes]:
    """(head, tail) of the ZDS 1.1 envelope; the base64 of the content goes between them.

    Raises :class:`StufError` when the document lacks what the schema requires (a finding of
    the schema check is raised as one too).
    """
    templated = replace(message, document=replace(message.document, inhoud=PLACEHOLDER))
    template = build_message(templated, ZdsVersion.V1_1)
    findings = validate(template, ZdsVersion.V1_1)
    if findings:
        raise StufError("niet ZDS 1.1-geldig: " + "; ".join(findings[:3]), plek="/edcLk01")
    parts = split_around(template)
    if parts is None:  # pragma: no cover - 2**-104
        raise StufError("plaatshouder voor inhoud niet uniek", plek="/edcLk01/object/inhoud")
    return parts

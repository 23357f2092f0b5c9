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

from dataclasses import replace

from adapters.document import UPDATE_ZAAKDOCUMENT, VOEG_ZAAKDOCUMENT_TOE
from adapters.esuite.document_upload import invalid
from adapters.streamed_body import (
    PLACEHOLDER,
    BlobMismatch,
    BlobReadError,
    StreamedBody,
    split_around,
)
from stuf import (
    StufError,
    UpdateZaakdocument,
    VoegZaakdocumentToe,
    ZdsVersion,
    build_message,
    validate,
)

__all__ = ["BlobMismatch", "BlobReadError", "StreamedBody", "envelope_parts"]


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
        templated = replace(message, wordt=replace(message.wordt, inhoud=PLACEHOLDER))
    else:
        operation, identificatie = VOEG_ZAAKDOCUMENT_TOE, message.document.identificatie
        templated = replace(message, document=replace(message.document, inhoud=PLACEHOLDER))
    try:
        template = build_message(templated, ZdsVersion.V1_2)
    except StufError as exc:
        raise invalid(f"document {identificatie}: {exc.omschrijving}", operation) from exc
    findings = validate(template, ZdsVersion.V1_2)
    if findings:
        text = "; ".join(findings[:3])
        raise invalid(f"document {identificatie} is niet ZDS 1.2-geldig: {text}", operation)
    parts = split_around(template)
    if parts is None:  # pragma: no cover - 2**-104
        raise invalid("plaatshouder voor inhoud niet uniek in het bericht", operation)
    return parts

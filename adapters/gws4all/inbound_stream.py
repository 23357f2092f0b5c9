"""A pushed voegZaakdocumentToe / updateZaakdocument, parsed streaming into a sink.

Pure but for the two streams it is given: the message is read from ``source`` and the decoded
``inhoud`` written to ``sink`` as it arrives, so a document of hundreds of MB never sits in
memory. What the inbox stores (the blob, the row, the check-in) is up to :mod:`sync.inbox`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adapters.errors import InvalidMessageError
from adapters.gws4all.inbound import document_fields
from stuf import StufError, Stuurgegevens, UpdateZaakdocument
from stuf.stream import Readable, Writable, stream_document_lk01

__all__ = ["NotADocumentError", "StreamedInbound", "stream_document"]


class NotADocumentError(InvalidMessageError):
    """The message is no voegZaakdocumentToe or updateZaakdocument after all (StUF040).

    A caller that can read the message whole handles it as another message; else it is
    refused like any other unreadable document.
    """


@dataclass
class StreamedInbound:
    """What the inbox needs of a streamed document message; its content is in the sink."""

    function: str
    stuurgegevens: Stuurgegevens
    #: :func:`adapters.gws4all.inbound.document_fields` of the document (the update's *wordt*).
    fields: dict[str, Any]
    #: False for a metadata-only update: nothing was written to the sink.
    has_content: bool
    #: An updateZaakdocument checks the document in: its checkedOutId (may be None).
    is_check_in: bool
    checked_out_id: str | None = None


def stream_document(source: Readable, sink: Writable, *, system: str) -> StreamedInbound:
    """Parse the document message in ``source``, its decoded content going to ``sink``.

    Raises :class:`NotADocumentError` when it is another message, :class:`InvalidMessageError`
    (for ``system``) when it cannot be read. Either way ``sink`` may hold part of a document:
    the caller discards it.
    """
    try:
        streamed = stream_document_lk01(source, sink)
    except StufError as error:
        kind = NotADocumentError if error.code == "StUF040" else InvalidMessageError
        raise kind(f"StUF-bericht niet te verwerken: {error}", system=system) from error
    message = streamed.message
    update = message if isinstance(message, UpdateZaakdocument) else None
    return StreamedInbound(
        function=streamed.function,
        stuurgegevens=message.stuurgegevens,
        fields=document_fields(streamed.document),
        has_content=streamed.has_content,
        is_check_in=update is not None,
        checked_out_id=update.checked_out_id if update is not None else None,
    )

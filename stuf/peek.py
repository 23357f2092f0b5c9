"""Which message a stream holds, read without building anything: the element inside the SOAP
Body (or the root of a bare message), however far into the stream it starts.

A receiver chooses by it how to read the message (a document streaming, anything else whole),
never by a window of bytes: a large SOAP header or comment may push the message element
anywhere. The safety is that of :mod:`stuf.stream`: the same parser settings, any DOCTYPE
refused (in any encoding), nesting capped at :data:`stuf.xml.MAX_DEPTH`.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Protocol

from lxml import etree

from stuf.errors import StufError, UnsafeXmlError
from stuf.operations import OPERATIONS, q
from stuf.xml import (
    MAX_DEPTH,
    SOAP11,
    SOAP12,
    refuse_doctype,
    safe_parser,
    too_deep,
    xml_encoding,
)

__all__ = ["DOCUMENT_ELEMENTS", "message_element", "read_head"]

#: The message elements of the two messages that carry a whole document (voegZaakdocumentToe
#: and updateZaakdocument, ZDS 1.1 and 1.2; :func:`stuf.stream.stream_document_lk01` reads
#: them): a receiver streams a message with one of these.
DOCUMENT_ELEMENTS = frozenset(
    element
    for function in ("voegZaakdocumentToe", "updateZaakdocument")
    for element in (OPERATIONS[function].element_11, OPERATIONS[function].element_12)
)

_CHUNK = 1 << 16
_BODIES = {q(SOAP11, "Envelope"): q(SOAP11, "Body"), q(SOAP12, "Envelope"): q(SOAP12, "Body")}
# Bytes read before the encoding is judged: enough for a BOM and an XML declaration.
_HEAD = 512


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def read_head(source: _Readable, chunk_size: int) -> bytes:
    """The first chunk, but at least :data:`_HEAD` bytes (unless the stream is shorter)."""
    head = source.read(max(chunk_size, _HEAD))
    while 0 < len(head) < _HEAD:
        more = source.read(_HEAD - len(head))
        if not more:
            break
        head += more
    return head


class _Found(Exception):
    """Raised by :class:`_MessageTarget` to stop the parse once it knows the answer."""


class _MessageTarget:
    """Parser target that notes the message element and builds nothing (flat memory)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.depth = 0
        self.body: str | None = None  # the Body tag of the envelope, once seen
        self.in_body = False
        self.tag: str | None = None
        self.error: StufError | None = None

    def doctype(self, *_args: Any) -> None:
        self.error = UnsafeXmlError("document type declarations are refused", plek="/")
        raise self.error

    def start(
        self, tag: str, _attrib: dict[str, str], _nsmap: dict[str | None, str] | None = None
    ) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.error = too_deep()
            raise self.error
        if self.depth == 1:
            self.body = _BODIES.get(tag)
            if self.body is None:  # a bare message: the root is the message
                self.tag = tag
                raise _Found
        elif self.depth == 2 and tag == self.body:
            self.in_body = True
        elif self.depth == 3 and self.in_body:
            self.tag = tag
            raise _Found

    def end(self, _tag: str) -> None:
        self.depth -= 1
        if self.depth == 1 and self.in_body:  # the Body ended without an element
            self.error = StufError("SOAP Body without a message", plek="/Envelope/Body")
            raise self.error

    def close(self) -> str | None:
        return self.tag


def message_element(source: _Readable, *, chunk_size: int = _CHUNK) -> str:
    """The ``{namespace}name`` of the message in ``source``: the element inside the SOAP Body
    (or the root of a bare message), however far into the stream it starts.

    Reads only up to that element's start tag and builds nothing, with the safety of the
    streaming parse (DOCTYPE, encoding, depth). Raises :class:`StufError` when there is none
    or the XML before it is not well-formed.
    """
    parser, target = _parser()
    tail = b""
    chunk = read_head(source, chunk_size)
    xml_encoding(chunk)
    try:
        while chunk:
            refuse_doctype(tail + chunk, head=False)
            tail = chunk[-64:]
            parser.feed(chunk)
            chunk = source.read(chunk_size)
        parser.close()
    except (_Found, etree.XMLSyntaxError, AssertionError) as exc:
        if target.tag is not None:
            return target.tag
        if target.error is not None:
            raise target.error from exc
        raise StufError(f"not well-formed XML: {getattr(exc, 'msg', exc)}", plek="/") from exc
    finally:
        with contextlib.suppress(Exception):  # a parse stopped half way: ready for the next
            parser.close()
        target.reset()
    raise StufError("no message element found", plek="/")


_local = threading.local()


def _parser() -> tuple[etree.XMLParser, _MessageTarget]:
    """This thread's parser and target: a fresh libxml2 context costs more than the look."""
    pair: tuple[etree.XMLParser, _MessageTarget] | None = getattr(_local, "pair", None)
    if pair is None:
        target = _MessageTarget()
        pair = _local.pair = (safe_parser(target=target), target)
    return pair

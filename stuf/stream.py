"""Stream a voegZaakdocumentToe (``edcLk01``): the base64 ``inhoud`` goes to a sink as it arrives.

A DOM parse holds the whole text node (about twice the document size in memory); an lxml
parser *target* fed in chunks gets the text in pieces, which are decoded 4 characters at a time.
Everything except ``inhoud`` is collected into a small tree and parsed with the normal reader.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, replace
from typing import Any, BinaryIO

from lxml import etree

from stuf.envelope import unwrap
from stuf.errors import StufError, UnsafeXmlError
from stuf.model import VoegZaakdocumentToe
from stuf.operations import q
from stuf.parse import parse_element
from stuf.xml import ZKN, refuse_doctype, safe_parser

__all__ = ["StreamedDocument", "stream_inhoud"]

_CHUNK = 1 << 16
_INHOUD = q(ZKN, "inhoud")


@dataclass
class StreamedDocument:
    """The message without ``inhoud``, and what was written to the sink."""

    message: VoegZaakdocumentToe
    sha256: str
    size: int


class _Target:
    """Parser target: builds a tree of everything but the ``inhoud`` text, which it decodes."""

    def __init__(self, sink: BinaryIO) -> None:
        self.builder = etree.TreeBuilder()
        self.sink = sink
        self.hash = hashlib.sha256()
        self.size = 0
        self.in_inhoud = False
        self.inhoud_seen = False
        self.carry = b""
        self.unsafe = False
        self.error: StufError | None = None  # lxml swallows exceptions raised in callbacks

    def doctype(self, *_args: Any) -> None:
        self.unsafe = True
        raise UnsafeXmlError("document type declarations (DTD, entities) are refused", plek="/")

    def start(
        self, tag: str, attrib: dict[str, str], nsmap: dict[str | None, str] | None = None
    ) -> None:
        if tag == _INHOUD and not self.inhoud_seen:
            self.in_inhoud = True
            self.inhoud_seen = True
        self.builder.start(tag, attrib, nsmap or {})

    def end(self, tag: str) -> None:
        if self.in_inhoud and tag == _INHOUD:
            self._flush(final=True)
            self.in_inhoud = False
        self.builder.end(tag)

    def data(self, text: str) -> None:
        if not self.in_inhoud:
            self.builder.data(text)
            return
        raw = text.encode("ascii", errors="replace").translate(None, b" \t\r\n")
        chunk = self.carry + raw
        usable = len(chunk) - len(chunk) % 4
        self.carry = chunk[usable:]
        if usable:
            self._write(chunk[:usable])

    def _write(self, encoded: bytes) -> None:
        try:
            decoded = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            self.error = StufError("inhoud is not valid base64", plek="/edcLk01/object/inhoud")
            raise self.error from exc
        self.sink.write(decoded)
        self.hash.update(decoded)
        self.size += len(decoded)

    def _flush(self, *, final: bool) -> None:
        if final and self.carry:
            if len(self.carry) % 4:
                self.error = StufError("inhoud base64 is truncated", plek="/edcLk01/object/inhoud")
                raise self.error
            self._write(self.carry)
            self.carry = b""

    def comment(self, text: str) -> None:
        self.builder.comment(text)

    def pi(self, target: str, data: str | None = None) -> None:
        self.builder.pi(target, data)

    def close(self) -> etree._Element:
        return self.builder.close()


def stream_inhoud(
    source: BinaryIO, sink: BinaryIO, *, chunk_size: int = _CHUNK
) -> StreamedDocument:
    """Parse an edcLk01 from ``source``; write the decoded ``inhoud`` to ``sink`` as it arrives.

    Returns the message (its ``document.inhoud`` is None, or a NoValue when it was nil) with the
    SHA-256 and size of what was written. Raises :class:`StufError` like ``parse_message``.
    """
    target = _Target(sink)
    parser = safe_parser(target=target)  # same safety settings as stuf.xml.parse_xml
    tail = b""
    try:
        while True:
            chunk = source.read(chunk_size)
            if not chunk:
                break
            refuse_doctype(tail + chunk)
            tail = chunk[-32:]
            parser.feed(chunk)
        root = parser.close()
    except (etree.XMLSyntaxError, AssertionError) as exc:
        if target.error is not None:
            raise target.error from exc
        if target.unsafe:
            raise UnsafeXmlError("document type declarations are refused", plek="/") from exc
        raise StufError(f"not well-formed XML: {getattr(exc, 'msg', exc)}", plek="/") from exc
    if not isinstance(root, etree._Element):
        raise StufError("empty XML document", plek="/")
    element, _soap = unwrap(root)
    message = parse_element(element)
    if not isinstance(message, VoegZaakdocumentToe):
        raise StufError(
            f"expected voegZaakdocumentToe, got {type(message).__name__}", code="StUF040", plek="/"
        )
    if isinstance(message.document.inhoud, bytes):
        message.document = replace(message.document, inhoud=None)
    return StreamedDocument(message, target.hash.hexdigest(), target.size)

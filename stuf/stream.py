"""Stream the base64 ``inhoud`` of a document message to a sink as it arrives.

Three messages carry a whole document: the voegZaakdocumentToe a zaaksysteem receives
(``edcLk01``, :func:`stream_inhoud`), the updateZaakdocument with a new version of a document
(``updateZaakdocument_Di02``: an ``edcLk02`` with a *was* and a *wordt* object; it and the
voegZaakdocumentToe are both read by :func:`stream_document_lk01`) and the answer to
geefZaakdocumentLezen a client receives (``edcLa01``, :func:`stream_zaakdocument_lezen`).
A DOM parse holds the whole text node (about
twice the document size in memory, and libxml2 refuses a text node over 10 MB anyway); an lxml
parser *target* fed in chunks gets the text in pieces, which are decoded 4 characters at a time.
Everything except ``inhoud`` is collected into a small tree and parsed with the normal reader.

Safety is that of :func:`stuf.xml.parse_xml`: the same parser settings, any DOCTYPE refused (any
encoding), nesting capped at :data:`stuf.xml.MAX_DEPTH` (counted here: libxml2 does not for a
Python target), the text outside ``inhoud`` (comments too) capped (:data:`MAX_OTHER_TEXT`).

In an updateZaakdocument only the *wordt* object's inhoud is the new content. An inhoud in the
*was* object (the old content, which a sender may repeat) is **ignored**: its text is skipped as
it arrives (not decoded, not checked, not kept, not counted against :data:`MAX_OTHER_TEXT`, and
never written to the sink); the message gets a warning saying so.
"""

from __future__ import annotations

import binascii
import hashlib
from dataclasses import dataclass, replace
from typing import Any, Literal

import pybase64
from lxml import etree

from stuf.envelope import unwrap
from stuf.errors import StufError, UnsafeXmlError
from stuf.model import (
    Document,
    Fout,
    Message,
    NoValue,
    UpdateZaakdocument,
    VoegZaakdocumentToe,
    ZaakdocumentAntwoord,
)
from stuf.operations import OPERATIONS, q
from stuf.parse import parse_element
from stuf.peek import read_head
from stuf.sinks import HashingWritable, Readable, Writable
from stuf.xml import MAX_DEPTH, ZDS, ZKN, refuse_doctype, safe_parser, too_deep, xml_encoding

__all__ = [
    "MAX_OTHER_TEXT",
    "HashingWritable",
    "Readable",
    "StreamedAnswer",
    "StreamedDocument",
    "StreamedDocumentMessage",
    "Writable",
    "stream_document_lk01",
    "stream_inhoud",
    "stream_zaakdocument_lezen",
]

_CHUNK = 1 << 16
_INHOUD = q(ZKN, "inhoud")
_OBJECT = q(ZKN, "object")
_VOEG_ROOTS = frozenset(
    {OPERATIONS["voegZaakdocumentToe"].element_11, OPERATIONS["voegZaakdocumentToe"].element_12}
)
_UPDATE_ROOTS = frozenset(
    {OPERATIONS["updateZaakdocument"].element_11, OPERATIONS["updateZaakdocument"].element_12}
)
_EDC_LK02 = frozenset({q(ZKN, "edcLk02"), q(ZDS, "edcLk02")})
#: Characters of text allowed outside the streamed ``inhoud`` (stuurgegevens, metadata, ...).
MAX_OTHER_TEXT = 8 * 1024 * 1024


@dataclass
class StreamedDocument:
    """The message without ``inhoud``, and what was written to the sink."""

    message: VoegZaakdocumentToe
    sha256: str
    size: int


@dataclass
class StreamedDocumentMessage:
    """A voegZaakdocumentToe or updateZaakdocument without ``inhoud``, and what was written.

    ``has_content`` says whether the document (the voegZaakdocumentToe's object, the
    updateZaakdocument's *wordt*) carried an inhoud with a value: False when it was absent or
    nil (a metadata-only update; nothing was written, ``size`` is 0), True otherwise, also for
    an empty (zero-byte) document.
    """

    message: VoegZaakdocumentToe | UpdateZaakdocument
    sha256: str
    size: int
    has_content: bool

    @property
    def function(self) -> Literal["voegZaakdocumentToe", "updateZaakdocument"]:
        """Which of the two messages it was (the ZDS function name)."""
        if isinstance(self.message, UpdateZaakdocument):
            return "updateZaakdocument"
        return "voegZaakdocumentToe"

    @property
    def document(self) -> Document:
        """The document the content belongs to: the object, or the update's *wordt*."""
        if isinstance(self.message, UpdateZaakdocument):
            return self.message.wordt
        return self.message.document


@dataclass
class StreamedAnswer:
    """A geefZaakdocumentLezen answer without ``inhoud`` (or the Fo0x it was), and what was
    written to the sink (nothing for a Fout, or for a document whose inhoud is nil)."""

    message: ZaakdocumentAntwoord | Fout
    sha256: str
    size: int


class _Target:
    """Parser target: builds a tree of everything but the ``inhoud`` text, which it decodes."""

    def __init__(self, sink: Writable, plek: str) -> None:
        self.builder = etree.TreeBuilder()
        self.sink = sink
        self.plek = plek
        self.sink_hashes = isinstance(sink, HashingWritable)
        self.hash = sink.hash if isinstance(sink, HashingWritable) else hashlib.sha256()
        self.size = 0
        self.other_text = 0
        self.in_inhoud = False
        self.inhoud_seen = False
        self.carry = b""
        self.depth = 0
        self.unsafe = False
        self.error: StufError | None = None  # lxml swallows exceptions raised in callbacks
        self.sink_error: BaseException | None = None  # so is an error of the sink: kept here

    def doctype(self, *_args: Any) -> None:
        self.unsafe = True
        raise UnsafeXmlError("document type declarations (DTD, entities) are refused", plek="/")

    def _deeper(self) -> None:  # refused before anything is built for it
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.error = too_deep()
            raise self.error

    def _other_text(self, size: int) -> None:
        self.other_text += size
        if self.other_text > MAX_OTHER_TEXT:
            self.error = StufError("too much text outside inhoud", plek="/")
            raise self.error

    def start(
        self, tag: str, attrib: dict[str, str], nsmap: dict[str | None, str] | None = None
    ) -> None:
        self._deeper()
        if tag == _INHOUD and not self.inhoud_seen:
            self.in_inhoud = True
            self.inhoud_seen = True
        self.builder.start(tag, attrib, nsmap or {})

    def end(self, tag: str) -> None:
        self.depth -= 1
        if self.in_inhoud and tag == _INHOUD:
            self._flush(final=True)
            self.in_inhoud = False
        self.builder.end(tag)

    def data(self, text: str) -> None:
        if not self.in_inhoud:
            self._other_text(len(text))
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
            # pybase64: SIMD decoding, 5x the standard library's (a 500 MB push is 667 MB)
            decoded = pybase64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            self.error = StufError("inhoud is not valid base64", plek=self.plek)
            raise self.error from exc
        try:
            self.sink.write(decoded)
        except BaseException as exc:
            self.sink_error = exc
            raise
        if not self.sink_hashes:
            self.hash.update(decoded)
        self.size += len(decoded)

    def _flush(self, *, final: bool) -> None:
        if final and self.carry:
            if len(self.carry) % 4:
                self.error = StufError("inhoud base64 is truncated", plek=self.plek)
                raise self.error
            self._write(self.carry)
            self.carry = b""

    def comment(self, text: str) -> None:
        self._other_text(len(text))  # kept in the tree: counted like text
        self.builder.comment(text)

    def pi(self, target: str, data: str | None = None) -> None:
        self._other_text(len(target) + len(data or ""))
        self.builder.pi(target, data)

    def close(self) -> etree._Element:
        return self.builder.close()


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


class _DocumentTarget(_Target):
    """Parser target for :func:`stream_document_lk01`: it streams the inhoud of exactly one
    element, ``<root>/object/inhoud`` of a voegZaakdocumentToe or ``<root>/edcLk02/object[2]/
    inhoud`` (the *wordt*) of an updateZaakdocument, and skips the text of an inhoud of the
    *was* (``object[1]``) or of any further object of the edcLk02."""

    def __init__(self, sink: Writable) -> None:
        super().__init__(sink, "/inhoud")
        self.stack: list[str] = []
        self.lk02_objects = 0  # object children of the update's edcLk02 seen so far
        self.inhoud_depth = -1  # depth of the streamed inhoud while inside it
        self.skip_depth = -1  # depth of a skipped inhoud while inside it
        self.skipped = 0  # characters of skipped inhoud text

    def start(
        self, tag: str, attrib: dict[str, str], nsmap: dict[str | None, str] | None = None
    ) -> None:
        self._deeper()
        stack = self.stack
        if tag == _OBJECT and len(stack) >= 2 and stack[-1] in _EDC_LK02:
            if stack[-2] in _UPDATE_ROOTS:
                self.lk02_objects += 1
        elif tag == _INHOUD and not self.in_inhoud and self.skip_depth < 0:
            self._route(stack)
        stack.append(tag)
        self.builder.start(tag, attrib, nsmap or {})

    def _route(self, stack: list[str]) -> None:
        """An inhoud starts: stream it, skip it, or (elsewhere) keep it like other text."""
        if len(stack) < 2 or stack[-1] != _OBJECT:
            return
        if stack[-2] in _VOEG_ROOTS:
            plek = f"/{_local(stack[-2])}/object/inhoud"
        elif len(stack) >= 3 and stack[-2] in _EDC_LK02 and stack[-3] in _UPDATE_ROOTS:
            if self.lk02_objects != 2:  # the was object (or an extra one): never written
                self.skip_depth = len(stack)
                return
            plek = f"/{_local(stack[-3])}/edcLk02/object[2]/inhoud"
        else:
            return
        if self.inhoud_seen:
            self.error = StufError("more than one inhoud for the document", plek=plek)
            raise self.error
        self.plek = plek
        self.in_inhoud = True
        self.inhoud_seen = True
        self.inhoud_depth = len(stack)

    def end(self, tag: str) -> None:
        self.depth -= 1
        self.stack.pop()
        depth = len(self.stack)
        if self.in_inhoud and depth == self.inhoud_depth:
            self._flush(final=True)
            self.in_inhoud = False
        elif depth == self.skip_depth:
            self.skip_depth = -1
        self.builder.end(tag)

    def data(self, text: str) -> None:
        if self.skip_depth >= 0:
            self.skipped += len(text)
            return
        super().data(text)


def _stream(source: Readable, target: _Target, chunk_size: int) -> Message:
    """Feed ``source`` through the safe parser into ``target``; the parsed message."""
    parser = safe_parser(target=target)  # same safety settings as stuf.xml.parse_xml
    tail, chunk = b"", read_head(source, chunk_size)
    xml_encoding(chunk)  # one refuse_doctype can check, or UnsafeXmlError
    try:
        while chunk:
            refuse_doctype(tail + chunk, head=False)
            tail = chunk[-64:]  # "<!DOCTYPE" split over two chunks: 36 bytes in UTF-32
            parser.feed(chunk)
            if target.sink_error is not None:
                raise target.sink_error
            chunk = source.read(chunk_size)
        root = parser.close()
    except (etree.XMLSyntaxError, AssertionError) as exc:
        if target.sink_error is not None:  # the sink's own error, as it was raised
            raise target.sink_error from None
        if target.error is not None:
            raise target.error from exc
        if target.unsafe:
            raise UnsafeXmlError("document type declarations are refused", plek="/") from exc
        raise StufError(f"not well-formed XML: {getattr(exc, 'msg', exc)}", plek="/") from exc
    if not isinstance(root, etree._Element):
        raise StufError("empty XML document", plek="/")
    element, _soap = unwrap(root)
    return parse_element(element)


def stream_inhoud(
    source: Readable, sink: Writable, *, chunk_size: int = _CHUNK
) -> StreamedDocument:
    """Parse an edcLk01 from ``source``; write the decoded ``inhoud`` to ``sink`` as it arrives.

    Returns the message (its ``document.inhoud`` is None, or a NoValue when it was nil) with the
    SHA-256 and size of what was written. Raises :class:`StufError` like ``parse_message``.
    """
    target = _Target(sink, "/edcLk01/object/inhoud")
    message = _stream(source, target, chunk_size)
    if not isinstance(message, VoegZaakdocumentToe):
        raise StufError(
            f"expected voegZaakdocumentToe, got {type(message).__name__}", code="StUF040", plek="/"
        )
    if isinstance(message.document.inhoud, bytes):
        message.document = replace(message.document, inhoud=None)
    return StreamedDocument(message, target.hash.hexdigest(), target.size)


def stream_zaakdocument_lezen(
    source: Readable, sink: Writable, *, chunk_size: int = _CHUNK
) -> StreamedAnswer:
    """Parse a geefZaakdocumentLezen answer (``edcLa01``, ZDS 1.1 or 1.2) from ``source``.

    The decoded ``inhoud`` goes to ``sink`` as it arrives; the returned message's
    ``document.inhoud`` is None (or the NoValue it was). A SOAP Fault with a Fo0x is returned as
    :class:`Fout`, not raised: it is an answer. Anything else raises :class:`StufError`. When it
    raises, ``sink`` may hold part of the document: the caller discards it.
    """
    target = _Target(sink, "/edcLa01/antwoord/object/inhoud")
    message = _stream(source, target, chunk_size)
    if isinstance(message, Fout):
        return StreamedAnswer(message, target.hash.hexdigest(), target.size)
    if not isinstance(message, ZaakdocumentAntwoord):
        raise StufError(
            f"expected geefZaakdocumentLezen_La01, got {type(message).__name__}",
            code="StUF040",
            plek="/",
        )
    if message.document is not None and isinstance(message.document.inhoud, bytes):
        message.document = replace(message.document, inhoud=None)
    return StreamedAnswer(message, target.hash.hexdigest(), target.size)


def stream_document_lk01(
    source: Readable, sink: Writable, *, chunk_size: int = _CHUNK
) -> StreamedDocumentMessage:
    """Parse a voegZaakdocumentToe or an updateZaakdocument (ZDS 1.1 or 1.2) from ``source``.

    The decoded inhoud of the document (the voegZaakdocumentToe's object, the update's *wordt*)
    goes to ``sink`` as it arrives; the returned message holds no content: that document's
    ``inhoud`` is None, or the NoValue it was (nil). The *was* object's inhoud, should there be
    one, is ignored: skipped unread, never written, ``was.inhoud`` None, and a warning in
    ``message.warnings``. :attr:`StreamedDocumentMessage.function` says which message it was.

    Safety is that of :func:`stream_inhoud`. Raises :class:`StufError` for anything else than
    these two messages, for invalid or truncated base64, for a second inhoud in the document
    object, and for an inhoud that is nil (or ``StUF:noValue``) yet carries content. When it
    raises, ``sink`` may hold part of the document: the caller discards it.
    """
    target = _DocumentTarget(sink)
    message = _stream(source, target, chunk_size)
    if isinstance(message, VoegZaakdocumentToe):
        document = message.document
    elif isinstance(message, UpdateZaakdocument):
        document = message.wordt
        if isinstance(message.was.inhoud, bytes):
            message.was = replace(message.was, inhoud=None)
        if target.skipped:
            message.warnings.append(
                "/updateZaakdocument_Di02/edcLk02/object[1]/inhoud: the was object's inhoud is "
                f"ignored ({target.skipped} characters not read)"
            )
    else:
        raise StufError(
            f"expected voegZaakdocumentToe or updateZaakdocument, got {type(message).__name__}",
            code="StUF040",
            plek="/",
        )
    inhoud = document.inhoud
    if isinstance(inhoud, NoValue) and (target.size or target.carry):
        raise StufError("inhoud is nil (no value) but carries content", plek=target.plek)
    has_content = isinstance(inhoud, bytes)
    if has_content:
        document = replace(document, inhoud=None)
        if isinstance(message, UpdateZaakdocument):
            message.wordt = document
        else:
            message.document = document
    return StreamedDocumentMessage(message, target.hash.hexdigest(), target.size, has_content)

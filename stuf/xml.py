"""The single entry point to the XML parser, plus the namespace map shared by code and tests.

Only :func:`parse_xml` (and the streaming parser in :mod:`stuf.stream`, which uses the same
:func:`safe_parser` settings) ever parses XML. A test greps the repository to keep it so.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from lxml import etree

from stuf.errors import StufError, UnsafeXmlError

__all__ = [
    "BG",
    "MAX_DEPTH",
    "NS",
    "SOAP11",
    "SOAP12",
    "STUF",
    "XSI",
    "ZDS",
    "ZKN",
    "load_schema",
    "parse_xml",
    "parse_xml_file",
    "refuse_doctype",
    "safe_parser",
    "too_deep",
    "xml_encoding",
]

STUF = "http://www.egem.nl/StUF/StUF0301"
ZKN = "http://www.egem.nl/StUF/sector/zkn/0310"
BG = "http://www.egem.nl/StUF/sector/bg/0310"
ZDS = "http://www.stufstandaarden.nl/koppelvlak/zds0120"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XMIME = "http://www.w3.org/2005/05/xmlmime"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"

#: Prefixes Ketenbrug writes (and tests use in XPath). Inbound matching is by URI only.
NS: dict[str, str] = {
    "StUF": STUF,
    "ZKN": ZKN,
    "BG": BG,
    "ZDS": ZDS,
    "xsi": XSI,
    "xmime": XMIME,
}

#: Deepest element nesting accepted anywhere XML is parsed. It is libxml2's own limit without
#: XML_PARSE_HUGE (``huge_tree=False``), which :func:`parse_xml` relies on; a parser with a
#: Python *target* (:mod:`stuf.stream`) is not held to it by libxml2, so those targets count
#: the depth themselves against this same number (:func:`too_deep`).
MAX_DEPTH = 256

# XML spells the keyword in capitals only; libxml2 rejects any other spelling. Every encoding
# accepted below writes it in one of these byte forms (the 8-bit one, or 2 or 4 bytes a char).
_DOCTYPE = b"<!DOCTYPE"
_DOCTYPE_WIDE = tuple(
    "<!DOCTYPE".encode(codec) for codec in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
)
# XML 1.0 appendix F: how a parser tells the encoding before it can read a declaration.
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_LAYOUTS = {
    b"\x00\x00\x00<": "utf-32-be",
    b"<\x00\x00\x00": "utf-32-le",
    b"\x00<\x00?": "utf-16-be",
    b"<\x00?\x00": "utf-16-le",
    b"\x00\x00<\x00": "ucs-4-2143",  # unusual octet orders: refused below
    b"\x00<\x00\x00": "ucs-4-3412",
    b"Lo\xa7\x94": "ebcdic",
}
_DECLARATION = re.compile(rb"<\?xml\s[^>]*?encoding\s*=\s*[\"']([A-Za-z][A-Za-z0-9._:-]{0,40})")
# Declared encodings whose bytes spell markup like ASCII does (so the 8-bit form above finds a
# DOCTYPE), plus the wide ones. Anything else (UTF-7, EBCDIC, ...) can spell ``<!DOCTYPE`` in
# bytes no check here knows, and libxml2 may well decode it: refused rather than guessed.
_ACCEPTED = re.compile(
    r"(utf-?8|(us-)?ascii|iso-?8859-\d{1,2}|latin-?1|iso-latin-1|(windows|cp)-?125\d"
    r"|utf-?(16|32)(-?(le|be))?|ucs-?(2|4))"
)


def safe_parser(**extra: Any) -> etree.XMLParser:
    """An lxml parser that resolves no entities, loads no DTD and opens no network."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        **extra,
    )


def too_deep(plek: str = "/") -> StufError:
    """The error for XML nested deeper than :data:`MAX_DEPTH` (what libxml2 says, in our words)."""
    return StufError(f"XML nested deeper than {MAX_DEPTH} elements", plek=plek)


def xml_encoding(head: bytes) -> str:
    """The encoding a parser reads a document starting with ``head`` in (lowercase name).

    A byte order mark or the layout of the first four bytes decides (UTF-16/32); else the
    XML declaration's ``encoding``; else UTF-8. Raises :class:`UnsafeXmlError` for an encoding
    :func:`refuse_doctype` cannot check. ``head`` needs the first 512 bytes (or all there are).
    """
    if head.startswith(b"\xef\xbb\xbf"):  # a UTF-8 mark may still be followed by a declaration
        head = head[3:]
    if not head.startswith(b"<?xml"):
        return _encoding_of(head[:4])
    end = head.find(b"?>", 0, 512)
    if end < 0:  # libxml2 would read an encoding we never saw
        raise UnsafeXmlError("XML declaration longer than 512 bytes is refused", plek="/")
    return _encoding_of(head[: end + 2])


@lru_cache(maxsize=64)
def _encoding_of(start: bytes) -> str:
    """:func:`xml_encoding` of a document starting with this declaration (or these 4 bytes);
    memoised: nearly every message starts with the same declaration."""
    for bom, name in _BOMS:
        if start.startswith(bom):
            return name
    layout = _LAYOUTS.get(start[:4])
    if layout is not None:
        name = layout
    else:
        declared = _DECLARATION.match(start)
        name = declared.group(1).decode("ascii").lower().replace("_", "-") if declared else "utf-8"
    if not _ACCEPTED.fullmatch(name):
        raise UnsafeXmlError(f"XML in encoding {name[:40]!r} is refused", plek="/")
    return name


def refuse_doctype(data: bytes, *, head: bool = True) -> None:
    """Raise :class:`UnsafeXmlError` when ``data`` declares a DTD (internal or external).

    Whatever the encoding: ``data`` starting the document (``head``) must be in one whose
    spelling of ``<!DOCTYPE`` is known (:func:`xml_encoding`); a later piece of a stream
    (``head=False``) is checked for every such spelling.
    """
    if head:
        xml_encoding(data[:512])
    if b"!" not in data:  # every spelling checked below holds the byte 0x21 (memchr: fast)
        return
    # wide spellings hold NUL bytes, which 8-bit XML never does (one more memchr)
    if _DOCTYPE in data or (b"\x00" in data and any(form in data for form in _DOCTYPE_WIDE)):
        raise UnsafeXmlError("document type declarations (DTD, entities) are refused", plek="/")


_PARSER = safe_parser()


def parse_xml(data: bytes, *, base_url: str | None = None) -> etree._Element:
    """Parse ``data`` into an element tree, safely.

    Refuses any DOCTYPE (so no entity expansion, no billion laughs, no external entity) with
    :class:`UnsafeXmlError`; any other parse failure is a :class:`StufError` (StUF055).
    """
    if type(data) is not bytes:
        if not isinstance(data, bytes | bytearray):
            raise StufError("expected bytes", plek="/")
        data = bytes(data)
    refuse_doctype(data)
    try:
        root = etree.fromstring(data, parser=_PARSER, base_url=base_url)
    except etree.XMLSyntaxError as exc:
        if exc.msg and exc.msg.startswith("Excessive depth"):
            raise too_deep() from exc
        raise StufError(f"not well-formed XML: {exc.msg}", plek="/") from exc
    if root is None:
        raise StufError("empty XML document", plek="/")
    return root


def parse_xml_file(path: str | Path) -> etree._Element:
    """:func:`parse_xml` for a file (index XML, MDTO metadata): same refusals, same errors."""
    file = Path(path)
    return parse_xml(file.read_bytes(), base_url=file.resolve().as_uri())


def load_schema(path: str | Path) -> etree.XMLSchema:
    """An XSD file as a validator; parsed through :func:`parse_xml_file` like everything else.

    Includes and imports are resolved by libxml2 relative to ``path``, from disk only.
    """
    root = parse_xml_file(path)
    return etree.XMLSchema(root)

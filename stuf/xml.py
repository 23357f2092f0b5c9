"""The single entry point to the XML parser, plus the namespace map shared by code and tests.

Only :func:`parse_xml` (and the streaming parser in :mod:`stuf.stream`, which uses the same
:func:`safe_parser` settings) ever parses XML. A test greps the repository to keep it so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lxml import etree

from stuf.errors import StufError, UnsafeXmlError

__all__ = [
    "BG",
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
    "safe_parser",
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

# XML spells the keyword in capitals only; libxml2 rejects any other spelling.
_DOCTYPE = b"<!DOCTYPE"
_DOCTYPE_UTF16 = ("<!DOCTYPE".encode("utf-16-le"), "<!DOCTYPE".encode("utf-16-be"))


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


def refuse_doctype(data: bytes) -> None:
    """Raise :class:`UnsafeXmlError` when ``data`` declares a DTD (internal or external)."""
    if b"!" not in data:  # every spelling checked below holds the byte 0x21 (memchr: fast)
        return
    wide = b"\x00" in data[:4] or data[:2] in (b"\xff\xfe", b"\xfe\xff")
    if _DOCTYPE in data or (wide and any(form in data for form in _DOCTYPE_UTF16)):
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

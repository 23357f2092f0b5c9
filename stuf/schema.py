"""Validation against the shipped, flattened official ZDS 1.1.02 and 1.2 schemas."""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

from lxml import etree

from privacy.masking import mask_text
from stuf.envelope import unwrap
from stuf.errors import StufError
from stuf.model import ZdsVersion
from stuf.xml import parse_xml

__all__ = ["schema_path", "validate", "validate_element"]

_SCHEMAS = Path(__file__).parent / "schemas"
_LOCK = threading.Lock()


def schema_path(version: ZdsVersion) -> Path:
    """``stuf/schemas/zds-<version>/_aggregate/all.xsd``."""
    return _SCHEMAS / f"zds-{ZdsVersion(version).value}" / "_aggregate" / "all.xsd"


@lru_cache(maxsize=2)
def _schema(version: ZdsVersion) -> etree.XMLSchema:
    return etree.XMLSchema(file=str(schema_path(version)))


def validate_element(element: etree._Element, version: ZdsVersion) -> list[str]:
    """Schema findings for one StUF message element (BSNs masked)."""
    schema = _schema(ZdsVersion(version))
    with _LOCK:  # an XMLSchema keeps its error_log between calls: one caller at a time
        schema.validate(element)
        return [mask_text(f"line {error.line}: {error.message}") for error in schema.error_log]


def validate(xml: bytes, version: ZdsVersion) -> list[str]:
    """Schema findings for a message (SOAP envelope or bare); ``[]`` means valid.

    A SOAP Fault is checked on the ``Fo0x`` it carries.
    """
    try:
        root = parse_xml(xml)
        message, _soap = unwrap(root)
    except StufError as exc:
        return [str(exc)]
    if message.tag.endswith("}Fault"):
        found = [
            child
            for child in message.iter()
            if isinstance(child.tag, str) and child.tag.endswith("Bericht")
        ]
        if not found:
            return ["SOAP Fault without a StUF foutbericht"]
        message = found[0]
    return validate_element(message, version)

"""Reading and writing StUF field values: dates, tijdstippen, nil/noValue, text."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from lxml import etree

from stuf.errors import StufError
from stuf.model import NoValue, Text
from stuf.xml import STUF, XSI

__all__ = [
    "AMSTERDAM",
    "format_date",
    "format_tijdstip",
    "parse_date",
    "parse_tijdstip",
    "read_value",
    "write_value",
]

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
_NIL = f"{{{XSI}}}nil"
_NOVALUE = f"{{{STUF}}}noValue"
_NOVALUES = {member.value: member for member in NoValue if member is not NoValue.NIL}


def format_date(value: date) -> str:
    """``date`` → ``yyyymmdd``."""
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def parse_date(text: str, plek: str) -> date:
    """``yyyymmdd`` → ``date``; anything else is a :class:`StufError` at ``plek``."""
    text = text.strip()
    if len(text) != 8 or not text.isdigit():
        raise StufError(f"datum {text[:20]!r} is not yyyymmdd", plek=plek)
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError as exc:
        raise StufError(f"datum {text!r} does not exist", plek=plek) from exc


def format_tijdstip(value: datetime) -> str:
    """``datetime`` → 17 digits ``yyyymmddhhmmssfff`` in Dutch local time (naive = local)."""
    if value.tzinfo is not None:
        value = value.astimezone(AMSTERDAM)
    return value.strftime("%Y%m%d%H%M%S") + f"{value.microsecond // 1000:03d}"


def parse_tijdstip(text: str, plek: str) -> datetime:
    """8-17 digits (``yyyymmdd[hh[mm[ss[fff]]]]``) → aware ``datetime`` (Europe/Amsterdam)."""
    text = text.strip()
    if not 8 <= len(text) <= 17 or not text.isdigit():
        raise StufError(f"tijdstip {text[:20]!r} is not 8-17 digits", plek=plek)
    padded = text.ljust(17, "0")
    try:
        return datetime(
            int(padded[0:4]),
            int(padded[4:6]),
            int(padded[6:8]),
            int(padded[8:10]),
            int(padded[10:12]),
            int(padded[12:14]),
            int(padded[14:17]) * 1000,
            tzinfo=AMSTERDAM,
        )
    except ValueError as exc:
        raise StufError(f"tijdstip {text!r} does not exist", plek=plek) from exc


def read_value(element: etree._Element | None, warnings: list[str], plek: str) -> Text:
    """The value of one field element: absent → None, empty → "", nil/noValue → NoValue."""
    if element is None:
        return None
    nil = element.get(_NIL)
    novalue = element.get(_NOVALUE)
    text = element.text
    if novalue is not None:
        member = _NOVALUES.get(novalue)
        if member is None:
            raise StufError(f"unknown StUF:noValue {novalue[:30]!r}", plek=plek)
        if text and text.strip():
            warnings.append(f"{plek}: value together with StUF:noValue={novalue}; value kept")
            return text
        if nil not in ("true", "1"):
            warnings.append(f"{plek}: StUF:noValue without xsi:nil")
        return member
    if nil in ("true", "1"):
        return NoValue.NIL
    return text or ""


def write_value(
    parent: etree._Element, tag: str, value: Text, attrs: dict[str, str] | None = None
) -> etree._Element | None:
    """Append ``<tag>`` for ``value``: None → nothing, NoValue → nil (+ noValue), else text."""
    if value is None:
        return None
    child = etree.SubElement(parent, tag, attrs or {})
    if isinstance(value, NoValue):
        child.set(_NIL, "true")
        if value is not NoValue.NIL:
            child.set(_NOVALUE, value.value)
    else:
        child.text = value
    return child

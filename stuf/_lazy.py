"""``Document.inhoud`` decoded on first access.

``parse_message`` keeps a document's base64 text as a :class:`Base64Inhoud` and decodes it the
first time ``Document.inhoud`` is read (``==``, ``hash``, ``replace`` and ``build_message`` all
read it). Readers always see ``bytes | NoValue | None``; a malformed text raises
:class:`~stuf.errors.StufError` (StUF055, at the inhoud's plek, Fo0x of the message) on that
first read. Short and non-ASCII texts are still decoded inside ``parse_message`` (see
:func:`base64_inhoud`).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from stuf.errors import StufError

__all__ = ["Base64Inhoud", "InhoudField", "base64_inhoud"]

#: An inhoud text up to this many characters is decoded (and so checked) inside parse_message.
EAGER_MAX = 1024


def decode_base64(text: str, plek: str, berichtcode: str) -> bytes:
    """Strict base64 decode, whitespace ignored; :class:`StufError` (StUF055) when malformed."""
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise StufError(
            "inhoud is not valid base64", code="StUF055", plek=plek, berichtcode=berichtcode
        ) from exc


class Base64Inhoud:
    """The undecoded base64 text of an ``inhoud``, with where it came from (for the error)."""

    __slots__ = ("berichtcode", "plek", "text")

    def __init__(self, text: str, plek: str, berichtcode: str) -> None:
        self.text = text
        self.plek = plek
        self.berichtcode = berichtcode

    def decode(self) -> bytes:
        return decode_base64(self.text, self.plek, self.berichtcode)

    def __repr__(self) -> str:
        return f"<base64 inhoud, {len(self.text)} characters, not decoded yet>"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Base64Inhoud, (self.text, self.plek, self.berichtcode))


def base64_inhoud(text: str, plek: str, berichtcode: str) -> bytes | Base64Inhoud:
    """What ``parse_message`` stores for an inhoud text.

    Short text (up to :data:`EAGER_MAX` characters) and non-ASCII text are decoded at once, so a
    malformed one is refused while parsing exactly as before. Longer ASCII text is kept as it is
    (checking it would cost about as much as parsing the whole message) and decoded when
    ``Document.inhoud`` is first read; a malformed one raises :class:`StufError` then.
    """
    if len(text) <= EAGER_MAX or not text.isascii():
        return decode_base64(text, plek, berichtcode)
    return Base64Inhoud(text, plek, berichtcode)


class InhoudField:
    """Data descriptor installed as ``Document.inhoud``: decodes a :class:`Base64Inhoud` once.

    The value lives in the instance ``__dict__`` under the same name; the dataclass ``__init__``
    (``object.__setattr__``) stores through :meth:`__set__`, and the frozen ``__setattr__`` still
    refuses assignment from outside.
    """

    def __init__(self, name: str, default: object = None) -> None:
        self.name = name
        self.default = default

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        if obj is None:
            return self.default
        values = obj.__dict__
        value = values.get(self.name, self.default)
        if type(value) is Base64Inhoud:
            value = value.decode()
            values[self.name] = value
        return value

    def __set__(self, obj: object, value: object) -> None:
        obj.__dict__[self.name] = value

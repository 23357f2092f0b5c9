"""Names from Allegro's files made safe before they touch a path (``docs/file-layouts.md``).

Why on its own: nothing from a file is trusted as a path. ``document_id`` must be a plain token
(it names the document's file), ``bestandsnaam`` is sanitised; the rules are kept small enough
to review in one sitting, apart from the code that reads exports.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath

from adapters.allegro.client import safe_name
from adapters.allegro.config import SYSTEM
from adapters.errors import InvalidMessageError
from adapters.sftp.pinned import UnsafeNameError
from privacy.masking import mask_text

__all__ = [
    "MAX_NAME_LENGTH",
    "check_document_id",
    "document_file_name",
    "has_refused_chars",
    "is_plain_token",
    "sanitize_filename",
]

MAX_NAME_LENGTH = 200

_TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_EXTENSION = re.compile(r"^\.[a-z0-9]{1,10}$")
_NOT_PLAIN = re.compile(r"[^A-Za-z0-9._-]+")
#: Slashes, backslashes and their look-alikes, and ``:`` (drive letters, NTFS streams).
_SEPARATOR_LIKE = frozenset(
    "/\\:\u2044\u2215\u2216\u2571\u2572\u29f5\u29f8\u29f9\ufe68\uff0f\uff3c\uff1a"
)
#: Unicode categories never acceptable in a name: controls, format (bidi overrides,
#: zero-width), surrogates, private use, unassigned, line and paragraph separators.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"}
    | {f"COM{n}" for n in range(1, 10)}
    | {f"LPT{n}" for n in range(1, 10)}
)


def is_plain_token(value: str) -> bool:
    """True for a short plain token (letters, digits, ``._-``, no ``..``): fit for a key."""
    return bool(_TOKEN.match(value)) and ".." not in value


def has_refused_chars(value: str) -> bool:
    """True when ``value`` holds a control, format or other never-acceptable character."""
    return any(unicodedata.category(char) in _REFUSED_CATEGORIES for char in value)


def _refuse(why: str, name: object) -> UnsafeNameError:
    shown = mask_text(str(name))[:80]
    return UnsafeNameError(f"bestandsnaam geweigerd ({why}): {shown!r}", system=SYSTEM)


def sanitize_filename(name: object, *, max_length: int = MAX_NAME_LENGTH) -> str:
    """A file name from outside as a safe, plain name, or :class:`UnsafeNameError`.

    Refused: anything that is or could become a path (``..``, ``/``, ``\\``, ``:``, their
    Unicode look-alikes, also after NFKC normalisation, where fullwidth dots and solidus turn
    into ``../``), control and format characters (NUL, newline, bidi overrides, zero-width), a
    leading dot, an empty or over-long name, Windows device names (``CON``, ``NUL.txt``).
    Sanitised: accents are dropped (``é`` → ``e``), other characters outside ``A-Za-z0-9._-``
    (spaces, non-Latin letters) become ``_``. The result matches the common safe-name rule
    (``^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$``, no ``..``, no temporary name).
    """
    if not isinstance(name, str) or not name.strip():
        raise _refuse("leeg", "" if name is None else name)
    if has_refused_chars(name):
        raise _refuse("stuurteken", name)
    normal = unicodedata.normalize("NFKC", name)
    if any(char in _SEPARATOR_LIKE for char in normal):
        raise _refuse("pad of scheidingsteken", name)
    if ".." in normal:
        raise _refuse("'..'", name)
    if normal.startswith("."):
        raise _refuse("begint met een punt", name)
    if len(normal) > max_length:
        raise _refuse(f"langer dan {max_length} tekens", name[:40] + "…")
    plain = "".join(
        char for char in unicodedata.normalize("NFKD", normal) if not unicodedata.combining(char)
    )
    cleaned = _NOT_PLAIN.sub("_", plain).strip("_").rstrip(".")
    if not cleaned or not cleaned[0].isalnum():
        raise _refuse("geen bruikbare tekens", name)
    if cleaned.split(".", 1)[0].upper() in _RESERVED:
        raise _refuse("gereserveerde naam", name)
    if ".." in cleaned:
        raise _refuse("'..'", name)
    return safe_name(cleaned)


def check_document_id(value: str) -> str:
    """``value`` if it is a plain token (it names a file); else a permanent error:
    :class:`InvalidMessageError` when empty or holding nine digits in a row (a BSN must not
    reach a key or a log), :class:`UnsafeNameError` otherwise."""
    if not value:
        raise InvalidMessageError("document_id ontbreekt", system=SYSTEM)
    if not is_plain_token(value):
        shown = mask_text(value)[:80]
        raise UnsafeNameError(f"document_id geweigerd: {shown!r}", system=SYSTEM)
    if mask_text(value) != value:  # it would end up in keys and logs
        raise InvalidMessageError(
            f"document_id bevat negen cijfers op rij (mogelijk een BSN): {mask_text(value)!r}",
            system=SYSTEM,
        )
    return value


def document_file_name(document_id: str, bestandsnaam: str) -> str:
    """The file of a document in its export folder: ``<document_id><ext>``, ``<ext>`` being
    the lower-cased extension of the (sanitised) ``bestandsnaam``, none when it has no plain
    one (``brief.PDF`` → ``.pdf``)."""
    suffix = PurePosixPath(bestandsnaam).suffix.lower()
    return f"{check_document_id(document_id)}{suffix if _EXTENSION.match(suffix) else ''}"

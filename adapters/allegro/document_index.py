"""The index of an Allegro document export (``ALG_DOC_*.csv``) parsed into checked rows.

Why on its own: one row per document, each checked on its own, so a bad row is a dead letter of
its own and the other rows go on (``docs/file-layouts.md``, section ``ALG_DOC_*``). Pure: bytes
in, rows and per-line errors out; nothing here touches SFTP or the blob folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from adapters.allegro.config import SYSTEM
from adapters.allegro.file_names import (
    check_document_id,
    document_file_name,
    has_refused_chars,
    is_plain_token,
    sanitize_filename,
)
from adapters.errors import InvalidMessageError, PermanentError
from adapters.sftp.pinned import UnsafeNameError

__all__ = [
    "DOCUMENT_COLUMNS",
    "DocumentRow",
    "IndexEntry",
    "ParsedIndex",
    "invalid_line",
    "parse_document_index",
]

DOCUMENT_COLUMNS = (
    "document_id", "dossiernummer", "titel", "documenttype", "documentdatum", "bestandsnaam",
    "mime", "omvang", "sha256",
)  # fmt: skip

_SEPARATOR = ";"
_TRAILER_TAG = b"#EINDE"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MIME = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$")
_SIZE = re.compile(r"^\d{1,15}$")
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")


@dataclass(frozen=True)
class DocumentRow:
    """One row of a document index, checked; ``bestandsnaam`` is the sanitised name."""

    line: int
    document_id: str
    dossiernummer: str
    titel: str
    documenttype: str
    documentdatum: date
    bestandsnaam: str
    mime: str
    omvang: int
    sha256: str
    warnings: tuple[str, ...] = ()

    @property
    def file(self) -> str:
        return document_file_name(self.document_id, self.bestandsnaam)


@dataclass(frozen=True)
class IndexEntry:
    """One index line: a row, or the error that made it unreadable."""

    line: int
    row: DocumentRow | None = None
    error: PermanentError | None = None


@dataclass
class ParsedIndex:
    entries: list[IndexEntry] = field(default_factory=list)

    @property
    def rows(self) -> list[DocumentRow]:
        return [entry.row for entry in self.entries if entry.row is not None]

    @property
    def errors(self) -> list[tuple[int, PermanentError]]:
        return [(entry.line, entry.error) for entry in self.entries if entry.error is not None]


def invalid_line(line: int, what: str) -> InvalidMessageError:
    """The error of index line ``line``; ``what`` never quotes a value unmasked."""
    return InvalidMessageError(f"regel {line}: {what}", system=SYSTEM, operation="read_batch")


def _text(line: int, name: str, value: str, limit: int) -> str:
    if not value or len(value) > limit:
        raise invalid_line(line, f"{name} ontbreekt of is langer dan {limit} tekens")
    if has_refused_chars(value):
        raise invalid_line(line, f"{name} bevat stuurtekens")
    return value


def _parse_row(line: int, raw: bytes) -> DocumentRow:
    try:
        values = raw.decode("utf-8").split(_SEPARATOR)
    except UnicodeDecodeError:
        raise invalid_line(line, "regel is geen geldige UTF-8") from None
    if len(values) != len(DOCUMENT_COLUMNS):
        raise invalid_line(line, f"{len(values)} velden, verwacht {len(DOCUMENT_COLUMNS)}")
    row = dict(zip(DOCUMENT_COLUMNS, (value.strip(" ") for value in values), strict=True))
    try:
        document_id = check_document_id(row["document_id"])
    except (InvalidMessageError, UnsafeNameError) as exc:
        raise type(exc)(
            f"regel {line}: {exc.message}", system=SYSTEM, operation="read_batch"
        ) from None
    if not is_plain_token(row["dossiernummer"]):
        raise invalid_line(line, "dossiernummer ontbreekt of is ongeldig")
    titel = _text(line, "titel", row["titel"], 200)
    documenttype = _text(line, "documenttype", row["documenttype"], 80)
    try:
        if not _DATE.match(row["documentdatum"]):
            raise ValueError
        documentdatum = date.fromisoformat(row["documentdatum"])
    except ValueError:
        raise invalid_line(line, "documentdatum is geen datum JJJJ-MM-DD") from None
    try:
        bestandsnaam = sanitize_filename(row["bestandsnaam"])
    except UnsafeNameError as exc:
        raise UnsafeNameError(
            f"regel {line}: {exc.message}", system=SYSTEM, operation="read_batch"
        ) from None
    warnings: tuple[str, ...] = ()
    if bestandsnaam != row["bestandsnaam"]:
        warnings = (f"bestandsnaam aangepast naar {bestandsnaam!r}",)
    mime = row["mime"].lower()
    if not _MIME.match(mime):
        raise invalid_line(line, "mime is geen mediatype (zoals application/pdf)")
    if not _SIZE.match(row["omvang"]):
        raise invalid_line(line, "omvang is geen aantal bytes")
    if not _HEX64.match(row["sha256"]):
        raise invalid_line(line, "sha256 is geen SHA-256 in hex (64 tekens)")
    return DocumentRow(
        line=line,
        document_id=document_id,
        dossiernummer=row["dossiernummer"],
        titel=titel,
        documenttype=documenttype,
        documentdatum=documentdatum,
        bestandsnaam=bestandsnaam,
        mime=mime,
        omvang=int(row["omvang"]),
        sha256=row["sha256"].lower(),
        warnings=warnings,
    )


def parse_document_index(content: bytes) -> ParsedIndex:
    """Parse a verified ``ALG_DOC_*.csv``: one entry per line, a row or its error.

    Line numbers are file lines (the header is line 1). A wrong header makes every line
    meaningless: :class:`InvalidMessageError` for the whole file. An exact repeat of a row is
    dropped; the same ``document_id`` with other content is an error on the later line.
    Reasons never quote a value unmasked.
    """
    lines = content.removesuffix(b"\n").split(b"\n")
    if lines and lines[-1].startswith(_TRAILER_TAG):
        lines = lines[:-1]
    header = lines[0].decode("utf-8", errors="replace").split(_SEPARATOR) if lines else []
    if tuple(header) != DOCUMENT_COLUMNS:
        raise InvalidMessageError(
            "kopregel wijkt af van de afgesproken kolommen", system=SYSTEM, operation="read_batch"
        )
    parsed = ParsedIndex()
    seen: dict[str, DocumentRow] = {}
    for number, raw in enumerate(lines[1:], start=2):
        try:
            row = _parse_row(number, raw)
        except PermanentError as exc:
            parsed.entries.append(IndexEntry(number, error=exc))
            continue
        earlier = seen.get(row.document_id)
        if earlier is None:
            seen[row.document_id] = row
            parsed.entries.append(IndexEntry(number, row=row))
        elif {**earlier.__dict__, "line": 0} != {**row.__dict__, "line": 0}:
            what = f"document_id komt ook voor op regel {earlier.line}, met andere inhoud"
            parsed.entries.append(IndexEntry(number, error=invalid_line(number, what)))
    return parsed

"""Allegro document exports (``ALG_DOC_*.csv`` plus files) as a Source for the documenten flow.

Allegro drops documents the way it drops status mutations (``docs/file-layouts.md``, section
``ALG_DOC_*``): the files first, in a folder named after the export, then an index CSV with one
row per document, then the index's ``.sha256`` sidecar. Three things shape this module:

* **Nothing from the file is trusted as a path.** ``document_id`` must be a plain token (it names
  the file), ``bestandsnaam`` goes through :func:`sanitize_filename`; a row breaking either is a
  dead letter of its own (``unsafe_name``), the other rows go on.
* **Documents are streamed, never held.** Each file goes from SFTP into a temporary file in the
  blob folder while its SHA-256 is computed, is compared with the index (hash *and* size), and
  only then renamed to its content address ``<blob_dir>/<sha[:2]>/<sha>``. A wrong hash is
  downloaded again (a line that corrupted bytes) and only after that a dead letter.
* **An export is taken once, and a crash at any point converges.** The batch cursor says how far
  into an export the engine committed (``<name>#<line>#<sha12>``, or ``#compleet#`` at the end);
  after the last part the export (index, sidecar, folder) moves to ``export/processed/``, the
  index first. A rerun finishes a move that was cut short and never offers a committed export
  again; an export re-read after a crash yields the same keys, so the ledger makes it harmless.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import tempfile
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

import paramiko

from adapters.allegro.client import (
    SYSTEM,
    AllegroClient,
    ExportIntegrityError,
    ExportNotReadyError,
    RemoteFileError,
    UnsafeNameError,
    VerifiedExport,
    safe_name,
)
from adapters.allegro.config import AllegroConfig
from adapters.base import RecordError, SourceBatch, SourceRecord
from adapters.errors import InvalidMessageError, PermanentError
from adapters.sftp.pinned import ChecksumMismatchError
from stuf.privacy import mask_text

__all__ = [
    "DOCUMENT_COLUMNS",
    "DOCUMENT_PREFIX",
    "AllegroDocumentSource",
    "DocumentMissingError",
    "DocumentRow",
    "ParsedIndex",
    "check_document_id",
    "document_file_name",
    "parse_document_index",
    "sanitize_filename",
]

log = logging.getLogger(__name__)

DOCUMENT_PREFIX = "ALG_DOC_"
DOCUMENT_COLUMNS = (
    "document_id", "dossiernummer", "titel", "documenttype", "documentdatum", "bestandsnaam",
    "mime", "omvang", "sha256",
)  # fmt: skip
PROCESSED_DIR = "processed"
CHECKSUM_RETRIES = 3
MAX_DOCUMENT_BYTES = 2 << 30
MAX_NAME_LENGTH = 200

_SEPARATOR = ";"
_TRAILER_TAG = b"#EINDE"
_DONE = "compleet"
_TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MIME = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$")
_SIZE = re.compile(r"^\d{1,15}$")
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
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


class DocumentMissingError(RemoteFileError):
    """The index lists a document whose file is not in the export."""

    reason = "document_missing"


# ---------------------------------------------------------------------- names
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
    if any(unicodedata.category(char) in _REFUSED_CATEGORIES for char in name):
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
    """``value`` if it is a plain token (it names a file); else a :class:`PermanentError`:
    :class:`InvalidMessageError` when empty or holding nine digits in a row (a BSN must not
    reach a key or a log), :class:`UnsafeNameError` otherwise."""
    if not value:
        raise InvalidMessageError("document_id ontbreekt", system=SYSTEM)
    if not _TOKEN.match(value) or ".." in value:
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


# ---------------------------------------------------------------------- index
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
class _Entry:
    """One index line: a row, or the error that made it unreadable."""

    line: int
    row: DocumentRow | None = None
    error: PermanentError | None = None


@dataclass
class ParsedIndex:
    entries: list[_Entry] = field(default_factory=list)

    @property
    def rows(self) -> list[DocumentRow]:
        return [entry.row for entry in self.entries if entry.row is not None]

    @property
    def errors(self) -> list[tuple[int, PermanentError]]:
        return [(entry.line, entry.error) for entry in self.entries if entry.error is not None]


def _invalid(line: int, what: str) -> InvalidMessageError:
    return InvalidMessageError(f"regel {line}: {what}", system=SYSTEM, operation="read_batch")


def _text(line: int, name: str, value: str, limit: int) -> str:
    if not value or len(value) > limit:
        raise _invalid(line, f"{name} ontbreekt of is langer dan {limit} tekens")
    if any(unicodedata.category(char) in _REFUSED_CATEGORIES for char in value):
        raise _invalid(line, f"{name} bevat stuurtekens")
    return value


def _parse_row(line: int, raw: bytes) -> DocumentRow:
    try:
        values = raw.decode("utf-8").split(_SEPARATOR)
    except UnicodeDecodeError:
        raise _invalid(line, "regel is geen geldige UTF-8") from None
    if len(values) != len(DOCUMENT_COLUMNS):
        raise _invalid(line, f"{len(values)} velden, verwacht {len(DOCUMENT_COLUMNS)}")
    row = dict(zip(DOCUMENT_COLUMNS, (value.strip(" ") for value in values), strict=True))
    try:
        document_id = check_document_id(row["document_id"])
    except (InvalidMessageError, UnsafeNameError) as exc:
        raise type(exc)(
            f"regel {line}: {exc.message}", system=SYSTEM, operation="read_batch"
        ) from None
    if not _TOKEN.match(row["dossiernummer"]) or ".." in row["dossiernummer"]:
        raise _invalid(line, "dossiernummer ontbreekt of is ongeldig")
    titel = _text(line, "titel", row["titel"], 200)
    documenttype = _text(line, "documenttype", row["documenttype"], 80)
    try:
        if not _DATE.match(row["documentdatum"]):
            raise ValueError
        documentdatum = date.fromisoformat(row["documentdatum"])
    except ValueError:
        raise _invalid(line, "documentdatum is geen datum JJJJ-MM-DD") from None
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
        raise _invalid(line, "mime is geen mediatype (zoals application/pdf)")
    if not _SIZE.match(row["omvang"]):
        raise _invalid(line, "omvang is geen aantal bytes")
    if not _HEX64.match(row["sha256"]):
        raise _invalid(line, "sha256 is geen SHA-256 in hex (64 tekens)")
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
            parsed.entries.append(_Entry(number, error=exc))
            continue
        earlier = seen.get(row.document_id)
        if earlier is None:
            seen[row.document_id] = row
            parsed.entries.append(_Entry(number, row=row))
        elif {**earlier.__dict__, "line": 0} != {**row.__dict__, "line": 0}:
            what = f"document_id komt ook voor op regel {earlier.line}, met andere inhoud"
            parsed.entries.append(_Entry(number, error=_invalid(number, what)))
    return parsed


# ---------------------------------------------------------------------- cursor
class _Position(NamedTuple):
    name: str
    line: int  # last file line committed; -1: the whole export
    sha12: str


def _parse_cursor(cursor: str | None) -> _Position | None:
    """``<name>#<line>#<sha12>`` or ``<name>#compleet#<sha12>``; anything else: no position."""
    parts = (cursor or "").split("#")
    if len(parts) != 3:
        return None  # no cursor yet, or one of another shape: start with the oldest export
    name, line, sha12 = parts
    if line == _DONE:
        return _Position(name, -1, sha12)
    return _Position(name, int(line), sha12) if line.isdigit() else None


def _cursor(name: str, line: int | None, sha256: str) -> str:
    return f"{name}#{_DONE if line is None else line}#{sha256[:12]}"


# ---------------------------------------------------------------------- source
class AllegroDocumentSource:
    """Reads ``ALG_DOC_*`` exports into the blob folder; :meth:`after_commit` archives them.

    One batch is (part of) one export: at most ``limit`` index rows, in file order. Every row
    becomes a :class:`SourceRecord` (kind ``document``, the blob in ``data["content"]``) or a
    :class:`RecordError`: ``unsafe_name``, ``invalid_message``, ``document_missing``,
    ``checksum_mismatch`` (after ``checksum_retries`` more downloads). A dropped line raises
    :class:`~adapters.errors.TransientError` out of :meth:`read_batch`; nothing is committed
    and the next call reads the same rows again.

    ``batch.context`` carries ``file``, ``sha256``, ``complete`` (the last part of the export)
    and, for an export that failed its checks, ``corrupt`` (the reason).
    """

    system = SYSTEM

    def __init__(
        self,
        client: AllegroClient | AllegroConfig,
        blob_dir: Path,
        *,
        prefix: str = DOCUMENT_PREFIX,
        processed_dir: str = PROCESSED_DIR,
        checksum_retries: int = CHECKSUM_RETRIES,
        max_document_bytes: int = MAX_DOCUMENT_BYTES,
    ) -> None:
        self.client = client if isinstance(client, AllegroClient) else AllegroClient(client)
        self.blob_dir = Path(blob_dir)
        self.prefix = prefix
        self.processed_dir = safe_name(processed_dir)
        if checksum_retries < 0 or max_document_bytes < 0:
            raise ValueError("checksum_retries and max_document_bytes must not be negative")
        self.checksum_retries = checksum_retries
        self.max_document_bytes = max_document_bytes

    def close(self) -> None:
        self.client.close()

    # ------------------------------------------------------------------ reading
    def read_batch(self, cursor: str | None, limit: int) -> SourceBatch | None:
        """The next rows of the oldest export still in ``export/``; None when none is ready.

        Exports are taken in name order, the one the cursor is inside of first. The cursor is
        no filter on names: an export still in ``export/`` is not taken yet, whatever its
        sequence number (a late file), and one the cursor marks complete is only archived.
        """
        position = _parse_cursor(cursor)
        names = self.client.list_exports(self.prefix)
        self._finish_interrupted_moves(names)
        if position is not None and position.name in names:
            names.remove(position.name)
            names.insert(0, position.name)
        for name in names:
            export: VerifiedExport | None = None
            failure: PermanentError | None = None
            try:
                export = self.client.fetch_export(name)
                sha256 = export.sha256
            except ExportNotReadyError:
                log.info("allegro: %s nog niet compleet (geen sidecar), volgende keer", name)
                continue
            except ExportIntegrityError as exc:
                failure, sha256 = exc, exc.sha256
            except RemoteFileError as exc:
                if name not in self.client.list_exports(self.prefix):
                    continue  # moved or withdrawn between listing and reading
                failure, sha256 = exc, "onleesbaar"
            after = 1
            if position is not None and (position.name, position.sha12) == (name, sha256[:12]):
                if position.line < 0:  # committed, only the move was left undone
                    self.archive(name)
                    continue
                after = position.line
            if export is None:
                assert failure is not None
                return self._corrupt_batch(name, sha256, failure)
            batch = self._batch(export, after, max(limit, 1))
            if batch is not None:
                return batch
            self.archive(name)  # nothing (left) to offer: an empty export
        return None

    def _batch(self, export: VerifiedExport, after: int, limit: int) -> SourceBatch | None:
        name = export.name
        try:
            parsed = parse_document_index(export.content)
        except InvalidMessageError as exc:
            return self._corrupt_batch(name, export.sha256, exc)
        todo = [entry for entry in parsed.entries if entry.line > after]
        if not todo:
            return None
        chosen = todo[:limit]
        complete = len(chosen) == len(todo)
        records = [self._record(name, entry) for entry in chosen]
        failed = sum(isinstance(item, RecordError) for item in records)
        log.info(
            "allegro: %s regels %d-%d: %d documenten, %d afgekeurd%s",
            name,
            chosen[0].line,
            chosen[-1].line,
            len(records) - failed,
            failed,
            "" if complete else " (export nog niet af)",
        )
        return SourceBatch(
            records=records,
            cursor_after=_cursor(name, None if complete else chosen[-1].line, export.sha256),
            ref=f"sftp:{SYSTEM}:{name}",
            context={"file": name, "sha256": export.sha256, "complete": complete},
        )

    def _record(self, name: str, entry: _Entry) -> SourceRecord | RecordError:
        ref = f"sftp:{SYSTEM}:{name}#{entry.line}"
        row = entry.row
        if row is None:
            assert entry.error is not None
            return RecordError(SYSTEM, ref, ref, entry.error)
        if row.omvang > self.max_document_bytes:
            error = _invalid(row.line, f"omvang groter dan {self.max_document_bytes} bytes")
            return RecordError(SYSTEM, ref, ref, error)
        try:
            path = self._fetch_document(name, row)
        except PermanentError as exc:
            return RecordError(SYSTEM, ref, ref, exc)
        document: dict[str, Any] = {
            "identificatie": row.document_id,
            "titel": row.titel,
            "zaak_identificatie": row.dossiernummer,
            "documenttype": row.documenttype,
            "bestandsnaam": row.bestandsnaam,
            "formaat": row.mime,
            "creatiedatum": row.documentdatum.isoformat(),
            "vertrouwelijkheid": None,
            "auteur": "Allegro",
            "taal": "nld",
        }
        return SourceRecord(
            source_system=SYSTEM,
            key=f"allegro-doc:{row.document_id}:{row.sha256[:16]}",
            kind="document",
            data={
                "document": document,
                "content": {"path": str(path), "sha256": row.sha256, "size": row.omvang},
            },
            payload_ref=ref,
            warnings=row.warnings,
        )

    # ------------------------------------------------------------------ documents
    def _fetch_document(self, name: str, row: DocumentRow) -> Path:
        """Download one document into the blob folder, verified; returns its blob path."""
        relative = f"{name.removesuffix('.csv')}/{row.file}"
        where = mask_text(f"{name} regel {row.line}: document {row.document_id}")
        if self.client.export_file_size(relative) is None:
            raise DocumentMissingError(
                f"{where} ontbreekt in de export", system=SYSTEM, operation="read_batch"
            )
        attempts = self.checksum_retries + 1
        for attempt in range(1, attempts + 1):
            try:
                sha256, size, temp = self._download(relative, row)
            except RemoteFileError as exc:
                if isinstance(exc.__cause__, FileNotFoundError):
                    raise DocumentMissingError(
                        f"{where} ontbreekt in de export", system=SYSTEM, operation="read_batch"
                    ) from exc
                raise
            if temp is not None:
                return self._publish(temp, sha256, size)
            log.warning(
                "allegro: %s: SHA-256 of omvang wijkt af van de index (poging %d van %d)",
                where,
                attempt,
                attempts,
            )
        raise ChecksumMismatchError(
            f"{where}: SHA-256 {sha256[:12]}… ({size} bytes) wijkt af van de index "
            f"{row.sha256[:12]}… ({row.omvang} bytes), {attempts} keer gedownload",
            system=SYSTEM,
            operation="read_batch",
            sha256=sha256,
        )

    def _download(self, relative: str, row: DocumentRow) -> tuple[str, int, Path | None]:
        """Stream one file into a temp file next to the blobs, hashing on the way.

        Returns the SHA-256 and size read, and the temp file only when both match the row
        (then fsynced). Otherwise, and on any error, the temp file is gone already.
        """
        self.blob_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".allegro-", suffix=".part", dir=self.blob_dir)
        temp = Path(name)
        try:
            with os.fdopen(fd, "wb") as sink:
                sha256, size = self.client.download_export_file(
                    relative, sink, max_bytes=row.omvang
                )
                good = (sha256, size) == (row.sha256, row.omvang)
                if good:
                    sink.flush()
                    os.fsync(sink.fileno())
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        if not good:
            temp.unlink()
            return sha256, size, None
        return sha256, size, temp

    def _publish(self, temp: Path, sha256: str, size: int) -> Path:
        final = self.blob_dir / sha256[:2] / sha256
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.is_file() and final.stat().st_size == size:
            temp.unlink()  # the same content is there already: keep it
        else:
            os.replace(temp, final)
        return final

    # ------------------------------------------------------------------ archiving
    def after_commit(self, batch: SourceBatch) -> None:
        """Once the last part of an export is committed, move it to ``export/processed/``."""
        if batch.context.get("complete"):
            self.archive(str(batch.context["file"]))

    def archive(self, name: str) -> None:
        """Move export ``name`` to ``processed/``: the index first (from then on it is no longer
        offered), then the sidecar and the folder of documents. Idempotent: what is moved
        already is skipped, so a rerun after a crash just finishes the job."""
        name = safe_name(name)
        stem = name.removesuffix(".csv")
        export_dir = self.client.config.export_dir
        processed = f"{export_dir}/{self.processed_dir}"
        # the client's own guard and session (same package): moving is no read helper
        with self.client._guard("archive", name):
            sftp = self.client._session()
            try:
                sftp.mkdir(processed)
            except OSError:
                if not _is_dir(sftp, processed):
                    raise
            for entry in (name, f"{name}.sha256", stem):
                _move(sftp, f"{export_dir}/{entry}", f"{processed}/{entry}")
        log.info("allegro: %s verplaatst naar %s/", name, self.processed_dir)

    def _finish_interrupted_moves(self, listed: list[str]) -> None:
        """Move a sidecar or folder left in ``export/`` whose index is in ``processed/``
        already (a crash in the middle of :meth:`archive`)."""
        for entry in self.client.list_export_dir():
            if not entry.startswith(self.prefix) or entry.endswith(".csv"):
                continue
            index = entry.removesuffix(".sha256") if entry.endswith(".sha256") else f"{entry}.csv"
            if index in listed or not index.endswith(".csv"):
                continue  # not taken yet, or an index still being published
            if self.client.export_path_exists(f"{self.processed_dir}/{index}"):
                log.info("allegro: onderbroken verplaatsing van %s afgemaakt", index)
                self.archive(index)

    def _corrupt_batch(self, name: str, sha256: str, error: PermanentError) -> SourceBatch:
        """An index that failed its checks: one error for the whole export, no records."""
        log.warning("allegro: %s afgekeurd: %s", name, error.reason)
        ref = f"sftp:{SYSTEM}:{name}"
        record = RecordError(SYSTEM, f"allegro-doc-file:{name}:{sha256[:12]}", ref, error)
        return SourceBatch(
            records=[record],
            cursor_after=_cursor(name, None, sha256),
            ref=ref,
            context={"file": name, "sha256": sha256, "complete": True, "corrupt": error.reason},
        )


def _is_dir(sftp: paramiko.SFTPClient, path: str) -> bool:
    try:
        mode = sftp.stat(path).st_mode
    except FileNotFoundError:
        return False
    return mode is not None and stat.S_ISDIR(mode)


def _move(sftp: paramiko.SFTPClient, source: str, target: str) -> None:
    """Rename ``source`` to ``target``; nothing when ``source`` is gone (moved before). A folder
    whose target exists already (the same export name delivered again) is merged into it."""
    try:
        mode = sftp.lstat(source).st_mode
    except FileNotFoundError:
        return
    if mode is not None and stat.S_ISDIR(mode) and _is_dir(sftp, target):
        for child in sftp.listdir(source):
            sftp.posix_rename(f"{source}/{child}", f"{target}/{child}")
        sftp.rmdir(source)
        return
    sftp.posix_rename(source, target)

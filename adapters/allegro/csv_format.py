"""Allegro's CSV layout (``docs/file-layouts.md``, section Allegro): parse and render.

Why separate from the client: the client proves a file is *complete* (sidecar, trailer); this
module says what the lines *mean*. A bad line is reported on its own (line number and reason)
so one typo in Allegro does not hold back the other status changes in the same file. Reasons
never quote the line: it carries a BSN.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from adapters.errors import InvalidMessageError
from privacy.masking import is_valid_bsn, mask_bsn, mask_text

__all__ = [
    "RESULTATEN",
    "RETURN_COLUMNS",
    "ZAKEN_COLUMNS",
    "ExportScan",
    "LineError",
    "ParsedZaken",
    "TrailerError",
    "ZaakMutatie",
    "check_header",
    "check_trailer",
    "clean_melding",
    "id_hash",
    "iter_lines",
    "parse_line",
    "parse_zaken",
    "render_return",
    "render_return_header",
    "render_return_rows",
    "render_return_trailer",
    "repeat_error",
    "same_mutatie",
]

SEPARATOR = ";"
TRAILER_TAG = "#EINDE"
ZAKEN_COLUMNS = (
    "mutatie_id", "dossiernummer", "bsn", "zaaktype", "zaaktype_omschrijving", "statuscode",
    "status_volgnummer", "status_omschrijving", "datum_status_gezet", "startdatum", "einddatum",
    "behandelaar",
)  # fmt: skip
RETURN_COLUMNS = ("sleutel", "resultaat", "melding")
RESULTATEN = frozenset({"VERWERKT", "AFGEWEZEN"})
_TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_CODE = re.compile(r"^[A-Za-z0-9_]{1,20}$")
_SLEUTEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")


class TrailerError(ValueError):
    """The file does not end in a correct ``#EINDE;<n>`` trailer: it is cut short or corrupt."""


@dataclass(frozen=True)
class ZaakMutatie:
    """One status change of an Allegro dossier; ``bsn`` is kept out of ``repr``."""

    line: int
    mutatie_id: str
    dossiernummer: str
    bsn: str = field(repr=False)
    zaaktype: str
    zaaktype_omschrijving: str
    statuscode: str
    status_volgnummer: int
    status_omschrijving: str
    datum_status_gezet: datetime
    startdatum: date
    einddatum: date | None
    behandelaar: str

    @property
    def masked_bsn(self) -> str:
        return mask_bsn(self.bsn)


@dataclass(frozen=True)
class LineError:
    """A line that could not be read; ``sleutel`` is its mutatie_id when that part was sane."""

    line: int
    reason: str
    sleutel: str | None = None


@dataclass
class ParsedZaken:
    rows: list[ZaakMutatie]
    errors: list[LineError]


def _lines(content: bytes) -> list[bytes]:
    if not content.endswith(b"\n"):
        raise TrailerError("bestand eindigt niet op een regeleinde (afgebroken)")
    return content[:-1].split(b"\n")


def check_trailer(content: bytes) -> int:
    """Check the trailer and its count; returns the number of record lines.

    Raises :class:`TrailerError` when the file is incomplete (no trailer, wrong count).
    """
    scan = ExportScan()
    scan.feed(content)
    return scan.finish()


#: Buckets for the mutatie_id hashes of one scan: the duplicate search then needs a set of
#: only 1/64 of the rows at a time (memory: 8 bytes per row plus that set).
_ID_BUCKETS = 64
_MAX_KEPT_LINE = 65_536


class ExportScan:
    """What one streaming pass over an export learns, chunk by chunk, in bounded memory.

    Why: the trailer check needs the end of the file and the duplicate rule needs every
    mutatie_id, yet the export must never be in memory whole. The scan keeps the header line,
    the last line, counts, the byte offsets where the records start and end, and a 64-bit hash
    per mutatie_id (8 bytes a row). :meth:`finish` checks the trailer like :func:`check_trailer`.
    """

    def __init__(self) -> None:
        self.size = 0
        self.newlines = 0
        self.header: bytes | None = None
        self.data_start = 0  # offset just after the header line
        self.data_end = 0  # offset of the trailer line (end of the records)
        self._line_start = 0
        self._pending = bytearray()  # the current, unfinished line (bounded)
        self._pending_long = False
        self._last = b""
        self._last_start = 0
        self._ids = [array("q") for _ in range(_ID_BUCKETS)]

    def feed(self, chunk: bytes) -> None:
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            if end < 0:
                self._keep(chunk[start:])
                break
            self._keep(chunk[start:end])
            self._line_done(bytes(self._pending), self.size + end + 1)
            self._pending.clear()
            self._pending_long = False
            start = end + 1
        self.size += len(chunk)

    def _keep(self, part: bytes) -> None:
        if self._pending_long:
            return
        if len(self._pending) + len(part) > _MAX_KEPT_LINE:
            self._pending_long = True  # too long for a header or trailer; id hash stays bogus
            return
        self._pending += part

    def _line_done(self, line: bytes, next_start: int) -> None:
        self.newlines += 1
        if self.header is None:
            self.header = line
            self.data_start = next_start
        else:
            sleutel = line.split(SEPARATOR.encode(), 1)[0].strip()
            self._ids[hash(sleutel) % _ID_BUCKETS].append(hash(sleutel))
        self._last, self._last_start = line, self._line_start
        self._line_start = next_start

    def finish(self) -> int:
        """The number of record lines; :class:`TrailerError` when the file is incomplete."""
        if self._pending or self._pending_long or self.size == 0:
            raise TrailerError("bestand eindigt niet op een regeleinde (afgebroken)")
        if self.newlines < 2 or not self._last.startswith(f"{TRAILER_TAG}{SEPARATOR}".encode()):
            raise TrailerError("trailerregel #EINDE ontbreekt (afgebroken bestand)")
        raw = self._last[len(TRAILER_TAG) + 1 :]
        if not raw.isdigit():
            raise TrailerError("trailerregel #EINDE heeft geen geldig aantal")
        count = self.newlines - 2
        if int(raw) != count:
            raise TrailerError(f"trailer meldt {int(raw)} regels, bestand bevat er {count}")
        self.data_end = self._last_start
        return count

    def duplicate_id_hashes(self) -> set[int]:
        """Hashes of mutatie_ids seen more than once (a hash collision only costs a look)."""
        repeated: set[int] = set()
        for bucket in self._ids:
            seen: set[int] = set()
            for value in bucket:
                if value in seen:
                    repeated.add(value)
                seen.add(value)
        self._ids = []  # no longer needed: free the 8 bytes a row
        return repeated


def id_hash(line: bytes) -> int:
    """The hash :class:`ExportScan` keeps of a record line's mutatie_id (same process only)."""
    return hash(line.split(SEPARATOR.encode(), 1)[0].strip())


def iter_lines(chunks: Iterable[bytes], offset: int) -> Iterator[tuple[bytes, int]]:
    """``(line, offset after it)`` for each complete line in ``chunks`` read from ``offset``.

    An unfinished last line is not yielded: a verified export ends in a newline.
    """
    pending = b""
    for chunk in chunks:
        data = pending + chunk if pending else chunk
        start = 0
        while (end := data.find(b"\n", start)) >= 0:
            offset += end + 1 - start
            yield data[start:end], offset
            start = end + 1
        pending = data[start:]


def check_header(line: bytes | None) -> None:
    """A wrong header makes every line meaningless: :class:`InvalidMessageError`."""
    header = line.decode("utf-8", errors="replace").split(SEPARATOR) if line is not None else []
    if tuple(header) != ZAKEN_COLUMNS:
        raise InvalidMessageError("kopregel wijkt af van de afgesproken kolommen", system="allegro")


def _parse_line(number: int, values: list[str]) -> ZaakMutatie:
    """One record line; raises ValueError with a BSN-free reason."""
    if len(values) != len(ZAKEN_COLUMNS):
        raise ValueError(f"{len(values)} velden, verwacht {len(ZAKEN_COLUMNS)}")
    row = dict(zip(ZAKEN_COLUMNS, (value.strip() for value in values), strict=True))
    for name in ("mutatie_id", "dossiernummer", "zaaktype"):
        if not _TOKEN.match(row[name]):
            raise ValueError(f"{name} ontbreekt of is ongeldig")
    if not row["mutatie_id"].startswith(row["dossiernummer"] + "-"):
        raise ValueError("mutatie_id hoort niet bij dossiernummer")
    if not is_valid_bsn(row["bsn"]):
        raise ValueError("bsn ongeldig (geen 9 cijfers of elfproef faalt)")
    if not _CODE.match(row["statuscode"]):
        raise ValueError("statuscode ontbreekt of is ongeldig")
    if not row["status_volgnummer"].isdigit():
        raise ValueError("status_volgnummer is geen getal")
    try:
        gezet = datetime.fromisoformat(row["datum_status_gezet"])
    except ValueError:
        raise ValueError("datum_status_gezet is geen ISO 8601 tijdstip") from None
    if gezet.tzinfo is None or gezet.utcoffset() is None:
        raise ValueError("datum_status_gezet mist de tijdzone (offset)")
    try:
        startdatum = date.fromisoformat(row["startdatum"])
        einddatum = date.fromisoformat(row["einddatum"]) if row["einddatum"] else None
    except ValueError:
        raise ValueError("startdatum of einddatum is geen datum JJJJ-MM-DD") from None
    return ZaakMutatie(
        line=number,
        mutatie_id=row["mutatie_id"],
        dossiernummer=row["dossiernummer"],
        bsn=row["bsn"],
        zaaktype=row["zaaktype"],
        zaaktype_omschrijving=row["zaaktype_omschrijving"],
        statuscode=row["statuscode"],
        status_volgnummer=int(row["status_volgnummer"]),
        status_omschrijving=row["status_omschrijving"],
        datum_status_gezet=gezet,
        startdatum=startdatum,
        einddatum=einddatum,
        behandelaar=row["behandelaar"],
    )


def parse_line(number: int, raw: bytes) -> ZaakMutatie | LineError:
    """One record line (``number`` is the file line): the typed row or why it is unreadable."""
    sleutel = None
    try:
        values = raw.decode("utf-8").split(SEPARATOR)
        sleutel = values[0].strip() if _TOKEN.match(values[0].strip()) else None
        return _parse_line(number, values)
    except UnicodeDecodeError:
        return LineError(number, "regel is geen geldige UTF-8")
    except ValueError as exc:
        return LineError(number, mask_text(str(exc)), sleutel)


def parse_zaken(content: bytes) -> ParsedZaken:
    """Parse a verified ``ALG_ZAKEN_*.csv``: typed rows plus one :class:`LineError` per bad line.

    Line numbers are file lines (the header is line 1). A wrong header makes every line
    meaningless, so it raises :class:`InvalidMessageError` for the whole file. An exact repeat
    of a mutatie_id is dropped (harmless); the same id with other content is a line error.
    """
    lines = _lines(content)
    if lines and lines[-1].startswith(TRAILER_TAG.encode()):
        lines = lines[:-1]
    check_header(lines[0] if lines else None)
    parsed = ParsedZaken([], [])
    seen: dict[str, ZaakMutatie] = {}
    for number, raw in enumerate(lines[1:], start=2):
        mutatie = parse_line(number, raw)
        if isinstance(mutatie, LineError):
            parsed.errors.append(mutatie)
            continue
        earlier = seen.get(mutatie.mutatie_id)
        if earlier is None:
            seen[mutatie.mutatie_id] = mutatie
            parsed.rows.append(mutatie)
        elif same_mutatie(earlier, mutatie):
            continue
        else:
            parsed.errors.append(repeat_error(earlier, mutatie))
    return parsed


def repeat_error(earlier: ZaakMutatie, later: ZaakMutatie) -> LineError:
    """A mutatie_id seen before with other content: the later line is an error."""
    reason = f"mutatie_id komt ook voor op regel {earlier.line}, met andere inhoud"
    return LineError(later.line, reason, later.mutatie_id)


def same_mutatie(a: ZaakMutatie, b: ZaakMutatie) -> bool:
    """An exact repeat (only the line differs): dropped, it says nothing new."""
    return {**a.__dict__, "line": 0} == {**b.__dict__, "line": 0}


def clean_melding(text: str) -> str:
    """A melding fit for a return line: no BSN, no separator, no newline, bounded length."""
    flat = " ".join(mask_text(text).replace(SEPARATOR, ",").split())
    return flat[:500]


def render_return_header() -> bytes:
    return (SEPARATOR.join(RETURN_COLUMNS) + "\n").encode("utf-8")


def render_return_rows(rows: Sequence[tuple[str, str, str]]) -> bytes:
    """Return lines for ``rows`` (no header, no trailer): a streamed return file grows by these."""
    out = []
    for sleutel, resultaat, melding in rows:
        if resultaat not in RESULTATEN:
            raise ValueError(f"resultaat must be VERWERKT or AFGEWEZEN, not {resultaat!r}")
        if not _SLEUTEL.match(sleutel):
            raise ValueError("sleutel is not a plain identifier")
        out.append(SEPARATOR.join((sleutel, resultaat, clean_melding(melding))) + "\n")
    return "".join(out).encode("utf-8")


def render_return_trailer(count: int) -> bytes:
    return f"{TRAILER_TAG}{SEPARATOR}{count}\n".encode()


def render_return(rows: Sequence[tuple[str, str, str]]) -> bytes:
    """A return file: header ``sleutel;resultaat;melding``, the rows, ``#EINDE;<n>``."""
    return render_return_header() + render_return_rows(rows) + render_return_trailer(len(rows))

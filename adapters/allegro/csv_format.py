"""Allegro's CSV layout (``docs/file-layouts.md``, section Allegro): parse and render.

Why separate from the client: the client proves a file is *complete* (sidecar, trailer); this
module says what the lines *mean*. A bad line is reported on its own (line number and reason)
so one typo in Allegro does not hold back the other status changes in the same file. Reasons
never quote the line: it carries a BSN.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from adapters.errors import InvalidMessageError
from stuf.privacy import is_valid_bsn, mask_bsn, mask_text

__all__ = [
    "RESULTATEN",
    "RETURN_COLUMNS",
    "ZAKEN_COLUMNS",
    "LineError",
    "ParsedZaken",
    "TrailerError",
    "ZaakMutatie",
    "check_trailer",
    "clean_melding",
    "parse_zaken",
    "render_return",
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
    lines = _lines(content)
    if len(lines) < 2 or not lines[-1].startswith(f"{TRAILER_TAG}{SEPARATOR}".encode()):
        raise TrailerError("trailerregel #EINDE ontbreekt (afgebroken bestand)")
    raw = lines[-1][len(TRAILER_TAG) + 1 :]
    if not raw.isdigit():
        raise TrailerError("trailerregel #EINDE heeft geen geldig aantal")
    count = len(lines) - 2
    if int(raw) != count:
        raise TrailerError(f"trailer meldt {int(raw)} regels, bestand bevat er {count}")
    return count


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


def parse_zaken(content: bytes) -> ParsedZaken:
    """Parse a verified ``ALG_ZAKEN_*.csv``: typed rows plus one :class:`LineError` per bad line.

    Line numbers are file lines (the header is line 1). A wrong header makes every line
    meaningless, so it raises :class:`InvalidMessageError` for the whole file. An exact repeat
    of a mutatie_id is dropped (harmless); the same id with other content is a line error.
    """
    lines = _lines(content)
    if lines and lines[-1].startswith(TRAILER_TAG.encode()):
        lines = lines[:-1]
    header = lines[0].decode("utf-8", errors="replace").split(SEPARATOR) if lines else []
    if tuple(header) != ZAKEN_COLUMNS:
        raise InvalidMessageError("kopregel wijkt af van de afgesproken kolommen", system="allegro")
    parsed = ParsedZaken([], [])
    seen: dict[str, ZaakMutatie] = {}
    for number, raw in enumerate(lines[1:], start=2):
        sleutel = None
        try:
            values = raw.decode("utf-8").split(SEPARATOR)
            sleutel = values[0].strip() if _TOKEN.match(values[0].strip()) else None
            mutatie = _parse_line(number, values)
        except UnicodeDecodeError:
            parsed.errors.append(LineError(number, "regel is geen geldige UTF-8"))
            continue
        except ValueError as exc:
            parsed.errors.append(LineError(number, mask_text(str(exc)), sleutel))
            continue
        earlier = seen.get(mutatie.mutatie_id)
        if earlier is None:
            seen[mutatie.mutatie_id] = mutatie
            parsed.rows.append(mutatie)
        elif _same(earlier, mutatie):
            continue
        else:
            reason = f"mutatie_id komt ook voor op regel {earlier.line}, met andere inhoud"
            parsed.errors.append(LineError(number, reason, sleutel))
    return parsed


def _same(a: ZaakMutatie, b: ZaakMutatie) -> bool:
    return {**a.__dict__, "line": 0} == {**b.__dict__, "line": 0}


def clean_melding(text: str) -> str:
    """A melding fit for a return line: no BSN, no separator, no newline, bounded length."""
    flat = " ".join(mask_text(text).replace(SEPARATOR, ",").split())
    return flat[:500]


def render_return(rows: Sequence[tuple[str, str, str]]) -> bytes:
    """A return file: header ``sleutel;resultaat;melding``, the rows, ``#EINDE;<n>``."""
    out = [SEPARATOR.join(RETURN_COLUMNS)]
    for sleutel, resultaat, melding in rows:
        if resultaat not in RESULTATEN:
            raise ValueError(f"resultaat must be VERWERKT or AFGEWEZEN, not {resultaat!r}")
        if not _SLEUTEL.match(sleutel):
            raise ValueError("sleutel is not a plain identifier")
        out.append(SEPARATOR.join((sleutel, resultaat, clean_melding(melding))))
    out.append(f"{TRAILER_TAG}{SEPARATOR}{len(rows)}")
    return ("\n".join(out) + "\n").encode("utf-8")

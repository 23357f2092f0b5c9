"""Allegro's budget-management specifications (``ALG_BBR_*.csv``) as a source: one file a batch.

Why this shape: a BBR export holds one specification per budgetbeheer client and period, as
lines (``docs/file-layouts.md``); a corrected specification comes with a higher ``versie``
for the same client and period, in the same or a later export. The
exports are small (a line per payment), so a file is read whole, verified (sidecar SHA-256,
``#EINDE`` trailer: :mod:`adapters.allegro.integrity`) and answered whole: one return file per
export after its batch committed, like the zaken source. A file that fails its checks is one
dead letter and one AFGEWEZEN return file; the exports after it go on.

What a specification *becomes* (a PDF, a record keyed without BSN) is the caller's job: the
source hands each checked :class:`BbrSpecificatie` to ``to_record``. Within one file the
highest ``versie`` per client and period counts; a lower one is answered VERWERKT as replaced.
Reasons never quote a line: it carries a BSN.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from adapters.allegro.client import AllegroClient, VerifiedExport
from adapters.allegro.config import SYSTEM
from adapters.allegro.export_verdict import rejected_batch, take_export
from adapters.base import RecordError, SourceBatch, SourceRecord
from adapters.errors import InvalidMessageError
from privacy.masking import is_valid_bsn

__all__ = [
    "BBR_COLUMNS",
    "BBR_PREFIX",
    "AllegroBbrSource",
    "BbrRegel",
    "BbrSpecificatie",
    "ParsedBbr",
    "parse_bbr",
]

log = logging.getLogger(__name__)

BBR_PREFIX = "ALG_BBR_"
BBR_COLUMNS = (
    "specificatienummer", "dossiernummer", "bsn", "periode", "versie", "regelnummer", "soort",
    "omschrijving", "tegenpartij", "bedrag_cent", "valutadatum",
)  # fmt: skip
_SEPARATOR = ";"
_TRAILER = "#EINDE"
_TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_PERIODE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_BEDRAG = re.compile(r"^[+-]\d{1,12}$")
_SHARED = ("dossiernummer", "bsn", "periode", "versie")


@dataclass(frozen=True)
class BbrRegel:
    """One payment line: income positive, payments negative (euro cents, sign explicit)."""

    regelnummer: int
    soort: str
    omschrijving: str
    tegenpartij: str
    bedrag_cent: int
    valutadatum: date


@dataclass(frozen=True)
class BbrSpecificatie:
    """One client's specification of one period; ``bsn`` is kept out of ``repr``."""

    specificatienummer: str
    dossiernummer: str
    bsn: str = field(repr=False)
    periode: str
    versie: int
    regels: tuple[BbrRegel, ...]
    line: int  # file line of its first row

    @property
    def totaal_cent(self) -> int:
        return sum(regel.bedrag_cent for regel in self.regels)


@dataclass(frozen=True)
class BbrFout:
    """A specification (or a line without one) that could not be read: why, never the line."""

    sleutel: str
    line: int
    reason: str


@dataclass
class ParsedBbr:
    """The specifications to deliver, those replaced by a higher versie, and the errors."""

    current: list[BbrSpecificatie] = field(default_factory=list)
    replaced: list[tuple[BbrSpecificatie, BbrSpecificatie]] = field(default_factory=list)
    errors: list[BbrFout] = field(default_factory=list)


def _regel(row: dict[str, str]) -> BbrRegel:
    """One line's own fields; ValueError with a BSN-free reason."""
    if not row["regelnummer"].isdigit():
        raise ValueError("regelnummer is geen getal")
    if not _BEDRAG.match(row["bedrag_cent"]):
        raise ValueError("bedrag_cent is geen bedrag in centen met teken (+/-)")
    try:
        valuta = date.fromisoformat(row["valutadatum"])
    except ValueError:
        raise ValueError("valutadatum is geen datum JJJJ-MM-DD") from None
    return BbrRegel(
        int(row["regelnummer"]),
        row["soort"],
        row["omschrijving"],
        row["tegenpartij"],
        int(row["bedrag_cent"]),
        valuta,
    )


def _check_shared(row: dict[str, str]) -> None:
    if not _TOKEN.match(row["dossiernummer"]):
        raise ValueError("dossiernummer ontbreekt of is ongeldig")
    if not is_valid_bsn(row["bsn"]):
        raise ValueError("bsn ongeldig (geen 9 cijfers of elfproef faalt)")
    if not _PERIODE.match(row["periode"]):
        raise ValueError("periode is geen JJJJ-MM")
    if not row["versie"].isdigit() or int(row["versie"]) < 1:
        raise ValueError("versie is geen getal vanaf 1")


def _specificatie(nummer: str, rows: list[tuple[int, dict[str, str]]]) -> BbrSpecificatie:
    """The lines of one specificatienummer as one specification; ValueError when they are
    not one consistent whole (a document with a missing or odd line would be wrong)."""
    first_line, first = rows[0]
    _check_shared(first)
    regels = []
    for line, row in rows:
        if any(row[name] != first[name] for name in _SHARED):
            raise ValueError(f"regel {line}: dossier, bsn, periode of versie wijkt af")
        try:
            regels.append(_regel(row))
        except ValueError as exc:
            raise ValueError(f"regel {line}: {exc}") from None
    numbers = sorted(regel.regelnummer for regel in regels)
    if numbers != list(range(1, len(regels) + 1)):
        raise ValueError("regelnummers zijn niet 1..n zonder gaten of dubbele")
    return BbrSpecificatie(
        nummer,
        first["dossiernummer"],
        first["bsn"],
        first["periode"],
        int(first["versie"]),
        tuple(sorted(regels, key=lambda r: r.regelnummer)),
        first_line,
    )


def parse_bbr(content: bytes) -> ParsedBbr:
    """Parse a verified BBR export into specifications (see the module docstring).

    A wrong header makes the whole file meaningless: :class:`InvalidMessageError`. A bad line
    makes its whole specification an error; the other specifications go on.
    """
    lines = content.decode("utf-8", errors="replace").splitlines()
    if lines and lines[-1].startswith(_TRAILER + _SEPARATOR):
        lines = lines[:-1]
    if not lines or tuple(lines[0].split(_SEPARATOR)) != BBR_COLUMNS:
        raise InvalidMessageError("kopregel wijkt af van de afgesproken kolommen", system=SYSTEM)
    parsed = ParsedBbr()
    grouped: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for number, raw in enumerate(lines[1:], start=2):
        values = [value.strip() for value in raw.split(_SEPARATOR)]
        nummer = values[0] if values and _TOKEN.match(values[0]) else ""
        if len(values) != len(BBR_COLUMNS) or not nummer:
            reason = f"{len(values)} velden, verwacht {len(BBR_COLUMNS)}"
            if len(values) == len(BBR_COLUMNS):
                reason = "specificatienummer ontbreekt of is ongeldig"
            sleutel = nummer or f"regel-{number}"
            parsed.errors.append(BbrFout(sleutel, number, reason))
            continue
        grouped.setdefault(nummer, []).append((number, dict(zip(BBR_COLUMNS, values, strict=True))))
    failed = {fout.sleutel for fout in parsed.errors}
    best: dict[tuple[str, str], BbrSpecificatie] = {}
    for nummer, rows in grouped.items():
        if nummer in failed:
            continue  # a line of it could not even be split: the whole specification fails
        try:
            spec = _specificatie(nummer, rows)
        except ValueError as exc:
            parsed.errors.append(BbrFout(nummer, rows[0][0], str(exc)))
            continue
        slot = (spec.bsn, spec.periode)
        other = best.get(slot)
        if other is None:
            best[slot] = spec
        elif other.versie == spec.versie:
            reason = f"tweede voor dezelfde client en periode (naast {other.specificatienummer})"
            parsed.errors.append(BbrFout(nummer, spec.line, reason))
        else:
            newer, older = (spec, other) if spec.versie > other.versie else (other, spec)
            best[slot] = newer
            parsed.replaced.append((older, newer))
    parsed.current = sorted(best.values(), key=lambda s: s.line)
    return parsed


ToRecord = Callable[[str, BbrSpecificatie], SourceRecord | RecordError]


class AllegroBbrSource:
    """Reads ``ALG_BBR_*.csv`` exports, one file a batch; :meth:`after_commit` answers it.

    ``to_record(file, specificatie)`` makes the record (the caller renders, keys and files
    it). ``batch.context`` carries ``file``, ``sha256`` and ``answers``: per
    specificatienummer the record key it went into (None: an error of its own) and a melding;
    or ``corrupt`` for a file that failed its checks. The drain loop adds ``rejected``.
    """

    system = SYSTEM

    def __init__(self, client: AllegroClient, to_record: ToRecord, *, prefix: str = BBR_PREFIX):
        self.client = client
        self.to_record = to_record
        self.prefix = prefix

    def read_batch(self, cursor: str | None, limit: int) -> SourceBatch | None:
        """The oldest (by name) unanswered export as one batch; None when none is ready.

        Names are no watermark (a late file has an older number), the return file is: an
        export with a return file is never offered again. ``limit`` does not split a file.
        """
        for name in self.client.list_exports(self.prefix):
            if self.client.has_return(name):
                continue
            taken = take_export(self.client, name, self.prefix, self.client.fetch_export)
            if taken is None:
                continue
            failure = taken.failure
            if taken.export is not None:
                try:
                    return self._batch(taken.export)
                except InvalidMessageError as exc:  # a wrong header: the whole file
                    failure = exc
            assert failure is not None
            key_prefix, ref = f"{SYSTEM}-bbr-file", f"{SYSTEM}:{name}"
            batch = rejected_batch(
                name, taken.sha256, failure, key_prefix=key_prefix, ref=ref, cursor_after=name
            )
            batch.context["answers"] = [(name, batch.records[0].key, "")]  # the file AFGEWEZEN
            return batch
        return None

    def _batch(self, export: VerifiedExport) -> SourceBatch:
        name = export.name
        parsed = parse_bbr(export.content)
        records: list[SourceRecord | RecordError] = []
        answers: list[tuple[str, str | None, str]] = []
        for fout in parsed.errors:
            ref = f"{SYSTEM}:{name}#{fout.line}"
            error = InvalidMessageError(
                f"{name} specificatie {fout.sleutel}: {fout.reason}",
                system=SYSTEM,
                operation="read_batch",
            )
            records.append(RecordError(SYSTEM, f"allegro-bbr:{name}:{fout.sleutel}", ref, error))
            answers.append((fout.sleutel, records[-1].key, ""))
        keys: dict[str, str] = {}
        for spec in parsed.current:
            record = self.to_record(name, spec)
            records.append(record)
            keys[spec.specificatienummer] = record.key
            answers.append((spec.specificatienummer, record.key, ""))
        for older, newer in parsed.replaced:
            melding = f"vervangen door {newer.specificatienummer} (versie {newer.versie})"
            answers.append((older.specificatienummer, keys[newer.specificatienummer], melding))
        log.info(
            "allegro: %s: %d specificaties, %d vervangen door een nieuwere versie, %d afgekeurd",
            name,
            len(parsed.current),
            len(parsed.replaced),
            len(parsed.errors),
        )
        return SourceBatch(
            records=records,
            cursor_after=name,
            ref=f"{SYSTEM}:{name}",
            context={"file": name, "sha256": export.sha256, "answers": answers},
        )

    def after_commit(self, batch: SourceBatch) -> None:
        """Write the export's return file: one line per specificatienummer (or one for the
        whole file, AFGEWEZEN). Allegro archives an export once its return file is there."""
        rejected: dict[str, str] = dict(batch.context.get("rejected") or {})
        errors = {item.key: item.error for item in batch.records if isinstance(item, RecordError)}
        rows: list[tuple[str, str, str]] = []
        for sleutel, key, melding in batch.context["answers"]:
            if key in errors:
                rows.append((sleutel, "AFGEWEZEN", f"{errors[key].reason}: {errors[key].message}"))
            elif key in rejected:
                rows.append((sleutel, "AFGEWEZEN", rejected[key]))
            else:
                rows.append((sleutel, "VERWERKT", melding))
        self.client.write_return(str(batch.context["file"]), rows)

    def close(self) -> None:
        self.client.close()

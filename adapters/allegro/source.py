"""Allegro zaken exports as a :class:`~adapters.base.Source`, streamed in batches.

Why this shape: Allegro expects exactly one return file per export, so the *file* is the unit
of acknowledgement, but an export can be hundreds of megabytes, so it is read in batches of at
most ``limit`` records with flat memory. Before the first batch of a file, one streaming pass
verifies it whole (sidecar SHA-256, ``#EINDE`` trailer, header) and finds repeated
mutatie_ids; only then are batches read, each from the byte offset where the previous one
ended. Each batch's cursor names the file and that offset (``<file>#<next line>@<offset>``).

The return file grows with each committed batch under a temporary name whose *name* records
how far it answers (:class:`~adapters.allegro.client.PartialReturn`, changed by an atomic
rename), and gets its final name only after the last batch committed. A crash or a run that
ran out of time resumes where the partial return file ends: after the last committed batch,
or, when the process died between a commit and its ``after_commit``, one batch earlier (those
records come again and the ledger answers them in step, so their outcome can be written).

File names are not a watermark (a late file may carry an older sequence number), so the
source offers the first file by name without a return file. Together with the ledger
(records keyed by ``mutatie_id``) that makes a file processed once even when it appears twice
or late. The records have the shapes the GWS4all decoder produces, so one zaken flow plans
both.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from adapters.allegro.client import AllegroClient, PartialReturn, ScannedExport
from adapters.allegro.config import SYSTEM
from adapters.allegro.csv_format import (
    LineError,
    ZaakMutatie,
    check_header,
    id_hash,
    iter_lines,
    parse_line,
    repeat_error,
    same_mutatie,
)
from adapters.allegro.export_verdict import rejected_batch, take_export
from adapters.allegro.integrity import ExportChangedError
from adapters.base import RecordError, SourceBatch, SourceRecord
from adapters.errors import InvalidMessageError, PermanentError

__all__ = ["ZAKEN_PREFIX", "AllegroZakenSource", "batch_cursor", "iso_utc", "record_for"]

log = logging.getLogger(__name__)

ZAKEN_PREFIX = "ALG_ZAKEN_"


def iso_utc(value: datetime) -> str:
    """UTC ISO text with microseconds and ``Z``: the exact form GWS4all records use, so the
    engine orders statuses from both sources on one scale."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_for(file: str, mutatie: ZaakMutatie) -> SourceRecord:
    """One status change as a canonical ``zaakstatus`` record (with the zaak, to create it)."""
    gezet = iso_utc(mutatie.datum_status_gezet)
    start = mutatie.startdatum.isoformat()
    data: dict[str, Any] = {
        "zaak_identificatie": mutatie.dossiernummer,
        "zaaktype_code": mutatie.zaaktype,
        "status_code": mutatie.statuscode,
        "volgnummer": mutatie.status_volgnummer,
        "datum_status_gezet": gezet,
        "toelichting": None,
        "zaak": {
            "identificatie": mutatie.dossiernummer,
            "zaaktype_code": mutatie.zaaktype,
            "omschrijving": mutatie.zaaktype_omschrijving,
            "startdatum": start,
            "registratiedatum": start,
            "einddatum": mutatie.einddatum.isoformat() if mutatie.einddatum else None,
            "initiator_bsn": mutatie.bsn,
            "toelichting": None,
        },
    }
    return SourceRecord(
        source_system=SYSTEM,
        key=f"{SYSTEM}:{mutatie.mutatie_id}",
        kind="zaakstatus",
        data=data,
        payload_ref=f"{SYSTEM}:{file}#{mutatie.line}",
        ordering_key=f"zaak:{mutatie.dossiernummer}",
        ordering_value=gezet,
    )


_CURSOR = re.compile(r"^(?P<file>.+)#(?P<line>\d+)@(?P<position>\d+)$")


def batch_cursor(name: str, line: int, position: int) -> str:
    """``<file>#<next line>@<byte offset>``: where the next batch of ``name`` starts."""
    return f"{name}#{line}@{position}"


@dataclass
class _Verified:
    """A verified export and what its rows need: verdicts per line for repeated ids."""

    export: ScannedExport
    repeats: dict[int, LineError | None]  # file line -> its error, or None: exact repeat

    @property
    def sha256(self) -> str:
        return self.export.sha256


@dataclass
class _Reader:
    """An open read position in one export, kept between batches of one process."""

    name: str
    sha256: str
    position: int
    line: int
    lines: Iterator[tuple[bytes, int]]


class AllegroZakenSource:
    """Reads ``ALG_ZAKEN_*.csv`` exports in batches; :meth:`after_commit` answers them.

    ``batch.context`` carries ``file``, ``sha256`` and ``sleutels`` (record key → the
    ``sleutel`` for the return line), the batch's place (``partial``, ``position``, ``line``,
    ``last``), or ``corrupt`` (the reason) for a file that failed its checks. The caller may
    add ``rejected``: record key → melding, for rows the engine dead-lettered; those are
    answered AFGEWEZEN, the others VERWERKT.
    """

    system = SYSTEM

    def __init__(self, client: AllegroClient, *, prefix: str = ZAKEN_PREFIX) -> None:
        self.client = client
        self.prefix = prefix
        self._verified: _Verified | None = None
        self._partials: dict[str, PartialReturn | None] = {}
        self._reader: _Reader | None = None

    def read_batch(self, cursor: str | None, limit: int) -> SourceBatch | None:
        """The next at most ``limit`` records of the oldest (by name) unanswered export.

        None when no export is ready. ``cursor`` is checked against the partial return file
        (see the module docstring); names are no watermark.
        """
        for name in self.client.list_exports(self.prefix):
            if self.client.has_return(name):
                continue
            taken = take_export(self.client, name, self.prefix, self._verify)
            if taken is None:
                continue
            if taken.export is None:
                assert taken.failure is not None
                return self._corrupt_batch(name, taken.sha256, taken.failure)
            verified = taken.export
            try:
                check_header(verified.export.scan.header)
            except InvalidMessageError as exc:
                return self._corrupt_batch(name, verified.export.sha256, exc)
            try:
                return self._next_batch(verified, cursor, max(limit, 1))
            except ExportChangedError:
                self._forget()
                raise
        return None

    # ------------------------------------------------------------------ reading
    def _verify(self, name: str) -> _Verified:
        """The verified export ``name``: one streaming pass per process and file."""
        if self._verified is not None and self._verified.export.name == name:
            return self._verified
        self._forget()
        export = self.client.scan_export(name)
        verified = _Verified(export, self._repeats(export))
        self._verified = verified
        return verified

    def _repeats(self, export: ScannedExport) -> dict[int, LineError | None]:
        """Verdicts for lines whose mutatie_id occurs more than once (usually none).

        Only then is the file read a second time, parsing just those lines, so the rule of
        :func:`~adapters.allegro.csv_format.parse_zaken` holds across batches: the first
        readable occurrence counts, an exact repeat is dropped, another content is an error.
        """
        repeated = export.scan.duplicate_id_hashes()
        if not repeated:
            return {}
        verdicts: dict[int, LineError | None] = {}
        first: dict[str, ZaakMutatie] = {}
        scan = export.scan
        chunks = self.client.open_export(export, scan.data_start, scan.data_end)
        for number, (raw, _) in enumerate(iter_lines(chunks, scan.data_start), start=2):
            if id_hash(raw) not in repeated:
                continue
            mutatie = parse_line(number, raw)
            if isinstance(mutatie, LineError):
                continue  # reported as its own error when its batch is read
            earlier = first.setdefault(mutatie.mutatie_id, mutatie)
            if earlier is mutatie:
                continue
            verdicts[number] = (
                None if same_mutatie(earlier, mutatie) else repeat_error(earlier, mutatie)
            )
        return verdicts

    def _partial(self, export: ScannedExport) -> PartialReturn | None:
        """How far the export is answered, from the partial return file (cached per process)."""
        name = export.name
        if name in self._partials:
            return self._partials[name]
        partial = self.client.find_partial_return(name)
        scan = export.scan
        if partial is not None and (
            partial.sha12 != export.sha256[:12]
            or not scan.data_start <= partial.position <= scan.data_end
        ):
            log.warning("allegro: %s: gedeeltelijk retourbestand past niet, opnieuw", name)
            self.client.remove_partial_return(partial)
            partial = None
        self._partials[name] = partial
        return partial

    def _lines_from(self, export: ScannedExport, position: int, line: int) -> _Reader:
        reader = self._reader
        if (
            reader is None
            or (reader.name, reader.sha256) != (export.name, export.sha256)
            or (reader.position, reader.line) != (position, line)
        ):
            self._close_reader()
            chunks = self.client.open_export(export, position, export.scan.data_end)
            reader = _Reader(
                export.name, export.sha256, position, line, iter_lines(chunks, position)
            )
            self._reader = reader
        return reader

    def _next_batch(self, verified: _Verified, cursor: str | None, limit: int) -> SourceBatch:
        export = verified.export
        name, scan = export.name, export.scan
        partial = self._partial(export)
        start, start_line = (partial.position, partial.line) if partial else (scan.data_start, 2)
        self._check_cursor(cursor, name, start)
        reader = self._lines_from(export, start, start_line)
        entries: list[tuple[SourceRecord | RecordError, str]] = []
        mutaties = errors = 0
        while len(entries) < limit and reader.position < scan.data_end:
            raw, after = next(reader.lines)
            number = reader.line
            reader.position, reader.line = after, number + 1
            if number in verified.repeats:
                repeat = verified.repeats[number]
                if repeat is None:
                    continue  # an exact repeat says nothing new
                parsed: ZaakMutatie | LineError = repeat
            else:
                parsed = parse_line(number, raw)
            if isinstance(parsed, LineError):
                errors += 1
                entries.append(self._line_error(name, parsed))
            else:
                mutaties += 1
                entries.append((record_for(name, parsed), parsed.mutatie_id))
        last = reader.position >= scan.data_end
        log.info(
            "allegro: %s regels %d-%d: %d mutaties, %d onleesbare regels%s",
            name,
            start_line,
            reader.line - 1,
            mutaties,
            errors,
            " (laatste deel)" if last else "",
        )
        return SourceBatch(
            records=[item for item, _ in entries],
            cursor_after=batch_cursor(name, reader.line, reader.position),
            ref=f"{SYSTEM}:{name}",
            context={
                "file": name,
                "sha256": export.sha256,
                "sleutels": {item.key: sleutel for item, sleutel in entries},
                "partial": partial or PartialReturn(name, export.sha256[:12], 0, 0, 0, 0),
                "position": reader.position,
                "line": reader.line,
                "last": last,
            },
        )

    @staticmethod
    def _line_error(name: str, error: LineError) -> tuple[RecordError, str]:
        ref = f"{SYSTEM}:{name}#{error.line}"
        failure = InvalidMessageError(
            f"{name} regel {error.line}: {error.reason}", system=SYSTEM, operation="read_batch"
        )
        sleutel = error.sleutel or f"{name.removesuffix('.csv')}-regel-{error.line}"
        return RecordError(SYSTEM, ref, ref, failure), sleutel

    @staticmethod
    def _check_cursor(cursor: str | None, name: str, start: int) -> None:
        """A cursor past the partial return file: the process died between commit and answer."""
        match = _CURSOR.match(cursor or "")
        if match and match["file"] == name and int(match["position"]) > start:
            log.info(
                "allegro: %s: vastgelegde regels tot %s komen opnieuw voor het retourbestand",
                name,
                match["line"],
            )

    def _close_reader(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None and hasattr(reader.lines, "close"):
            reader.lines.close()  # closes the remote file

    def _forget(self) -> None:
        self._close_reader()
        self._verified = None

    def _corrupt_batch(self, name: str, sha256: str, error: PermanentError) -> SourceBatch:
        """A file that failed its checks: one error for the whole file, no records from it."""
        return rejected_batch(
            name,
            sha256,
            error,
            key_prefix=f"{SYSTEM}-file",
            ref=f"{SYSTEM}:{name}",
            cursor_after=name,
        )

    # ------------------------------------------------------------------ answering
    def after_commit(self, batch: SourceBatch) -> None:
        """Add the batch's answers to the export's return file; name it once it is complete.

        Allegro archives an export once its return file is there, so it is never offered again.
        """
        name = str(batch.context["file"])
        if batch.context.get("corrupt"):
            error = batch.records[0]
            melding = error.error.message if isinstance(error, RecordError) else ""
            reason = str(batch.context["corrupt"])
            self.client.write_return(name, [(name, "AFGEWEZEN", f"{reason}: {melding}")])
            stale = self.client.find_partial_return(name)
            if stale is not None:
                self.client.remove_partial_return(stale)
            self._partials.pop(name, None)
            return
        rejected: dict[str, str] = dict(batch.context.get("rejected") or {})
        sleutels: dict[str, str] = batch.context.get("sleutels", {})
        rows: list[tuple[str, str, str]] = []
        for item in batch.records:
            sleutel = sleutels.get(item.key, item.key.removeprefix(f"{SYSTEM}:"))
            if isinstance(item, RecordError):
                reason = rejected.get(item.key) or item.error.message
                rows.append((sleutel, "AFGEWEZEN", f"{item.error.reason}: {reason}"))
            elif item.key in rejected:
                rows.append((sleutel, "AFGEWEZEN", rejected[item.key]))
            else:
                rows.append((sleutel, "VERWERKT", ""))
        partial: PartialReturn = batch.context["partial"]
        last = bool(batch.context["last"])
        result = self.client.extend_return(
            partial,
            rows,
            position=int(batch.context["position"]),
            line=int(batch.context["line"]),
            final=last,
        )
        if isinstance(result, PartialReturn):
            self._partials[name] = result
        else:
            self._partials.pop(name, None)
            self._forget()

"""Allegro zaken exports as a :class:`~adapters.base.Source`: one export file per batch.

Why one file per batch: Allegro expects exactly one return file per export, so the file is the
unit of acknowledgement. File names are not a watermark (a late file may carry an older
sequence number), so the source does not select by cursor; it offers the first file by name
that has no return file yet. Together with the ledger (records keyed by ``mutatie_id``) that
makes a file processed once even when it appears twice or late. The records have the shapes
the GWS4all decoder produces, so one zaken flow plans both.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from adapters.allegro.client import (
    SYSTEM,
    AllegroClient,
    ExportIntegrityError,
    ExportNotReadyError,
    RemoteFileError,
    VerifiedExport,
)
from adapters.allegro.csv_format import ZaakMutatie, parse_zaken
from adapters.base import RecordError, SourceBatch, SourceRecord
from adapters.errors import InvalidMessageError, PermanentError

__all__ = ["ZAKEN_PREFIX", "AllegroZakenSource", "iso_utc", "record_for"]

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


class AllegroZakenSource:
    """Reads ``ALG_ZAKEN_*.csv`` exports; :meth:`after_commit` writes their return files.

    ``batch.context`` carries ``file``, ``sha256`` and ``sleutels`` (record key → the
    ``sleutel`` for the return line), plus ``corrupt`` (the reason) for a file that failed its
    checks. The caller may add ``rejected``: record key → melding, for rows the engine
    dead-lettered; those are answered AFGEWEZEN, the others VERWERKT.
    """

    system = SYSTEM

    def __init__(self, client: AllegroClient, *, prefix: str = ZAKEN_PREFIX) -> None:
        self.client = client
        self.prefix = prefix

    def read_batch(self, cursor: str | None, limit: int) -> SourceBatch | None:
        """The oldest (by name) export without a return file, whole; None when none is ready.

        ``cursor`` is only reported back (names are no watermark) and ``limit`` is not applied
        within a file: the return file must answer every line of its export at once.
        """
        for name in self.client.list_exports(self.prefix):
            if self.client.has_return(name):
                continue
            try:
                export = self.client.fetch_export(name)
            except ExportNotReadyError:
                log.info("allegro: %s nog niet compleet (geen sidecar), volgende keer", name)
                continue
            except ExportIntegrityError as exc:
                return self._corrupt_batch(name, exc.sha256, exc)
            except RemoteFileError as exc:
                if name not in self.client.list_exports(self.prefix):
                    continue  # archived or withdrawn between listing and reading
                return self._corrupt_batch(name, "onleesbaar", exc)  # not blocking later files
            return self._batch(export)
        return None

    def _batch(self, export: VerifiedExport) -> SourceBatch:
        name = export.name
        try:
            parsed = parse_zaken(export.content)
        except InvalidMessageError as exc:
            return self._corrupt_batch(name, export.sha256, exc)
        entries: list[tuple[int, SourceRecord | RecordError, str]] = []
        for mutatie in parsed.rows:
            entries.append((mutatie.line, record_for(name, mutatie), mutatie.mutatie_id))
        for error in parsed.errors:
            ref = f"{SYSTEM}:{name}#{error.line}"
            failure = InvalidMessageError(
                f"{name} regel {error.line}: {error.reason}", system=SYSTEM, operation="read_batch"
            )
            sleutel = error.sleutel or f"{name.removesuffix('.csv')}-regel-{error.line}"
            entries.append((error.line, RecordError(SYSTEM, ref, ref, failure), sleutel))
        entries.sort(key=lambda entry: entry[0])
        log.info(
            "allegro: %s: %d mutaties, %d onleesbare regels",
            name,
            len(parsed.rows),
            len(parsed.errors),
        )
        return SourceBatch(
            records=[item for _, item, _ in entries],
            cursor_after=name,
            ref=f"{SYSTEM}:{name}",
            context={
                "file": name,
                "sha256": export.sha256,
                "sleutels": {item.key: sleutel for _, item, sleutel in entries},
            },
        )

    def _corrupt_batch(self, name: str, sha256: str, error: PermanentError) -> SourceBatch:
        """A file that failed its checks: one error for the whole file, no records from it."""
        log.warning("allegro: %s afgekeurd: %s", name, error.reason)
        ref = f"{SYSTEM}:{name}"
        record = RecordError(SYSTEM, f"{SYSTEM}-file:{name}:{sha256[:12]}", ref, error)
        return SourceBatch(
            records=[record],
            cursor_after=name,
            ref=ref,
            context={"file": name, "sha256": sha256, "corrupt": error.reason},
        )

    def after_commit(self, batch: SourceBatch) -> None:
        """Answer the export so Allegro archives it and it is never offered again."""
        name = str(batch.context["file"])
        if batch.context.get("corrupt"):
            error = batch.records[0]
            melding = error.error.message if isinstance(error, RecordError) else ""
            reason = str(batch.context["corrupt"])
            self.client.write_return(name, [(name, "AFGEWEZEN", f"{reason}: {melding}")])
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
        self.client.write_return(name, rows)

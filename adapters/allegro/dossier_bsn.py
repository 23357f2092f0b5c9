"""The BSN of a debt-help client, as the dossier target (Xtendis) needs it: read from Allegro.

Why here: functiescheiding keeps Allegro's debt-help zaken out of the zaaksysteem, so the
zaaksysteem cannot tell a SCHULDHULP document's BSN; Allegro is the system of record for those
clients. Its document export carries no BSN, its zaken exports do (``dossiernummer``, ``bsn``
per line, in ``export/`` and, once Allegro processed the return file, ``export/archief/``,
where they stay: ``docs/file-layouts.md``).

On first use the zaken exports are streamed once (each verified by its ``.sha256`` sidecar and
trailer, like the zaken source does) into an in-memory map ``dossiernummer -> BSN``: about one
entry per dossier, the latest export winning. The map lives for one task only and is dropped on
close: a BSN is never stored (not in records, ledger, dead letters or logs), just as the BBR
payment specifications keep their clients' BSNs (``sync.betaalspecificaties``). An export that
fails its checks is skipped with a warning, never fatal: the other exports still answer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import closing
from dataclasses import replace

from adapters.allegro.client import AllegroClient
from adapters.allegro.config import AllegroConfig
from adapters.allegro.csv_format import LineError, check_header, iter_lines, parse_line
from adapters.allegro.integrity import ExportChangedError, ExportNotReadyError
from adapters.dossier import DossierBsn
from adapters.errors import PermanentError
from privacy.masking import mask_text

__all__ = ["ARCHIEF", "ZAKEN_PREFIX", "AllegroDossierIndex", "dossier_bsn"]

log = logging.getLogger(__name__)

ZAKEN_PREFIX = "ALG_ZAKEN_"
ARCHIEF = "archief"  # export/archief/: the exports whose return file Allegro processed


class AllegroDossierIndex:
    """``dossiernummer -> BSN`` from Allegro's zaken exports, loaded on first use, per task.

    Thread-safe (the engine may ask from several threads): one load, under a lock. A dropped
    connection during the load propagates (transient: the engine retries, the next call loads
    again); a bad export is skipped.
    """

    def __init__(self, config: AllegroConfig) -> None:
        self.config = config
        self._bsns: dict[str, tuple[str, str]] | None = None  # dossier -> (export name, BSN)
        self._lock = threading.Lock()

    def read(self, dossiernummer: str) -> str | None:
        """The BSN of the dossier in the latest export naming it; None when none does."""
        with self._lock:
            if self._bsns is None:
                self._bsns = self._load()
            found = self._bsns.get(dossiernummer)
        return found[1] if found else None

    def close(self) -> None:
        """Forget every BSN (the task is over)."""
        with self._lock:
            self._bsns = None

    def _load(self) -> dict[str, tuple[str, str]]:
        """Read ``export/`` first, then ``export/archief/``: Allegro only moves exports from the
        one into the other, so one read in this order misses none. One session at a time."""
        bsns: dict[str, tuple[str, str]] = {}
        counts = {"exports": 0, "overgeslagen": 0}
        with closing(AllegroClient(self.config)) as client:
            self._read_folder(client, bsns, counts)
            archived = client.export_path_exists(ARCHIEF)
        if archived:
            archief = replace(self.config, export_dir=f"{self.config.export_dir}/{ARCHIEF}")
            with closing(AllegroClient(archief)) as client:
                self._read_folder(client, bsns, counts)
        log.info(
            "allegro: BSN-index van %d dossiers uit %d zaken-export(s) geladen "
            "(%d overgeslagen), alleen in het geheugen voor deze taak",
            len(bsns),
            counts["exports"],
            counts["overgeslagen"],
        )
        return bsns

    @classmethod
    def _read_folder(
        cls, client: AllegroClient, bsns: dict[str, tuple[str, str]], counts: dict[str, int]
    ) -> None:
        for name in client.list_exports(ZAKEN_PREFIX):
            read = cls._read_export(client, name, bsns)
            counts["exports" if read else "overgeslagen"] += 1

    @staticmethod
    def _read_export(client: AllegroClient, name: str, bsns: dict[str, tuple[str, str]]) -> bool:
        """Merge one verified export into ``bsns`` (a later export name wins); False: skipped.

        The lines are taken only after the whole file passed its checks, so a corrupt export
        contributes nothing."""
        try:
            export = client.scan_export(name)
            check_header(export.scan.header)
            found: dict[str, str] = {}
            skipped = 0
            chunks = client.open_export(export, export.scan.data_start, export.scan.data_end)
            for number, (raw, _after) in enumerate(iter_lines(chunks, export.scan.data_start), 2):
                parsed = parse_line(number, raw)
                if isinstance(parsed, LineError):
                    skipped += 1
                else:
                    found[parsed.dossiernummer] = parsed.bsn  # a later line wins
        except (PermanentError, ExportNotReadyError, ExportChangedError) as exc:
            log.warning(
                "allegro: zaken-export %s overgeslagen voor de BSN-index: %s",
                name,
                mask_text(str(exc)),
            )
            return False
        if skipped:
            log.warning("allegro: %s: %d onleesbare regel(s) overgeslagen", name, skipped)
        for dossiernummer, bsn in found.items():
            known = bsns.get(dossiernummer)
            if known is None or known[0] <= name:
                bsns[dossiernummer] = (name, bsn)
        return True


def dossier_bsn(config: AllegroConfig) -> tuple[DossierBsn, Callable[[], None]]:
    """The registry's ``bsn_lookup``: a dossier's BSN from Allegro's zaken exports."""
    index = AllegroDossierIndex(config)
    return DossierBsn(index.read, "Allegro"), index.close

"""MyLex, the old archive, over pinned SFTP: put documents with MDTO metadata, list them sorted.

Why this shape: reconciliation merge-joins MyLex with the new archive by identificatie, so the
listing must come sorted by identificatie without holding the archive in memory; and a document
written by Ketenbrug must look exactly like one MyLex wrote (``docs/file-layouts.md``)::

    <root>/archief/<jaar>/<zaak>/<identificatie>.pdf
    <root>/archief/<jaar>/<zaak>/<identificatie>.pdf.bestand.MDTO.xml   (checksum, omvang)
    <root>/archief/<jaar>/<zaak>/<identificatie>.MDTO.xml               (written last)

Content first, metadata last, each under a temp name + rename: metadata present means complete.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO
from zoneinfo import ZoneInfo

from adapters.errors import InvalidMessageError
from adapters.mylex.config import MyLexConfig
from adapters.mylex.mdto import (
    MdtoMetadata,
    bestand_xml,
    informatieobject_xml,
    read_bestand,
    require_valid,
)
from adapters.sftp.pinned import SftpClient, UnsafeNameError, is_temp_name, safe_name
from stuf.errors import StufError

__all__ = ["SYSTEM", "ArchiveEntry", "MyLexClient"]

log = logging.getLogger(__name__)

SYSTEM = "mylex"
TZ = ZoneInfo("Europe/Amsterdam")
BESTAND_SUFFIX = ".pdf.bestand.MDTO.xml"
_YEAR = re.compile(r"^\d{4}$")


@dataclass(frozen=True, order=True)
class ArchiveEntry:
    """One document as its MDTO metadata describes it (not as its bytes are now)."""

    identificatie: str
    sha256: str
    size: int


class MyLexClient(SftpClient):
    """Writes documents into and lists the MyLex archive. Not thread-safe: one per task."""

    def __init__(self, config: MyLexConfig) -> None:
        super().__init__(config, SYSTEM)
        self.config = config
        self.archief = f"{config.root_dir}/archief"

    # ------------------------------------------------------------------ write
    def put_document(
        self,
        identificatie: str,
        content: BinaryIO,
        metadata: MdtoMetadata,
        expected_sha256: str | None = None,
    ) -> str:
        """Store ``content`` (streamed, hashed on the way) and its two MDTO sidecars.

        A mismatch with ``expected_sha256`` raises ``ChecksumMismatchError``
        (``checksum_mismatch``) and leaves nothing under a final name; metadata that would not
        validate raises :class:`InvalidMessageError` before anything is published. Writing
        the same document again overwrites it (idempotent). Returns the SHA-256.
        """
        identificatie = safe_name(identificatie, SYSTEM)
        zaak = safe_name(metadata.folder, SYSTEM)
        year = metadata.folder_year
        if not 1000 <= year <= 9999:
            raise InvalidMessageError(f"MyLex jaar {year} is geen jaartal", system=SYSTEM)
        naam = f"{identificatie}.pdf"
        folder = f"{self.archief}/{year}/{zaak}"
        info = informatieobject_xml(identificatie, metadata, naam, self.config.archiefvormer)
        require_valid(info, "informatieobject")
        with self._sftp.guard("put_document", naam):
            self._makedirs(folder)
            sha256, size, temp = self._sftp.upload_stream(
                folder, naam, content, expected_sha256, operation="put_document", rename=False
            )
            bestand = bestand_xml(
                identificatie,
                metadata,
                naam=naam,
                omvang=size,
                sha256=sha256,
                checksum_datum=datetime.now(TZ),
            )
            try:
                require_valid(bestand, "bestand")
            except InvalidMessageError:
                self._sftp.discard(temp)
                raise
            self._sftp.commit(temp, f"{folder}/{naam}")
            self._sftp.publish_bytes(folder, f"{naam}.bestand.MDTO.xml", bestand)
            self._sftp.publish_bytes(folder, f"{identificatie}.MDTO.xml", info)
        log.info("mylex: %s gearchiveerd (%d bytes, sha256 %s…)", identificatie, size, sha256[:12])
        return sha256

    def _makedirs(self, folder: str) -> None:
        sftp = self._sftp.session()
        path = ""
        for part in folder.split("/"):
            path = f"{path}/{part}" if path else part
            if not self._sftp.exists(path):
                try:
                    sftp.mkdir(path)
                except OSError:
                    if not self._sftp.exists(path):  # else: another writer made it just now
                        raise

    # ------------------------------------------------------------------ read
    def entry(self, identificatie: str, jaar: int, zaak: str) -> ArchiveEntry | None:
        """One document's recorded checksum and size, read from its small bestand sidecar.

        None unless the document is complete (both sidecars present) and the sidecar describes
        this document. ``zaak`` is the folder (``MdtoMetadata.folder``); the pdf is not read.
        """
        identificatie = safe_name(identificatie, SYSTEM)
        folder = f"{self.archief}/{int(jaar)}/{safe_name(zaak, SYSTEM)}"
        with self._sftp.guard("entry", identificatie):
            data = self._sftp.read_small(f"{folder}/{identificatie}{BESTAND_SUFFIX}")
            if data is None or not self._sftp.exists(f"{folder}/{identificatie}.MDTO.xml"):
                return None
        try:
            recorded, sha256, size = read_bestand(data)
        except (StufError, InvalidMessageError, ValueError):
            log.warning("mylex: metadata van %s onleesbaar", identificatie)
            return None  # unreadable is as good as absent: a rewrite repairs it
        if recorded != identificatie:
            return None
        return ArchiveEntry(identificatie, sha256, size)

    def iter_listing(self) -> Iterator[ArchiveEntry]:
        """Every document with its recorded checksum and size, sorted by identificatie.

        Streaming: documents are read one at a time and yielded at once. A first pass lists
        each folder once and keeps only its smallest identificatie, so memory grows with the
        number of zaak folders (one name each), never with documents; folders are then opened
        in order of that smallest name and merged, so the order holds whatever folder a
        document lives in (zaak folders, ``MLX-<jaar>-DOSSIER``, ``los``). Documents without
        metadata (still being written) are skipped; unsafe names are skipped with a warning.
        """
        counter = itertools.count()
        heap: list[tuple[str, int, str, Iterator[str] | None]] = []
        for folder in self._folders():
            names = self._identificaties(folder)
            if names:
                heapq.heappush(heap, (names[0], next(counter), folder, None))
        while heap:
            identificatie, _, folder, rest = heapq.heappop(heap)
            if rest is None:  # first visit: open the folder and merge its documents in
                opened = iter(self._identificaties(folder))
                first = next(opened, None)
                if first is not None:
                    heapq.heappush(heap, (first, next(counter), folder, opened))
                continue
            entry = self._entry(folder, identificatie)
            following = next(rest, None)
            if following is not None:
                heapq.heappush(heap, (following, next(counter), folder, rest))
            if entry is not None:
                yield entry

    def _listdir(self, path: str) -> list[str]:
        with self._sftp.guard("iter_listing"):
            try:
                return self._sftp.session().listdir(path)
            except FileNotFoundError:
                return []

    def _folders(self) -> Iterator[str]:
        for year in sorted(self._listdir(self.archief)):
            if not _YEAR.match(year):
                continue
            for zaak in sorted(self._listdir(f"{self.archief}/{year}")):
                if not is_temp_name(zaak) and self._safe(zaak):
                    yield f"{self.archief}/{year}/{zaak}"

    def _identificaties(self, folder: str) -> list[str]:
        """Sorted identificaties of one folder's complete (metadata present) documents."""
        found = []
        for name in self._listdir(folder):
            if name.endswith(BESTAND_SUFFIX) and not is_temp_name(name) and self._safe(name):
                found.append(name.removesuffix(BESTAND_SUFFIX))
        return sorted(found)

    def _entry(self, folder: str, identificatie: str) -> ArchiveEntry | None:
        path = f"{folder}/{identificatie}{BESTAND_SUFFIX}"
        with self._sftp.guard("iter_listing", identificatie):
            data = self._sftp.read_small(path)
        if data is None:  # removed between listing and reading
            return None
        recorded, sha256, size = read_bestand(data)
        if recorded and recorded != identificatie:
            log.warning("mylex: metadata van %s noemt een ander document", identificatie)
        return ArchiveEntry(identificatie, sha256, size)

    @staticmethod
    def _safe(name: str) -> bool:
        try:
            safe_name(name, SYSTEM)
        except UnsafeNameError:
            log.warning("mylex: onveilige naam in het archief overgeslagen")
            return False
        return True

"""MyLex, the old archive, over pinned SFTP: put documents with MDTO metadata, list them sorted.

Why this shape: reconciliation merge-joins MyLex with the new archive by identificatie, so the
listing must come sorted by identificatie without holding the archive in memory; and a document
written by Ketenbrug must look exactly like one MyLex wrote (``docs/file-layouts.md``)::

    <root>/archief/<jaar>/<zaak>/<identificatie>.<ext>
    <root>/archief/<jaar>/<zaak>/<identificatie>.<ext>.bestand.MDTO.xml (checksum, omvang)
    <root>/archief/<jaar>/<zaak>/<identificatie>.MDTO.xml               (written last)

``<ext>`` is the extension of the format detected from the content (``pdf``, ``png``, ``jpg``,
``tif``, ``docx``, ``odt``; :mod:`adapters.formats`), so a pdf keeps its old name. Content
first, metadata last, each under a temp name + rename: metadata present means complete.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO
from zoneinfo import ZoneInfo

from adapters.errors import InvalidMessageError
from adapters.formats import PDF_1_4, Bestandsformaat
from adapters.mylex.config import MyLexConfig
from adapters.mylex.mdto import (
    MDTO_NS,
    MdtoMetadata,
    bestand_xml,
    informatieobject_xml,
    read_bestand,
    require_valid,
)
from adapters.sftp.pinned import SftpClient, UnsafeNameError, is_temp_name, safe_name
from stuf.errors import StufError
from stuf.xml import parse_xml

__all__ = ["SYSTEM", "ArchiveEntry", "MyLexClient"]

log = logging.getLogger(__name__)

SYSTEM = "mylex"
TZ = ZoneInfo("Europe/Amsterdam")
#: Ends the name of every bestand sidecar: ``<identificatie>.<ext>.bestand.MDTO.xml``.
BESTAND_SUFFIX = ".bestand.MDTO.xml"
_YEAR = re.compile(r"^\d{4}$")
_EXTENSION = re.compile(r"^[A-Za-z0-9]{1,10}$")
_REPRESENTATIE = (
    f"{{{MDTO_NS}}}informatieobject/{{{MDTO_NS}}}heeftRepresentatie/{{{MDTO_NS}}}verwijzingNaam"
)


@dataclass(frozen=True, order=True)
class ArchiveEntry:
    """One document as its MDTO metadata describes it (not as its bytes are now).

    ``locatie`` is the content file's path from the SFTP root, e.g.
    ``mylex/archief/2024/Z1/D1.pdf`` (its sidecar is ``<locatie>.bestand.MDTO.xml``).
    """

    identificatie: str
    sha256: str
    size: int
    locatie: str


def _content_name(sidecar: str) -> tuple[str, str] | None:
    """``(identificatie, content file name)`` of a bestand sidecar's name, None if not one."""
    content = sidecar.removesuffix(BESTAND_SUFFIX)
    identificatie, dot, extension = content.rpartition(".")
    if content == sidecar or not dot or not identificatie or not _EXTENSION.match(extension):
        return None
    return identificatie, content


class MyLexClient(SftpClient):
    """Writes documents into and lists the MyLex archive. Not thread-safe: one per task."""

    def __init__(self, config: MyLexConfig) -> None:
        super().__init__(config, SYSTEM)
        self.config = config
        self.archief = f"{config.root_dir}/archief"
        #: ``(identificatie, locatie)`` of copies the last listing skipped (a second folder).
        self.dubbel: list[tuple[str, str]] = []

    # ------------------------------------------------------------------ write
    def put_document(
        self,
        identificatie: str,
        content: BinaryIO,
        metadata: MdtoMetadata,
        expected_sha256: str | None = None,
        *,
        formaat: Bestandsformaat = PDF_1_4,
    ) -> str:
        """Store ``content`` (streamed, hashed on the way) and its two MDTO sidecars.

        ``formaat`` (detected from the content) names the file ``<identificatie>.<ext>`` and
        is recorded in the bestand sidecar; a copy of the document in another format from an
        earlier put is removed once the new one is complete (a put replaces the document).

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
        naam = f"{identificatie}.{formaat.extension}"
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
                formaat=formaat,
            )
            try:
                require_valid(bestand, "bestand")
            except InvalidMessageError:
                self._sftp.discard(temp)
                raise
            self._sftp.commit(temp, f"{folder}/{naam}")
            self._sftp.publish_bytes(folder, f"{naam}.bestand.MDTO.xml", bestand)
            self._sftp.publish_bytes(folder, f"{identificatie}.MDTO.xml", info)
            self._remove_other_formats(folder, identificatie, naam)
            old_year = metadata.creatiedatum.year
            if old_year != year and 1000 <= old_year <= 9999:
                # the place the creation-year rule chose before: the document moves once
                self.verwijder(f"{self.archief}/{old_year}/{zaak}", identificatie)
        log.info("mylex: %s gearchiveerd (%d bytes, sha256 %s…)", identificatie, size, sha256[:12])
        return sha256

    def _remove_other_formats(self, folder: str, identificatie: str, naam: str) -> None:
        """Remove the document's files in another format (sidecar first, then content)."""
        sftp = self._sftp.session()
        for sidecar, content in self._sidecars(folder, identificatie, "put_document").items():
            if content != naam:
                for stale in (sidecar, content):
                    with contextlib.suppress(FileNotFoundError):
                        sftp.remove(f"{folder}/{stale}")

    def verwijder(self, folder: str, identificatie: str) -> int:
        """Remove one document's files from ``folder`` (bestand sidecars first: the listing
        stops seeing it, then the informatieobject, then the content); returns files removed.

        Only for a copy of which a complete one exists elsewhere (a move to the zaak's start
        year): Ketenbrug never destroys a document."""
        sftp = self._sftp.session()
        removed = 0
        with self._sftp.guard("verwijder", identificatie):
            sidecars = self._sidecars(folder, identificatie, "verwijder")
            names = [*sidecars, f"{identificatie}.MDTO.xml", *sidecars.values()]
            for name in names:
                with contextlib.suppress(FileNotFoundError):
                    sftp.remove(f"{folder}/{name}")
                    removed += 1
        return removed

    def verplaats(self, locatie: str, jaar: int) -> str:
        """Move the document at ``locatie`` into ``archief/<jaar>/<zaak>``; its new locatie.

        Renames only (nothing is copied or rewritten), content first, then the
        informatieobject, the bestand sidecar last: until that last rename the listing still
        finds the document at its old place, so a move cut short is finished by the next one
        and a move that is done finds nothing left to move. A file already at the new place
        with its source still there (a put landed meanwhile) wins; the old one goes.
        """
        folder, naam = posixpath.split(locatie)
        jaar_map, zaak = posixpath.split(folder)
        if posixpath.dirname(jaar_map) != self.archief or not 1000 <= jaar <= 9999:
            raise InvalidMessageError(f"MyLex-locatie {locatie!r} ligt niet in het archief")
        identificatie = naam.rpartition(".")[0]
        safe_name(identificatie, SYSTEM)
        target = f"{self.archief}/{jaar}/{safe_name(zaak, SYSTEM)}"
        if target == folder:
            return locatie
        sftp = self._sftp.session()
        with self._sftp.guard("verplaats", identificatie):
            self._makedirs(target)
            for name in (naam, f"{identificatie}.MDTO.xml", f"{naam}{BESTAND_SUFFIX}"):
                source, final = f"{folder}/{name}", f"{target}/{name}"
                if not self._sftp.exists(source):
                    continue  # moved by an earlier run that was cut short
                if self._sftp.exists(final):
                    sftp.remove(source)
                else:
                    sftp.posix_rename(source, final)
        log.info("mylex: %s verplaatst naar %d/%s", identificatie, jaar, zaak)
        return f"{target}/{naam}"

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
        this document. ``zaak`` is the folder (``MdtoMetadata.folder``); the content is not
        read, and may have any extension (the folder is listed to find its sidecar).
        """
        identificatie = safe_name(identificatie, SYSTEM)
        folder = f"{self.archief}/{int(jaar)}/{safe_name(zaak, SYSTEM)}"
        sidecars = self._sidecars(folder, identificatie, "entry")
        if not sidecars:
            return None
        sidecar = self._choose(folder, identificatie, sidecars)

        def complete() -> bytes | None:
            data = self._sftp.read_small(f"{folder}/{sidecar}")
            if data is None or not self._sftp.exists(f"{folder}/{identificatie}.MDTO.xml"):
                return None
            return data

        data = self._sftp.read("entry", complete, identificatie)
        if data is None:
            return None
        try:
            recorded, sha256, size = read_bestand(data)
        except (StufError, InvalidMessageError, ValueError):
            log.warning("mylex: metadata van %s onleesbaar", identificatie)
            return None  # unreadable is as good as absent: a rewrite repairs it
        if recorded != identificatie:
            return None
        return ArchiveEntry(identificatie, sha256, size, f"{folder}/{sidecars[sidecar]}")

    def iter_listing(self) -> Iterator[ArchiveEntry]:
        """Every document with its recorded checksum and size, sorted by identificatie.

        Streaming: documents are read one at a time and yielded at once. A first pass lists
        each folder once and keeps only its smallest identificatie, so memory grows with the
        number of zaak folders (one name each), never with documents; folders are then opened
        in order of that smallest name and merged, so the order holds whatever folder a
        document lives in (zaak folders, ``MLX-<jaar>-DOSSIER``, ``los``). Documents without
        metadata (still being written) are skipped; unsafe names are skipped with a warning.
        A document found in a second folder (a move to its zaak's start year cut short) is
        listed once, the other place noted in :attr:`dubbel` for :meth:`verplaats` to settle.
        """
        counter = itertools.count()
        self.dubbel.clear()
        last: str | None = None
        heap: list[tuple[str, int, str, str, Iterator[tuple[str, str]] | None]] = []
        for folder in self._folders():
            names = self._identificaties(folder)
            if names:
                heapq.heappush(heap, (names[0][0], next(counter), folder, "", None))
        while heap:
            identificatie, _, folder, sidecar, rest = heapq.heappop(heap)
            if rest is None:  # first visit: open the folder and merge its documents in
                opened = iter(self._identificaties(folder))
                first = next(opened, None)
                if first is not None:
                    heapq.heappush(heap, (first[0], next(counter), folder, first[1], opened))
                continue
            entry = self._entry(folder, identificatie, sidecar)
            following = next(rest, None)
            if following is not None:
                heapq.heappush(heap, (following[0], next(counter), folder, following[1], rest))
            if entry is None:
                continue
            if entry.identificatie == last:  # in two folders: a move or put was cut short
                log.warning("mylex: %s staat in twee mappen", entry.identificatie)
                self.dubbel.append((entry.identificatie, entry.locatie))
                continue
            last = entry.identificatie
            yield entry

    def _listdir(self, path: str, operation: str = "iter_listing") -> list[str]:
        def listdir() -> list[str]:
            try:
                return self._sftp.session().listdir(path)
            except FileNotFoundError:
                return []

        return self._sftp.read(operation, listdir)

    def _folders(self) -> Iterator[str]:
        for year in sorted(self._listdir(self.archief)):
            if not _YEAR.match(year):
                continue
            for zaak in sorted(self._listdir(f"{self.archief}/{year}")):
                if not is_temp_name(zaak) and self._safe(zaak):
                    yield f"{self.archief}/{year}/{zaak}"

    def _identificaties(self, folder: str) -> list[tuple[str, str]]:
        """``(identificatie, bestand sidecar)`` of one folder's documents, sorted, one each.

        A document whose bestand sidecar is there in two formats (a put that replaced it was
        cut before it removed the old one) is listed once, as its informatieobject names it.
        """
        by_id: dict[str, dict[str, str]] = {}
        for name in self._listdir(folder):
            if not name.endswith(BESTAND_SUFFIX) or is_temp_name(name) or not self._safe(name):
                continue
            parsed = _content_name(name)
            if parsed is not None:
                by_id.setdefault(parsed[0], {})[name] = parsed[1]
        return [
            (identificatie, self._choose(folder, identificatie, by_id[identificatie]))
            for identificatie in sorted(by_id)
        ]

    def _sidecars(self, folder: str, identificatie: str, operation: str) -> dict[str, str]:
        """``{bestand sidecar: content name}`` of one document in ``folder``, any extension."""
        found = {}
        for name in self._listdir(folder, operation):
            parsed = _content_name(name)
            if parsed is not None and parsed[0] == identificatie and not is_temp_name(name):
                found[name] = parsed[1]
        return found

    def _choose(self, folder: str, identificatie: str, sidecars: dict[str, str]) -> str:
        """The sidecar of the representation the informatieobject names (rarely needed)."""
        names = sorted(sidecars)
        if len(names) > 1:
            path = f"{folder}/{identificatie}.MDTO.xml"
            info = self._sftp.read(
                "iter_listing", lambda: self._sftp.read_small(path), identificatie
            )
            try:
                naam = (parse_xml(info).findtext(_REPRESENTATIE) or "").strip() if info else ""
            except StufError:
                naam = ""
            chosen = [name for name in names if sidecars[name] == naam]
            if chosen:
                return chosen[0]
            log.warning("mylex: %s staat er in meer formaten", identificatie)
        return names[0]

    def _entry(self, folder: str, identificatie: str, sidecar: str) -> ArchiveEntry | None:
        path = f"{folder}/{sidecar}"
        data = self._sftp.read("iter_listing", lambda: self._sftp.read_small(path), identificatie)
        if data is None:  # removed between listing and reading
            return None
        recorded, sha256, size = read_bestand(data)
        if recorded and recorded != identificatie:
            log.warning("mylex: metadata van %s noemt een ander document", identificatie)
        locatie = f"{folder}/{sidecar.removesuffix(BESTAND_SUFFIX)}"
        return ArchiveEntry(identificatie, sha256, size, locatie)

    @staticmethod
    def _safe(name: str) -> bool:
        try:
            safe_name(name, SYSTEM)
        except UnsafeNameError:
            log.warning("mylex: onveilige naam in het archief overgeslagen")
            return False
        return True

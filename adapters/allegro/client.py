"""Allegro's SFTP folders as a client: exports read streamed and verified, return files written.

Why this shape: the engine decides about retries, so the client only *classifies* what went
wrong (``adapters/errors.py``): a dropped line is transient (and the next call reconnects), a
host key that does not match is a configuration error that must never be retried blindly, and a
file that is missing, unreadable or corrupt is a permanent fault about that one file. The
session, the pinned host key and that classification are the shared
:class:`~adapters.sftp.pinned.PinnedSftp`. Files are trusted only when their ``.sha256`` sidecar
is there, matches the bytes as streamed, and the ``#EINDE;<n>`` trailer is complete
(:mod:`adapters.allegro.integrity`).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

import paramiko

from adapters.allegro.config import SYSTEM, AllegroConfig
from adapters.allegro.csv_format import (
    ExportScan,
    check_trailer,
    render_return,
    render_return_header,
    render_return_rows,
    render_return_trailer,
)
from adapters.allegro.integrity import (
    ExportChangedError,
    ExportIntegrityError,
    ExportNotReadyError,
    read_sidecar,
    verify_export,
)
from adapters.errors import TransientError
from adapters.sftp.pinned import RemoteFileError, SftpClient, UnsafeNameError, is_temp_name
from adapters.sftp.pinned import safe_name as shared_safe_name
from privacy.masking import mask_text

__all__ = [
    "SYSTEM",
    "AllegroClient",
    "ExportChangedError",
    "ExportIntegrityError",
    "ExportNotReadyError",
    "PartialReturn",
    "RemoteFileError",
    "ScannedExport",
    "UnsafeNameError",
    "VerifiedExport",
    "is_temp_name",
    "safe_name",
]

log = logging.getLogger(__name__)

CHUNK_SIZE = 32_768
#: Bytes requested ahead while streaming a document: pipelined, yet bounded in memory.
READ_WINDOW = 32 * CHUNK_SIZE
_PARTIAL = re.compile(r"^\.(.+)\.retour\.([0-9a-f]{12})\.(\d+)\.(\d+)\.(\d+)\.(\d+)\.part$")


@dataclass(frozen=True)
class VerifiedExport:
    """An export whose bytes matched its sidecar and trailer."""

    name: str
    content: bytes
    sha256: str


@dataclass(frozen=True)
class ScannedExport:
    """An export verified by one streaming pass (sidecar, trailer), never held whole.

    ``size``/``mtime`` tell a later read that the bytes are still the verified ones.
    """

    name: str
    sha256: str
    size: int
    mtime: int
    scan: ExportScan


@dataclass(frozen=True)
class PartialReturn:
    """The return file of an export being answered batch by batch, kept under a temporary name.

    Its name carries its state, changed only by an atomic rename after the bytes are written:
    the answered rows end at export offset ``position`` (next file line ``line``), the partial
    file's valid bytes are ``length`` (anything after is a half-written append: cut off) and
    it holds ``rows`` rows. ``sha12`` ties it to the export's content.
    """

    export: str
    sha12: str
    position: int
    line: int
    length: int
    rows: int

    @property
    def file_name(self) -> str:
        stem = self.export.removesuffix(".csv")
        numbers = f"{self.position}.{self.line}.{self.length}.{self.rows}"
        return f".{stem}.retour.{self.sha12}.{numbers}.part"


def safe_name(name: str) -> str:
    """``name`` if it is a plain, final file name; else :class:`UnsafeNameError`."""
    return shared_safe_name(name, SYSTEM)


class AllegroClient(SftpClient):
    """Reads exports from and writes return files to Allegro's SFTP folders.

    The session is a :class:`~adapters.sftp.pinned.PinnedSftp` (``self._sftp``): it connects
    on first use and again after a dropped connection and classifies what goes wrong; no
    retries here (the engine retries a :class:`TransientError`). Not thread-safe: one client
    per task, and Allegro allows one session at a time (its pool has one slot).
    """

    def __init__(self, config: AllegroConfig) -> None:
        super().__init__(config, SYSTEM)
        self.config = config

    # ------------------------------------------------------------------ export side
    def list_exports(self, prefix: str = "") -> list[str]:
        """Final export names (``*.csv``) starting with ``prefix``, sorted by name.

        Temporary names are skipped; a name breaking the safe-name rule is skipped with a
        warning (it must not stop the other files, and it is never used as a path).
        """
        with self._sftp.guard("list_exports"):
            names = self._sftp.session().listdir(self.config.export_dir)
        exports = []
        for name in names:
            if is_temp_name(name) or not name.endswith(".csv") or not name.startswith(prefix):
                continue
            try:
                safe_name(name)
            except UnsafeNameError:
                log.warning("allegro: onveilige bestandsnaam overgeslagen: %r", mask_text(name))
                continue
            exports.append(name)
        return sorted(exports)

    def read_export(self, name: str) -> bytes:
        """The verified bytes of export ``name`` (see :meth:`fetch_export`)."""
        return self.fetch_export(name).content

    def fetch_export(self, name: str) -> VerifiedExport:
        """Stream export ``name``, hashing while reading, and verify sidecar and trailer.

        Raises :class:`ExportNotReadyError` without a sidecar (still being published) and
        :class:`ExportIntegrityError` (``truncated`` / ``checksum_mismatch``) for a bad file.
        """
        name = safe_name(name)
        path = f"{self.config.export_dir}/{name}"
        with self._sftp.guard("read_export", name):
            sftp = self._sftp.session()
            sidecar = read_sidecar(sftp, path, name)
            digest = hashlib.sha256()
            content = bytearray()
            with sftp.open(path, "rb") as handle:
                handle.prefetch()
                while chunk := handle.read(CHUNK_SIZE):
                    digest.update(chunk)
                    content += chunk
        actual = digest.hexdigest()
        verify_export(name, sidecar, actual, lambda: check_trailer(bytes(content)))
        log.info("allegro: %s gelezen en geverifieerd (%d bytes)", name, len(content))
        return VerifiedExport(name, bytes(content), actual)

    def scan_export(self, name: str) -> ScannedExport:
        """Verify export ``name`` in one streaming pass: sidecar, SHA-256 and trailer.

        The streaming form of :meth:`fetch_export` (same errors), for exports too big to hold:
        memory stays bounded (the scan keeps 8 bytes per row, see :class:`ExportScan`).
        """
        name = safe_name(name)
        path = f"{self.config.export_dir}/{name}"
        scan = ExportScan()
        digest = hashlib.sha256()
        with self._sftp.guard("read_export", name):
            sftp = self._sftp.session()
            sidecar = read_sidecar(sftp, path, name)
            with sftp.open(path, "rb") as handle:
                attrs = handle.stat()
                for chunk in self._chunks(handle, 0, attrs.st_size or 0):
                    digest.update(chunk)
                    scan.feed(chunk)
        actual = digest.hexdigest()
        verify_export(name, sidecar, actual, scan.finish)
        if scan.size != (attrs.st_size or 0):
            raise TransientError(f"Allegro {name}: bestand veranderde tijdens lezen", system=SYSTEM)
        log.info("allegro: %s geverifieerd (%d bytes, %d regels)", name, scan.size, scan.newlines)
        return ScannedExport(name, actual, scan.size, int(attrs.st_mtime or 0), scan)

    def open_export(self, export: ScannedExport, start: int, end: int) -> Iterator[bytes]:
        """Bytes ``start..end`` of a scanned export, read ahead in bounded windows.

        Opens at once and raises :class:`ExportChangedError` when the file is no longer the
        one that was verified (size or modification time changed): the caller scans again.
        """
        path = f"{self.config.export_dir}/{safe_name(export.name)}"
        with self._sftp.guard("read_export", export.name):
            handle = self._sftp.session().open(path, "rb")
            attrs = handle.stat()
        if (attrs.st_size, int(attrs.st_mtime or 0)) != (export.size, export.mtime):
            handle.close()
            raise ExportChangedError(
                f"Allegro {export.name}: bestand veranderd na controle", system=SYSTEM
            )
        return self._guarded_chunks(handle, export.name, start, end)

    def _guarded_chunks(
        self, handle: paramiko.SFTPFile, name: str, start: int, end: int
    ) -> Iterator[bytes]:
        chunks = self._chunks(handle, start, end)
        try:
            while True:
                with self._sftp.guard("read_export", name):
                    chunk = next(chunks, None)
                if chunk is None:
                    return
                yield chunk
        finally:
            with contextlib.suppress(EOFError, OSError, paramiko.SSHException):
                handle.close()

    @staticmethod
    def _chunks(handle: paramiko.SFTPFile, start: int, end: int) -> Iterator[bytes]:
        """Pipelined reads of ``start..end``: at most :data:`READ_WINDOW` bytes requested ahead."""
        position = start
        while position < end:
            stop = min(end, position + READ_WINDOW)
            window = [
                (offset, min(CHUNK_SIZE, stop - offset))
                for offset in range(position, stop, CHUNK_SIZE)
            ]
            for block in handle.readv(window):
                if not block:
                    return
                position += len(block)
                yield block
            if position < stop:
                return  # shorter than it was: the caller's checks notice

    # ------------------------------------------------------------------ partial return files
    def find_partial_return(self, name: str) -> PartialReturn | None:
        """The partial return file of export ``name``, if a previous batch left one.

        More than one (not made by this code, but possible by hand) are all removed: the
        export is then answered again from its first row, which the ledger makes harmless.
        """
        name = safe_name(name)
        stem = name.removesuffix(".csv")
        folder = self.config.return_dir
        with self._sftp.guard("find_partial_return", name):
            found = []
            for entry in self._sftp.session().listdir(folder):
                match = _PARTIAL.match(entry)
                if match and match.group(1) == stem:
                    numbers = (int(match.group(i)) for i in range(3, 7))
                    found.append(PartialReturn(name, match.group(2), *numbers))
            if len(found) == 1:
                return found[0]
            for partial in found:
                self._sftp.session().remove(f"{folder}/{partial.file_name}")
        return None

    def remove_partial_return(self, partial: PartialReturn) -> None:
        guard = self._sftp.guard("remove_partial_return", partial.export)
        with guard, contextlib.suppress(FileNotFoundError):
            self._sftp.session().remove(f"{self.config.return_dir}/{partial.file_name}")

    def extend_return(
        self,
        partial: PartialReturn,
        rows: Sequence[tuple[str, str, str]],
        *,
        position: int,
        line: int,
        final: bool,
    ) -> PartialReturn | str:
        """Append one batch's rows to the partial return file of ``partial.export``.

        ``partial`` with ``length == 0`` means none exists yet. Crash-safe at every step: the
        bytes are written past the partial's recorded length (cut back first), and only the
        rename records them. With ``final`` the trailer follows and the file is renamed to its
        final name (returned); otherwise the new partial state is returned.
        """
        name = safe_name(partial.export)
        folder = self.config.return_dir
        data = render_return_rows(rows)
        count = partial.rows + len(rows)
        if final:
            data += render_return_trailer(count)
        final_name = f"{name.removesuffix('.csv')}.retour.csv"
        with self._sftp.guard("write_return", final_name):
            sftp = self._sftp.session()
            if partial.length == 0:
                data = render_return_header() + data
                source = f"{folder}/.{final_name}.part"
                with sftp.open(source, "wb") as handle:
                    handle.write(data)
            else:
                source = f"{folder}/{partial.file_name}"
                with sftp.open(source, "r+b") as handle:
                    handle.truncate(partial.length)
                    handle.seek(partial.length)
                    handle.write(data)
            if final:
                sftp.posix_rename(source, f"{folder}/{final_name}")
                log.info("allegro: retourbestand %s geschreven (%d regels)", final_name, count)
                return final_name
            length = (partial.length or 0) + len(data)
            state = PartialReturn(name, partial.sha12, position, line, length, count)
            sftp.posix_rename(source, f"{folder}/{state.file_name}")
        return state

    def has_return(self, name: str) -> bool:
        """True when Ketenbrug already answered export ``name`` (return file present,
        processed by Allegro, or the export archived): it must not be offered again."""
        name = safe_name(name)
        stem = name.removesuffix(".csv")
        candidates = (
            f"{self.config.return_dir}/{stem}.retour.csv",
            f"{self.config.return_dir}/verwerkt/{stem}.retour.csv",
            f"{self.config.export_dir}/archief/{name}",
        )
        with self._sftp.guard("has_return", name):
            sftp = self._sftp.session()
            for path in candidates:
                try:
                    sftp.stat(path)
                except FileNotFoundError:
                    continue
                return True
        return False

    # ------------------------------------------------------------------ export files (documents)
    def _export_path(self, relative: str) -> str:
        """``export_dir/<relative>`` where every part of ``relative`` is a safe name."""
        parts = relative.split("/")
        for part in parts:
            safe_name(part)
        return "/".join((self.config.export_dir, *parts))

    def list_export_dir(self, relative: str = "") -> list[str]:
        """Names in ``export_dir`` (or a safe sub-folder of it), sorted.

        Temporary names and names breaking the safe-name rule are left out: they are never
        used as a path.
        """
        path = self._export_path(relative) if relative else self.config.export_dir
        with self._sftp.guard("list_export_dir"):
            names = self._sftp.session().listdir(path)
        listed = []
        for name in names:
            try:
                listed.append(safe_name(name))
            except UnsafeNameError:
                continue  # temp names and crafted names alike
        return sorted(listed)

    def export_file_size(self, relative: str) -> int | None:
        """Size in bytes of the regular file ``export_dir/<relative>``; None when absent.

        Something else than a regular file there (a folder, a symbolic link, wherever it
        points) counts as absent: it cannot be a document.
        """
        path = self._export_path(relative)
        with self._sftp.guard("export_file_size", relative.rsplit("/", 1)[-1]):
            try:
                attrs = self._sftp.session().lstat(path)
            except FileNotFoundError:
                return None
        if attrs.st_mode is None or not stat.S_ISREG(attrs.st_mode):
            return None
        return attrs.st_size

    def export_path_exists(self, relative: str) -> bool:
        """True when ``export_dir/<relative>`` exists (file or folder)."""
        path = self._export_path(relative)
        with self._sftp.guard("export_path_exists", relative.rsplit("/", 1)[-1]):
            try:
                self._sftp.session().stat(path)
            except FileNotFoundError:
                return False
        return True

    def download_export_file(
        self, relative: str, sink: BinaryIO, *, max_bytes: int | None = None
    ) -> tuple[str, int]:
        """Stream ``export_dir/<relative>`` into ``sink``, hashing on the way: ``(sha256, size)``.

        Never whole in memory: at most :data:`READ_WINDOW` bytes are requested ahead. With
        ``max_bytes`` reading stops after ``max_bytes + 1`` bytes (enough to know the file is
        too big). A missing or unreadable file is a :class:`RemoteFileError`, a dropped line a
        :class:`TransientError`.
        """
        path = self._export_path(relative)
        digest = hashlib.sha256()
        size = 0
        file = relative.rsplit("/", 1)[-1]
        # the guard is entered first, so it also classifies what opening the file raises
        guard = self._sftp.guard("download_export_file", file)
        with guard, self._sftp.session().open(path, "rb") as handle:
            total = handle.stat().st_size or 0
            if max_bytes is not None:
                total = min(total, max_bytes + 1)
            # a file that got shorter while reading ends early: the checksum will tell
            for block in self._chunks(handle, 0, total):
                digest.update(block)
                sink.write(block)
                size += len(block)
        return digest.hexdigest(), size

    def move_exports(self, entries: Sequence[str], folder: str) -> None:
        """Move ``entries`` of ``export_dir`` into ``export_dir/<folder>/``, in the given order.

        The folder is made when missing. What is gone already is skipped, and a folder whose
        target exists (the same export delivered again) is merged into it, so running a move
        that was cut short again just finishes it.
        """
        export_dir = self.config.export_dir
        target = f"{export_dir}/{safe_name(folder)}"
        with self._sftp.guard("archive", entries[0] if entries else None):
            sftp = self._sftp.session()
            try:
                sftp.mkdir(target)
            except OSError:
                if not _is_dir(sftp, target):
                    raise
            for entry in entries:
                _move(sftp, f"{export_dir}/{safe_name(entry)}", f"{target}/{entry}")

    # ------------------------------------------------------------------ return side
    def write_return(self, name: str, rows: Sequence[tuple[str, str, str]]) -> str:
        """Write ``return/<stem>.retour.csv`` for export ``name`` (temp name, then posix rename).

        ``rows`` are ``(sleutel, resultaat, melding)``; meldingen are BSN-masked. Writing it
        again overwrites it with the same content: safe after a crash. Returns the file name.
        """
        name = safe_name(name)
        final = f"{name.removesuffix('.csv')}.retour.csv"
        data = render_return(rows)
        with self._sftp.guard("write_return", final):
            self._sftp.publish_bytes(self.config.return_dir, final, data)
        log.info("allegro: retourbestand %s geschreven (%d regels)", final, len(rows))
        return final


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

"""Allegro's SFTP folder as a small client on paramiko, host key pinned.

Why this shape: the engine decides about retries, so the client only *classifies* what went
wrong (``adapters/errors.py``): a dropped line is transient (and the next call reconnects), a
host key that does not match is a configuration error that must never be retried blindly, and a
file that is missing, unreadable or corrupt is a permanent fault about that one file. Files are
trusted only when their ``.sha256`` sidecar is there, matches the bytes as streamed, and the
``#EINDE;<n>`` trailer is complete.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import re
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import BinaryIO, Self

import paramiko

from adapters.allegro.config import AllegroConfig
from adapters.allegro.connect import SYSTEM, connect_pinned
from adapters.allegro.csv_format import TrailerError, check_trailer, render_return
from adapters.errors import ConfigError, KetenbrugError, PermanentError, TransientError
from adapters.sftp.pinned import RemoteFileError, UnsafeNameError, is_temp_name
from adapters.sftp.pinned import safe_name as shared_safe_name
from stuf.privacy import mask_text

__all__ = [
    "SYSTEM",
    "AllegroClient",
    "ExportIntegrityError",
    "ExportNotReadyError",
    "RemoteFileError",
    "UnsafeNameError",
    "VerifiedExport",
    "connect_pinned",
    "is_temp_name",
    "safe_name",
]

log = logging.getLogger(__name__)

CHUNK_SIZE = 32_768
#: Bytes requested ahead while streaming a document: pipelined, yet bounded in memory.
READ_WINDOW = 32 * CHUNK_SIZE
_SIDECAR = re.compile(r"^([0-9a-f]{64})  (\S+)\n?$")


class ExportNotReadyError(TransientError):
    """The sidecar is not there yet: Allegro is still publishing; look again next run."""


class ExportIntegrityError(PermanentError):
    """An export that must not be processed: ``reason`` is ``truncated`` or
    ``checksum_mismatch``; ``sha256`` is the digest of the bytes actually read."""

    def __init__(self, message: str, *, reason: str, file: str, sha256: str) -> None:
        super().__init__(message, system=SYSTEM, operation="read_export")
        self.reason = reason
        self.file = file
        self.sha256 = sha256


@dataclass(frozen=True)
class VerifiedExport:
    """An export whose bytes matched its sidecar and trailer."""

    name: str
    content: bytes
    sha256: str


def safe_name(name: str) -> str:
    """``name`` if it is a plain, final file name; else :class:`UnsafeNameError`."""
    return shared_safe_name(name, SYSTEM)


class AllegroClient:
    """Reads exports from and writes return files to Allegro's SFTP folders.

    Connects on first use and again after a dropped connection; no retries here (the engine
    retries a :class:`TransientError`). Not thread-safe: one client per task.
    """

    def __init__(self, config: AllegroConfig) -> None:
        self.config = config
        self._ssh: paramiko.SSHClient | None = None
        self._sftp: paramiko.SFTPClient | None = None

    # ------------------------------------------------------------------ session
    def _session(self) -> paramiko.SFTPClient:
        transport = self._ssh.get_transport() if self._ssh is not None else None
        if self._sftp is None or transport is None or not transport.is_active():
            self.close()
            self._ssh, self._sftp = connect_pinned(self.config)
        return self._sftp

    def close(self) -> None:
        """Close the session (if any); the next call opens a new one."""
        sftp, ssh, self._sftp, self._ssh = self._sftp, self._ssh, None, None
        for closable in (sftp, ssh):
            try:
                if closable is not None:
                    closable.close()
            except (EOFError, OSError, paramiko.SSHException):
                pass  # a connection already cut cannot be closed politely

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _guard(self, operation: str, file: str | None = None) -> Iterator[None]:
        """Translate paramiko/socket errors; a missing *folder* is config, a missing file not."""
        what = f"bestand {file}" if file else "map"
        try:
            yield
        except KetenbrugError:
            raise
        except (FileNotFoundError, PermissionError) as exc:
            text = "bestaat niet" if exc.errno == errno.ENOENT else "geen toegang"
            kind = RemoteFileError if file else ConfigError
            raise kind(f"Allegro {what}: {text}", system=SYSTEM, operation=operation) from exc
        except (EOFError, OSError, paramiko.SSHException, paramiko.SFTPError) as exc:
            self.close()  # reconnect lazily on the next call
            raise TransientError(
                f"Allegro-verbinding verbroken tijdens {operation}: {type(exc).__name__}",
                system=SYSTEM,
                operation=operation,
            ) from exc

    # ------------------------------------------------------------------ export side
    def list_exports(self, prefix: str = "") -> list[str]:
        """Final export names (``*.csv``) starting with ``prefix``, sorted by name.

        Temporary names are skipped; a name breaking the safe-name rule is skipped with a
        warning (it must not stop the other files, and it is never used as a path).
        """
        with self._guard("list_exports"):
            names = self._session().listdir(self.config.export_dir)
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
        with self._guard("read_export", name):
            sftp = self._session()
            try:
                with sftp.open(path + ".sha256", "rb") as handle:
                    sidecar = handle.read(4096)
            except FileNotFoundError:
                raise ExportNotReadyError(
                    f"Allegro {name}: nog geen .sha256, bestand niet klaar", system=SYSTEM
                ) from None
            digest = hashlib.sha256()
            content = bytearray()
            with sftp.open(path, "rb") as handle:
                handle.prefetch()
                while chunk := handle.read(CHUNK_SIZE):
                    digest.update(chunk)
                    content += chunk
        actual = digest.hexdigest()
        expected = _sidecar_digest(sidecar, name, actual)
        try:
            check_trailer(bytes(content))
        except TrailerError as exc:
            raise ExportIntegrityError(
                f"Allegro {name}: {exc}", reason="truncated", file=name, sha256=actual
            ) from exc
        if actual != expected:
            raise ExportIntegrityError(
                f"Allegro {name}: SHA-256 {actual[:12]}… wijkt af van sidecar {expected[:12]}…",
                reason="checksum_mismatch",
                file=name,
                sha256=actual,
            )
        log.info("allegro: %s gelezen en geverifieerd (%d bytes)", name, len(content))
        return VerifiedExport(name, bytes(content), actual)

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
        with self._guard("has_return", name):
            sftp = self._session()
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
        with self._guard("list_export_dir"):
            names = self._session().listdir(path)
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
        with self._guard("export_file_size", relative.rsplit("/", 1)[-1]):
            try:
                attrs = self._session().lstat(path)
            except FileNotFoundError:
                return None
        if attrs.st_mode is None or not stat.S_ISREG(attrs.st_mode):
            return None
        return attrs.st_size

    def export_path_exists(self, relative: str) -> bool:
        """True when ``export_dir/<relative>`` exists (file or folder)."""
        path = self._export_path(relative)
        with self._guard("export_path_exists", relative.rsplit("/", 1)[-1]):
            try:
                self._session().stat(path)
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
        with self._guard("download_export_file", file), self._session().open(path, "rb") as handle:
            total = handle.stat().st_size or 0
            if max_bytes is not None:
                total = min(total, max_bytes + 1)
            while size < total:
                end = min(total, size + READ_WINDOW)
                window = [
                    (offset, min(CHUNK_SIZE, end - offset))
                    for offset in range(size, end, CHUNK_SIZE)
                ]
                for block in handle.readv(window):
                    if not block:
                        break
                    digest.update(block)
                    sink.write(block)
                    size += len(block)
                if size < end:
                    break  # the file got shorter while reading: the checksum will tell
        return digest.hexdigest(), size

    # ------------------------------------------------------------------ return side
    def write_return(self, name: str, rows: Sequence[tuple[str, str, str]]) -> str:
        """Write ``return/<stem>.retour.csv`` for export ``name`` (temp name, then posix rename).

        ``rows`` are ``(sleutel, resultaat, melding)``; meldingen are BSN-masked. Writing it
        again overwrites it with the same content: safe after a crash. Returns the file name.
        """
        name = safe_name(name)
        final = f"{name.removesuffix('.csv')}.retour.csv"
        data = render_return(rows)
        folder = self.config.return_dir
        with self._guard("write_return", final):
            sftp = self._session()
            temp = f"{folder}/.{final}.part"
            with sftp.open(temp, "wb") as handle:
                handle.write(data)
            sftp.posix_rename(temp, f"{folder}/{final}")
        log.info("allegro: retourbestand %s geschreven (%d regels)", final, len(rows))
        return final


def _sidecar_digest(sidecar: bytes, name: str, actual: str) -> str:
    """The hex digest in a ``sha256sum`` line naming ``name``; a bad sidecar is a mismatch."""
    match = _SIDECAR.match(sidecar.decode("ascii", errors="replace"))
    if match is None or match.group(2) != name:
        raise ExportIntegrityError(
            f"Allegro {name}: sidecar .sha256 onleesbaar of voor een ander bestand",
            reason="checksum_mismatch",
            file=name,
            sha256=actual,
        )
    return match.group(1)

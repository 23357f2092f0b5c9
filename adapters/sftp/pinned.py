"""A pinned SFTP session that publishes files atomically and verifies SHA-256 while streaming.

Why a shared module: Allegro, Xtendis and MyLex all speak SFTP with the same rules
(``docs/file-layouts.md``): the host key is pinned, every file is written under a temporary
name and renamed, and the checksum is computed on the bytes as they go out, never by reading a
whole document into memory. It knows no system (the name is a parameter); each adapter's client
holds one :class:`PinnedSftp` (through :class:`SftpClient`) and adds its own protocol.

Errors are classified once: a dropped line is transient (the next call reconnects), a host key
or login that does not fit is a configuration error, a wrong checksum is permanent.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import re
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import BinaryIO, Self, TypeVar

import paramiko
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from adapters.errors import (
    ChecksumMismatchError,
    ConfigError,
    KetenbrugError,
    PermanentError,
    TransientError,
)
from adapters.failpoints import crash_point
from adapters.sftp.settings import (
    DEFAULT_TIMEOUT_S,
    SftpConfigError,
    SftpSettings,
    check_settings,
    pinned_host_keys,
    relative_dir,
)
from privacy.masking import mask_text

__all__ = [
    "CHUNK_SIZE",
    "DEFAULT_TIMEOUT_S",
    "Closing",
    "PinnedSftp",
    "RemoteFileError",
    "SftpClient",
    "SftpConfigError",
    "SftpSettings",
    "UnsafeNameError",
    "check_settings",
    "connect_pinned",
    "is_temp_name",
    "probe_folder",
    "relative_dir",
    "safe_name",
]

_T = TypeVar("_T")

CHUNK_SIZE = 256 * 1024  # read size from the source; paramiko splits writes into 32 KiB requests
TEMP_SUFFIXES = (".part", ".tmp", ".filepart")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class UnsafeNameError(PermanentError):
    """A name that could escape its folder: refused, never used as a path."""

    reason = "unsafe_name"


class RemoteFileError(PermanentError):
    """One remote file is missing or not readable/writable for us."""

    reason = "file_unavailable"


def _temp_path(folder: str, name: str) -> str:
    """A hidden temp name unique to this write (readers skip it: :func:`is_temp_name`)."""
    return f"{folder}/.{name}.{secrets.token_hex(4)}.part"


def is_temp_name(name: str) -> bool:
    """True for files still being written (dot files, ``.part``/``.tmp``/``.filepart``)."""
    return name.startswith(".") or name.endswith(TEMP_SUFFIXES)


def safe_name(name: str, system: str) -> str:
    """``name`` if it is a plain, final file name; else :class:`UnsafeNameError`."""
    if not isinstance(name, str) or not _SAFE_NAME.match(name) or ".." in name:
        shown = mask_text(str(name))[:80]
        raise UnsafeNameError(f"onveilige naam geweigerd: {shown!r}", system=system)
    if is_temp_name(name):
        raise UnsafeNameError(f"tijdelijke naam geweigerd: {name!r}", system=system)
    return name


def connect_pinned(
    settings: SftpSettings, system: str
) -> tuple[paramiko.SSHClient, paramiko.SFTPClient]:
    """SSH + SFTP with exactly the pinned host key (``RejectPolicy``; no system known_hosts)."""
    try:
        pkey = paramiko.PKey.from_path(settings.key_path)
    except (OSError, paramiko.SSHException, ValueError) as exc:
        raise ConfigError(
            f"{system} private key onbruikbaar: {type(exc).__name__}", system=system
        ) from exc
    ssh = paramiko.SSHClient()
    ssh.set_missing_host_key_policy(paramiko.RejectPolicy())
    for hostname, keys in pinned_host_keys(settings).items():
        for key_type, key in keys.items():
            ssh.get_host_keys().add(hostname, key_type, key)
    where = f"{settings.host}:{settings.port}"
    timeout = settings.timeout_s
    try:
        ssh.connect(
            settings.host,
            port=settings.port,
            username=settings.username,
            pkey=pkey,
            look_for_keys=False,
            allow_agent=False,
            timeout=timeout,
            banner_timeout=timeout,
            auth_timeout=timeout,
            channel_timeout=timeout,
        )
        sftp = ssh.open_sftp()
    except paramiko.BadHostKeyException as exc:
        ssh.close()
        raise ConfigError(
            f"{system} {where}: host key wijkt af van de vastgepinde", system=system
        ) from exc
    except paramiko.AuthenticationException as exc:
        ssh.close()
        raise ConfigError(f"{system} {where}: inloggen geweigerd", system=system) from exc
    except paramiko.SSHException as exc:
        ssh.close()
        if "known_hosts" in str(exc):  # RejectPolicy: the server's key type/name is not pinned
            raise ConfigError(f"{system} {where}: host key niet vastgepind", system=system) from exc
        raise TransientError(f"{system} {where}: SSH-fout {exc}", system=system) from exc
    except (EOFError, OSError) as exc:
        ssh.close()
        raise TransientError(
            f"{system} {where} niet bereikbaar: {type(exc).__name__}", system=system
        ) from exc
    channel = sftp.get_channel()
    if channel is not None:
        channel.settimeout(timeout)
    return ssh, sftp


class Closing:
    """``with`` support for anything that has a ``close()``: it is closed on leaving the block."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class PinnedSftp(Closing):
    """A lazily (re)connected pinned session plus atomic, checksummed uploads.

    Not thread-safe: one client per task. Writes are not retried here (the engine retries a
    :class:`TransientError` under its ledger); pure reads may be, through :meth:`read`.
    """

    #: Tries of one pure read (:meth:`read`, :meth:`read_listing`) before a dropped line fails
    #: the caller, and the waits between them: 0.2 s, doubling, at most 3 s.
    READ_ATTEMPTS = 5
    READ_WAIT_FIRST_S = 0.2
    READ_WAIT_MAX_S = 3.0

    def __init__(self, settings: SftpSettings, system: str) -> None:
        self.settings = settings
        self.system = system
        self._ssh: paramiko.SSHClient | None = None
        self._sftp: paramiko.SFTPClient | None = None

    def session(self) -> paramiko.SFTPClient:
        """The open session, reconnecting when the previous one was dropped."""
        transport = self._ssh.get_transport() if self._ssh is not None else None
        if self._sftp is None or transport is None or not transport.is_active():
            self.close()
            self._ssh, self._sftp = connect_pinned(self.settings, self.system)
        return self._sftp

    def close(self) -> None:
        """Close the session (if any); the next call opens a new one."""
        sftp, ssh, self._sftp, self._ssh = self._sftp, self._ssh, None, None
        for closable in (sftp, ssh):
            with contextlib.suppress(EOFError, OSError, paramiko.SSHException):
                if closable is not None:
                    closable.close()

    @contextmanager
    def guard(self, operation: str, file: str | None = None) -> Iterator[None]:
        """Translate paramiko/socket errors; a missing *folder* is config, a missing file not."""
        try:
            yield
        except KetenbrugError:
            raise
        except (FileNotFoundError, PermissionError) as exc:
            text = "bestaat niet" if exc.errno == errno.ENOENT else "geen toegang"
            what = f"bestand {file}" if file else "map"
            kind = RemoteFileError if file else ConfigError
            raise kind(
                f"{self.system} {what}: {text}", system=self.system, operation=operation
            ) from exc
        except (EOFError, OSError, paramiko.SSHException, paramiko.SFTPError) as exc:
            self.close()  # reconnect lazily on the next call
            raise TransientError(
                f"{self.system}-verbinding verbroken tijdens {operation}: {type(exc).__name__}",
                system=self.system,
                operation=operation,
            ) from exc

    def read(self, operation: str, fn: Callable[[], _T], file: str | None = None) -> _T:
        """``fn()`` inside :meth:`guard`, tried again on a fresh session when the line drops.

        Why: a nightly walk (the reconciliation lists and reads thousands of small files)
        must not fail on one dropped connection, while a missing file or a refused login still
        fails at once. Only for reads: ``fn`` must be safe to run twice.
        """
        for attempt in Retrying(
            retry=retry_if_exception_type(TransientError),
            stop=stop_after_attempt(self.READ_ATTEMPTS),
            wait=wait_exponential(multiplier=self.READ_WAIT_FIRST_S, max=self.READ_WAIT_MAX_S),
            reraise=True,
        ):
            with attempt, self.guard(operation, file):
                return fn()
        raise AssertionError("unreachable: tenacity reraises the last error")

    def read_listing(self, operation: str, listing: Callable[[], Iterator[_T]]) -> Iterator[_T]:
        """``listing()``'s items, listed again from the start when the line drops mid-way.

        Why: a folder of a million receipts is streamed, not held, so a dropped line cannot
        resume where it was; it starts over on a fresh session, as :meth:`read` does. Items
        before the drop then come twice: the consumer must count each one once.
        """
        for attempt in range(1, self.READ_ATTEMPTS + 1):
            try:
                with self.guard(operation):
                    yield from listing()
                return
            except TransientError:
                if attempt == self.READ_ATTEMPTS:
                    raise
                time.sleep(min(self.READ_WAIT_FIRST_S * 2 ** (attempt - 1), self.READ_WAIT_MAX_S))

    def exists(self, path: str) -> bool:
        """True when ``path`` exists (call inside :meth:`guard`)."""
        try:
            self.session().stat(path)
        except FileNotFoundError:
            return False
        return True

    def read_small(self, path: str, limit: int = 1 << 20) -> bytes | None:
        """A small file's bytes (receipts, metadata), None when it is not there."""
        try:
            with self.session().open(path, "rb") as handle:
                data = handle.read(limit + 1)
        except FileNotFoundError:
            return None
        if len(data) > limit:
            raise RemoteFileError(
                f"{self.system} bestand {path.rsplit('/', 1)[-1]} groter dan {limit} bytes",
                system=self.system,
            )
        return bytes(data)

    def publish_bytes(self, folder: str, name: str, data: bytes) -> None:
        """Write a small file under a temp name and rename it (call inside :meth:`guard`)."""
        sftp = self.session()
        temp = _temp_path(folder, name)
        with sftp.open(temp, "wb") as handle:
            handle.write(data)
        sftp.posix_rename(temp, f"{folder}/{name}")

    def upload_stream(
        self,
        folder: str,
        name: str,
        content: BinaryIO,
        expected_sha256: str | None,
        *,
        operation: str,
        rename: bool = True,
    ) -> tuple[str, int, str]:
        """Stream ``content`` to ``folder/.<name>.<token>.part``, hashing on the way.

        The temp name is new for every attempt: a session cut mid-upload may still have writes
        queued in the server's sftp process, and those must never land in the next attempt's
        file (which, once renamed, is the published document).

        On a mismatch with ``expected_sha256`` the temp file is removed and
        :class:`ChecksumMismatchError` raised, so nothing appears under ``name``. With
        ``rename`` the temp file is renamed to ``name``; otherwise the caller renames it
        (via :meth:`commit`) once it wrote what must come first. Returns
        ``(sha256, size, temp_path)``. Call inside :meth:`guard`.
        """
        if expected_sha256 is not None and not _HEX64.match(expected_sha256):
            raise ChecksumMismatchError(
                f"{self.system} {name}: verwachte SHA-256 is geen hex-waarde",
                system=self.system,
                operation=operation,
                sha256="",
            )
        sftp = self.session()
        temp = _temp_path(folder, name)
        digest = hashlib.sha256()
        size = 0
        with sftp.open(temp, "wb") as handle:
            handle.set_pipelined(True)
            while chunk := content.read(CHUNK_SIZE):
                digest.update(chunk)
                handle.write(chunk)
                size += len(chunk)
                crash_point("mid_transfer")
        actual = digest.hexdigest()
        # paramiko's close() swallows a dead line, and pipelined writes are not acknowledged
        # one by one: what the server holds is checked, on this same session, before anything
        # is published (a later call would open a new session and could rename a short file).
        written = sftp.stat(temp).st_size
        if written != size:
            with contextlib.suppress(EOFError, OSError, paramiko.SSHException):
                sftp.remove(temp)
            raise TransientError(
                f"{self.system} {name}: {written} van {size} bytes aangekomen, niet gepubliceerd",
                system=self.system,
                operation=operation,
            )
        if expected_sha256 is not None and actual != expected_sha256:
            with contextlib.suppress(OSError):
                sftp.remove(temp)
            raise ChecksumMismatchError(
                f"{self.system} {name}: SHA-256 {actual[:12]}… wijkt af van de bron "
                f"{expected_sha256[:12]}…",
                system=self.system,
                operation=operation,
                sha256=actual,
            )
        if rename:
            sftp.posix_rename(temp, f"{folder}/{name}")  # the session that wrote it, or none
        return actual, size, temp

    def commit(self, temp: str, final: str) -> None:
        """Atomically publish ``temp`` under ``final`` (posix-rename overwrites)."""
        self.session().posix_rename(temp, final)

    def discard(self, temp: str) -> None:
        """Best effort: remove a temp file (a cut connection may leave it; readers skip it)."""
        with contextlib.suppress(EOFError, OSError, paramiko.SSHException):
            if self._sftp is not None:
                self._sftp.remove(temp)


class SftpClient(Closing):
    """Base of an adapter's client: it holds one :class:`PinnedSftp` as ``_sftp``.

    Composition: the client offers its system's protocol (exports, drops, an archive) and
    leaves the session, its reconnects and the error classification to the one session class.
    Not thread-safe: one client per task.
    """

    def __init__(self, settings: SftpSettings, system: str) -> None:
        self._sftp = PinnedSftp(settings, system)

    def close(self) -> None:
        """Close the session (if any); the next call reconnects."""
        self._sftp.close()


def probe_folder(settings: SftpSettings, system: str, folder: str) -> None:
    """List ``folder`` once: the pinned host key, the login and the folder checked in one call.

    The connection test of every SFTP adapter (``AdapterRegistration.probe``); it raises what a
    task would raise (``ConfigError`` for a key, login or folder that does not fit).
    """
    with PinnedSftp(settings, system) as sftp, sftp.guard("verbindingstest"):
        sftp.session().listdir(folder)

"""Whether an Allegro export may be read: its ``.sha256`` sidecar and its ``#EINDE`` trailer.

Why on its own: the verdict is the one rule that decides if a file from Allegro is trusted, and
the client reaches it two ways (a whole read for document indexes, a streaming scan for zaken
exports). One sidecar read and one verdict (trailer first, then SHA-256) serve both.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import paramiko

from adapters.allegro.config import SYSTEM
from adapters.allegro.csv_format import TrailerError
from adapters.errors import PermanentError, TransientError

__all__ = [
    "ExportChangedError",
    "ExportIntegrityError",
    "ExportNotReadyError",
    "read_sidecar",
    "verify_export",
]

_SIDECAR = re.compile(r"^([0-9a-f]{64})  (\S+)\n?$")


class ExportNotReadyError(TransientError):
    """The sidecar is not there yet: Allegro is still publishing; look again next run."""


class ExportChangedError(TransientError):
    """The export changed after it was verified: verify it again before reading on."""


class ExportIntegrityError(PermanentError):
    """An export that must not be processed: ``reason`` is ``truncated`` or
    ``checksum_mismatch``; ``sha256`` is the digest of the bytes actually read."""

    def __init__(self, message: str, *, reason: str, file: str, sha256: str) -> None:
        super().__init__(message, system=SYSTEM, operation="read_export")
        self.reason = reason
        self.file = file
        self.sha256 = sha256


def read_sidecar(sftp: paramiko.SFTPClient, path: str, name: str) -> bytes:
    """The export's ``.sha256`` sidecar; without it the export is still being published."""
    try:
        with sftp.open(path + ".sha256", "rb") as handle:
            return bytes(handle.read(4096))
    except FileNotFoundError:
        raise ExportNotReadyError(
            f"Allegro {name}: nog geen .sha256, bestand niet klaar", system=SYSTEM
        ) from None


def verify_export(
    name: str, sidecar: bytes, actual: str, check_trailer_of: Callable[[], object]
) -> None:
    """One verdict for a read export, whole or streamed: its trailer, then its SHA-256."""
    expected = _sidecar_digest(sidecar, name, actual)
    try:
        check_trailer_of()
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

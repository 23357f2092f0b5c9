"""Reading an archived file's bytes back out of MyLex to prove they are still what MDTO records.

Why: the nightly reconciliation compares *metadata* (the checksum MyLex recorded), so bit rot
or a bad storage migration goes unseen until someone opens the document. The nightly byte check
(:mod:`sync.bestandscontrole`) re-reads a sample with this function: streamed in chunks, hashed
on the way, nothing kept, so memory stays flat whatever the file size.
"""

from __future__ import annotations

import hashlib
import posixpath
from dataclasses import dataclass

from adapters.errors import InvalidMessageError
from adapters.mylex.client import SYSTEM, MyLexClient

__all__ = ["Gelezen", "lees_digest", "veilige_locatie"]

_CHUNK = 1 << 20
_AHEAD = 64


@dataclass(frozen=True)
class Gelezen:
    """What the bytes at a locatie hash to now."""

    sha256: str
    size: int


def veilige_locatie(client: MyLexClient, locatie: str) -> str:
    """``locatie`` itself when it lies under the archive folder; else InvalidMessageError.

    ``locatie`` comes from MyLex' own listing, yet a stored path is data: it must never lead
    the reader outside ``<root>/archief`` (no ``..``, no absolute path, no empty parts).
    """
    parts = locatie.split("/")
    inside = (
        locatie.startswith(f"{client.archief}/")
        and not any(part in ("", ".", "..") for part in parts)
        and posixpath.normpath(locatie) == locatie
        and "\x00" not in locatie
    )
    if not inside:
        raise InvalidMessageError("MyLex-locatie ligt buiten het archief", system=SYSTEM)
    return locatie


def lees_digest(client: MyLexClient, locatie: str) -> Gelezen | None:
    """SHA-256 and size of the file at ``locatie`` (streamed); None when it is not there.

    A file gone between listing and reading is not damaged: the reconciliation reports it as
    missing. A dropped line reads the file again from its first byte; one that stays down
    raises :class:`~adapters.errors.TransientError`.
    """
    path = veilige_locatie(client, locatie)

    def read() -> Gelezen | None:  # from the first byte again after a dropped line
        digest = hashlib.sha256()
        size = 0
        try:
            handle = client._sftp.session().open(path, "rb")
        except FileNotFoundError:
            return None
        with handle:
            # Bounded read-ahead: at most _AHEAD requests of 32 KiB in flight (flat memory).
            handle.prefetch(max_concurrent_requests=_AHEAD)
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
        return Gelezen(digest.hexdigest(), size)

    return client._sftp.read("lees_digest", read, posixpath.basename(path))

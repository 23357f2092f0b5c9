"""Local file helpers shared by the file-based simulators.

Why: every system here publishes files the way careful real systems do, under a temporary name
and then an atomic ``rename`` in the same folder, so a reader polling over SFTP never sees half a
file under its final name. And every name that comes *from outside* (a hot-folder drop) is
checked before it becomes part of a path.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "TEMP_SUFFIXES",
    "UnsafeNameError",
    "atomic_write",
    "is_temp_name",
    "safe_name",
    "sha256_file",
    "sha256_line",
]

#: Suffixes (and the dot prefix) marking a file that is still being written: readers skip them.
TEMP_SUFFIXES = (".part", ".tmp", ".filepart")
_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")


class UnsafeNameError(ValueError):
    """A file name from outside that could escape its folder or is otherwise not acceptable."""


def safe_name(name: str) -> str:
    """Return ``name`` if it is a plain file name (no path, no ``..``, no leading dot)."""
    if not _SAFE.match(name) or ".." in name:
        raise UnsafeNameError(f"unsafe file name: {name!r}")
    return name


def is_temp_name(name: str) -> bool:
    """True for in-progress uploads: dot files and the usual temp suffixes."""
    return name.startswith(".") or name.endswith(TEMP_SUFFIXES)


def atomic_write(
    path: Path,
    chunks: Iterable[bytes],
    *,
    temp_suffix: str = ".part",
    chunk_delay: float = 0.0,
    truncate_at: int | None = None,
) -> int:
    """Write ``chunks`` to ``.<name><temp_suffix>`` next to ``path``, fsync, rename to ``path``.

    ``chunk_delay`` slows the write (so tests can watch the temp file exist);
    ``truncate_at`` stops after that many bytes, a *truncated* file as a faulty source would
    publish it. Returns the number of bytes written.
    """
    temp = path.with_name(f".{path.name}{temp_suffix}")
    written = 0
    with open(temp, "wb") as handle:
        for chunk in chunks:
            if truncate_at is not None and written + len(chunk) > truncate_at:
                chunk = chunk[: truncate_at - written]
            handle.write(chunk)
            written += len(chunk)
            if chunk_delay:
                handle.flush()
                time.sleep(chunk_delay)
            if truncate_at is not None and written >= truncate_at:
                break
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)
    return written


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk_size):
            digest.update(block)
    return digest.hexdigest()


def sha256_line(hexdigest: str, name: str) -> bytes:
    """A ``sha256sum``-compatible sidecar line: ``<hex>  <name>\\n``."""
    return f"{hexdigest}  {name}\n".encode("ascii")

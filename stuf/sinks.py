"""What the streaming parser reads from and writes to (:mod:`stuf.stream`)."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

__all__ = ["HashingWritable", "Readable", "Writable"]


class Readable(Protocol):
    """What is read from: a file, a socket's ``makefile``, ``requests``' ``response.raw``."""

    def read(self, size: int = -1, /) -> bytes: ...


class Writable(Protocol):
    """Where the decoded document goes: a file, a hash, ..."""

    def write(self, data: bytes, /) -> Any: ...


@runtime_checkable
class HashingWritable(Protocol):
    """A fresh sink that keeps the SHA-256 of all written to it in ``hash`` (a blob writer).

    Its hash is the document's: hundreds of MB are hashed once, not by the sink and again by
    the parser.
    """

    hash: Any

    def write(self, data: bytes, /) -> Any: ...

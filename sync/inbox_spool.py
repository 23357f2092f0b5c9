"""A request body spooled to disk that a worker thread reads while the request still writes it.

Why: a pushed document of hundreds of MB used to be decoded only after its last byte arrived
(spool, then parse), so the sender waited for both one after the other. Now the inbox starts
decoding once a push is big, reading the spool as it grows: receiving and decoding overlap.

The spool stays the one copy of the body: the reader can go back to its start (a refusal
keeps the whole message as a dead letter), and the writer never waits for the reader. The
writer (the request's event loop) calls :meth:`GrowingSpool.grew` after each chunk it wrote,
then :meth:`~GrowingSpool.finish` with the body's SHA-256, or :meth:`~GrowingSpool.abort` when
the body will not be complete (sender gone, too big). A reader waiting for bytes that will
never come raises :class:`BodyIncompleteError`, so nothing half-received is ever stored: the
body's digest, which every stored row needs, is only known once the last byte arrived.
"""

from __future__ import annotations

import io
import os
import threading

__all__ = ["BodyIncompleteError", "GrowingSpool"]

#: Read size of the buffered reader over the spool (the parser reads 64 KiB at a time).
BUFFER_SIZE = 256 * 1024


class BodyIncompleteError(Exception):
    """The body will not be complete: the sender went away, or it grew past the limit."""


class GrowingSpool(io.RawIOBase):
    """Raw reader over a spool file (``fd``) that another thread appends to.

    Use :meth:`reader` for the buffered file object the inbox reads; ``read(n)`` on it blocks
    until ``n`` bytes are there or the body is complete, as on an ordinary file.
    """

    def __init__(self, fd: int, size: int) -> None:
        super().__init__()
        # Our own descriptor of the (unlinked) spool file: the request may close its copy
        # while this reader is still inside a read, and a closed number can be reused.
        self._fd = os.dup(fd)
        self._size = size
        self._pos = 0
        self._digest: str | None = None
        self._failure: BaseException | None = None
        self._changed = threading.Condition()

    # ------------------------------------------------------------------ writer side
    def grew(self, size: int) -> None:
        """The spool file now holds ``size`` bytes (written and flushed to the file)."""
        with self._changed:
            self._size = size
            self._changed.notify_all()

    def finish(self, sha256: str) -> None:
        """The body is complete; ``sha256`` is its digest."""
        with self._changed:
            self._digest = sha256
            self._changed.notify_all()

    def abort(self, reason: BaseException) -> None:
        """The body will never be complete: waiting readers raise :class:`BodyIncompleteError`."""
        with self._changed:
            self._failure = reason
            self._changed.notify_all()

    # ------------------------------------------------------------------ reader side
    def reader(self) -> io.BufferedReader:
        return io.BufferedReader(self, buffer_size=BUFFER_SIZE)

    def sha256(self) -> str:
        """The body's SHA-256, waiting for its last byte."""
        with self._changed:
            self._changed.wait_for(lambda: self._digest is not None or self._failure is not None)
            self._raise_failure()
            assert self._digest is not None
            return self._digest

    def close(self) -> None:
        if not self.closed:
            os.close(self._fd)
        super().close()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            self._pos = offset
        elif whence == io.SEEK_CUR:
            self._pos += offset
        else:  # SEEK_END: where the end is, is known only when the body is complete
            self.sha256()
            self._pos = self._size + offset
        return self._pos

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        wanted = len(buffer)
        if wanted == 0:
            return 0
        with self._changed:
            self._changed.wait_for(self._can_read)
            self._raise_failure()
            available = max(0, self._size - self._pos)
        if available == 0:
            return 0  # the body is complete and all of it was read
        data = os.pread(self._fd, min(wanted, available), self._pos)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def _can_read(self) -> bool:
        return self._size > self._pos or self._digest is not None or self._failure is not None

    def _raise_failure(self) -> None:
        if self._failure is not None and self._digest is None:
            raise BodyIncompleteError("bericht niet volledig ontvangen") from self._failure

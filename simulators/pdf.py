"""Real, minimal PDF files of a chosen size, produced as a stream of chunks.

Why: documents flow through Ketenbrug streamed and checksummed (SHA-256 at source, checked at
target), and Xtendis/MyLex/e-Suite all expect ``application/pdf``. A test document must therefore
be a valid PDF (one page of text a viewer can open), of a realistic size (tens of kB to many MB),
deterministic (same seed, same bytes, same checksum) and never need to be whole in memory.

Layout: catalog, pages, one page, its text stream, a Helvetica font, and one unreferenced binary
filler stream (like an embedded scan) that brings the file to the requested size; then a correct
cross-reference table, so strict readers accept it.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator, Sequence

__all__ = ["pdf_bytes", "pdf_chunks", "pdf_sha256"]

_HEADER = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
_MIN_FILLER = 0


def _escape(text: str) -> bytes:
    """Encode a line for a PDF string literal in WinAnsiEncoding."""
    out = bytearray()
    for byte in text.encode("cp1252", errors="replace"):
        if byte in (0x28, 0x29, 0x5C):  # ( ) \
            out += b"\\" + bytes([byte])
        elif byte < 0x20 or byte > 0x7E:
            out += b"\\%03o" % byte
        else:
            out.append(byte)
    return bytes(out)


def _content_stream(title: str, lines: Sequence[str]) -> bytes:
    parts = [b"BT", b"/F1 16 Tf", b"56 780 Td", b"(" + _escape(title) + b") Tj", b"/F1 11 Tf"]
    for line in lines:
        parts += [b"0 -18 Td", b"(" + _escape(line) + b") Tj"]
    parts.append(b"ET")
    return b"\n".join(parts)


def _layout(title: str, lines: Sequence[str], filler: int) -> tuple[bytes, bytes]:
    """Return (everything before the filler bytes, everything after) for a given filler size."""
    content = _content_stream(title, lines)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    head = bytearray(_HEADER)
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(head))
        head += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    offsets.append(len(head))
    # fixed-width numbers (leading zeros are valid PDF integers): the head and tail do not grow
    # with the filler, so every size from the bare page up is reachable exactly
    head += b"6 0 obj\n<< /Length %010d >>\nstream\n" % filler
    tail_start = len(head) + filler
    tail = bytearray(b"\nendstream\nendobj\n")
    xref_at = tail_start + len(tail)
    tail += b"xref\n0 7\n0000000000 65535 f \n"
    for offset in offsets:
        tail += b"%010d 00000 n \n" % offset
    tail += b"trailer\n<< /Size 7 /Root 1 0 R >>\nstartxref\n%010d\n%%%%EOF\n" % xref_at
    return bytes(head), bytes(tail)


def _filler_size(title: str, lines: Sequence[str], size: int) -> int:
    head, tail = _layout(title, lines, 0)
    return max(_MIN_FILLER, size - len(head) - len(tail))


def pdf_chunks(
    title: str,
    lines: Sequence[str] = (),
    *,
    size: int = 0,
    seed: int = 0,
    chunk_size: int = 64 * 1024,
) -> Iterator[bytes]:
    """Yield a valid one-page PDF of about ``size`` bytes (at least the bare page) in chunks.

    The filler is seeded pseudo-random bytes, so it does not compress away and equal seeds give
    byte-identical files.
    """
    filler = _filler_size(title, lines, size)
    head, tail = _layout(title, lines, filler)
    yield head
    rng = random.Random(seed)
    remaining = filler
    while remaining > 0:
        step = min(chunk_size, remaining)
        yield rng.randbytes(step)
        remaining -= step
    yield tail


def pdf_bytes(title: str, lines: Sequence[str] = (), *, size: int = 0, seed: int = 0) -> bytes:
    """The whole PDF as bytes: for small documents and tests only."""
    return b"".join(pdf_chunks(title, lines, size=size, seed=seed))


def pdf_sha256(title: str, lines: Sequence[str] = (), *, size: int = 0, seed: int = 0) -> str:
    """SHA-256 (hex) of the PDF, computed while streaming."""
    digest = hashlib.sha256()
    for chunk in pdf_chunks(title, lines, size=size, seed=seed):
        digest.update(chunk)
    return digest.hexdigest()

"""Streaming voegZaakdocumentToe: a 50 MB document goes to disk without being held in memory."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from stuf import (
    NoValue,
    StufError,
    VoegZaakdocumentToe,
    ZdsVersion,
    build_message,
    stream_inhoud,
)
from tests.stuf.conftest import DOC, sg

REPO = Path(__file__).resolve().parents[2]
MARKER = base64.b64encode(b"LARKER")  # unique in the message


def write_big_message(path: Path, size: int, version: ZdsVersion) -> str:
    """Write an edcLk01 with ``size`` bytes of inhoud (base64 in 76-char lines); return sha256."""
    template = build_message(VoegZaakdocumentToe(sg(), replace(DOC, inhoud=b"LARKER")), version)
    head, tail = template.split(MARKER)
    digest = hashlib.sha256()
    block = os.urandom(3 * 1024 * 64)
    with path.open("wb") as out:
        out.write(head)
        written = 0
        while written < size:
            piece = block[: min(len(block), size - written)]
            digest.update(piece)
            out.write(base64.encodebytes(piece))
            written += len(piece)
        out.write(tail)
    return digest.hexdigest()


@pytest.mark.parametrize("version", list(ZdsVersion))
def test_stream_small_document_matches_parse(version: ZdsVersion) -> None:
    data = build_message(VoegZaakdocumentToe(sg(), DOC), version)
    sink = io.BytesIO()
    result = stream_inhoud(io.BytesIO(data), sink, chunk_size=7)
    assert sink.getvalue() == DOC.inhoud
    assert result.size == len(DOC.inhoud)  # type: ignore[arg-type]
    assert result.sha256 == hashlib.sha256(DOC.inhoud).hexdigest()  # type: ignore[arg-type]
    assert result.message.document == replace(DOC, inhoud=None)
    assert result.message.version is version


class _HashingSink:
    """A sink that hashes what it is given (as the blob store's writer does)."""

    def __init__(self) -> None:
        self.hash = hashlib.sha256()
        self.data = bytearray()

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        self.data += data
        return len(data)


def test_a_sink_that_hashes_is_trusted_for_the_sha256_and_not_hashed_twice() -> None:
    data = build_message(VoegZaakdocumentToe(sg(), DOC), ZdsVersion.V1_2)
    sink = _HashingSink()
    result = stream_inhoud(io.BytesIO(data), sink, chunk_size=7)
    assert bytes(sink.data) == DOC.inhoud
    assert result.sha256 == hashlib.sha256(DOC.inhoud).hexdigest()  # type: ignore[arg-type]
    assert result.sha256 == sink.hash.hexdigest(), "the sink's own hash, updated once per write"


def test_stream_nil_inhoud_is_accepted_with_warning() -> None:
    data = build_message(VoegZaakdocumentToe(sg(), replace(DOC, inhoud=b"LARKER")), ZdsVersion.V1_1)
    data = data.replace(b">" + MARKER + b"</ZKN:inhoud>", b' xsi:nil="true"/>')
    result = stream_inhoud(io.BytesIO(data), io.BytesIO())
    assert result.size == 0
    assert result.message.document.inhoud is NoValue.NIL
    assert any("nil" in w for w in result.message.warnings)


@pytest.mark.parametrize(
    "bad",
    [b"!!!!", b"QUJD\nRA"],  # not base64; truncated group
)
def test_stream_bad_base64_raises(bad: bytes) -> None:
    data = build_message(VoegZaakdocumentToe(sg(), replace(DOC, inhoud=b"LARKER")), ZdsVersion.V1_2)
    with pytest.raises(StufError) as info:
        stream_inhoud(io.BytesIO(data.replace(MARKER, bad)), io.BytesIO())
    assert info.value.plek.endswith("/inhoud")


def test_stream_refuses_other_messages() -> None:
    from stuf import GeefZaakdetails

    data = build_message(GeefZaakdetails(sg("Lv01"), "ZAAK-0001"), ZdsVersion.V1_2)
    with pytest.raises(StufError, match="voegZaakdocumentToe"):
        stream_inhoud(io.BytesIO(data), io.BytesIO())


CHILD = """
import json, resource, sys
import stuf
src, dst = sys.argv[1], sys.argv[2]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with open(src, "rb") as source, open(dst, "wb") as sink:
    result = stuf.stream_inhoud(source, sink)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"growth_kb": after - before, "sha256": result.sha256, "size": result.size}))
"""


@pytest.mark.slow
def test_stream_50mb_with_bounded_memory(tmp_path: Path) -> None:
    size = 50 * 1024 * 1024
    source = tmp_path / "big.xml"
    sha = write_big_message(source, size, ZdsVersion.V1_1)
    warmup = "import io, stuf; from stuf.build import build_message\n"  # load schemas/codec first
    result = subprocess.run(
        [sys.executable, "-c", warmup + CHILD, str(source), str(tmp_path / "out.bin")],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["size"] == size
    assert report["sha256"] == sha
    assert (tmp_path / "out.bin").stat().st_size == size
    assert report["growth_kb"] < 64 * 1024, report

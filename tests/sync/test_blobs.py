"""The blob store: content-addressed, published only when complete, equal content once."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from sync.blobs import BlobStore


def test_put_stream_names_the_blob_by_its_sha256(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path)
    data = b"x" * 3_000_000
    ref = blobs.put_stream(io.BytesIO(data))
    assert ref.sha256 == hashlib.sha256(data).hexdigest()
    assert ref.size == len(data)
    assert ref.path == tmp_path / ref.sha256[:2] / ref.sha256
    assert ref.path.read_bytes() == data


def test_same_content_twice_is_one_blob(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path)
    first, second = blobs.put_bytes(b"brief"), blobs.put_bytes(b"brief")
    assert first == second
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [first.path]


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path)
    with pytest.raises(RuntimeError), blobs.writer() as sink:
        sink.write(b"half a document")
        raise RuntimeError("connection lost")
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_path_for_refuses_anything_but_a_sha256(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        BlobStore(tmp_path).path_for("../../etc/passwd")

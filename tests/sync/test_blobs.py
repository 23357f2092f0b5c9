"""The blob store: content-addressed, published only when complete, equal content once."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest

import sync.blobs as blobs_module
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


def test_a_big_blob_is_flushed_to_disk_while_it_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(blobs_module, "FLUSH_EVERY", 1000)
    synced: list[int] = []
    real = os.fdatasync

    def spy(fd: int) -> None:
        synced.append(os.fstat(fd).st_size)  # what was on its way to disk at that moment
        real(fd)

    monkeypatch.setattr(blobs_module.os, "fdatasync", spy)
    store = BlobStore(tmp_path)
    content = bytes(range(256)) * 40  # 10,240 bytes in writes of 256
    with store.writer() as sink:
        for start in range(0, len(content), 256):
            sink.write(content[start : start + 256])
    assert sink.ref is not None and sink.ref.path.read_bytes() == content
    assert synced and max(synced) < len(content), "flushed before the last byte, in between"


def test_a_background_flush_that_fails_publishes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(blobs_module, "FLUSH_EVERY", 1000)

    def failing(_fd: int) -> None:
        raise OSError(5, "Input/output error")  # the final fsync would no longer see it

    monkeypatch.setattr(blobs_module.os, "fdatasync", failing)
    store = BlobStore(tmp_path)
    with pytest.raises(OSError, match="Input/output"), store.writer() as sink:
        sink.write(b"x" * 5000)
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == []

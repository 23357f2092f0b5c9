"""A blob whose size differs from what its record says is refused when it is opened, before a
single byte goes to a target (it cannot hash to the recorded SHA-256 either)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from adapters.document import DocumentContent
from adapters.errors import ChecksumMismatchError


def _content(path: Path, data: bytes, *, size: int) -> DocumentContent:
    path.write_bytes(data)
    sha256 = hashlib.sha256(data).hexdigest()
    return DocumentContent.from_data({"path": str(path), "sha256": sha256, "size": size}, "test")


def test_a_blob_of_the_recorded_size_opens(tmp_path: Path) -> None:
    content = _content(tmp_path / "blob", b"%PDF-1.4 inhoud", size=15)
    with content.open("test", "put") as handle:
        assert handle.read() == b"%PDF-1.4 inhoud"


@pytest.mark.parametrize("size", [14, 16, 0])
def test_a_blob_of_another_size_is_refused_before_it_is_read(tmp_path: Path, size: int) -> None:
    content = _content(tmp_path / "blob", b"%PDF-1.4 inhoud", size=size)
    with pytest.raises(ChecksumMismatchError, match="bytes"):
        content.open("test", "put")

"""A document's content is streamed to GWS4all, never whole in memory, and its SHA-256 checked
on the way (a blob that does not match is cut off: GWS4all stores nothing)."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from adapters.errors import ChecksumMismatchError
from adapters.gws4all.outbound_target import Gws4allTarget
from simulators.testing import Gws4allBackofficeHandle
from tests.adapters_gws4all.conftest import MB, Blob, doc_operation, new_zaak, write_big_blob


def test_a_20mb_document_is_streamed_with_a_small_peak(
    gws4all_backoffice: Gws4allBackofficeHandle, target: Gws4allTarget, tmp_path: Path
) -> None:
    """tracemalloc sees both ends (the simulator runs in this process and streams too)."""
    gws4all_backoffice.server.store.create_zaak(new_zaak())
    size = 20 * MB
    path = tmp_path / "groot.pdf"
    sha = write_big_blob(path, size)
    small_path = tmp_path / "klein.pdf"
    small_sha = write_big_blob(small_path, MB)
    target.apply(doc_operation("DOC-0", small_path, small_sha, MB))  # warm up: schema, session
    tracemalloc.start()
    try:
        target.apply(doc_operation("DOC-BIG", path, sha, size))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    stored = gws4all_backoffice.server.store.document("DOC-BIG")
    assert stored is not None and (stored.sha256, stored.size) == (sha, size)
    assert peak < 8 * MB, f"peak {peak / MB:.1f} MB"


def test_a_blob_that_does_not_match_its_sha256_is_not_delivered(
    gws4all_backoffice: Gws4allBackofficeHandle, target: Gws4allTarget, blob: Blob
) -> None:
    gws4all_backoffice.server.store.create_zaak(new_zaak())
    path, _ = blob(b"%PDF-1.4 echt")
    _, wrong = blob(b"%PDF-1.4 ander")
    with pytest.raises(ChecksumMismatchError, match="klopt niet met de sha256"):
        target.apply(doc_operation("DOC-1", path, wrong, len(b"%PDF-1.4 echt")))
    assert gws4all_backoffice.snapshot()["documenten"] == {}

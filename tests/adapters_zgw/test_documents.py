"""The ZGW target's document operations: streamed upload, link, new version, checksum."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from adapters.base import Operation
from adapters.document import UPDATE_ZAAKDOCUMENT, VOEG_ZAAKDOCUMENT_TOE
from adapters.errors import (
    AlreadyExistsError,
    ChecksumMismatchError,
    TargetRejectedError,
    ZaakOnbekendError,
)
from adapters.zgw.target import ZgwTarget
from simulators.zgw import ZgwServer
from tests.adapters_zgw.conftest import blob
from tests.adapters_zgw.test_zaken import ZAAK, creeer

DOC = "1900-2026-0000001-D01"


def document(content: dict[str, Any], name: str = VOEG_ZAAKDOCUMENT_TOE) -> Operation:
    fields = {
        "identificatie": DOC,
        "titel": "Beschikking levensonderhoud",
        "zaak_identificatie": ZAAK,
        "documenttype": "Beschikking",
        "bestandsnaam": "beschikking.pdf",
        "formaat": "application/pdf",
        "creatiedatum": "2026-03-02",
        "vertrouwelijkheid": "VERTROUWELIJK",
        "auteur": "GWS4all",
        "taal": "nl",
    }
    return Operation(
        "zgw", name, f"doc:{DOC}:{name}", DOC, {"document": fields, "content": content}
    )


def stored_bytes(zgw: ZgwServer, versie: int = -1) -> bytes:
    stored = zgw.store.document_by_identificatie(DOC)
    assert stored is not None
    return Path(stored.versions[versie]["_path"]).read_bytes()


def test_a_document_is_stored_and_linked_once(
    target: ZgwTarget, zgw: ZgwServer, tmp_path: Path
) -> None:
    target.apply(creeer())
    data = b"%PDF-1.4\n" + os.urandom(300_000)
    operation = document(blob(tmp_path, data))
    assert not target.is_applied(operation)
    target.apply(operation)
    assert target.is_applied(operation)
    with pytest.raises(AlreadyExistsError):
        target.apply(operation)
    assert stored_bytes(zgw) == data
    stored = zgw.store.document_by_identificatie(DOC)
    assert stored is not None
    latest = stored.latest
    assert latest["integriteit"]["waarde"] == hashlib.sha256(data).hexdigest()
    assert latest["taal"] == "nld" and latest["vertrouwelijkheidaanduiding"] == "vertrouwelijk"
    assert zgw.store.informatieobjecttypen[latest["informatieobjecttype"]]["omschrijving"] == (
        "Beschikking"
    )
    assert len(zgw.store.documenten) == 1 and len(zgw.store.zaakinformatieobjecten) == 1


def test_other_bytes_under_the_same_identificatie_are_refused(
    target: ZgwTarget, zgw: ZgwServer, tmp_path: Path
) -> None:
    target.apply(creeer())
    target.apply(document(blob(tmp_path, b"%PDF-1.4 eerste", "a.pdf")))
    with pytest.raises(TargetRejectedError, match="andere inhoud"):
        target.apply(document(blob(tmp_path, b"%PDF-1.4 tweede", "b.pdf")))
    assert stored_bytes(zgw) == b"%PDF-1.4 eerste"


def test_a_document_for_an_unknown_zaak_is_zaak_onbekend(
    target: ZgwTarget, zgw: ZgwServer, tmp_path: Path
) -> None:
    with pytest.raises(ZaakOnbekendError):
        target.apply(document(blob(tmp_path, b"%PDF-1.4")))
    assert zgw.store.documenten == {}


def test_a_new_version_is_locked_patched_and_unlocked(
    target: ZgwTarget, zgw: ZgwServer, tmp_path: Path
) -> None:
    target.apply(creeer())
    target.apply(document(blob(tmp_path, b"%PDF-1.4 versie 1", "v1.pdf")))
    update = document(blob(tmp_path, b"%PDF-1.4 versie 2", "v2.pdf"), UPDATE_ZAAKDOCUMENT)
    assert not target.is_applied(update)
    target.apply(update)
    assert target.is_applied(update)
    stored = zgw.store.document_by_identificatie(DOC)
    assert stored is not None and stored.lock is None
    assert [v["versie"] for v in stored.versions] == [1, 2]
    assert stored_bytes(zgw, 0) == b"%PDF-1.4 versie 1"
    assert stored_bytes(zgw, 1) == b"%PDF-1.4 versie 2"


def test_a_blob_that_does_not_match_its_sha256_is_not_stored(
    target: ZgwTarget, zgw: ZgwServer, tmp_path: Path
) -> None:
    target.apply(creeer())
    content = blob(tmp_path, b"%PDF-1.4 echte inhoud")
    Path(content["path"]).write_bytes(b"%PDF-1.4 andere inhou")  # same size, other bytes
    with pytest.raises(ChecksumMismatchError):
        target.apply(document(content))
    assert zgw.store.documenten == {}


def test_a_large_document_is_streamed_not_held(
    target: ZgwTarget, zgw: ZgwServer, tmp_path: Path
) -> None:
    target.apply(creeer())
    size = 20 * 1024 * 1024
    digest = hashlib.sha256()
    path = tmp_path / "groot.pdf"
    with path.open("wb") as handle:
        for _ in range(size // (1 << 20)):
            chunk = os.urandom(1 << 20)
            digest.update(chunk)
            handle.write(chunk)
    operation = document({"path": str(path), "sha256": digest.hexdigest(), "size": size})
    tracemalloc.start()
    try:
        target.apply(operation)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024, f"peak {peak} bytes for a {size}-byte document"
    stored = zgw.store.document_by_identificatie(DOC)
    assert stored is not None and stored.latest["bestandsomvang"] == size
    assert stored.latest["_sha256"] == digest.hexdigest()

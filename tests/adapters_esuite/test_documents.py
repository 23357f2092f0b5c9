"""Delivering documents to the e-Suite (streamed voegZaakdocumentToe) and reading them back."""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests

from adapters.errors import (
    AlreadyExistsError,
    AmbiguousWriteError,
    ChecksumMismatchError,
    InvalidMessageError,
    KetenbrugError,
    PermanentError,
    TargetRejectedError,
    TransientError,
    ZaakOnbekendError,
)
from adapters.esuite import document_delivery as documents_module
from adapters.esuite.archive import ArchiveListingEntry
from adapters.esuite.client import EsuiteClient
from adapters.esuite.document_errors import (
    BlobUnavailableError,
    DocumentOnbekendError,
    DocumentZonderInhoudError,
)
from adapters.esuite.document_target import EsuiteDocumentTarget
from adapters.esuite.document_upload import upload_from_data
from adapters.esuite.upload_body import StreamedBody, envelope_parts
from simulators.faults import FaultConfig
from simulators.testing import SimulatorHandle
from stuf import (
    Document,
    VoegZaakdocumentToe,
    ZdsVersion,
    build_message,
    new_stuurgegevens,
    parse_message,
    validate,
)
from tests.adapters_esuite.conftest import (
    ESUITE,
    KETENBRUG,
    make_config,
    operation,
)

Blob = Callable[[bytes], tuple[Path, str]]
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
DOC_ID = "0153ESUITED2000001"


def _message(identificatie: str = DOC_ID, **doc: Any) -> VoegZaakdocumentToe:
    upload = upload_from_data(operation(identificatie, Path("/blob"), "0" * 64, 0, **doc).data)
    sg = new_stuurgegevens("Lk01", KETENBRUG, ESUITE, entiteittype="EDC")
    return VoegZaakdocumentToe(sg, document=upload.document)


def _documents(esuite: SimulatorHandle) -> int:
    return int(esuite.state(summary=True)["counts"]["documenten"])


# --- the envelope ------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, 100_000, 3 * 64 * 1024 + 1])
def test_streamed_body_is_build_message_byte_for_byte(tmp_path: Path, size: int) -> None:
    content = bytes((i * 7) % 256 for i in range(size))
    (tmp_path / "blob").write_bytes(content)
    message = _message()
    head, tail = envelope_parts(message)
    with (tmp_path / "blob").open("rb") as handle:
        body = StreamedBody(head, handle, tail, size, hashlib.sha256(content).hexdigest())
        pieces = []
        while piece := body.read(7 if size < 10 else 16384):
            pieces.append(piece)
    streamed = b"".join(pieces)
    inline = build_message(
        replace(message, document=replace(message.document, inhoud=content)), ZdsVersion.V1_2
    )
    assert streamed == inline
    assert len(body) == len(streamed)
    assert validate(inline, ZdsVersion.V1_2) == []
    assert body.sha256 == hashlib.sha256(content).hexdigest()


def test_envelope_is_schema_valid_with_the_optional_fields_left_out() -> None:
    message = _message(formaat=None, taal=None, vertrouwelijkheid="BEPERKT OPENBAAR")
    head, tail = envelope_parts(message)
    assert validate(head + base64.b64encode(b"x") + tail, ZdsVersion.V1_2) == []
    assert b"<ZKN:vertrouwelijkAanduiding>BEPERKT OPENBAAR<" in head
    assert b'StUF:noValue="geenWaarde"' in head  # formaat is required: an explicit geenWaarde


def test_body_has_a_content_length_not_chunked(tmp_path: Path) -> None:
    (tmp_path / "blob").write_bytes(PDF)
    head, tail = envelope_parts(_message())
    with (tmp_path / "blob").open("rb") as handle:
        body = StreamedBody(head, handle, tail, len(PDF), hashlib.sha256(PDF).hexdigest())
        prepared = requests.Request("POST", "http://127.0.0.1:9/zds", data=body).prepare()
    assert prepared.headers["Content-Length"] == str(len(body))
    assert "Transfer-Encoding" not in prepared.headers


@pytest.mark.parametrize(
    ("change", "wording"),
    [
        ({"auteur": None}, "auteur"),
        ({"creatiedatum": None}, "creatiedatum"),
        ({"bestandsnaam": None}, "bestandsnaam"),
        ({"vertrouwelijkheid": "topgeheim"}, "vertrouwelijkheid"),
        ({"creatiedatum": "4 maart"}, "creatiedatum"),
        ({"titel": ""}, "titel"),
    ],
)
def test_incomplete_document_is_refused_before_sending(
    change: dict[str, Any], wording: str, target: EsuiteDocumentTarget, blob: Blob
) -> None:
    path, sha = blob(PDF)
    with pytest.raises(InvalidMessageError, match=wording) as info:
        target.apply(operation(DOC_ID, path, sha, len(PDF), **change))
    assert info.value.reason == "invalid_message"


def test_identificatie_too_short_for_the_schema_is_refused(
    target: EsuiteDocumentTarget, blob: Blob
) -> None:
    path, sha = blob(PDF)
    with pytest.raises(InvalidMessageError, match=r"niet ZDS 1\.2-geldig"):
        target.apply(operation(DOC_ID, path, sha, len(PDF), zaak_identificatie="Z1"))


# --- delivering --------------------------------------------------------------------------------


def test_document_delivered_once(
    esuite: SimulatorHandle, zaak: str, target: EsuiteDocumentTarget, blob: Blob
) -> None:
    path, sha = blob(PDF)
    op = operation(DOC_ID, path, sha, len(PDF))
    assert target.is_applied(op) is False
    target.apply(op)
    assert target.is_applied(op) is True
    stored = esuite.store.document(DOC_ID)
    assert stored is not None
    assert (stored.sha256, stored.size, stored.content) == (sha, len(PDF), PDF)
    assert stored.document.zaak_identificatie == zaak
    assert stored.document.vertrouwelijkheid == "VERTROUWELIJK"
    assert esuite.state(summary=True)["counts"]["calls"]["VoegZaakdocumentToe"] == 1


def test_sending_twice_is_already_exists_and_one_document(
    esuite: SimulatorHandle, zaak: str, target: EsuiteDocumentTarget, blob: Blob
) -> None:
    path, sha = blob(PDF)
    op = operation(DOC_ID, path, sha, len(PDF))
    target.apply(op)
    with pytest.raises(AlreadyExistsError, match="bestaat al"):
        target.apply(op)
    assert _documents(esuite) == 1
    assert esuite.state(summary=True)["counts"]["calls"]["VoegZaakdocumentToe"] == 2


def test_existing_document_with_other_content_is_rejected(
    esuite: SimulatorHandle, zaak: str, target: EsuiteDocumentTarget, blob: Blob
) -> None:
    other = upload_from_data(operation(DOC_ID, Path("/x"), "0" * 64, 0).data).document
    esuite.store.add_document(replace(other, inhoud=b"een andere versie"))
    path, sha = blob(PDF)
    op = operation(DOC_ID, path, sha, len(PDF))
    assert target.is_applied(op) is False
    with pytest.raises(TargetRejectedError, match="andere inhoud"):
        target.apply(op)
    assert _documents(esuite) == 1


def test_is_applied_downloads_when_the_archive_gives_no_checksum(
    esuite: SimulatorHandle,
    zaak: str,
    target: EsuiteDocumentTarget,
    blob: Blob,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, sha = blob(PDF)
    op = operation(DOC_ID, path, sha, len(PDF))
    target.apply(op)
    monkeypatch.setattr(
        target.archive, "document", lambda ident: ArchiveListingEntry(ident, None, len(PDF))
    )
    assert target.is_applied(op) is True
    assert esuite.state(summary=True)["counts"]["calls"]["GeefZaakdocumentLezen"] == 1
    other = operation(DOC_ID, path, hashlib.sha256(b"anders").hexdigest(), len(PDF))
    assert target.is_applied(other) is False


def test_unknown_zaak_is_permanent(target: EsuiteDocumentTarget, blob: Blob) -> None:
    path, sha = blob(PDF)
    with pytest.raises(ZaakOnbekendError):
        target.apply(operation(DOC_ID, path, sha, len(PDF)))


def test_checksum_mismatch_sends_nothing_complete_and_stores_nothing(
    esuite: SimulatorHandle,
    zaak: str,
    target: EsuiteDocumentTarget,
    blob: Blob,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, _ = blob(PDF)
    wrong = hashlib.sha256(b"what the flow hashed").hexdigest()
    reads: list[str] = []
    real = documents_module._blob_matches

    def counting(*args: Any) -> tuple[bool, str]:
        reads.append("local")
        return real(*args)

    monkeypatch.setattr(documents_module, "_blob_matches", counting)
    with pytest.raises(ChecksumMismatchError) as info:
        target.apply(operation(DOC_ID, path, wrong, len(PDF)))
    assert info.value.reason == "checksum_mismatch"
    assert info.value.sha256 == hashlib.sha256(PDF).hexdigest()
    assert isinstance(info.value, PermanentError)
    assert len(reads) == documents_module.CHECKSUM_RETRIES  # re-read 3 times after the first
    assert _documents(esuite) == 0
    # the one upload was cut off before its closing tags: the e-Suite could not even parse it
    assert "VoegZaakdocumentToe" not in esuite.state(summary=True)["counts"]["calls"]


def test_blob_with_other_size_is_not_sent_at_all(
    esuite: SimulatorHandle, zaak: str, target: EsuiteDocumentTarget, blob: Blob
) -> None:
    path, sha = blob(PDF)
    with pytest.raises(ChecksumMismatchError):
        target.apply(operation(DOC_ID, path, sha, len(PDF) + 1))
    assert esuite.fault_counts().get("calls", 0) == 0  # no request reached the e-Suite


def test_blob_that_settles_is_delivered_after_a_reread(
    esuite: SimulatorHandle,
    zaak: str,
    target: EsuiteDocumentTarget,
    blob: Blob,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The blob was still being written when first read; the re-read finds the right bytes."""
    path, sha = blob(PDF)
    path.write_bytes(PDF[:-3] + b"XXX")  # same size, other bytes

    def settle(_seconds: float) -> None:
        path.write_bytes(PDF)

    monkeypatch.setattr(documents_module.time, "sleep", settle)
    target.apply(operation(DOC_ID, path, sha, len(PDF)))
    stored = esuite.store.document(DOC_ID)
    assert stored is not None and stored.sha256 == sha and _documents(esuite) == 1


def test_missing_blob_is_file_unavailable(target: EsuiteDocumentTarget, tmp_path: Path) -> None:
    with pytest.raises(BlobUnavailableError) as info:
        target.apply(operation(DOC_ID, tmp_path / "weg.pdf", "0" * 64, 10))
    assert info.value.reason == "file_unavailable"


def test_unknown_operation_is_permanent(target: EsuiteDocumentTarget, blob: Blob) -> None:
    path, sha = blob(PDF)
    op = replace(operation(DOC_ID, path, sha, len(PDF)), name="verwijder_document")
    with pytest.raises(PermanentError, match="onbekende operatie"):
        target.apply(op)
    assert target.is_applied(op) is False


# --- faults while delivering -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variant", "kind", "error", "landed"),
    [
        ("http_503", "transient", TransientError, False),
        ("fo02", "transient", TransientError, False),
        ("reset", "transient", AmbiguousWriteError, False),
        ("lost_response", "transient", AmbiguousWriteError, True),
        ("timeout", "transient", AmbiguousWriteError, False),
        ("fo03", "permanent", TargetRejectedError, False),
        ("schema_invalid", "permanent", AmbiguousWriteError, True),
    ],
)
def test_faults_while_delivering_classify(
    esuite: SimulatorHandle,
    zaak: str,
    blob: Blob,
    variant: str,
    kind: str,
    error: type[KetenbrugError],
    landed: bool,
) -> None:
    config = make_config(esuite, timeout_s=0.5)
    target = EsuiteDocumentTarget(EsuiteClient(config), retry_delay_s=0)
    path, sha = blob(PDF)
    op = operation(DOC_ID, path, sha, len(PDF))
    rate = {f"{kind}_rate": 1.0, f"{kind}_variants": (variant,)}
    esuite.server.faults.configure(FaultConfig.from_dict({**rate, "hang_s": 1.0}))
    with pytest.raises(error) as info:
        target.apply(op)
    if error is TransientError:
        assert not isinstance(info.value, AmbiguousWriteError)
    esuite.server.faults.configure(FaultConfig())
    assert target.is_applied(op) is landed  # what the engine asks after an ambiguous write
    assert _documents(esuite) == int(landed)
    if not landed and error is not TargetRejectedError:
        target.apply(op)  # the retry delivers
        assert target.is_applied(op) is True


# --- reading -----------------------------------------------------------------------------------


def test_read_document_streams_the_same_bytes(
    esuite: SimulatorHandle, zaak: str, target: EsuiteDocumentTarget, blob: Blob
) -> None:
    path, sha = blob(PDF)
    target.apply(operation(DOC_ID, path, sha, len(PDF)))
    sink = io.BytesIO()
    document, read_sha, size = target.read_document(DOC_ID, sink)
    assert sink.getvalue() == PDF and read_sha == sha and size == len(PDF)
    assert isinstance(document, Document) and document.inhoud is None
    assert document.titel == "Beschikking levensonderhoud"
    assert document.creatiedatum == date(2025, 3, 4)


def test_list_documents(
    esuite: SimulatorHandle, zaak: str, target: EsuiteDocumentTarget, blob: Blob
) -> None:
    assert target.list_documents(zaak) == []
    for number in (1, 2):
        path, sha = blob(PDF + bytes([number]))
        target.apply(operation(f"0153ESUITED200000{number}", path, sha, len(PDF) + 1))
    infos = target.documents.list_documents(zaak)
    assert [i.identificatie for i in infos] == ["0153ESUITED2000001", "0153ESUITED2000002"]
    assert infos[0].titel == "Beschikking levensonderhoud"
    assert infos[0].creatiedatum == date(2025, 3, 4)
    assert infos[0].vertrouwelijkheid == "VERTROUWELIJK"


def test_list_documents_of_unknown_zaak_raises(target: EsuiteDocumentTarget) -> None:
    with pytest.raises(ZaakOnbekendError, match="niet gevonden"):
        target.documents.list_documents("0153ESUITE9999999")


def test_read_unknown_document(target: EsuiteDocumentTarget) -> None:
    with pytest.raises(DocumentOnbekendError, match="niet gevonden"):
        target.documents.read_document("0153ESUITED9999999", io.BytesIO())


def test_read_document_without_content(
    esuite: SimulatorHandle, zaak: str, target: EsuiteDocumentTarget
) -> None:
    document = upload_from_data(operation(DOC_ID, Path("/x"), "0" * 64, 0).data).document
    esuite.store.add_streamed_document(document, size=10, sha256="0" * 64, content=None)
    with pytest.raises(DocumentZonderInhoudError):
        target.documents.read_document(DOC_ID, io.BytesIO())


def test_a_failing_sink_is_not_taken_for_the_network(
    esuite: SimulatorHandle, zaak: str, target: EsuiteDocumentTarget, blob: Blob
) -> None:
    path, sha = blob(PDF)
    target.apply(operation(DOC_ID, path, sha, len(PDF)))

    class FullDisk:
        def write(self, data: bytes) -> int:
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        target.documents.read_document(DOC_ID, FullDisk())


@pytest.mark.parametrize(
    ("variant", "kind", "error"),
    [
        ("http_503", "transient", TransientError),
        ("fo02", "transient", TransientError),
        ("reset", "transient", TransientError),
        ("fo03", "permanent", TargetRejectedError),
        ("schema_invalid", "permanent", TransientError),
    ],
)
def test_faults_while_reading_classify(
    esuite: SimulatorHandle,
    zaak: str,
    target: EsuiteDocumentTarget,
    blob: Blob,
    variant: str,
    kind: str,
    error: type[KetenbrugError],
) -> None:
    path, sha = blob(PDF)
    target.apply(operation(DOC_ID, path, sha, len(PDF)))
    esuite.server.faults.configure(
        FaultConfig.from_dict({f"{kind}_rate": 1.0, f"{kind}_variants": (variant,)})
    )
    with pytest.raises(error) as info:
        target.documents.read_document(DOC_ID, io.BytesIO())
    assert not isinstance(info.value, AmbiguousWriteError)  # a read is never ambiguous


def test_answer_to_a_streamed_upload_is_a_plain_bevestiging(
    esuite: SimulatorHandle, zaak: str, target: EsuiteDocumentTarget, blob: Blob
) -> None:
    """The e-Suite side of the stream: its Bv03 parses and the stored document is complete."""
    path, sha = blob(PDF)
    head, tail = envelope_parts(_message())
    with path.open("rb") as handle:
        body = StreamedBody(head, handle, tail, len(PDF), sha)
        response = requests.post(
            f"{esuite.url}/zds",
            data=body,
            headers={"Content-Type": "text/xml; charset=utf-8"},
            timeout=5,
        )
    answer = parse_message(response.content)
    assert type(answer).__name__ == "Bevestiging"
    stored = esuite.store.document(DOC_ID)
    assert stored is not None and stored.content == PDF

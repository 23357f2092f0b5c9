"""A new version of a document in the e-Suite: updateZaakdocument, streamed (ZDS 1.2).

The adapter side (EsuiteDocumentTarget with operation ``update_zaakdocument``) and the simulator
side (it parses the update from the socket, stores the new size and SHA-256, and lists them in
its ZGW Documenten API).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import pytest
import requests

from adapters.base import Operation
from adapters.document import UPDATE_ZAAKDOCUMENT
from adapters.errors import (
    AmbiguousWriteError,
    ChecksumMismatchError,
    InvalidMessageError,
    KetenbrugError,
    PermanentError,
    TargetRejectedError,
    TransientError,
)
from adapters.esuite import document_delivery as documents_module
from adapters.esuite.archive import EsuiteArchive
from adapters.esuite.client import EsuiteClient
from adapters.esuite.document_errors import DocumentOnbekendError
from adapters.esuite.document_target import EsuiteDocumentTarget
from adapters.esuite.document_upload import upload_from_data
from adapters.esuite.upload_body import StreamedBody, envelope_parts
from simulators.faults import FaultConfig
from simulators.testing import SimulatorHandle
from stuf import (
    Bevestiging,
    Document,
    Fout,
    NoValue,
    UpdateZaakdocument,
    ZdsVersion,
    build_message,
    new_stuurgegevens,
    parse_message,
    validate,
)
from tests.adapters_esuite.conftest import (
    ESUITE,
    KETENBRUG,
    document_data,
    make_config,
    operation,
    write_big_blob,
)

Blob = Callable[[bytes], tuple[Path, str]]
V1 = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
V2 = b"%PDF-1.4\n" + bytes(range(255, -1, -1)) * 50 + b"\n% gecorrigeerd\n%%EOF\n"
DOC_ID = "0153ESUITED4000001"
REPO = Path(__file__).resolve().parents[2]
MB = 1 << 20


def update_operation(
    identificatie: str, path: Path, sha256: str, size: int, **doc: Any
) -> Operation:
    """The operation the flow builds for a new version of a document."""
    document = document_data(identificatie, titel="Beschikking (gecorrigeerd)")
    document.update(doc)
    return Operation(
        target_system="esuite",
        name=UPDATE_ZAAKDOCUMENT,
        ledger_key=f"doc:{identificatie}:{sha256[:12]}",
        target_key=identificatie,
        data={
            "document": {k: v for k, v in document.items() if v is not None},
            "content": {"path": str(path), "sha256": sha256, "size": size},
        },
    )


def _delivered(target: EsuiteDocumentTarget, blob: Blob, content: bytes = V1) -> Operation:
    path, sha = blob(content)
    op = operation(DOC_ID, path, sha, len(content))
    target.apply(op)
    return op


def _update_message(identificatie: str = DOC_ID, **doc: Any) -> UpdateZaakdocument:
    op = update_operation(identificatie, Path("/blob"), "0" * 64, 0, **doc)
    upload = upload_from_data(op.data, operation=UPDATE_ZAAKDOCUMENT)
    sg = new_stuurgegevens("Di02", KETENBRUG, ESUITE, functie="updateZaakdocument")
    return UpdateZaakdocument(
        sg, was=Document(identificatie, None, taal=None), wordt=upload.document
    )


def _calls(esuite: SimulatorHandle) -> dict[str, int]:
    return dict(esuite.state(summary=True)["counts"]["calls"])


# --- the envelope ------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, 100_000, 3 * 64 * 1024 + 1])
def test_streamed_update_is_build_message_byte_for_byte(tmp_path: Path, size: int) -> None:
    content = bytes((i * 11) % 256 for i in range(size))
    (tmp_path / "blob").write_bytes(content)
    message = _update_message()
    head, tail = envelope_parts(message)
    with (tmp_path / "blob").open("rb") as handle:
        body = StreamedBody(head, handle, tail, size, hashlib.sha256(content).hexdigest())
        pieces = []
        while piece := body.read(5 if size < 10 else 16384):
            pieces.append(piece)
    streamed = b"".join(pieces)
    inline = build_message(
        replace(message, wordt=replace(message.wordt, inhoud=content)), ZdsVersion.V1_2
    )
    assert streamed == inline
    assert len(body) == len(streamed)
    assert validate(inline, ZdsVersion.V1_2) == []


def test_the_was_object_is_the_identificatie_only() -> None:
    head, tail = envelope_parts(_update_message())
    parsed = parse_message(head + base64.b64encode(V2) + tail)
    assert isinstance(parsed, UpdateZaakdocument)
    assert parsed.was == Document(DOC_ID, None, taal=None)
    assert parsed.wordt.titel == "Beschikking (gecorrigeerd)"
    assert parsed.wordt.inhoud == V2
    assert parsed.checked_out_id is None
    assert b"<ZDS:updateZaakdocument_Di02>" in head
    assert b"<StUF:functie>updateZaakdocument</StUF:functie>" in head


def test_update_without_bestandsnaam_is_refused_by_the_schema(
    target: EsuiteDocumentTarget, blob: Blob
) -> None:
    path, sha = blob(V2)
    op = update_operation(DOC_ID, path, sha, len(V2), bestandsnaam=None)
    with pytest.raises(InvalidMessageError, match=r"niet ZDS 1\.2-geldig") as info:
        target.apply(op)
    assert "update_zaakdocument" in str(info.value)


def test_update_data_needs_only_the_identificatie() -> None:
    data = {
        "document": {"identificatie": DOC_ID, "bestandsnaam": "v2.pdf"},
        "content": {"path": "/blob", "sha256": "0" * 64, "size": 0},
    }
    upload = upload_from_data(data, operation=UPDATE_ZAAKDOCUMENT)
    assert upload.document.titel is None and upload.document.taal is None
    with pytest.raises(InvalidMessageError, match="titel"):
        upload_from_data(data)  # voegZaakdocumentToe needs more
    with pytest.raises(InvalidMessageError, match="identificatie"):
        upload_from_data({**data, "document": {}}, operation=UPDATE_ZAAKDOCUMENT)


# --- updating ------------------------------------------------------------------------------------


def test_update_after_voeg_changes_sha_and_size(
    esuite: SimulatorHandle,
    zaak: str,
    target: EsuiteDocumentTarget,
    archive: EsuiteArchive,
    blob: Blob,
) -> None:
    voeg = _delivered(target, blob, V1)
    path, sha = blob(V2)
    update = update_operation(DOC_ID, path, sha, len(V2))
    assert target.is_applied(update) is False
    target.apply(update)
    assert target.is_applied(update) is True
    assert target.is_applied(voeg) is False  # the e-Suite no longer holds the first version
    listed = archive.document(DOC_ID)  # the ZGW listing
    assert listed is not None and (listed.sha256, listed.size) == (sha, len(V2))
    stored = esuite.store.document(DOC_ID)
    assert stored is not None and stored.content == V2
    assert stored.document.titel == "Beschikking (gecorrigeerd)"
    assert stored.document.zaak_identificatie == zaak
    sink = io.BytesIO()
    target.read_document(DOC_ID, sink)
    assert sink.getvalue() == V2
    assert _calls(esuite).get("UpdateZaakdocument") == 1
    assert esuite.state(summary=True)["counts"]["documenten"] == 1


def test_fields_left_out_of_an_update_are_kept(
    esuite: SimulatorHandle, zaak: str, target: EsuiteDocumentTarget, blob: Blob
) -> None:
    _delivered(target, blob, V1)
    path, sha = blob(V2)
    op = Operation(
        target_system="esuite",
        name=UPDATE_ZAAKDOCUMENT,
        ledger_key="doc:v2",
        target_key=DOC_ID,
        data={
            "document": {"identificatie": DOC_ID, "bestandsnaam": "v2.pdf"},
            "content": {"path": str(path), "sha256": sha, "size": len(V2)},
        },
    )
    target.apply(op)
    stored = esuite.store.document(DOC_ID)
    assert stored is not None and (stored.sha256, stored.size) == (sha, len(V2))
    assert stored.document.titel == "Beschikking levensonderhoud"
    assert stored.document.bestandsnaam == "v2.pdf"
    assert stored.document.taal == "nld"


def test_update_of_an_unknown_document_is_rejected(
    esuite: SimulatorHandle, zaak: str, target: EsuiteDocumentTarget, blob: Blob
) -> None:
    path, sha = blob(V2)
    op = update_operation("0153ESUITED4999999", path, sha, len(V2))
    assert target.is_applied(op) is False
    with pytest.raises(TargetRejectedError, match="kent document 0153ESUITED4999999 niet") as info:
        target.apply(op)
    assert isinstance(info.value, DocumentOnbekendError)
    assert info.value.reason == "target_rejected"
    assert info.value.operation == "updateZaakdocument"
    assert esuite.state(summary=True)["counts"]["documenten"] == 0


def test_checksum_mismatch_keeps_the_old_content(
    esuite: SimulatorHandle,
    zaak: str,
    target: EsuiteDocumentTarget,
    archive: EsuiteArchive,
    blob: Blob,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    voeg = _delivered(target, blob, V1)
    path, _ = blob(V2)
    wrong = hashlib.sha256(b"what the flow hashed").hexdigest()
    reads: list[str] = []
    real = documents_module._blob_matches

    def counting(*args: Any) -> tuple[bool, str]:
        reads.append("local")
        return real(*args)

    monkeypatch.setattr(documents_module, "_blob_matches", counting)
    with pytest.raises(ChecksumMismatchError) as info:
        target.apply(update_operation(DOC_ID, path, wrong, len(V2)))
    assert info.value.reason == "checksum_mismatch"
    assert isinstance(info.value, PermanentError)
    assert info.value.sha256 == hashlib.sha256(V2).hexdigest()
    assert "niet bijgewerkt" in str(info.value)
    assert len(reads) == documents_module.CHECKSUM_RETRIES
    stored = esuite.store.document(DOC_ID)
    assert stored is not None and stored.content == V1
    assert stored.document.titel == "Beschikking levensonderhoud"
    assert target.is_applied(voeg) is True
    listed = archive.document(DOC_ID)
    assert listed is not None and listed.sha256 == hashlib.sha256(V1).hexdigest()
    # the one upload was cut off before its closing tags: the e-Suite could not even parse it
    assert "UpdateZaakdocument" not in _calls(esuite)


def test_blob_with_other_size_is_not_sent_at_all(
    esuite: SimulatorHandle, zaak: str, target: EsuiteDocumentTarget, blob: Blob
) -> None:
    _delivered(target, blob, V1)
    path, sha = blob(V2)
    with pytest.raises(ChecksumMismatchError):
        target.apply(update_operation(DOC_ID, path, sha, len(V2) + 1))
    assert "UpdateZaakdocument" not in _calls(esuite)


@pytest.mark.parametrize(
    ("variant", "kind", "error", "landed"),
    [
        ("fo02", "transient", TransientError, False),
        ("lost_response", "transient", AmbiguousWriteError, True),
        ("fo03", "permanent", TargetRejectedError, False),
    ],
)
def test_faults_while_updating_classify(
    esuite: SimulatorHandle,
    zaak: str,
    blob: Blob,
    variant: str,
    kind: str,
    error: type[KetenbrugError],
    landed: bool,
) -> None:
    target = EsuiteDocumentTarget(EsuiteClient(make_config(esuite, timeout_s=0.5)), retry_delay_s=0)
    _delivered(target, blob, V1)
    path, sha = blob(V2)
    op = update_operation(DOC_ID, path, sha, len(V2))
    rate = {f"{kind}_rate": 1.0, f"{kind}_variants": (variant,)}
    esuite.server.faults.configure(FaultConfig.from_dict({**rate, "hang_s": 1.0}))
    with pytest.raises(error) as info:
        target.apply(op)
    if error is TransientError:
        assert not isinstance(info.value, AmbiguousWriteError)
    esuite.server.faults.configure(FaultConfig())
    assert target.is_applied(op) is landed  # what the engine asks after an ambiguous write
    if not landed and error is not TargetRejectedError:
        target.apply(op)  # the retry updates
        assert target.is_applied(op) is True


def test_unknown_operation_is_still_permanent(target: EsuiteDocumentTarget, blob: Blob) -> None:
    path, sha = blob(V2)
    op = replace(update_operation(DOC_ID, path, sha, len(V2)), name="verwijder_document")
    with pytest.raises(PermanentError, match="onbekende operatie"):
        target.apply(op)
    assert target.is_applied(op) is False


# --- the simulator's side ------------------------------------------------------------------------


def _post(esuite: SimulatorHandle, body: bytes) -> Any:
    response = requests.post(
        f"{esuite.url}/zds",
        data=body,
        headers={"Content-Type": "text/xml; charset=utf-8"},
        timeout=30,
    )
    return parse_message(response.content)


def test_simulator_streams_an_update_over_the_dom_limit(
    esuite: SimulatorHandle, zaak: str, target: EsuiteDocumentTarget, blob: Blob
) -> None:
    """11 MB of content: over libxml2's 10 MB text node limit, which a DOM parse refuses."""
    _delivered(target, blob, V1)
    content = bytes(range(256)) * (11 * MB // 256)
    message = _update_message()
    data = build_message(
        replace(message, wordt=replace(message.wordt, inhoud=content)), ZdsVersion.V1_2
    )
    answer = _post(esuite, data)
    assert isinstance(answer, Bevestiging) and answer.berichtcode == "Bv02"
    stored = esuite.store.document(DOC_ID)
    assert stored is not None
    assert (stored.size, stored.sha256) == (len(content), hashlib.sha256(content).hexdigest())


def test_simulator_metadata_only_update_keeps_the_content(
    esuite: SimulatorHandle, zaak: str, target: EsuiteDocumentTarget, blob: Blob
) -> None:
    _delivered(target, blob, V1)
    for inhoud in (None, NoValue.WAARDE_ONBEKEND):
        message = _update_message(titel=f"Alleen de titel ({inhoud})")
        data = build_message(
            replace(message, wordt=replace(message.wordt, inhoud=inhoud)), ZdsVersion.V1_2
        )
        assert isinstance(_post(esuite, data), Bevestiging)
        stored = esuite.store.document(DOC_ID)
        assert stored is not None and stored.content == V1
        assert stored.sha256 == hashlib.sha256(V1).hexdigest()
        assert stored.document.titel == f"Alleen de titel ({inhoud})"


def test_simulator_ignores_the_content_of_the_was_object(
    esuite: SimulatorHandle, zaak: str, target: EsuiteDocumentTarget, blob: Blob
) -> None:
    _delivered(target, blob, V1)
    message = _update_message()
    message = replace(
        message,
        was=replace(message.was, bestandsnaam="v1.pdf", inhoud=V1),
        wordt=replace(message.wordt, inhoud=V2),
    )
    assert isinstance(_post(esuite, build_message(message, ZdsVersion.V1_2)), Bevestiging)
    stored = esuite.store.document(DOC_ID)
    assert stored is not None and stored.content == V2


def test_simulator_refuses_an_update_of_an_unknown_document(
    esuite: SimulatorHandle, zaak: str
) -> None:
    message = _update_message("0153ESUITED4999999")
    data = build_message(replace(message, wordt=replace(message.wordt, inhoud=V2)), ZdsVersion.V1_2)
    answer = _post(esuite, data)
    assert isinstance(answer, Fout) and answer.berichtcode == "Fo02"
    assert "onbekend" in answer.omschrijving


# --- 64 MB, flat client memory ------------------------------------------------------------------

CHILD = r"""
import json, sys
from adapters.base import Operation
from adapters.esuite.client import EsuiteClient
from adapters.esuite.config import EsuiteConfig
from adapters.esuite.document_target import EsuiteDocumentTarget
from stuf import Systeem

def rss_kb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(field)

def reset_peak():
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # the high-water mark (VmHWM) starts again from the current RSS

args = json.loads(sys.argv[1])
settings = args["config"]
settings["zender"] = Systeem(**settings["zender"])
settings["ontvanger"] = Systeem(**settings["ontvanger"])
target = EsuiteDocumentTarget(EsuiteClient(EsuiteConfig(**settings)), retry_delay_s=0)
small_voeg, small_update, big_update = (Operation(**op) for op in args["operations"])
# warm up: session, schema, codec, both envelopes, ZGW listing
target.apply(small_voeg)
target.apply(small_update)
target.is_applied(small_update)
applied_before = target.is_applied(big_update)

before = rss_kb("VmRSS")
reset_peak()
target.apply(big_update)
update_kb = rss_kb("VmHWM") - before
before_control = rss_kb("VmRSS")
reset_peak()
with open(args["big"], "rb") as whole:
    held = whole.read()  # the anti-pattern, to show the measurement would see it
control_kb = rss_kb("VmHWM") - before_control
del held
print(json.dumps({
    "update_kb": update_kb, "control_kb": control_kb,
    "applied_before": applied_before, "applied": target.is_applied(big_update),
}))
"""


@pytest.mark.slow
def test_64mb_update_with_flat_client_memory(
    esuite: SimulatorHandle, zaak: str, tmp_path: Path
) -> None:
    size = 64 * MB
    big_path = tmp_path / "big-v2.pdf"
    sha = write_big_blob(big_path, size)
    small_v1, small_v2 = tmp_path / "small-v1.pdf", tmp_path / "small-v2.pdf"
    small_v1_sha = write_big_blob(small_v1, 1000)
    small_v2_sha = write_big_blob(small_v2, 1500)
    big_id = "0153ESUITED4000002"
    first = upload_from_data(operation(big_id, Path("/x"), "0" * 64, 0).data).document
    esuite.store.add_document(replace(first, inhoud=b"%PDF-1.4 de eerste versie\n%%EOF\n"))
    operations = [
        operation("0153ESUITED4000001", small_v1, small_v1_sha, 1000),
        update_operation("0153ESUITED4000001", small_v2, small_v2_sha, 1500),
        update_operation(big_id, big_path, sha, size),
    ]
    args = {
        "config": asdict(make_config(esuite, timeout_s=60.0)),
        "operations": [asdict(op) for op in operations],
        "big": str(big_path),
    }
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(args, default=dict)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    stored = esuite.store.document(big_id)
    assert stored is not None and (stored.sha256, stored.size) == (sha, size)
    assert stored.document.titel == "Beschikking (gecorrigeerd)"
    assert (report["applied_before"], report["applied"]) == (False, True)  # via the ZGW listing
    # 64 MB of document, 85 MB of base64: the client holds a few chunks of either at a time
    assert report["update_kb"] < 16 * 1024, report
    assert report["control_kb"] > 60 * 1024, report  # holding the document would show

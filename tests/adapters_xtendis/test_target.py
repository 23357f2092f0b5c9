"""XtendisTarget against a real OpenSSH sshd and the simulator's import processor.

Also home of :func:`measure_apply`, the memory probe for a whole ``Target.apply`` (used by the
MyLex target tests too): the child process builds the target, connects, and then applies one
operation that streams a large blob.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import random
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any, BinaryIO

import pytest

from adapters.base import Operation, Target
from adapters.document import (
    DROP_DOCUMENT,
    ContentUnavailableError,
    DocumentContent,
    DocumentFields,
    UnsupportedFormatError,
    require_archivable,
)
from adapters.errors import (
    AmbiguousWriteError,
    InvalidMessageError,
    PermanentError,
    TransientError,
)
from adapters.xtendis import (
    ChecksumMismatchError,
    ReceiptTimeoutError,
    UnsafeNameError,
    XtendisClient,
    XtendisConfig,
    XtendisRejectedError,
)
from adapters.xtendis.index import XtendisIndex, build_index
from adapters.xtendis.target import XtendisTarget
from simulators.sftp import TcpProxy
from simulators.xtendis import XtendisHotFolder, drop_local
from stuf.xml import parse_xml
from tests.adapters_xtendis.rss import MB, generated_file

MakeConfig = Callable[..., XtendisConfig]
MakeTarget = Callable[..., XtendisTarget]
BSN = "123456782"  # synthetic, passes the elfproef
BAD_BSN = "123456789"  # fails the elfproef
KENMERK = "1900-2024-00000004-D01"
ZAAK = "1900-2024-00000004"
NS = {"x": "urn:ketenbrug:sim:xtendis-index:1"}


def _pdf(size: int, seed: int = 1) -> bytes:
    return b"%PDF-1.4\n" + random.Random(seed).randbytes(size)


def blob(folder: Path, data: bytes, name: str = "blob") -> dict[str, Any]:
    """Write ``data`` as a blob and return the ``content`` part of a document operation."""
    path = folder / f"{name}.bin"
    path.write_bytes(data)
    return {"path": str(path), "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def _op(
    content: dict[str, Any],
    *,
    drop_name: str = "D01-0a1b2c3d",
    identificatie: str = KENMERK,
    archief: str = "WERK_INKOMEN",
    **document: Any,
) -> Operation:
    fields = {
        "identificatie": identificatie,
        "titel": "Beschikking levensonderhoud",
        "zaak_identificatie": ZAAK,
        "documenttype": "Beschikking",
        "bestandsnaam": "brief-001.pdf",
        "formaat": "application/pdf",
        "creatiedatum": "2024-03-01",
        "vertrouwelijkheid": "VERTROUWELIJK",
        "auteur": None,
        "taal": "nl",
        **document,
    }
    return Operation(
        target_system="xtendis",
        name=DROP_DOCUMENT,
        ledger_key=f"gws4all:{identificatie}:xtendis",
        target_key=identificatie,
        data={"document": fields, "content": content, "archief": archief, "drop_name": drop_name},
    )


def _final_names(hotfolder: XtendisHotFolder) -> list[str]:
    return sorted(p.name for p in hotfolder.hotfolder.iterdir() if not p.name.startswith("."))


@pytest.fixture
def bsn_asked() -> list[str | None]:
    """The zaak identificaties ``dossier_bsn`` was called with."""
    return []


@pytest.fixture
def make_target(make_config: MakeConfig, bsn_asked: list[str | None]) -> Iterator[MakeTarget]:
    """``make_target(port=None, bsn=BSN, **kw)``: a target with fast receipt polling."""
    made: list[XtendisTarget] = []

    def build(port: int | None = None, bsn: str = BSN, **kw: Any) -> XtendisTarget:
        def dossier_bsn(zaak: str | None) -> str:
            bsn_asked.append(zaak)
            return bsn

        kw.setdefault("receipt_timeout_s", 10.0)
        kw.setdefault("poll_s", 0.02)
        target = XtendisTarget(make_config(port=port), dossier_bsn=dossier_bsn, **kw)
        made.append(target)
        return target

    yield build
    for target in made:
        target.close()


@pytest.fixture
def drops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names passed to ``XtendisClient.drop`` (every streaming attempt counts)."""
    calls: list[str] = []
    original = XtendisClient.drop

    def spy(self: XtendisClient, name: str, *args: Any, **kwargs: Any) -> str:
        calls.append(name)
        return original(self, name, *args, **kwargs)

    monkeypatch.setattr(XtendisClient, "drop", spy)
    return calls


def test_apply_delivers_with_an_ok_receipt_and_no_bsn_in_logs(
    make_target: MakeTarget,
    hotfolder: XtendisHotFolder,
    tmp_path: Path,
    bsn_asked: list[str | None],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    pdf = _pdf(200_000)
    operation = _op(blob(tmp_path, pdf))
    target = make_target()
    assert isinstance(target, Target)
    with hotfolder:
        assert not target.is_applied(operation)
        target.apply(operation)
        assert target.is_applied(operation)
    (stored,) = hotfolder.documents()
    assert (stored / "D01-0a1b2c3d.pdf").read_bytes() == pdf
    index = parse_xml((stored / "index.xml").read_bytes())
    assert index.findtext("x:archief", namespaces=NS) == "WERK_INKOMEN"
    assert index.findtext("x:dossier/x:bsn", namespaces=NS) == BSN
    assert index.findtext("x:document/x:kenmerk", namespaces=NS) == KENMERK
    assert index.findtext("x:document/x:zaaknummer", namespaces=NS) == ZAAK
    assert index.findtext("x:document/x:documentdatum", namespaces=NS) == "2024-03-01"
    assert bsn_asked == [ZAAK]
    assert BSN not in json.dumps(dict(operation.data)) and BSN not in caplog.text
    assert _final_names(hotfolder) == []


def test_apply_twice_stores_one_document_and_drops_once(
    make_target: MakeTarget,
    hotfolder: XtendisHotFolder,
    tmp_path: Path,
    drops: list[str],
    bsn_asked: list[str | None],
) -> None:
    operation = _op(blob(tmp_path, _pdf(50_000)))
    with hotfolder:
        make_target().apply(operation)
        make_target().apply(operation)  # a rerun with a fresh connection
        make_target().apply(operation)
    assert drops == ["D01-0a1b2c3d"]
    assert len(hotfolder.documents()) == 1 and len(hotfolder.results) == 1
    assert len(bsn_asked) == 1  # no BSN needed to see a delivery


def test_a_committed_drop_is_waited_for_never_dropped_again(
    make_target: MakeTarget, hotfolder: XtendisHotFolder, tmp_path: Path, drops: list[str]
) -> None:
    operation = _op(blob(tmp_path, _pdf(20_000)))
    target = make_target(receipt_timeout_s=0.15)
    with pytest.raises(ReceiptTimeoutError) as caught:
        target.apply(operation)  # Xtendis' importer is down
    assert isinstance(caught.value, AmbiguousWriteError)
    assert not target.is_applied(operation)  # pending, no receipt within the timeout
    with pytest.raises(ReceiptTimeoutError):
        target.apply(operation)  # still pending: waits again, does not re-drop
    assert drops == ["D01-0a1b2c3d"]
    with hotfolder:
        assert make_target().is_applied(operation)  # pending, then an OK receipt in time
        make_target().apply(operation)
    assert drops == ["D01-0a1b2c3d"]
    assert len(hotfolder.documents()) == 1


@pytest.mark.parametrize(
    ("archief", "bsn", "code"),
    [("WERK_INKOMEN", BAD_BSN, "BSN_INVALID"), ("ONBEKEND", BSN, "ARCHIEF_UNKNOWN")],
)
def test_an_error_receipt_is_a_dead_letter_without_a_bsn(
    make_target: MakeTarget,
    hotfolder: XtendisHotFolder,
    tmp_path: Path,
    drops: list[str],
    caplog: pytest.LogCaptureFixture,
    archief: str,
    bsn: str,
    code: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    operation = _op(blob(tmp_path, _pdf(10_000)), archief=archief)
    target = make_target(bsn=bsn)
    with hotfolder:
        with pytest.raises(XtendisRejectedError) as caught:
            target.apply(operation)
        assert not target.is_applied(operation)
        with pytest.raises(XtendisRejectedError):
            target.apply(operation)  # the receipt stands; no second drop
    error = caught.value
    assert isinstance(error, PermanentError) and error.reason == "xtendis_rejected"
    assert error.code == code
    for text in (str(error), repr(error), error.message, caplog.text):
        assert bsn not in text
    assert drops == ["D01-0a1b2c3d"]
    assert hotfolder.documents() == []


def test_a_blob_that_does_not_match_its_checksum_is_a_dead_letter_after_three_tries(
    make_target: MakeTarget, hotfolder: XtendisHotFolder, tmp_path: Path, drops: list[str]
) -> None:
    content = blob(tmp_path, _pdf(100_000))
    content["sha256"] = hashlib.sha256(b"other bytes").hexdigest()
    operation = _op(content)
    with hotfolder:
        with pytest.raises(ChecksumMismatchError) as caught:
            make_target().apply(operation)
        assert not make_target().is_applied(operation)
    assert caught.value.reason == "checksum_mismatch"
    assert isinstance(caught.value, PermanentError)
    assert drops == ["D01-0a1b2c3d"] * 3
    assert list(hotfolder.hotfolder.iterdir()) == []  # not even a temp file
    assert list(hotfolder.receipts.iterdir()) == [] and hotfolder.documents() == []


def test_a_blob_of_the_wrong_size_fails_before_a_byte_is_sent(
    make_target: MakeTarget, hotfolder: XtendisHotFolder, tmp_path: Path, drops: list[str]
) -> None:
    content = blob(tmp_path, _pdf(1_000))
    content["size"] += 1
    with pytest.raises(ChecksumMismatchError, match="bytes"):
        make_target().apply(_op(content))
    assert drops == [] and list(hotfolder.hotfolder.iterdir()) == []


def test_a_bad_read_heals_on_the_next_stream(
    make_target: MakeTarget,
    hotfolder: XtendisHotFolder,
    tmp_path: Path,
    drops: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pdf = _pdf(30_000)
    operation = _op(blob(tmp_path, pdf))
    original = DocumentContent.open
    opened: list[int] = []

    def flaky(self: DocumentContent, system: str = "", operation: str = "") -> BinaryIO:
        opened.append(1)
        if len(opened) == 1:
            return io.BytesIO(pdf[:-1] + b"!")  # one flipped byte on the first read
        return original(self, system, operation)

    monkeypatch.setattr(DocumentContent, "open", flaky)
    with hotfolder:
        make_target().apply(operation)
    assert drops == ["D01-0a1b2c3d"] * 2
    (stored,) = hotfolder.documents()
    assert (stored / "D01-0a1b2c3d.pdf").read_bytes() == pdf


def test_a_connection_cut_mid_transfer_is_transient_and_the_retry_delivers_once(
    make_target: MakeTarget, tcp_proxy: TcpProxy, hotfolder: XtendisHotFolder, tmp_path: Path
) -> None:
    operation = _op(blob(tmp_path, _pdf(3 * MB)))
    tcp_proxy.cut_direction = "up"
    tcp_proxy.cut_after_bytes = 600_000  # past the handshake, well before the end of the pdf
    target = make_target(port=tcp_proxy.port)
    with hotfolder:
        with pytest.raises(TransientError):
            target.apply(operation)
        assert tcp_proxy.stats.cut == 1
        assert _final_names(hotfolder) == []
        tcp_proxy.cut_after_bytes = None  # the line is back
        assert not target.is_applied(operation)  # the same target reconnects
        target.apply(operation)
        assert target.is_applied(operation)
    assert len(hotfolder.documents()) == 1 and len(hotfolder.results) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"drop_name": "../x"},
        {"drop_name": "/etc/passwd"},
        {"drop_name": "a b"},
        {"drop_name": ".x.part"},
        {"drop_name": ""},
        {"identificatie": "../x"},
        {"identificatie": "/abs"},
        {"identificatie": "D01;rm -rf"},
        {"identificatie": "D\u00e9"},
    ],
)
def test_unsafe_names_are_refused_before_anything_is_written(
    make_target: MakeTarget,
    hotfolder: XtendisHotFolder,
    tmp_path: Path,
    bsn_asked: list[str | None],
    change: dict[str, str],
) -> None:
    target = make_target()
    operation = _op(blob(tmp_path, _pdf(1_000)), **change)
    for call in (target.apply, target.is_applied):
        with pytest.raises(UnsafeNameError) as caught:
            call(operation)
        assert isinstance(caught.value, PermanentError) and caught.value.reason == "unsafe_name"
    assert len(target._clients) == 0  # not even a connection was made
    assert list(hotfolder.hotfolder.iterdir()) == [] and bsn_asked == []


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"documenttype": None}, InvalidMessageError),
        ({"creatiedatum": None}, InvalidMessageError),
        ({"creatiedatum": "01-03-2024"}, InvalidMessageError),
        ({"titel": "  "}, InvalidMessageError),
        ({"archief": ""}, InvalidMessageError),
    ],
)
def test_an_incomplete_operation_is_a_dead_letter_before_connecting(
    make_target: MakeTarget,
    tmp_path: Path,
    change: dict[str, Any],
    error: type[PermanentError],
) -> None:
    target = make_target()
    with pytest.raises(error) as caught:
        target.apply(_op(blob(tmp_path, _pdf(1_000)), **change))
    assert isinstance(caught.value, PermanentError)
    assert len(target._clients) == 0


def test_operation_contract_parsing(tmp_path: Path) -> None:
    content = blob(tmp_path, b"%PDF-1.4 abc")
    parsed = DocumentContent.from_data({**content, "sha256": content["sha256"].upper()})
    assert parsed.sha256 == content["sha256"]
    with parsed.open() as handle:
        assert handle.read() == b"%PDF-1.4 abc"
    fields = DocumentFields.from_data({"identificatie": "D1", "titel": "T", "taal": ""})
    assert fields.zaak_identificatie is None and fields.taal is None
    for bad in (
        {**content, "path": "relative/blob"},
        {**content, "sha256": "abc"},
        {**content, "size": -1},
        {**content, "size": True},
        None,
    ):
        with pytest.raises(InvalidMessageError):
            DocumentContent.from_data(bad)
    with pytest.raises(InvalidMessageError):
        DocumentFields.from_data({"identificatie": 5, "titel": "T"})
    with pytest.raises(ContentUnavailableError):
        DocumentContent(str(tmp_path / "weg.bin"), content["sha256"], 1).open()
    # The format comes from the bytes: whatever ``formaat`` says, a pdf is a pdf ...
    for formaat in (None, "application/pdf", "docx", "application/msword"):
        with parsed.open() as handle:
            found = require_archivable(handle, DocumentFields("D1", "T", formaat=formaat), "x")
            assert found.extension == "pdf" and handle.tell() == 0
    # ... and text is refused even when it claims to be a pdf (no BSN in the message).
    text = DocumentContent.from_data(blob(tmp_path, b"Beste meneer, BSN 123456782.\n", "txt"))
    for formaat in (None, "application/pdf"):
        with text.open() as handle, pytest.raises(UnsupportedFormatError) as caught:
            require_archivable(handle, DocumentFields("D-123456782", "T", formaat=formaat), "x")
        assert caught.value.reason == "unsupported_format"
        assert "niet herkend" in str(caught.value) and "123456782" not in str(caught.value)


def test_unidentifiable_content_is_a_dead_letter_and_nothing_is_dropped(
    make_target: MakeTarget, hotfolder: XtendisHotFolder, tmp_path: Path
) -> None:
    """The declared ``formaat`` is not trusted: text that says it is a pdf is refused."""
    operation = _op(blob(tmp_path, b"platte tekst, geen pdf\n" * 50), formaat="application/pdf")
    with hotfolder, pytest.raises(UnsupportedFormatError) as caught:
        make_target().apply(operation)
    assert caught.value.reason == "unsupported_format"
    assert _final_names(hotfolder) == [] and hotfolder.documents() == []


def test_a_png_is_dropped_as_png_whatever_its_declared_format(
    make_target: MakeTarget, hotfolder: XtendisHotFolder, tmp_path: Path
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + random.Random(3).randbytes(2_000)
    operation = _op(blob(tmp_path, png), formaat="application/pdf", bestandsnaam="foto.pdf")
    with hotfolder:
        make_target().apply(operation)
    (stored,) = hotfolder.documents()
    assert sorted(p.name for p in stored.iterdir()) == ["D01-0a1b2c3d.png", "index.xml", "sha256"]
    assert (stored / "D01-0a1b2c3d.png").read_bytes() == png
    result = hotfolder.results[-1]
    assert result.ok and not result.duplicate


def test_the_simulator_refuses_a_drop_of_a_format_it_does_not_import(
    hotfolder: XtendisHotFolder,
) -> None:
    index = build_index(
        XtendisIndex("WERK_INKOMEN", BSN, "K-1", "Brief", "2024-03-01", "Brief", zaaknummer=ZAAK)
    )
    drop_local(hotfolder.hotfolder, "tekst", b"platte tekst", index, extension="txt")
    drop_local(hotfolder.hotfolder, "brief", b"PK\x03\x04 (docx)", index, extension="docx")
    results = {r.name: r for r in hotfolder.process_once()}
    assert results["tekst"].reason_code == "FORMAT_UNSUPPORTED" and not results["tekst"].ok
    assert results["brief"].ok
    (stored,) = hotfolder.documents()
    assert (stored / "brief.docx").exists()


def test_a_default_documenttype_stands_in_for_a_missing_one(
    make_target: MakeTarget, hotfolder: XtendisHotFolder, tmp_path: Path
) -> None:
    operation = _op(blob(tmp_path, _pdf(1_000)), documenttype=None)
    with hotfolder:
        make_target(default_documenttype="Overig").apply(operation)
    (stored,) = hotfolder.documents()
    index = parse_xml((stored / "index.xml").read_bytes())
    assert index.findtext("x:document/x:documenttype", namespaces=NS) == "Overig"


def test_wrong_operation_name_is_permanent(make_target: MakeTarget, tmp_path: Path) -> None:
    operation = _op(blob(tmp_path, _pdf(1_000)))
    other = Operation("xtendis", "voeg_zaakdocument_toe", "k", KENMERK, operation.data)
    with pytest.raises(PermanentError, match="onbekende operatie"):
        make_target().apply(other)


def test_four_threads_share_one_target(
    make_target: MakeTarget, hotfolder: XtendisHotFolder, tmp_path: Path
) -> None:
    operations = [
        _op(
            blob(tmp_path, _pdf(20_000, seed=i), f"b{i}"),
            drop_name=f"D{i:02d}-x",
            identificatie=f"{ZAAK}-D{i:02d}",
        )
        for i in range(8)
    ]
    target = make_target()
    errors: list[BaseException] = []

    def work(chunk: list[Operation]) -> None:
        try:
            for operation in chunk:
                target.apply(operation)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    with hotfolder:
        threads = [threading.Thread(target=work, args=(operations[i::4],)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert errors == []
    assert 1 <= len(target._clients) <= 4
    assert len(hotfolder.documents()) == 8
    target.close()  # closes every client; a later call reconnects
    assert all(target.is_applied(operation) for operation in operations)


# ---------------------------------------------------------------------- memory
_CHILD = r"""
import json, sys
def rss_kb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(field)
args = json.loads(sys.argv[1])
from adapters.base import Operation
operation = Operation(**args["operation"])
if args["kind"] == "xtendis":
    from adapters.xtendis import XtendisConfig
    from adapters.xtendis.target import XtendisTarget
    target = XtendisTarget(
        XtendisConfig(**args["config"]), dossier_bsn=lambda zaak: args["bsn"],
        receipt_timeout_s=120, poll_s=0.05,
    )
    with target._clients.client() as client:
        client.pending("warmup")  # connect before the baseline
else:
    from adapters.mylex import MyLexConfig
    from adapters.mylex.mdto import mdto_errors
    from adapters.mylex.target import MyLexTarget
    target = MyLexTarget(MyLexConfig(**args["config"]))
    target.is_applied(operation)  # connect before the baseline
    mdto_errors(b"<MDTO xmlns='https://www.nationaalarchief.nl/mdto'/>")  # load the XSD
before = rss_kb("VmRSS")
with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")  # reset the high-water mark (VmHWM) to the current RSS
target.apply(operation)
after = rss_kb("VmHWM")
applied = target.is_applied(operation)
target.close()
print(json.dumps({"growth_kb": after - before, "applied": applied}))
"""


def measure_apply(kind: str, config: Any, operation: Operation, **extra: Any) -> dict[str, Any]:
    """Run ``target.apply(operation)`` in a child; ``{"growth_kb": ..., "applied": ...}``."""
    args = {
        "kind": kind,
        "config": asdict(config),
        "operation": {**asdict(operation), "data": dict(operation.data)},
        **extra,
    }
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(args, default=str)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.slow
def test_a_64_mb_document_moves_with_flat_memory(
    make_config: MakeConfig, hotfolder: XtendisHotFolder, tmp_path: Path
) -> None:
    source = generated_file(tmp_path / "groot.pdf", 64)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    content = {"path": str(source), "sha256": digest, "size": source.stat().st_size}
    operation = _op(content, drop_name="groot-001")
    with hotfolder:
        result = measure_apply("xtendis", make_config(), operation, bsn=BSN)
    assert result["applied"] is True
    assert result["growth_kb"] < 16 * 1024, result  # well under the 64 MB it moved
    (stored,) = hotfolder.documents()
    assert (stored / "groot-001.pdf").stat().st_size == source.stat().st_size

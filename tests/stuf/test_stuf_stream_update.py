"""stuf.stream.stream_document_lk01: voegZaakdocumentToe and updateZaakdocument, streamed.

The updateZaakdocument's *wordt* inhoud goes to the sink; the *was* inhoud is ignored (skipped,
never written).
"""

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
    Document,
    GeefZaakdetails,
    NoValue,
    StufError,
    UnsafeXmlError,
    UpdateZaakdocument,
    VoegZaakdocumentToe,
    ZaakdocumentAntwoord,
    ZdsVersion,
    build_message,
    parse_message,
)
from stuf import stream as stream_module
from stuf.stream import StreamedDocumentMessage, stream_document_lk01, stream_inhoud
from tests.stuf.conftest import DOC, sg

REPO = Path(__file__).resolve().parents[2]
NEW = b"%PDF-1.4 version 2, corrected\n%%EOF\n"
OLD = b"%PDF-1.4 version 1\n%%EOF\n"
WORDT_MARK = b"LARKER"  # base64 "TEFSS0VS": unique in the message
WAS_MARK = b"WASMRK"  # base64 "V0FTTVJL"
EMPTY_SHA = hashlib.sha256(b"").hexdigest()


def _update(
    wordt_inhoud: bytes | NoValue | None = NEW,
    was_inhoud: bytes | NoValue | None = None,
    version: ZdsVersion = ZdsVersion.V1_2,
) -> bytes:
    message = UpdateZaakdocument(
        sg("Di02"),
        was=Document(DOC.identificatie, None, taal=None, inhoud=was_inhoud),
        wordt=replace(DOC, titel="Besluit (gecorrigeerd)", inhoud=wordt_inhoud),
        checked_out_id="co-1",
    )
    return build_message(message, version)


def _voeg(inhoud: bytes | NoValue | None = NEW, version: ZdsVersion = ZdsVersion.V1_2) -> bytes:
    if isinstance(inhoud, bytes):
        return build_message(VoegZaakdocumentToe(sg(), replace(DOC, inhoud=inhoud)), version)
    # the builder refuses a voegZaakdocumentToe without inhoud (the schema requires one)
    data = _voeg(WORDT_MARK, version)
    start = data.index(b"<ZKN:inhoud ")
    end = data.index(b"</ZKN:inhoud>") + len(b"</ZKN:inhoud>")
    if inhoud is None:
        return data[:start] + data[end:]
    nil = b' xsi:nil="true"'
    if inhoud is not NoValue.NIL:
        nil += b' StUF:noValue="' + inhoud.value.encode() + b'"'
    return data[:start] + data[start : data.index(b">", start)] + nil + b"/>" + data[end:]


def _stream(data: bytes, chunk_size: int = 11) -> tuple[StreamedDocumentMessage, bytes]:
    sink = io.BytesIO()
    result = stream_document_lk01(io.BytesIO(data), sink, chunk_size=chunk_size)
    return result, sink.getvalue()


# --- both messages, both versions ----------------------------------------------------------------


@pytest.mark.parametrize("version", list(ZdsVersion))
def test_update_streams_the_wordt_content(version: ZdsVersion) -> None:
    data = _update(NEW, version=version)
    result, written = _stream(data)
    assert written == NEW
    assert (result.sha256, result.size) == (hashlib.sha256(NEW).hexdigest(), len(NEW))
    assert result.has_content is True
    assert result.function == "updateZaakdocument"
    message = result.message
    assert isinstance(message, UpdateZaakdocument)
    assert message.version is version
    assert message.checked_out_id == "co-1"
    assert result.document is message.wordt
    expected = parse_message(data)
    assert isinstance(expected, UpdateZaakdocument)
    assert message.wordt == replace(expected.wordt, inhoud=None)
    assert message.was == expected.was
    assert message.wordt.titel == "Besluit (gecorrigeerd)"
    assert message.wordt.bestandsnaam == DOC.bestandsnaam


@pytest.mark.parametrize("version", list(ZdsVersion))
def test_voeg_toe_streams_like_stream_inhoud(version: ZdsVersion) -> None:
    data = _voeg(NEW, version)
    result, written = _stream(data)
    old_sink = io.BytesIO()
    old = stream_inhoud(io.BytesIO(data), old_sink, chunk_size=11)
    assert written == NEW == old_sink.getvalue()
    assert (result.sha256, result.size) == (old.sha256, old.size)
    assert result.has_content is True
    assert result.function == "voegZaakdocumentToe"
    assert isinstance(result.message, VoegZaakdocumentToe)
    assert result.message == old.message
    assert result.document == replace(DOC, inhoud=None)
    assert result.message.version is version


# --- the was object ------------------------------------------------------------------------------


@pytest.mark.parametrize("version", list(ZdsVersion))
def test_the_was_inhoud_is_ignored_never_written(version: ZdsVersion) -> None:
    result, written = _stream(_update(NEW, was_inhoud=OLD * 100, version=version), chunk_size=7)
    assert written == NEW
    assert result.size == len(NEW)
    assert isinstance(result.message, UpdateZaakdocument)
    assert result.message.was.inhoud is None
    assert any("object[1]/inhoud" in w and "ignored" in w for w in result.message.warnings)


def test_the_was_inhoud_is_not_even_checked() -> None:
    data = _update(NEW, was_inhoud=WAS_MARK).replace(base64.b64encode(WAS_MARK), b"!!not base64")
    result, written = _stream(data)
    assert written == NEW and result.has_content


def test_the_was_inhoud_is_ignored_when_the_wordt_has_none() -> None:
    result, written = _stream(_update(None, was_inhoud=OLD))
    assert written == b""
    assert (result.size, result.sha256, result.has_content) == (0, EMPTY_SHA, False)


def test_a_nil_was_inhoud_stays_nil() -> None:
    result, _ = _stream(_update(NEW, was_inhoud=NoValue.GEEN_WAARDE))
    assert isinstance(result.message, UpdateZaakdocument)
    assert result.message.was.inhoud is NoValue.GEEN_WAARDE
    assert not any("ignored" in w for w in result.message.warnings)


def test_the_was_inhoud_does_not_count_as_other_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cap on text outside the streamed inhoud still holds, but not for the skipped was."""
    monkeypatch.setattr(stream_module, "MAX_OTHER_TEXT", 4000)
    result, written = _stream(_update(NEW, was_inhoud=os.urandom(30_000)))
    assert written == NEW and result.size == len(NEW)
    with pytest.raises(StufError, match="too much text outside inhoud"):
        _stream(_update(NEW).replace(b"Besluit (gecorrigeerd)", b"x" * 5000))


# --- no content: metadata-only update ------------------------------------------------------------


@pytest.mark.parametrize("version", list(ZdsVersion))
@pytest.mark.parametrize("kind", ["update", "voeg"])
@pytest.mark.parametrize("inhoud", [None, NoValue.NIL, NoValue.GEEN_WAARDE])
def test_absent_or_nil_inhoud_is_no_content(
    version: ZdsVersion, kind: str, inhoud: NoValue | None
) -> None:
    data = _update(inhoud, version=version) if kind == "update" else _voeg(inhoud, version)
    result, written = _stream(data)
    assert written == b""
    assert (result.size, result.sha256, result.has_content) == (0, EMPTY_SHA, False)
    assert result.document.inhoud is inhoud


@pytest.mark.parametrize("kind", ["update", "voeg"])
def test_an_empty_inhoud_is_content_of_zero_bytes(kind: str) -> None:
    result, written = _stream(_update(b"") if kind == "update" else _voeg(b""))
    assert written == b""
    assert (result.size, result.sha256, result.has_content) == (0, EMPTY_SHA, True)
    assert result.document.inhoud is None


def test_a_nil_inhoud_with_content_is_refused() -> None:
    data = _update(WORDT_MARK).replace(b"<ZKN:inhoud ", b'<ZKN:inhoud xsi:nil="true" ')
    with pytest.raises(StufError, match="nil") as info:
        _stream(data)
    assert info.value.plek == "/updateZaakdocument_Di02/edcLk02/object[2]/inhoud"


# --- refused -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["update", "voeg"])
@pytest.mark.parametrize("bad", [b"!!!!", b"QUJD\nRA"])  # not base64; truncated group
def test_bad_base64_is_refused_with_its_plek(kind: str, bad: bytes) -> None:
    data = _update(WORDT_MARK) if kind == "update" else _voeg(WORDT_MARK)
    with pytest.raises(StufError, match="base64") as info:
        _stream(data.replace(base64.b64encode(WORDT_MARK), bad))
    expected = (
        "/updateZaakdocument_Di02/edcLk02/object[2]/inhoud"
        if kind == "update"
        else "/voegZaakdocumentToe_EdcLk01/object/inhoud"
    )
    assert info.value.plek == expected


def test_a_second_inhoud_in_the_document_is_refused() -> None:
    data = _update(WORDT_MARK)
    start = data.index(b"<ZKN:inhoud ", data.index(b"Besluit (gecorrigeerd)"))
    end = data.index(b"</ZKN:inhoud>", start) + len(b"</ZKN:inhoud>")
    doubled = data[:end] + data[start:end] + data[end:]
    with pytest.raises(StufError, match="more than one inhoud for the document"):
        _stream(doubled)


@pytest.mark.parametrize(
    "message",
    [
        GeefZaakdetails(sg("Lv01"), "ZAAK-0001"),
        ZaakdocumentAntwoord(sg("La01"), document=DOC),
    ],
)
def test_other_messages_are_refused(message: GeefZaakdetails | ZaakdocumentAntwoord) -> None:
    data = build_message(message, ZdsVersion.V1_2)
    with pytest.raises(StufError, match="voegZaakdocumentToe or updateZaakdocument") as info:
        _stream(data)
    assert info.value.code == "StUF040"


def test_stream_inhoud_still_takes_only_voeg_zaakdocument_toe() -> None:
    with pytest.raises(StufError, match="expected voegZaakdocumentToe, got UpdateZaakdocument"):
        stream_inhoud(io.BytesIO(_update(NEW)), io.BytesIO())


def test_a_doctype_is_refused_before_anything_is_written() -> None:
    data = _update(NEW)
    body = data[data.index(b"?>") + 2 :]
    evil = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]>' + body
    sink = io.BytesIO()
    with pytest.raises(UnsafeXmlError):
        stream_document_lk01(io.BytesIO(evil), sink)
    assert sink.getvalue() == b""


def test_an_update_cut_off_is_not_well_formed() -> None:
    data = _update(NEW * 1000)
    with pytest.raises(StufError, match="not well-formed"):
        _stream(data[: len(data) // 2])


def test_an_error_of_the_sink_comes_out_as_it_was() -> None:
    class FullDisk:
        def write(self, data: bytes) -> int:
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        stream_document_lk01(io.BytesIO(_update(NEW)), FullDisk())


# --- 20 MB, flat memory --------------------------------------------------------------------------


def write_big_update(path: Path, size: int, version: ZdsVersion) -> str:
    """An updateZaakdocument with ``size`` bytes in the wordt inhoud and as many in the was
    inhoud (base64 in 76-character lines); returns the sha256 of the wordt content."""
    template = _update(WORDT_MARK, was_inhoud=WAS_MARK, version=version)
    head, rest = template.split(base64.b64encode(WAS_MARK))
    middle, tail = rest.split(base64.b64encode(WORDT_MARK))
    block = os.urandom(3 * 1024 * 64)
    digest = hashlib.sha256()
    with path.open("wb") as out:
        out.write(head)
        for part, hashed in ((middle, False), (tail, True)):
            written = 0
            while written < size:
                piece = block[: min(len(block), size - written)]
                piece = written.to_bytes(8, "big") + piece[8:] if hashed else piece
                if hashed:
                    digest.update(piece)
                out.write(base64.encodebytes(piece))
                written += len(piece)
            out.write(part)
    return digest.hexdigest()


CHILD = """
import json, sys
from stuf.stream import stream_document_lk01

def rss_kb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(field)

def reset_peak():
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # the high-water mark (VmHWM) starts again from the current RSS

src, dst = sys.argv[1], sys.argv[2]
before = rss_kb("VmRSS")
reset_peak()
with open(src, "rb") as source, open(dst, "wb") as sink:
    result = stream_document_lk01(source, sink)
growth_kb = rss_kb("VmHWM") - before
before = rss_kb("VmRSS")
reset_peak()
with open(dst, "rb") as whole:
    held = whole.read()  # the anti-pattern, to show the measurement would see it
control_kb = rss_kb("VmHWM") - before
del held
print(json.dumps({
    "growth_kb": growth_kb, "control_kb": control_kb, "sha256": result.sha256,
    "size": result.size, "function": result.function, "has_content": result.has_content,
    "warnings": result.message.warnings,
}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("version", list(ZdsVersion))
def test_20mb_update_with_flat_memory(tmp_path: Path, version: ZdsVersion) -> None:
    size = 20 * 1024 * 1024
    source = tmp_path / "big.xml"
    sha = write_big_update(source, size, version)
    assert source.stat().st_size > 2 * size * 4 // 3  # was and wordt: 54 MB of base64
    warmup = (  # load codec and schemas first, and stream one small update
        "import io, stuf, stuf.stream\n"
        f"stuf.stream.stream_document_lk01(io.BytesIO({_update(NEW, OLD, version)!r}), "
        "io.BytesIO())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", warmup + CHILD, str(source), str(tmp_path / "out.bin")],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["size"], report["sha256"]) == (size, sha)
    assert (report["function"], report["has_content"]) == ("updateZaakdocument", True)
    assert any("ignored" in w for w in report["warnings"])
    assert (tmp_path / "out.bin").stat().st_size == size
    # 20 MB written, 20 MB skipped: a DOM parse (or holding either) would show 20 MB or more
    assert report["growth_kb"] < 8 * 1024, report
    assert report["control_kb"] > 18 * 1024, report  # holding the document would show

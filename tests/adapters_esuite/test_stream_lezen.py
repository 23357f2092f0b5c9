"""stuf.stream for the answer to geefZaakdocumentLezen (edcLa01), both ZDS versions."""

from __future__ import annotations

import base64
import hashlib
import io
import os
from dataclasses import replace

import pytest

from stuf import (
    Document,
    Fout,
    GeefZaakdetails,
    NoValue,
    StufError,
    UnsafeXmlError,
    VoegZaakdocumentToe,
    ZaakdocumentAntwoord,
    ZdsVersion,
    build_message,
    parse_message,
)
from stuf.stream import MAX_OTHER_TEXT, stream_inhoud, stream_zaakdocument_lezen
from tests.stuf.conftest import DOC, sg

MARKER = b"LARKER"  # base64 "TEFSS0VS": unique in the message


def _answer(content: bytes | NoValue, version: ZdsVersion = ZdsVersion.V1_2) -> bytes:
    message = ZaakdocumentAntwoord(sg("La01"), document=replace(DOC, inhoud=content))
    return build_message(message, version)


@pytest.mark.parametrize("version", list(ZdsVersion))
def test_answer_streams_the_content_and_parses_the_rest(version: ZdsVersion) -> None:
    content = os.urandom(5000)
    data = _answer(content, version)
    sink = io.BytesIO()
    result = stream_zaakdocument_lezen(io.BytesIO(data), sink, chunk_size=13)
    assert sink.getvalue() == content
    assert (result.sha256, result.size) == (hashlib.sha256(content).hexdigest(), len(content))
    assert isinstance(result.message, ZaakdocumentAntwoord)
    assert result.message.document == replace(DOC, inhoud=None)
    expected = parse_message(data)
    assert isinstance(expected, ZaakdocumentAntwoord) and expected.document is not None
    assert result.message.document == replace(expected.document, inhoud=None)
    assert result.message.version is version


def test_answer_over_the_dom_limit_streams() -> None:
    """Over 10 MB of base64 text, which parse_message (libxml2 without huge_tree) refuses."""
    content = os.urandom(9 * 1024 * 1024)
    data = _answer(content)
    with pytest.raises(StufError):
        parse_message(data)
    digest = hashlib.sha256()

    class HashSink:
        def write(self, piece: bytes) -> int:
            digest.update(piece)
            return len(piece)

    result = stream_zaakdocument_lezen(io.BytesIO(data), HashSink())
    assert result.size == len(content) and digest.hexdigest() == hashlib.sha256(content).hexdigest()


def test_fault_is_returned_as_fout() -> None:
    fout = Fout("Fo02", "StUF058", "client", "Document X niet gevonden", stuurgegevens=sg("Fo02"))
    result = stream_zaakdocument_lezen(
        io.BytesIO(build_message(fout, ZdsVersion.V1_2)), io.BytesIO()
    )
    assert isinstance(result.message, Fout) and result.message.berichtcode == "Fo02"
    assert result.size == 0


def test_answer_without_document_and_with_nil_inhoud() -> None:
    empty = build_message(ZaakdocumentAntwoord(sg("La01"), document=None), ZdsVersion.V1_2)
    result = stream_zaakdocument_lezen(io.BytesIO(empty), io.BytesIO())
    assert isinstance(result.message, ZaakdocumentAntwoord) and result.message.document is None
    nil = stream_zaakdocument_lezen(io.BytesIO(_answer(NoValue.WAARDE_ONBEKEND)), io.BytesIO())
    assert isinstance(nil.message, ZaakdocumentAntwoord) and nil.message.document is not None
    assert nil.message.document.inhoud is NoValue.WAARDE_ONBEKEND


def test_other_messages_are_refused() -> None:
    question = build_message(GeefZaakdetails(sg("Lv01"), "ZAAK-0001"), ZdsVersion.V1_2)
    with pytest.raises(StufError, match="geefZaakdocumentLezen_La01"):
        stream_zaakdocument_lezen(io.BytesIO(question), io.BytesIO())
    upload = build_message(VoegZaakdocumentToe(sg(), DOC), ZdsVersion.V1_2)
    with pytest.raises(StufError, match="geefZaakdocumentLezen_La01"):
        stream_zaakdocument_lezen(io.BytesIO(upload), io.BytesIO())


@pytest.mark.parametrize(
    ("mutate", "error", "plek"),
    [
        (lambda d: d[: len(d) // 2], StufError, "/"),  # cut off
        (lambda d: d.replace(base64.b64encode(MARKER), b"!!!!"), StufError, "/inhoud"),
        (lambda d: d.replace(base64.b64encode(MARKER), b"QUJD\nRA"), StufError, "/inhoud"),
        (
            lambda d: d.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY e "e">]>', 1),
            UnsafeXmlError,
            "/",
        ),
    ],
)
def test_broken_answers_raise(mutate: object, error: type[StufError], plek: str) -> None:
    data = mutate(_answer(MARKER))  # type: ignore[operator]
    with pytest.raises(error) as info:
        stream_zaakdocument_lezen(io.BytesIO(data), io.BytesIO())
    assert info.value.plek.endswith(plek)


def test_text_outside_inhoud_is_capped() -> None:
    big_title = "x" * (MAX_OTHER_TEXT + 10)
    document = Document("DOC-0001", big_title, "ZAAK-0001", inhoud=b"abc")
    data = build_message(ZaakdocumentAntwoord(sg("La01"), document=document), ZdsVersion.V1_2)
    with pytest.raises(StufError, match="too much text"):
        stream_zaakdocument_lezen(io.BytesIO(data), io.BytesIO())


@pytest.mark.parametrize("which", ["lezen", "voeg_toe"])
def test_an_error_of_the_sink_comes_out_as_it_was(which: str) -> None:
    class FullDisk:
        def write(self, piece: bytes) -> int:
            raise OSError(28, "No space left on device")

    content = os.urandom(300_000)
    if which == "lezen":
        with pytest.raises(OSError, match="No space left"):
            stream_zaakdocument_lezen(io.BytesIO(_answer(content)), FullDisk())
    else:
        message = VoegZaakdocumentToe(sg(), replace(DOC, inhoud=content))
        data = build_message(message, ZdsVersion.V1_2)
        with pytest.raises(OSError, match="No space left"):
            stream_inhoud(io.BytesIO(data), FullDisk())

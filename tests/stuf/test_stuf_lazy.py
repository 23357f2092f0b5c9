"""Issue 4: a parsed document keeps a long base64 ``inhoud`` undecoded until it is read."""

from __future__ import annotations

import base64
import copy
import dataclasses
import os
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stuf import (
    CreeerZaak,
    Document,
    StufError,
    VoegZaakdocumentToe,
    ZaakdocumentAntwoord,
    ZdsVersion,
    build_message,
    parse_message,
)
from stuf._lazy import EAGER_MAX, Base64Inhoud
from stuf.xml import refuse_doctype
from tests.stuf.conftest import DOC, ZAAK, sg

CONTENT = os.urandom(3000)  # 4000 base64 characters: over EAGER_MAX
MARKER = base64.b64encode(CONTENT)


def big_message(version: ZdsVersion = ZdsVersion.V1_1) -> bytes:
    data = build_message(
        VoegZaakdocumentToe(sg(), dataclasses.replace(DOC, inhoud=CONTENT)), version
    )
    assert MARKER in data and len(MARKER) > EAGER_MAX
    return data


def parsed_document(data: bytes) -> Document:
    message = parse_message(data)
    assert isinstance(message, VoegZaakdocumentToe)
    return message.document


def stored(doc: Document) -> object:
    return vars(doc)["inhoud"]


@pytest.mark.parametrize("version", list(ZdsVersion))
def test_long_inhoud_is_decoded_on_first_read_only(version: ZdsVersion) -> None:
    doc = parsed_document(big_message(version))
    assert type(stored(doc)) is Base64Inhoud
    assert "inhoud" not in repr(doc) and MARKER.decode() not in repr(doc)
    assert type(stored(doc)) is Base64Inhoud  # repr did not decode it
    assert doc.inhoud == CONTENT
    assert stored(doc) == CONTENT  # decoded once, then kept
    assert doc.inhoud is stored(doc)


def test_lazy_document_equals_hashes_and_round_trips() -> None:
    data = big_message()
    doc = parsed_document(data)
    expected = dataclasses.replace(DOC, inhoud=CONTENT)
    assert doc == expected and hash(doc) == hash(expected)
    again = parse_message(data)
    assert build_message(again, ZdsVersion.V1_1) == data  # build reads (decodes) inhoud
    assert parse_message(build_message(again, ZdsVersion.V1_1)) == again


def test_lazy_document_copies_pickles_and_replaces() -> None:
    for make in (copy.copy, copy.deepcopy, lambda d: pickle.loads(pickle.dumps(d))):  # noqa: S301 - own data
        clone = make(parsed_document(big_message()))
        assert clone.inhoud == CONTENT
    doc = parsed_document(big_message())
    assert dataclasses.replace(doc, titel="Nieuw").inhoud == CONTENT
    assert dataclasses.replace(doc, inhoud=b"x").inhoud == b"x"
    with pytest.raises(dataclasses.FrozenInstanceError):
        doc.inhoud = b"x"  # type: ignore[misc]


def test_line_wrapped_long_inhoud_decodes() -> None:
    wrapped = base64.encodebytes(CONTENT)  # 76-character lines
    doc = parsed_document(big_message().replace(MARKER, wrapped))
    assert type(stored(doc)) is Base64Inhoud
    assert doc.inhoud == CONTENT


@pytest.mark.parametrize("bad", [b"!!!!", b"QUJD", b"QQ=="])
def test_malformed_long_inhoud_raises_stuf_error_when_read(bad: bytes) -> None:
    # a bad group in the middle: '!', or padding that is not at the end
    broken = MARKER[:2000] + bad + MARKER[2004:] + (b"A" if bad == b"QUJD" else b"")
    doc = parsed_document(big_message().replace(MARKER, broken))
    for read in (
        lambda: doc.inhoud,
        lambda: doc == DOC,
        lambda: build_message(VoegZaakdocumentToe(sg(), doc), ZdsVersion.V1_1),
    ):
        with pytest.raises(StufError) as info:
            read()
        assert (info.value.code, info.value.plek) == ("StUF055", "/edcLk01/object/inhoud")
        assert info.value.berichtcode == "Fo03"


@pytest.mark.parametrize(
    "bad",
    [b"!!!", b"QUJD\nRA", MARKER[:3000] + "\u00e9".encode()],  # short; short; long, not ASCII
)
def test_malformed_short_or_non_ascii_inhoud_is_still_refused_by_parse(bad: bytes) -> None:
    with pytest.raises(StufError) as info:
        parse_message(big_message().replace(MARKER, bad))
    assert (info.value.code, info.value.plek) == ("StUF055", "/edcLk01/object/inhoud")


def test_long_inhoud_in_a_lezen_answer_is_lazy_too() -> None:
    message = ZaakdocumentAntwoord(sg("La01"), dataclasses.replace(DOC, inhoud=CONTENT))
    parsed = parse_message(build_message(message, ZdsVersion.V1_2))
    assert isinstance(parsed, ZaakdocumentAntwoord) and parsed.document is not None
    assert type(stored(parsed.document)) is Base64Inhoud
    assert parsed.document == message.document


def test_doctype_check_fast_path_still_refuses_and_still_accepts_comments() -> None:
    refuse_doctype(b"<a>no exclamation mark</a>")
    refuse_doctype(b"<a><!-- a comment --></a>")
    for data in (b"<!DOCTYPE a><a/>", "<!DOCTYPE a><a/>".encode("utf-16")):
        with pytest.raises(StufError):
            refuse_doctype(data)
    data = build_message(CreeerZaak(sg(), ZAAK), ZdsVersion.V1_2)
    commented = data.replace(b"<ZKN:object ", b"<!-- opmerking --><ZKN:object ", 1)
    assert parse_message(commented) == parse_message(data)


BIG = big_message()


@settings(max_examples=150, deadline=None)
@given(
    position=st.integers(min_value=0),
    length=st.integers(min_value=1, max_value=12),
    junk=st.binary(max_size=12),
)
def test_mutated_big_message_raises_only_stuf_error_even_when_read(
    position: int, length: int, junk: bytes
) -> None:
    cut = position % len(BIG)
    mutated = BIG[:cut] + junk + BIG[cut + length :]
    try:
        message = parse_message(mutated)
        if isinstance(message, VoegZaakdocumentToe):
            _ = message.document.inhoud
    except StufError as exc:
        assert exc.berichtcode in ("Fo01", "Fo02", "Fo03")
        assert exc.code.startswith("StUF")

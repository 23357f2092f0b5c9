"""The XML parser's safety, tested by what it does (not by reading its source).

Two lines of defence: every public entry point refuses a DOCTYPE outright (so no entity, no DTD,
no network), and behind that the parser itself (:func:`stuf.xml.safe_parser`) expands no entity,
reads no external DTD or entity and opens no connection. Both are tested here on the paths the
inbox uses: ``stuf.parse_message`` on a whole StUF message and ``stuf.stream.stream_document_lk01``
on a document push, fed in small chunks so the DOCTYPE check meets chunk boundaries.
A "server" is a listening socket nobody accepts on: any connection attempt would wait in its
backlog, and the test asserts the backlog is empty.
"""

from __future__ import annotations

import io
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from lxml import etree

from stuf import UnsafeXmlError, parse_message
from stuf.stream import stream_document_lk01
from stuf.xml import safe_parser
from tests.sync.messages import creeer_zaak, voeg_document

EXPANDED = "ENTITEIT-UITGEVOUWD"
SECRET = "GEHEIM-UIT-BESTAND"

Parse = Callable[[bytes], object]


@pytest.fixture
def listener() -> Iterator[tuple[str, socket.socket]]:
    """A listening loopback socket; yields its base URL."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.setblocking(False)
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}", server
    finally:
        server.close()


def assert_never_connected(server: socket.socket) -> None:
    try:
        connection, _ = server.accept()
    except BlockingIOError:
        return
    connection.close()
    pytest.fail("the parser opened a network connection")


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


def _with_doctype(body: bytes, doctype: str, reference: str, *, tag: bytes) -> bytes:
    """``body`` with ``doctype`` after its XML declaration and ``reference`` as the text of its
    first ``tag`` element (where a parser that expands entities would put the expansion)."""
    declaration_end = body.index(b"?>") + 2
    start = body.index(b"<" + tag + b">") + len(tag) + 2
    end = body.index(b"</" + tag + b">", start)
    return (
        body[:declaration_end]
        + doctype.encode()
        + body[declaration_end:start]
        + reference.encode()
        + body[end:]
    )


def _parse_message(data: bytes) -> object:
    return parse_message(data)


def _stream(data: bytes) -> object:
    sink = io.BytesIO()
    try:
        return stream_document_lk01(io.BytesIO(data), sink, chunk_size=7)
    finally:
        assert sink.getvalue() == b"", "nothing of a refused message reaches the sink"


ENTRY_POINTS: list[tuple[str, Parse, Callable[[], bytes], bytes]] = [
    ("parse_message", _parse_message, lambda: creeer_zaak("1900KB0000000001"), b"ZKN:omschrijving"),
    (
        "stream_document_lk01",
        _stream,
        lambda: voeg_document("D1", "1900KB0000000001", b"%PDF-1.4 inhoud"),
        b"ZKN:titel",
    ),
]


def _cases(url_of: Callable[[str], str], secret: Path) -> dict[str, tuple[str, str]]:
    return {
        "internal entity": (f'<!DOCTYPE x [<!ENTITY e "{EXPANDED}">]>', "&e;"),
        "external entity (file)": (
            f'<!DOCTYPE x [<!ENTITY e SYSTEM "{secret.as_uri()}">]>',
            "&e;",
        ),
        "external entity /etc/passwd": (
            '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
            "&e;",
        ),
        "external entity (http)": (
            f'<!DOCTYPE x [<!ENTITY e SYSTEM "{url_of("e")}">]>',
            "&e;",
        ),
        "external DTD (http)": (f'<!DOCTYPE x SYSTEM "{url_of("x.dtd")}">', "tekst"),
        "parameter entity (http)": (
            f'<!DOCTYPE x [<!ENTITY % p SYSTEM "{url_of("p")}"> %p;]>',
            "tekst",
        ),
    }


@pytest.mark.parametrize(("name", "parse", "message", "tag"), ENTRY_POINTS)
def test_entry_points_refuse_entities_and_never_read_or_connect(
    name: str,
    parse: Parse,
    message: Callable[[], bytes],
    tag: bytes,
    listener: tuple[str, socket.socket],
    secret_file: Path,
) -> None:
    url, server = listener
    for case, (doctype, reference) in _cases(lambda path: f"{url}/{path}", secret_file).items():
        data = _with_doctype(message(), doctype, reference, tag=tag)
        with pytest.raises(UnsafeXmlError) as refused:
            parse(data)
        text = str(refused.value)
        assert EXPANDED not in text and SECRET not in text and "root:" not in text, case
    assert_never_connected(server)


def test_the_stream_refuses_a_doctype_after_its_first_chunk(
    listener: tuple[str, socket.socket],
) -> None:
    """A DOCTYPE behind 100 kB of comment, split over chunk boundaries at every offset."""
    url, server = listener
    body = voeg_document("D1", "1900KB0000000001", b"%PDF-1.4 inhoud")
    declaration_end = body.index(b"?>") + 2
    padding = b"<!--" + b"x" * 100_000 + b"-->"
    doctype = f'<!DOCTYPE x [<!ENTITY e SYSTEM "{url}/e">]>'.encode()
    data = body[:declaration_end] + padding + doctype + body[declaration_end:]
    for chunk_size in (4096, 4097, 4099, 65536):
        sink = io.BytesIO()
        with pytest.raises(UnsafeXmlError):
            stream_document_lk01(io.BytesIO(data), sink, chunk_size=chunk_size)
        assert sink.getvalue() == b""
    assert_never_connected(server)


# ------------------------------------------------------------------ the parser itself
def _parse_with_safe_parser(data: bytes) -> etree._Element:
    """Straight through :func:`safe_parser`, past the DOCTYPE refusal: the second line."""
    parser = safe_parser()
    parser.feed(data)
    root = parser.close()
    assert isinstance(root, etree._Element)
    return root


def _text(root: etree._Element) -> str:
    return etree.tostring(root, encoding="unicode")


def test_the_parser_does_not_expand_an_internal_entity() -> None:
    root = _parse_with_safe_parser(f'<!DOCTYPE a [<!ENTITY e "{EXPANDED}">]><a>&e;</a>'.encode())
    assert EXPANDED not in _text(root)
    assert EXPANDED not in "".join(root.itertext())


def test_the_parser_does_not_read_an_external_entity(secret_file: Path) -> None:
    for uri in (secret_file.as_uri(), "file:///etc/passwd"):
        root = _parse_with_safe_parser(
            f'<!DOCTYPE a [<!ENTITY e SYSTEM "{uri}">]><a>&e;</a>'.encode()
        )
        assert SECRET not in _text(root) and "root:" not in _text(root)


def test_the_parser_does_not_load_an_external_dtd(tmp_path: Path) -> None:
    """A broken DTD on disk: loading it would fail the parse, so it is never read."""
    dtd = tmp_path / "broken.dtd"
    dtd.write_text(f'<!ENTITY ext "{EXPANDED}"> <!ELEMENT kapot')
    root = _parse_with_safe_parser(f'<!DOCTYPE a SYSTEM "{dtd.as_uri()}"><a>&ext;</a>'.encode())
    assert EXPANDED not in _text(root)


def test_the_parser_never_connects(listener: tuple[str, socket.socket]) -> None:
    url, server = listener
    for data in (
        f'<!DOCTYPE a [<!ENTITY e SYSTEM "{url}/e">]><a>&e;</a>',
        f'<!DOCTYPE a SYSTEM "{url}/a.dtd"><a/>',
        f'<!DOCTYPE a [<!ENTITY % p SYSTEM "{url}/p"> %p;]><a/>',
    ):
        _parse_with_safe_parser(data.encode())
    assert_never_connected(server)

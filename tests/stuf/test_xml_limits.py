"""One set of XML limits wherever XML is parsed (issue 11, item 6; parser behaviour: item 15).

- Nesting: :data:`stuf.xml.MAX_DEPTH` on the normal parse and on every streaming path; a
  million levels are refused at once, after reading the first chunk only.
- A DOCTYPE is refused in any encoding the parser reads (UTF-8, UTF-16, UTF-32, with or
  without a byte order mark); an encoding no check can read (UTF-7, EBCDIC) is refused.
- The parser itself expands no entity and opens no connection, even if the DOCTYPE check were
  gone: a local listener sees no connection.
"""

from __future__ import annotations

import contextlib
import io
import select
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import stuf.peek
import stuf.stream
import stuf.xml
from stuf import StufError, UnsafeXmlError, parse_message
from stuf.peek import message_element
from stuf.stream import stream_document_lk01, stream_inhoud, stream_zaakdocument_lezen
from stuf.xml import MAX_DEPTH, SOAP11, parse_xml, refuse_doctype

STREAMS: dict[str, Callable[[Any], object]] = {
    "stream_inhoud": lambda source: stream_inhoud(source, io.BytesIO()),
    "stream_document_lk01": lambda source: stream_document_lk01(source, io.BytesIO()),
    "stream_zaakdocument_lezen": lambda source: stream_zaakdocument_lezen(source, io.BytesIO()),
    "message_element": message_element,
}


# message_element stops at a bare root (that is the message): it is given an envelope whose
# header nests (the envelope and its header are 2 of the levels).
ENVELOPE = f'<s:Envelope xmlns:s="{SOAP11}"><s:Header>'.encode()


def nested(depth: int, path: str) -> bytes:
    if path == "message_element":
        return ENVELOPE + b"<a>" * (depth - 2) + b"</a>" * (depth - 2) + b"</s:Header></s:Envelope>"
    return b"<a>" * depth + b"</a>" * depth


class Deep:
    """``levels`` start tags, made as they are read; counts what was read."""

    def __init__(self, levels: int, path: str) -> None:
        self.head = ENVELOPE if path == "message_element" else b""
        self.left = levels
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        head, self.head = self.head, b""
        count = min(self.left, max(size, 3) // 3)
        self.left -= count
        self.read_bytes += len(head) + 3 * count
        return head + b"<a>" * count


def refused_for_depth(call: Callable[[], object]) -> bool:
    try:
        call()
    except StufError as error:
        return "nested deeper" in str(error)
    return False


@pytest.mark.parametrize("path", ["parse_xml", *STREAMS])
def test_the_same_depth_limit_on_every_path(path: str) -> None:
    def parse(data: bytes) -> object:
        if path == "parse_xml":
            return parse_xml(data)
        return STREAMS[path](io.BytesIO(data))

    assert not refused_for_depth(lambda: parse(nested(MAX_DEPTH, path)))
    assert refused_for_depth(lambda: parse(nested(MAX_DEPTH + 1, path)))


@pytest.mark.parametrize("path", list(STREAMS))
def test_a_million_levels_are_refused_at_once(path: str) -> None:
    source = Deep(1_000_000, path)
    started = time.monotonic()
    assert refused_for_depth(lambda: STREAMS[path](source))
    assert time.monotonic() - started < 2
    assert source.read_bytes <= 2 * 65536, "refused in the first chunk, not after 3 MB"


def _boms() -> Iterator[tuple[str, bytes]]:
    doc = '<!DOCTYPE a [<!ENTITY e "boom">]><a>&e;</a>'
    declared = '<?xml version="1.0"?>' + doc
    boms = {
        "utf-32-le": b"\xff\xfe\x00\x00",
        "utf-32-be": b"\x00\x00\xfe\xff",
        "utf-16-le": b"\xff\xfe",
        "utf-16-be": b"\xfe\xff",
    }
    for codec, bom in boms.items():
        yield f"{codec}-bom", bom + doc.encode(codec)
        yield f"{codec}-bom-declared", bom + declared.encode(codec)
        yield f"{codec}-declared", declared.encode(codec)
        if codec.startswith("utf-32"):
            yield f"{codec}-bare", doc.encode(codec)
    yield "utf-8", doc.encode()
    # UTF-7 spells "<!" as "<+ACE-": libxml2 reads it, no byte check could
    yield (
        "utf-7",
        b'<?xml version="1.0" encoding="UTF-7"?>' + doc.encode("utf-7").replace(b"!", b"+ACE-"),
    )
    # ... however far into a long declaration the encoding is named
    yield "utf-7-late", b'<?xml version="1.0"' + b" " * 400 + b' encoding="UTF-7"?><a/>'
    yield "utf-7-too-late", b'<?xml version="1.0"' + b" " * 600 + b' encoding="UTF-7"?><a/>'
    yield "ebcdic", '<?xml version="1.0" encoding="IBM037"?><a/>'.encode("cp037")


DOCTYPES = dict(_boms())


@pytest.mark.parametrize("name", list(DOCTYPES))
def test_a_doctype_is_refused_in_every_encoding(name: str) -> None:
    data = DOCTYPES[name]
    with pytest.raises(UnsafeXmlError):
        refuse_doctype(data)
    with pytest.raises(UnsafeXmlError):
        parse_xml(data)
    with pytest.raises(UnsafeXmlError):
        parse_message(data)
    for stream in STREAMS.values():
        with pytest.raises(UnsafeXmlError):
            stream(io.BytesIO(data))


@pytest.mark.parametrize("codec", ["utf-32-le", "utf-32-be", "utf-16-le", "utf-16-be"])
def test_a_doctype_split_over_stream_chunks_is_refused(codec: str) -> None:
    """The DOCTYPE may follow a long prolog, across the edge of two chunks."""
    prolog = "<?xml version='1.0'?>" + "<!-- prolog -->" * 100 + " " * 3
    data = (prolog + "<!DOCTYPE a><a/>").encode(codec)
    for size in (37, 64, 100):
        with pytest.raises(UnsafeXmlError):
            stream_inhoud(io.BytesIO(data), io.BytesIO(), chunk_size=size)


@pytest.mark.parametrize(
    "data",
    [
        '<?xml version="1.0" encoding="ISO-8859-1"?><a>caf\xe9</a>'.encode("latin-1"),
        "<?xml version='1.0' encoding='UTF-16'?><a>!</a>".encode("utf-16"),
        "<a>!</a>".encode("utf-32"),
        b"\xef\xbb\xbf<?xml version='1.0' encoding='utf-8'?><a><!-- ! --></a>",
    ],
    ids=["latin-1", "utf-16", "utf-32", "utf-8-bom"],
)
def test_ordinary_encodings_still_parse(data: bytes) -> None:
    assert parse_xml(data).tag == "a"


# -- the parser's own settings, with the DOCTYPE check out of the way -------------------------


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A local TCP port nobody should connect to."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield server
    server.close()


def connections(server: socket.socket) -> int:
    count = 0
    while select.select([server], [], [], 0.3)[0]:
        server.accept()[0].close()
        count += 1
    return count


@pytest.fixture
def no_doctype_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if refuse_doctype were gone: what stops an attack is then the parser alone."""
    for module in (stuf.xml, stuf.stream, stuf.peek):
        monkeypatch.setattr(module, "refuse_doctype", lambda *_args, **_kwargs: None)


def text_of(data: bytes) -> str:
    return "".join(parse_xml(data).itertext())


@pytest.mark.usefixtures("no_doctype_check")
def test_internal_entities_are_not_expanded() -> None:
    laughs = (
        b'<!DOCTYPE a [<!ENTITY l "lol"><!ENTITY l2 "&l;&l;&l;&l;&l;&l;&l;&l;&l;&l;">'
        b'<!ENTITY l3 "&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;">]><a>&l3;</a>'
    )
    assert "lol" not in text_of(laughs)


@pytest.mark.usefixtures("no_doctype_check")
def test_external_entities_and_dtds_are_not_loaded(listener: socket.socket, tmp_path: Any) -> None:
    secret = tmp_path / "geheim.txt"
    secret.write_text("111222333 geheim")
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    attacks = [
        f'<!DOCTYPE a [<!ENTITY x SYSTEM "{secret.as_uri()}">]><a>&x;</a>',
        f'<!DOCTYPE a [<!ENTITY x SYSTEM "{url}/entity">]><a>&x;</a>',
        f'<!DOCTYPE a SYSTEM "{url}/dtd"><a>&x;</a>',
        f'<!DOCTYPE a [<!ENTITY % p SYSTEM "{url}/param"> %p;]><a/>',
    ]
    for attack in attacks:
        with contextlib.suppress(StufError):  # refused by the parser: fine, if nothing fetched
            assert "geheim" not in text_of(attack.encode())
        for stream in STREAMS.values():
            with pytest.raises(StufError):  # a DOCTYPE stops the streaming parse at its start
                stream(io.BytesIO(attack.encode()))
    assert connections(listener) == 0, "the parser opened a connection"


def test_message_element_is_right_after_refusing_others() -> None:
    """Its parser is kept per thread: a refused message leaves nothing for the next one."""
    status = (
        f'<s:Envelope xmlns:s="{SOAP11}"><s:Body><z:zakLk01 xmlns:z="urn:z"/></s:Body></s:Envelope>'
    ).encode()
    broken = ENVELOPE + b"<a></b>"
    for bad in (broken, DOCTYPES["utf-8"], nested(MAX_DEPTH + 1, "message_element")):
        with pytest.raises(StufError):
            message_element(io.BytesIO(bad))
        assert message_element(io.BytesIO(status)) == "{urn:z}zakLk01"

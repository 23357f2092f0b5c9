"""XML safety: no DTD, no entities, no network; one parser entry point in the whole repository."""

from __future__ import annotations

import contextlib
import http.server
import io
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from stuf import StufError, UnsafeXmlError, ZdsVersion, parse_message, stream_inhoud, validate
from stuf.xml import parse_xml

REPO = Path(__file__).resolve().parents[2]
XINCLUDE = "http://www.w3.org/2001/XInclude"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<lolz>&lol4;</lolz>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ZKN:zakLv01 xmlns:ZKN="http://www.egem.nl/StUF/sector/zkn/0310">&xxe;</ZKN:zakLv01>"""


@pytest.fixture
def http_server() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server that records every request it gets."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'<!ENTITY x "pwned">')

        def log_message(self, *_args: object) -> None:
            return

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", hits
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    "data",
    [
        BILLION_LAUGHS,
        EXTERNAL_ENTITY,
        b'<!DOCTYPE a SYSTEM "a.dtd"><a/>',
        b"<!DOCTYPE a><a/>",
        "<?xml version='1.0' encoding='utf-16'?><!DOCTYPE a><a/>".encode("utf-16"),
    ],
    ids=["billion-laughs", "external-entity", "external-dtd", "bare-doctype", "utf16-doctype"],
)
def test_doctype_is_refused(data: bytes) -> None:
    with pytest.raises(UnsafeXmlError):
        parse_xml(data)
    with pytest.raises(UnsafeXmlError):
        parse_message(data)
    with pytest.raises(UnsafeXmlError):
        stream_inhoud(io.BytesIO(data), io.BytesIO())
    assert validate(data, ZdsVersion.V1_2) != []


def test_unsafe_error_is_a_stuf_error() -> None:
    with pytest.raises(StufError) as info:
        parse_message(BILLION_LAUGHS)
    assert info.value.plek == "/"
    assert "DTD" in str(info.value)


def test_network_is_never_opened(http_server: tuple[str, list[str]]) -> None:
    url, hits = http_server
    attempts = [
        f'<!DOCTYPE a SYSTEM "{url}/dtd"><a/>'.encode(),
        f'<a xmlns:xi="{XINCLUDE}"><xi:include href="{url}/inc"/></a>'.encode(),
        f'<a xmlns:xsi="{XSI}" xsi:schemaLocation="x {url}/x.xsd"/>'.encode(),
    ]
    for data in attempts:
        with contextlib.suppress(StufError):
            parse_message(data)
        validate(data, ZdsVersion.V1_1)
    assert hits == []


def test_parser_settings_are_safe() -> None:
    import stuf.xml as xml_module

    parser = xml_module._PARSER
    assert parser.resolvers is not None
    source = Path(xml_module.__file__).read_text()
    for setting in (
        "resolve_entities=False",
        "no_network=True",
        "load_dtd=False",
        "huge_tree=False",
    ):
        assert setting in source


PARSER_CALL = re.compile(r"etree\.fromstring|etree\.parse\(|etree\.XML\(|etree\.iterparse")


def _parser_calls(root: Path) -> list[str]:
    offenders = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(REPO)
        if rel.parts[0] in (".venv", "bench", "build", ".git") or "site-packages" in rel.parts:
            continue
        if rel.as_posix() in ("stuf/xml.py", "tests/stuf/test_stuf_security.py"):
            continue
        if PARSER_CALL.search(path.read_text(errors="ignore")):
            offenders.append(rel.as_posix())
    return offenders


def test_only_stuf_xml_calls_the_parser_in_the_codec() -> None:
    assert _parser_calls(REPO / "stuf") == []
    assert _parser_calls(REPO / "tests" / "stuf") == []
    calls = re.findall(r"etree\.fromstring", (REPO / "stuf" / "xml.py").read_text())
    assert len(calls) == 1


def test_only_stuf_xml_calls_the_parser_in_the_repository() -> None:
    """Repository rule (STYLE.md, absorb #10): all XML parsing goes through stuf.xml."""
    assert _parser_calls(REPO) == []

"""The door's look at a push finds the zender exactly where the codec reads it, and stops early."""

from __future__ import annotations

import io

import pytest

from stuf import parse_message
from sync.inbox_peek import peek_message
from tests.sync.messages import creeer_zaak, genereer_zaakidentificatie, voeg_document

ZKN_SG = b"<ZKN:stuurgegevens>"
SPOOF = (
    b"<StUF:zender><StUF:organisatie>6666</StUF:organisatie>"
    b"<StUF:applicatie>SPOOF</StUF:applicatie></StUF:zender>"
)


def _variants() -> dict[str, bytes]:
    body = creeer_zaak("1900Z-1")
    sg_end = body.index(b"</ZKN:stuurgegevens>") + len(b"</ZKN:stuurgegevens>")
    sg = body[body.index(ZKN_SG) : sg_end]
    zds_sg = sg.replace(b"ZKN:stuurgegevens", b"ZDS:stuurgegevens").replace(b"GWS4all", b"ZDSAPP")
    return {
        "plain": body,
        "di02": genereer_zaakidentificatie(),
        # a second zender inside the stuurgegevens: the first one counts
        "two zenders": body.replace(b"</StUF:zender>", b"</StUF:zender>" + SPOOF, 1),
        # a ZDS stuurgegevens before the ZKN one: the ZKN one counts (codec's namespace order)
        "zds first": body.replace(ZKN_SG, zds_sg + ZKN_SG, 1),
        # only a ZDS stuurgegevens: that one counts
        "zds only": body.replace(sg, zds_sg, 1),
        # a comment inside organisatie: the text before it is the value (lxml's .text)
        "comment": body.replace(
            b">1900</StUF:organisatie>", b">19<!--x-->00</StUF:organisatie>", 1
        ),
        # a zender in the SOAP header is not the message's
        "header": body.replace(
            b"<soapenv:Body>",
            b"<soapenv:Header><ZKN:stuurgegevens>" + SPOOF + b"</ZKN:stuurgegevens>"
            b"</soapenv:Header><soapenv:Body>",
            1,
        ),
        # a stuurgegevens deeper in the message is not the message's
        "nested": body.replace(
            ZKN_SG,
            b"<ZKN:extra><ZKN:stuurgegevens>"
            + SPOOF
            + b"</ZKN:stuurgegevens></ZKN:extra>"
            + ZKN_SG,
            1,
        ),
        "bare": body[body.index(b"<ZKN:zakLk01") : body.index(b"</soapenv:Body>")].replace(
            b"<ZKN:zakLk01",
            b'<ZKN:zakLk01 xmlns:ZKN="http://www.egem.nl/StUF/sector/zkn/0310" '
            b'xmlns:StUF="http://www.egem.nl/StUF/StUF0301" '
            b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            b'xmlns:BG="http://www.egem.nl/StUF/sector/bg/0310"',
            1,
        ),
    }


@pytest.mark.parametrize("name", list(_variants()))
def test_peek_finds_the_zender_the_codec_reads(name: str) -> None:
    body = _variants()[name]
    peek = peek_message(io.BytesIO(body))
    assert peek.well_formed and peek.zender_found
    zender = parse_message(body).stuurgegevens.zender  # type: ignore[union-attr]
    assert (peek.organisatie, peek.applicatie) == (zender.organisatie, zender.applicatie), name
    assert "SPOOF" not in (peek.applicatie or "")


class _CountingReader(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1, /) -> bytes:
        data = super().read(size)
        self.bytes_read += len(data)
        return data


def test_peek_stops_at_the_zender_of_a_large_document() -> None:
    spool = _CountingReader(voeg_document("1900KBD1", "1900Z-1", b"%PDF" + b"x" * 5_000_000))
    peek = peek_message(spool)
    assert (peek.organisatie, peek.applicatie) == ("1900", "GWS4all")
    assert peek.message_tag is not None and peek.message_tag.endswith("edcLk01")
    assert spool.bytes_read <= 65536


def test_peek_of_unreadable_input_says_so() -> None:
    assert not peek_message(io.BytesIO(b"ERROR 500: niet beschikbaar")).well_formed
    deep = _CountingReader(b"<a>" * 5_000_000)
    assert not peek_message(deep).well_formed
    assert deep.bytes_read <= 65536, "nesting is capped, not read to the end"
    doctype = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "1900">]><x>&e;</x>'
    assert not peek_message(io.BytesIO(doctype)).well_formed

"""adapters.formats: the format of a document is told from its bytes, never from its name.

Every sample is real content made here (fpdf2 for PDF, Pillow for the images, zipfile for
docx/odt with the members the formats require), so a signature mistake shows up.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
from pathlib import Path
from typing import BinaryIO

import pytest
from fpdf import FPDF
from PIL import Image

from adapters.formats import HEAD_SIZE, Bestandsformaat, detect_format, identify

DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="{main}"/></Types>'
)
DOCUMENT_XML = (
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>Beschikking</w:t></w:r></w:p></w:body></w:document>"
)
MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"{v}>'
    '<manifest:file-entry manifest:full-path="/" '
    'manifest:media-type="application/vnd.oasis.opendocument.text"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def pdf_bytes() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica")
    pdf.cell(text="Beschikking levensonderhoud")
    return bytes(pdf.output())


def image_bytes(kind: str, **options: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, kind, **options)
    return out.getvalue()


def docx_bytes(main: str = DOCX_MAIN, padding: int = 0) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES.format(main=main))
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr("word/document.xml", DOCUMENT_XML)
        if padding:  # a big embedded image, stored: the central directory moves far away
            data = random.Random(5).randbytes(padding)
            archive.writestr("word/media/image1.png", data, zipfile.ZIP_STORED)
    return out.getvalue()


def odt_bytes(version: str | None = "1.2", mimetype: str = "") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "mimetype", mimetype or "application/vnd.oasis.opendocument.text", zipfile.ZIP_STORED
        )
        attribute = f' manifest:version="{version}"' if version else ""
        archive.writestr("META-INF/manifest.xml", MANIFEST.format(v=attribute))
        archive.writestr("content.xml", "<office:document-content/>")
    return out.getvalue()


def exif_jpeg(version: bytes | None) -> bytes:
    """SOI + an APP1 Exif segment (little-endian TIFF, one IFD) + Pillow's JPEG after its SOI."""
    entries = [(0x010F, 2, 4, b"Cam\x00")]  # Make
    if version is not None:
        entries.append((0x9000, 7, 4, version))  # ExifVersion, as it sits in the Exif IFD
    ifd = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        ifd += struct.pack("<HHI", tag, kind, count) + value
    tiff = b"II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0)
    payload = b"Exif\x00\x00" + tiff
    segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    return b"\xff\xd8" + segment + image_bytes("JPEG")[2:]


def _check(data: bytes, mime: str, pronom: str, extension: str) -> Bestandsformaat:
    found = identify(io.BytesIO(data))
    assert found is not None, pronom
    assert (found.mime, found.pronom, found.extension) == (mime, pronom, extension)
    assert found.label
    return found


def test_a_real_pdf_is_recorded_with_the_version_of_its_header() -> None:
    data = pdf_bytes()
    assert data.startswith(b"%PDF-1.3")  # what fpdf2 writes
    found = _check(data, "application/pdf", "fmt/17", "pdf")
    assert found.label == "Acrobat PDF 1.3 - Portable Document Format"
    assert detect_format(data[:HEAD_SIZE]) == found


@pytest.mark.parametrize(
    ("version", "pronom"),
    [
        ("1.0", "fmt/14"),
        ("1.1", "fmt/15"),
        ("1.2", "fmt/16"),
        ("1.4", "fmt/18"),
        ("1.5", "fmt/19"),
        ("1.6", "fmt/20"),
        ("1.7", "fmt/276"),
        ("2.0", "fmt/1129"),
    ],
)
def test_each_pdf_version_has_its_pronom_code(version: str, pronom: str) -> None:
    data = pdf_bytes().replace(b"%PDF-1.3", f"%PDF-{version}".encode(), 1)
    _check(data, "application/pdf", pronom, "pdf")


def test_a_pdf_header_after_some_junk_counts_but_not_an_unknown_version() -> None:
    _check(b"\r\n" * 100 + pdf_bytes(), "application/pdf", "fmt/17", "pdf")
    assert detect_format(b"x" * 2000 + pdf_bytes()) is None  # header beyond the first 1 KiB
    assert detect_format(pdf_bytes().replace(b"%PDF-1.3", b"%PDF-1.9", 1)) is None


def test_images() -> None:
    _check(image_bytes("PNG"), "image/png", "fmt/13", "png")
    _check(image_bytes("TIFF"), "image/tiff", "fmt/353", "tif")
    _check(b"MM\x00*" + bytes(100), "image/tiff", "fmt/353", "tif")  # big-endian TIFF
    jfif = image_bytes("JPEG")
    assert jfif[6:13] == b"JFIF\x00\x01\x01"  # Pillow writes JFIF 1.01
    assert _check(jfif, "image/jpeg", "fmt/43", "jpg").label == "JPEG File Interchange Format 1.01"
    jfif_102 = jfif[:11] + b"\x01\x02" + jfif[13:]
    _check(jfif_102, "image/jpeg", "fmt/44", "jpg")


@pytest.mark.parametrize(
    ("version", "pronom"),
    [(b"0220", "x-fmt/391"), (b"0210", "x-fmt/390"), (b"0200", "x-fmt/398"), (b"0221", "fmt/645")],
)
def test_an_exif_jpeg_is_recorded_with_its_exif_version(version: bytes, pronom: str) -> None:
    found = _check(exif_jpeg(version), "image/jpeg", pronom, "jpg")
    assert found.label.startswith("Exchangeable Image File Format (Compressed)")


def test_a_jpeg_without_a_known_header_version_is_a_raw_jpeg_stream() -> None:
    _check(exif_jpeg(None), "image/jpeg", "fmt/41", "jpg")
    _check(b"\xff\xd8\xff\xdb" + image_bytes("JPEG")[20:], "image/jpeg", "fmt/41", "jpg")


def test_docx_and_odt_are_told_by_their_members() -> None:
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    _check(docx_bytes(), docx, "fmt/412", "docx")
    odt = "application/vnd.oasis.opendocument.text"
    assert _check(odt_bytes("1.2"), odt, "fmt/291", "odt").label == "OpenDocument Text 1.2"
    _check(odt_bytes("1.3"), odt, "fmt/1756", "odt")
    _check(odt_bytes(None), odt, "fmt/290", "odt")  # no manifest version: ODF 1.0/1.1


def test_other_zips_are_not_identified() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", DOCUMENT_XML)  # no content types: not a package
        archive.writestr("leesmij.txt", "hallo")
    assert identify(io.BytesIO(out.getvalue())) is None
    macro = DOCX_MAIN.replace("wordprocessingml.document.main", "ms-word.document.macroEnabled")
    assert identify(io.BytesIO(docx_bytes(main=macro))) is None  # a docm
    spreadsheet = odt_bytes(mimetype="application/vnd.oasis.opendocument.spreadsheet")
    assert identify(io.BytesIO(spreadsheet)) is None
    assert identify(io.BytesIO(docx_bytes()[:200])) is None  # truncated: no central directory


@pytest.mark.parametrize(
    "data",
    [b"", b"Beste meneer,\nhierbij de brief.\n" * 40, random.Random(7).randbytes(4096), b"PK"],
    ids=["empty", "plain text", "random", "two bytes"],
)
def test_unidentifiable_content_gives_none(data: bytes) -> None:
    assert detect_format(data) is None
    assert identify(io.BytesIO(data)) is None


def test_the_name_is_never_trusted(tmp_path: Path) -> None:
    renamed = tmp_path / "scan.pdf"
    renamed.write_bytes(image_bytes("PNG"))
    with renamed.open("rb") as handle:
        found = identify(handle)
        assert found is not None and found.extension == "png"
        assert handle.tell() == 0  # ready to be streamed
    letter = tmp_path / "brief.docx"
    letter.write_bytes(b"dit is geen docx")
    with letter.open("rb") as handle:
        assert identify(handle) is None


class CountingReader(io.RawIOBase):
    """A seekable file that counts the bytes read from it."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        data = self.handle.read(len(buffer))
        buffer[: len(data)] = data
        self.read_bytes += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.handle.seek(offset, whence)

    def tell(self) -> int:
        return self.handle.tell()


def test_a_large_docx_is_identified_without_reading_it_whole(tmp_path: Path) -> None:
    """The central directory is at the end: zipfile seeks there, memory stays flat."""
    path = tmp_path / "groot.bin"
    path.write_bytes(docx_bytes(padding=8 * 1024 * 1024))
    assert detect_format(path.read_bytes()[:HEAD_SIZE]) is None  # the head alone cannot tell
    with path.open("rb") as raw:
        counting = CountingReader(raw)
        found = identify(counting)  # type: ignore[arg-type]
    assert found is not None and found.pronom == "fmt/412"
    assert counting.read_bytes < 2 * HEAD_SIZE + 64 * 1024


def test_a_large_pdf_is_identified_from_its_head(tmp_path: Path) -> None:
    path = tmp_path / "groot.pdf"
    path.write_bytes(pdf_bytes() + random.Random(1).randbytes(4 * 1024 * 1024))
    with path.open("rb") as raw:
        counting = CountingReader(raw)
        found = identify(counting)  # type: ignore[arg-type]
    assert found is not None and found.pronom == "fmt/17"
    assert counting.read_bytes <= HEAD_SIZE

"""What a document really is, told from its bytes: MIME type, PRONOM identifier, extension.

Why: the archives (MyLex's MDTO ``bestandsformaat``, Xtendis' drop) must record the format a
document has, not the one its name or the source's free-text ``formaat`` claims; residents send
photos and scans, letters come as docx and odt. The file name and the declared format are never
consulted here. Detection is by signature (magic numbers, as in the PRONOM/DROID registry) and,
for the zip-based office formats, by the zip's members; anything else is unidentified (None).

Covered: PDF (version from the header), PNG, JPEG (JFIF or Exif, version where the header says),
TIFF, DOCX and ODT. Plain text, other zips and unknown bytes are deliberately not identified.

:func:`identify` works on a seekable binary file: it reads at most :data:`HEAD_SIZE` bytes, and
for a zip lets :mod:`zipfile` seek to the central directory; members are read with a cap, so
memory stays flat whatever the size of the file.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

from stuf.errors import StufError
from stuf.xml import parse_xml

__all__ = [
    "DOCX",
    "HEAD_SIZE",
    "JPEG",
    "ODT",
    "PDF",
    "PDF_1_4",
    "PNG",
    "TIFF",
    "Bestandsformaat",
    "detect_format",
    "identify",
]

#: How many leading bytes :func:`identify` reads for the signature checks.
HEAD_SIZE = 64 * 1024
#: Cap on what is read of one zip member (``mimetype``, manifest, content types).
_MEMBER_CAP = 256 * 1024

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TIFF = "image/tiff"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"


@dataclass(frozen=True)
class Bestandsformaat:
    """A file format as MDTO records it: PRONOM code and label, plus MIME type and extension.

    ``label`` is the PRONOM format name with its version (the MDTO ``begripLabel``),
    ``pronom`` the PRONOM unique identifier (``begripCode``), ``extension`` without a dot.
    """

    mime: str
    pronom: str
    label: str
    extension: str


def _pdf(version: str, pronom: str) -> Bestandsformaat:
    return Bestandsformaat(PDF, pronom, f"Acrobat PDF {version} - Portable Document Format", "pdf")


_PDF_VERSIONS = {
    b"1.0": _pdf("1.0", "fmt/14"),
    b"1.1": _pdf("1.1", "fmt/15"),
    b"1.2": _pdf("1.2", "fmt/16"),
    b"1.3": _pdf("1.3", "fmt/17"),
    b"1.4": _pdf("1.4", "fmt/18"),
    b"1.5": _pdf("1.5", "fmt/19"),
    b"1.6": _pdf("1.6", "fmt/20"),
    b"1.7": _pdf("1.7", "fmt/276"),
    b"2.0": Bestandsformaat(PDF, "fmt/1129", "PDF 2.0 - Portable Document Format", "pdf"),
}
#: What MyLex recorded for every document before formats were detected.
PDF_1_4 = _PDF_VERSIONS[b"1.4"]
# The header may follow some junk: readers (and DROID's signature) accept it in the first 1 KiB.
# A later /Version in the catalog (an incremental update) is not looked at, as in DROID.
_PDF_HEADER = re.compile(rb"%PDF-(\d\.\d)")
_PDF_WINDOW = 1024

# PNG 1.0 (fmt/11), 1.1 (fmt/12) and 1.2 (fmt/13) share one signature and cannot be told apart
# by it; like DROID we record the current version, 1.2.
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_FORMAAT = Bestandsformaat(PNG, "fmt/13", "Portable Network Graphics 1.2", "png")

_JFIF_VERSIONS = {
    b"\x01\x00": ("fmt/42", "1.00"),
    b"\x01\x01": ("fmt/43", "1.01"),
    b"\x01\x02": ("fmt/44", "1.02"),
}
_EXIF_VERSIONS = {
    b"0200": ("x-fmt/398", "2.0"),
    b"0210": ("x-fmt/390", "2.1"),
    b"0220": ("x-fmt/391", "2.2"),
    b"0221": ("fmt/645", "2.21"),
    b"0230": ("fmt/1507", "2.3.x"),
    b"0231": ("fmt/1507", "2.3.x"),
    b"0232": ("fmt/1507", "2.3.x"),
}
# The ExifVersion tag (0x9000, type UNDEFINED, count 4) as it appears in an IFD entry.
_EXIF_VERSION_TAG = re.compile(
    rb"\x00\x90\x07\x00\x04\x00\x00\x00(\d{4})|\x90\x00\x00\x07\x00\x00\x00\x04(\d{4})"
)
#: A JPEG with neither a JFIF nor an Exif header of known version: PRONOM's "Raw JPEG Stream".
RAW_JPEG = Bestandsformaat(JPEG, "fmt/41", "Raw JPEG Stream", "jpg")

# Baseline TIFF, either byte order. BigTIFF (version 43) is another format and not accepted.
_TIFF_SIGNATURES = (b"II*\x00", b"MM\x00*")
TIFF_FORMAAT = Bestandsformaat(TIFF, "fmt/353", "Tagged Image File Format", "tif")

_ZIP_SIGNATURE = b"PK\x03\x04"
DOCX_FORMAAT = Bestandsformaat(DOCX, "fmt/412", "Microsoft Word for Windows 2007 onwards", "docx")
# The main part's content type of a docx; a docm/dotx names another one and is not a docx.
_DOCX_MAIN = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_ODT_VERSIONS = {
    "1.1": Bestandsformaat(ODT, "fmt/290", "OpenDocument Text 1.1", "odt"),
    "1.2": Bestandsformaat(ODT, "fmt/291", "OpenDocument Text 1.2", "odt"),
    "1.3": Bestandsformaat(ODT, "fmt/1756", "OpenDocument Text 1.3", "odt"),
}
_MANIFEST_NS = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"


def detect_format(head: bytes) -> Bestandsformaat | None:
    """The format of a file whose first bytes are ``head`` (read e.g. :data:`HEAD_SIZE`).

    A zip is only identified when ``head`` holds the whole file (its central directory is at
    the end); use :func:`identify` on the file itself for large docx/odt files.
    """
    if not head:
        return None
    if head.startswith(_ZIP_SIGNATURE):
        return _zip_format(io.BytesIO(head))
    if head.startswith(_PNG_SIGNATURE):
        return PNG_FORMAAT
    if head.startswith(b"\xff\xd8\xff"):
        return _jpeg(head)
    if head[:4] in _TIFF_SIGNATURES:
        return TIFF_FORMAAT
    match = _PDF_HEADER.search(head, 0, _PDF_WINDOW + 8)
    if match is not None and match.start() < _PDF_WINDOW:
        return _PDF_VERSIONS.get(match.group(1))
    return None


def identify(handle: BinaryIO) -> Bestandsformaat | None:
    """The format of a seekable binary file, None when unidentified; leaves it at offset 0.

    Reads at most :data:`HEAD_SIZE` bytes for the signature; a zip's central directory and a
    few small members are read through :mod:`zipfile`, which seeks (memory stays flat).
    """
    handle.seek(0)
    try:
        head = handle.read(HEAD_SIZE)
        if head.startswith(_ZIP_SIGNATURE):
            return _zip_format(handle)
        return detect_format(head)
    finally:
        handle.seek(0)


def _jpeg(head: bytes) -> Bestandsformaat:
    """JFIF (APP0) or Exif (APP1) right after the SOI marker, with its version if stated."""
    marker = head[3:4]
    if marker == b"\xe0" and head[6:11] == b"JFIF\x00":
        known = _JFIF_VERSIONS.get(head[11:13])
        if known is not None:
            pronom, version = known
            return Bestandsformaat(JPEG, pronom, f"JPEG File Interchange Format {version}", "jpg")
    if marker == b"\xe1" and head[6:12] == b"Exif\x00\x00":
        length = int.from_bytes(head[4:6], "big")
        found = _EXIF_VERSION_TAG.search(head, 12, 4 + length)
        exif = (found.group(1) or found.group(2)) if found is not None else b""
        if exif in _EXIF_VERSIONS:
            pronom, label = _EXIF_VERSIONS[exif]
            return Bestandsformaat(
                JPEG, pronom, f"Exchangeable Image File Format (Compressed) {label}", "jpg"
            )
    return RAW_JPEG


def _zip_format(handle: BinaryIO) -> Bestandsformaat | None:
    """DOCX or ODT by their members; any other zip (or a broken one) is unidentified."""
    try:
        with zipfile.ZipFile(handle) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and _member(archive, "mimetype").strip() == ODT.encode():
                return _odt(archive, names)
            if (
                "word/document.xml" in names
                and "[Content_Types].xml" in names
                and _DOCX_MAIN in _member(archive, "[Content_Types].xml")
            ):
                return DOCX_FORMAAT
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        return None
    except (NotImplementedError, RuntimeError):  # unknown compression, encrypted member
        return None
    return None


def _member(archive: zipfile.ZipFile, name: str) -> bytes:
    with archive.open(name) as member:
        return member.read(_MEMBER_CAP)


def _odt(archive: zipfile.ZipFile, names: set[str]) -> Bestandsformaat:
    """ODF 1.2 and later state their version on the manifest root; 1.0/1.1 do not (-> 1.1).

    A version this table does not know (a future ODF) is recorded as 1.2, the generic choice.
    """
    version = None
    if "META-INF/manifest.xml" in names:
        try:
            root = parse_xml(_member(archive, "META-INF/manifest.xml"))
            version = root.get(f"{{{_MANIFEST_NS}}}version")
        except StufError:
            version = "1.2"
        if version is None:
            return _ODT_VERSIONS["1.1"]
    return _ODT_VERSIONS.get(version or "1.2", _ODT_VERSIONS["1.2"])

"""Documents in other formats than pdf, archived through MyLexTarget into the SFTP MyLex.

A png and a docx land as ``<id>.png`` / ``<id>.docx`` with a schema-valid bestand sidecar that
names their PRONOM code; the listing and ``is_applied`` find them; text is refused.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from adapters.base import Operation
from adapters.document import ARCHIVEER_DOCUMENT, UnsupportedFormatError
from adapters.mylex import MyLexClient, MyLexConfig
from adapters.mylex.target import MyLexTarget
from simulators.mylex import MyLexArchive, validate_mdto
from simulators.sftp.testing import SftpArea
from stuf.xml import parse_xml
from tests.adapters_xtendis.test_target import blob

MDTO = "{https://www.nationaalarchief.nl/mdto}"
ZAAK = "1900-2024-00000009"


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


def docx_bytes() -> bytes:
    main = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            f'<Override PartName="/word/document.xml" ContentType="{main}"/></Types>',
        )
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def operation(content: dict[str, Any], identificatie: str, formaat: str | None) -> Operation:
    return Operation(
        target_system="mylex",
        name=ARCHIVEER_DOCUMENT,
        ledger_key=f"gws4all:{identificatie}:mylex",
        target_key=identificatie,
        data={
            "document": {
                "identificatie": identificatie,
                "titel": "Brief van de inwoner",
                "zaak_identificatie": ZAAK,
                "formaat": formaat,  # what the source says: never trusted
                "bestandsnaam": "bijlage.pdf",
                "creatiedatum": "2024-03-01",
            },
            "content": content,
            "jaar": 2024,
            "waardering": "V",
        },
    )


@pytest.fixture
def target(make_config: Callable[..., MyLexConfig]) -> Iterator[MyLexTarget]:
    made = MyLexTarget(make_config())
    yield made
    made.close()


def _bestand(folder: Path, naam: str) -> tuple[bytes, str, str]:
    data = (folder / f"{naam}.bestand.MDTO.xml").read_bytes()
    formaat = parse_xml(data).find(f"{MDTO}bestand/{MDTO}bestandsformaat")
    assert formaat is not None
    code = formaat.findtext(f"{MDTO}begripCode") or ""
    label = formaat.findtext(f"{MDTO}begripLabel") or ""
    return data, code, label


def test_a_png_and_a_docx_are_archived_in_their_own_format(
    target: MyLexTarget,
    mylex: MyLexClient,
    archive: MyLexArchive,
    sftp_area: SftpArea,
    tmp_path: Path,
) -> None:
    png, docx = png_bytes(), docx_bytes()
    foto = operation(blob(tmp_path, png, "foto"), f"{ZAAK}-D01", "application/pdf")
    brief = operation(blob(tmp_path, docx, "brief"), f"{ZAAK}-D02", None)
    for op in (brief, foto):
        target.apply(op)
        assert target.is_applied(op)

    folder = archive.archief / "2024" / ZAAK
    assert sorted(p.name for p in folder.iterdir()) == [
        f"{ZAAK}-D01.MDTO.xml",
        f"{ZAAK}-D01.png",
        f"{ZAAK}-D01.png.bestand.MDTO.xml",
        f"{ZAAK}-D02.MDTO.xml",
        f"{ZAAK}-D02.docx",
        f"{ZAAK}-D02.docx.bestand.MDTO.xml",
    ]
    assert (folder / f"{ZAAK}-D01.png").read_bytes() == png
    for naam, code, label in (
        (f"{ZAAK}-D01.png", "fmt/13", "Portable Network Graphics 1.2"),
        (f"{ZAAK}-D02.docx", "fmt/412", "Microsoft Word for Windows 2007 onwards"),
    ):
        data, found_code, found_label = _bestand(folder, naam)
        assert validate_mdto(data) == []
        assert (found_code, found_label) == (code, label)
        assert parse_xml(data).findtext(f"{MDTO}bestand/{MDTO}naam") == naam
    assert archive.validate_all() == {}
    assert list(archive.verify()) == []  # the simulator finds the content of any extension

    listing = list(mylex.iter_listing())
    root = f"{sftp_area.remote}/archief/2024/{ZAAK}"
    assert [(e.identificatie, e.locatie) for e in listing] == [
        (f"{ZAAK}-D01", f"{root}/{ZAAK}-D01.png"),
        (f"{ZAAK}-D02", f"{root}/{ZAAK}-D02.docx"),
    ]
    assert listing[0].size == len(png) and listing[1].size == len(docx)
    entry = mylex.entry(f"{ZAAK}-D02", 2024, ZAAK)
    assert entry is not None and entry.locatie == f"{root}/{ZAAK}-D02.docx"


def test_a_pdf_keeps_its_old_name_and_pronom_code(
    target: MyLexTarget, archive: MyLexArchive, tmp_path: Path
) -> None:
    target.apply(operation(blob(tmp_path, pdf_bytes()), f"{ZAAK}-D03", "image/png"))
    folder = archive.archief / "2024" / ZAAK
    assert (folder / f"{ZAAK}-D03.pdf").read_bytes() == pdf_bytes()
    assert _bestand(folder, f"{ZAAK}-D03.pdf")[1] == "fmt/18"


def test_a_new_format_replaces_the_old_one_and_the_listing_shows_one(
    target: MyLexTarget, mylex: MyLexClient, archive: MyLexArchive, tmp_path: Path
) -> None:
    identificatie = f"{ZAAK}-D04"
    folder = archive.archief / "2024" / ZAAK
    target.apply(operation(blob(tmp_path, pdf_bytes(), "v1"), identificatie, None))
    stale = tmp_path / "stale"
    stale.mkdir()
    for name in (f"{identificatie}.pdf", f"{identificatie}.pdf.bestand.MDTO.xml"):
        shutil.copy(folder / name, stale / name)
    png = operation(blob(tmp_path, png_bytes(), "v2"), identificatie, None)
    target.apply(png)
    assert sorted(p.name for p in folder.iterdir()) == [
        f"{identificatie}.MDTO.xml",
        f"{identificatie}.png",
        f"{identificatie}.png.bestand.MDTO.xml",
    ]
    # A put cut before it removed the old format: the informatieobject names the png.
    for name in (f"{identificatie}.pdf", f"{identificatie}.pdf.bestand.MDTO.xml"):
        shutil.copy(stale / name, folder / name)
    (only,) = mylex.iter_listing()
    assert only.identificatie == identificatie and only.locatie.endswith(".png")
    assert target.is_applied(png)


def test_unidentifiable_content_is_refused_and_nothing_is_written(
    target: MyLexTarget, archive: MyLexArchive, tmp_path: Path
) -> None:
    text = operation(blob(tmp_path, b"Geachte heer,\n" * 100), f"{ZAAK}-D05", "application/pdf")
    with pytest.raises(UnsupportedFormatError) as caught:
        target.apply(text)
    assert caught.value.reason == "unsupported_format"
    assert "niet herkend" in str(caught.value)
    assert list(archive.archief.iterdir()) == []

"""The Xtendis index XML and receipt, built and read with lxml (never string templates).

Why separate from the client: these are pure functions of data, testable without a server,
and the one place where the index contract (``docs/file-layouts.md``) is spelled out in code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from lxml import etree

from adapters.errors import InvalidMessageError, PermanentError
from privacy.masking import mask_text
from stuf.errors import StufError
from stuf.xml import parse_xml

__all__ = [
    "INDEX_NS",
    "RECEIPT_NS",
    "SYSTEM",
    "Receipt",
    "XtendisIndex",
    "XtendisRejectedError",
    "build_index",
    "parse_receipt",
]

SYSTEM = "xtendis"
INDEX_NS = "urn:ketenbrug:sim:xtendis-index:1"
RECEIPT_NS = "urn:ketenbrug:sim:xtendis-receipt:1"
#: Error codes after which the documented answer is a re-drop under a new name.
REDROP_CODES = frozenset({"CHECKSUM_MISMATCH", "DOCUMENT_MISSING", "INDEX_MISSING"})


@dataclass(frozen=True)
class XtendisIndex:
    """The index fields of one document; ``bsn`` keys the client dossier.

    ``bsn`` and ``naam`` are left out of ``repr`` so a logged index shows no personal data.
    """

    archief: str
    bsn: str = field(repr=False)
    kenmerk: str
    documenttype: str
    documentdatum: date | str
    titel: str
    naam: str = field(default="", repr=False)
    zaaknummer: str = ""
    bron: str = "Ketenbrug"
    bestandsnaam: str = ""


class XtendisRejectedError(PermanentError):
    """Xtendis answered a drop with an error receipt (``code`` is its reason code)."""

    reason = "xtendis_rejected"

    def __init__(self, name: str, code: str, text: str) -> None:
        super().__init__(
            mask_text(f"Xtendis weigerde {name}: {code}: {text}")[:500],
            system=SYSTEM,
            operation="drop",
        )
        self.name = name
        self.code = code
        self.text = mask_text(text)
        #: Xtendis' answer to a damaged or incomplete drop is a re-drop under a new name.
        self.redrop = code in REDROP_CODES


@dataclass(frozen=True)
class Receipt:
    """One receipt from ``receipts/``: OK (with the stored document) or FOUT (with reason)."""

    name: str
    ok: bool
    document_id: str = ""
    dossier_id: str = ""
    duplicate: bool = False
    reason_code: str = ""
    reason: str = ""
    verwerkt: str = ""

    def raise_for_error(self) -> Receipt:
        """``self`` when OK; else :class:`XtendisRejectedError` with the reason code."""
        if not self.ok:
            raise XtendisRejectedError(self.name, self.reason_code, self.reason)
        return self


def build_index(index: XtendisIndex) -> bytes:
    """The index XML for ``index``, elements in the documented order, UTF-8."""
    q = f"{{{INDEX_NS}}}"
    root = etree.Element(q + "xtendisIndex", nsmap={None: INDEX_NS}, versie="1")
    etree.SubElement(root, q + "archief").text = index.archief
    dossier = etree.SubElement(root, q + "dossier")
    etree.SubElement(dossier, q + "bsn").text = index.bsn
    if index.naam:
        etree.SubElement(dossier, q + "naam").text = index.naam
    document = etree.SubElement(root, q + "document")
    datum = index.documentdatum
    for tag, value in (
        ("kenmerk", index.kenmerk),
        ("documenttype", index.documenttype),
        ("documentdatum", datum.isoformat() if isinstance(datum, date) else datum),
        ("titel", index.titel),
        ("zaaknummer", index.zaaknummer),
        ("bron", index.bron),
        ("bestandsnaam", index.bestandsnaam),
    ):
        if value:
            etree.SubElement(document, q + tag).text = value
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def parse_receipt(name: str, data: bytes) -> Receipt:
    """Read a receipt through :func:`stuf.xml.parse_xml`; texts are BSN-masked."""
    try:
        root = parse_xml(data)
    except StufError as exc:
        raise InvalidMessageError(
            f"Xtendis ontvangstbevestiging {name} onleesbaar", system=SYSTEM, operation="receipt"
        ) from exc
    q = f"{{{RECEIPT_NS}}}"
    if root.tag != q + "xtendisOntvangstbevestiging":
        raise InvalidMessageError(
            f"Xtendis ontvangstbevestiging {name}: onverwacht element", system=SYSTEM
        )

    def text(path: str) -> str:
        return (root.findtext(q + path) or "").strip()

    reden = root.find(q + "reden")
    return Receipt(
        name=name,
        ok=text("resultaat") == "OK",
        document_id=text("documentId"),
        dossier_id=text("dossierId"),
        duplicate=text("duplicaat") == "true",
        reason_code=(reden.get("code") or "") if reden is not None else "",
        reason=mask_text((reden.text or "").strip()) if reden is not None else "",
        verwerkt=text("verwerkt"),
    )

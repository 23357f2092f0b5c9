"""Writers for document (EDC) objects."""

from __future__ import annotations

import base64

from lxml import etree

from stuf._write import NIL, NOVALUE, attrs, date_text, relation, sub
from stuf.errors import StufError
from stuf.model import Document, NoValue, Text
from stuf.operations import q
from stuf.values import write_value
from stuf.xml import STUF, XMIME, ZKN


def require(value: object, plek: str) -> None:
    """Outbound strictness: a field the schema requires (not nillable) must hold a value."""
    if value is None or isinstance(value, NoValue):
        raise StufError(f"{plek} needs a value in this message", plek=plek)


def inhoud(parent: etree._Element, doc: Document) -> None:
    """``<inhoud>``: base64 of ``doc.inhoud`` with bestandsnaam and contentType attributes."""
    if doc.inhoud is None:
        return
    element = sub(parent, q(ZKN, "inhoud"))
    if doc.bestandsnaam is not None:
        element.set(q(STUF, "bestandsnaam"), doc.bestandsnaam)
    if doc.content_type is not None:
        element.set(q(XMIME, "contentType"), doc.content_type)
    if isinstance(doc.inhoud, NoValue):
        element.set(NIL, "true")
        if doc.inhoud is not NoValue.NIL:
            element.set(NOVALUE, doc.inhoud.value)
    else:
        element.text = base64.b64encode(doc.inhoud).decode("ascii")


#: The fields geefLijstZaakdocumenten asks for (and its answer carries).
LIST_SCOPE = (
    "identificatie",
    "dct.omschrijving",
    "creatiedatum",
    "titel",
    "formaat",
    "taal",
    "vertrouwelijkAanduiding",
    "auteur",
)


def document_fields(
    obj: etree._Element, doc: Document, *, voeg_toe: bool, with_inhoud: bool = True
) -> None:
    """The EDC fields in schema order; ``voeg_toe`` enforces what voegZaakdocumentToe needs."""
    if voeg_toe:
        for name, value in (
            ("dct.omschrijving", doc.documenttype_omschrijving),
            ("creatiedatum", doc.creatiedatum),
            ("titel", doc.titel),
            ("vertrouwelijkAanduiding", doc.vertrouwelijkheid),
            ("auteur", doc.auteur),
            ("inhoud", doc.inhoud),
            ("inhoud/@StUF:bestandsnaam", doc.bestandsnaam),
        ):
            require(value, f"object/{name}")
    fields: tuple[tuple[str, Text], ...] = (
        ("identificatie", doc.identificatie),
        ("dct.omschrijving", doc.documenttype_omschrijving),
        ("creatiedatum", date_text(doc.creatiedatum)),
        ("titel", doc.titel),
        ("formaat", NoValue.GEEN_WAARDE if voeg_toe and doc.formaat is None else doc.formaat),
        ("taal", doc.taal),
        ("vertrouwelijkAanduiding", doc.vertrouwelijkheid),
        ("auteur", doc.auteur),
    )
    if not 1 <= len(doc.identificatie) <= 40:
        raise StufError(
            "document identificatie must be 1-40 characters", plek="object/identificatie"
        )
    for name, value in fields:
        write_value(obj, q(ZKN, name), value)
    if with_inhoud:
        inhoud(obj, doc)


def zaak_relatie(obj: etree._Element, doc: Document, *, kennisgeving: bool, required: bool) -> None:
    """``isRelevantVoor``: the zaak the document belongs to."""
    rel = relation(
        obj,
        "isRelevantVoor",
        "EDCZAK",
        present=doc.zaak_identificatie is not None,
        kennisgeving=kennisgeving,
        required=required,
    )
    if rel is None:
        return
    gerelateerde = sub(rel, q(ZKN, "gerelateerde"), attrs("ZAK", kennisgeving, "I"))
    write_value(gerelateerde, q(ZKN, "identificatie"), doc.zaak_identificatie)

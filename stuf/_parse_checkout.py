"""Parsers for editing through check-out (geefZaakdocumentbewerken, cancelCheckout).

Registered into :mod:`stuf.parse`; the check-in (updateZaakdocument) reads its
``checkedOutId`` with :func:`parameter`.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from stuf._reader import Reader
from stuf.model import (
    CancelCheckout,
    GeefZaakdocumentBewerken,
    Message,
    ZaakdocumentBewerkenAntwoord,
)
from stuf.operations import q
from stuf.xml import ZKN

__all__ = ["CHECKOUT_PARSERS", "parameter"]


def parameter(r: Reader, el: etree._Element, local: str) -> str | None:
    """A check-out parameter (``parameters/checkedOutId``, ...) of a Di02/Du02, or None."""
    params = r.child(el, "parameters")
    value = r.child(params, local) if params is not None else None
    text = (value.text or "").strip() if value is not None else ""
    return text or None


def _identificatie(r: Reader, el: etree._Element, path: tuple[str, ...], plek: str) -> str:
    """The ``identificatie`` below ``el`` along ``path`` (message children in any namespace)."""
    holder: etree._Element | None = el
    for local in path:
        holder = r.child(holder, local) if holder is not None else None
        plek = f"{plek}/{local}"
        if holder is None:
            raise r.error(f"{local} missing", plek)
    assert holder is not None
    return r.required(holder, q(ZKN, "identificatie"), f"{plek}/identificatie")


def _bewerken(r: Reader, el: etree._Element, plek: str) -> Message:
    sg = r.stuurgegevens(el, plek)
    return GeefZaakdocumentBewerken(sg, _identificatie(r, el, ("edcLv01", "gelijk"), plek))


def _bewerken_du(r: Reader, el: etree._Element, plek: str) -> Message:
    sg = r.stuurgegevens(el, plek)
    checked_out = parameter(r, el, "checkedOutId")
    if checked_out is None:
        raise r.error("checkedOutId missing", f"{plek}/parameters/checkedOutId")
    edc = r.child(el, "edcLa01")
    antwoord = r.child(edc, "antwoord") if edc is not None else None
    objects = r.objects(antwoord, f"{plek}/edcLa01/antwoord") if antwoord is not None else []
    if not objects:
        raise r.error("answer without document object", f"{plek}/edcLa01/antwoord/object")
    document = r.document(objects[0], f"{plek}/edcLa01/antwoord/object")
    by = parameter(r, el, "checkedOutBy")
    return ZaakdocumentBewerkenAntwoord(sg, document, checked_out, by)


def _cancel(r: Reader, el: etree._Element, plek: str) -> Message:
    sg = r.stuurgegevens(el, plek)
    document = _identificatie(r, el, ("document",), plek)
    return CancelCheckout(sg, document, parameter(r, el, "checkedOutId"))


CHECKOUT_PARSERS: dict[str, Callable[[Reader, etree._Element, str], Message]] = {
    "geefZaakdocumentbewerken": _bewerken,
    "geefZaakdocumentbewerken_Du02": _bewerken_du,
    "cancelCheckout": _cancel,
}

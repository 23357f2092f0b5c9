"""Which element, SOAPAction and functie each ZDS operation uses in 1.1 and 1.2."""

from __future__ import annotations

from typing import NamedTuple

from stuf.xml import STUF, ZDS, ZKN

__all__ = ["OPERATIONS", "Operation", "by_element", "q"]


def q(ns: str, local: str) -> str:
    """Clark notation ``{ns}local``."""
    return f"{{{ns}}}{local}"


class Operation(NamedTuple):
    """One ZDS operation (``function``) and how each version names it."""

    function: str
    element_11: str
    element_12: str
    action_11: str
    action_12: str


_ZKN_ACTION = "http://www.egem.nl/StUF/sector/zkn/0310/"
_ZDS_ACTION = "http://www.stufstandaarden.nl/koppelvlak/zds0120/"
_STUF_ACTION = "http://www.egem.nl/StUF/StUF0301/"


def _op(function: str, e11: str, e12: str, a11: str, a12: str) -> Operation:
    return Operation(function, e11, e12, _ZKN_ACTION + a11, _ZDS_ACTION + a12)


OPERATIONS: dict[str, Operation] = {
    op.function: op
    for op in (
        _op(
            "genereerZaakIdentificatie",
            q(ZKN, "genereerZaakIdentificatie_Di02"),
            q(ZDS, "genereerZaakIdentificatie_Di02"),
            "genereerZaakIdentificatie_Di02",
            "genereerZaakIdentificatie_Di02",
        ),
        _op(
            "genereerZaakIdentificatie_Du02",
            q(ZKN, "genereerZaakIdentificatie_Du02"),
            q(ZDS, "genereerZaakIdentificatie_Du02"),
            "genereerZaakIdentificatie_Di02",
            "genereerZaakIdentificatie_Di02",
        ),
        _op(
            "genereerDocumentIdentificatie",
            q(ZKN, "genereerDocumentIdentificatie_Di02"),
            q(ZDS, "genereerDocumentIdentificatie_Di02"),
            "genereerDocumentIdentificatie_Di02",
            "genereerDocumentIdentificatie_Di02",
        ),
        _op(
            "genereerDocumentIdentificatie_Du02",
            q(ZKN, "genereerDocumentIdentificatie_Du02"),
            q(ZDS, "genereerDocumentIdentificatie_Du02"),
            "genereerDocumentIdentificatie_Di02",
            "genereerDocumentIdentificatie_Di02",
        ),
        _op(
            "creeerZaak",
            q(ZKN, "zakLk01"),
            q(ZDS, "creeerZaak_ZakLk01"),
            "creeerZaak_Lk01",
            "creeerZaak_ZakLk01",
        ),
        _op(
            "updateZaak",
            q(ZKN, "zakLk01"),
            q(ZDS, "updateZaak_ZakLk01"),
            "updateZaak_Lk01",
            "updateZaak_ZakLk01",
        ),
        _op(
            "actualiseerZaakstatus",
            q(ZKN, "zakLk01"),
            q(ZDS, "actualiseerZaakstatus_ZakLk01"),
            "actualiseerZaakstatus_Lk01",
            "actualiseerZaakstatus_ZakLk01",
        ),
        _op(
            "geefZaakdetails",
            q(ZKN, "zakLv01"),
            q(ZDS, "geefZaakdetails_ZakLv01"),
            "geefZaakdetails_Lv01",
            "geefZaakdetails_ZakLv01",
        ),
        _op(
            "geefZaakdetails_La01",
            q(ZKN, "zakLa01"),
            q(ZDS, "geefZaakdetails_ZakLa01"),
            "geefZaakdetails_Lv01",
            "geefZaakdetails_ZakLv01",
        ),
        _op(
            "geefZaakstatus",
            q(ZKN, "zakLv01"),
            q(ZDS, "geefZaakstatus_ZakLv01"),
            "geefZaakstatus_Lv01",
            "geefZaakstatus_ZakLv01",
        ),
        _op(
            "geefZaakstatus_La01",
            q(ZKN, "zakLa01"),
            q(ZDS, "geefZaakstatus_ZakLa01"),
            "geefZaakstatus_Lv01",
            "geefZaakstatus_ZakLv01",
        ),
        _op(
            "geefLijstZaakdocumenten",
            q(ZKN, "zakLv01"),
            q(ZDS, "geefLijstZaakdocumenten_ZakLv01"),
            "geefLijstZaakdocumenten_Lv01",
            "geefLijstZaakdocumenten_ZakLv01",
        ),
        _op(
            "geefLijstZaakdocumenten_La01",
            q(ZKN, "zakLa01"),
            q(ZDS, "geefLijstZaakdocumenten_ZakLa01"),
            "geefLijstZaakdocumenten_Lv01",
            "geefLijstZaakdocumenten_ZakLv01",
        ),
        _op(
            "geefZaakdocumentLezen",
            q(ZKN, "edcLv01"),
            q(ZDS, "geefZaakdocumentLezen_EdcLv01"),
            "geefZaakdocumentLezen_Lv01",
            "geefZaakdocumentLezen_EdcLv01",
        ),
        _op(
            "geefZaakdocumentLezen_La01",
            q(ZKN, "edcLa01"),
            q(ZDS, "geefZaakdocumentLezen_EdcLa01"),
            "geefZaakdocumentLezen_Lv01",
            "geefZaakdocumentLezen_EdcLv01",
        ),
        _op(
            "voegZaakdocumentToe",
            q(ZKN, "edcLk01"),
            q(ZDS, "voegZaakdocumentToe_EdcLk01"),
            "voegZaakdocumentToe_Lk01",
            "voegZaakdocumentToe_EdcLk01",
        ),
        _op(
            "updateZaakdocument",
            q(ZKN, "updateZaakdocument_Di02"),
            q(ZDS, "updateZaakdocument_Di02"),
            "updateZaakdocument_Di02",
            "updateZaakdocument_Di02",
        ),
        _op(
            "geefZaakdocumentbewerken",
            q(ZKN, "geefZaakdocumentbewerken_Di02"),
            q(ZDS, "geefZaakdocumentBewerken_Di02"),
            "geefZaakdocumentbewerken_Di02",
            "geefZaakdocumentbewerken_Di02",  # the 1.2 WSDL's action keeps the lower-case b
        ),
        _op(
            "geefZaakdocumentbewerken_Du02",
            q(ZKN, "geefZaakdocumentbewerken_Du02"),
            q(ZDS, "geefZaakdocumentBewerken_Du02"),
            "geefZaakdocumentbewerken_Di02",
            "geefZaakdocumentbewerken_Di02",  # the 1.2 WSDL's action keeps the lower-case b
        ),
        _op(
            "cancelCheckout",
            q(ZKN, "cancelCheckout_Di02"),
            q(ZDS, "cancelCheckout_Di02"),
            "cancelCheckout_Di02",
            "cancelCheckout_Di02",
        ),
    )
}

#: StUF generic messages: same element and action in both versions.
STUF_ACTIONS = {
    code: _STUF_ACTION + code for code in ("Bv01", "Bv02", "Bv03", "Fo01", "Fo02", "Fo03")
}
STUF_ELEMENTS = {q(STUF, f"{code}Bericht"): code for code in STUF_ACTIONS}

_BY_ELEMENT: dict[str, list[Operation]] = {}
for _operation in OPERATIONS.values():
    for _element in {_operation.element_11, _operation.element_12}:
        _BY_ELEMENT.setdefault(_element, []).append(_operation)


def by_element(tag: str) -> list[Operation]:
    """The operations a root element can be (one for 1.2, several for a 1.1 ``zakLk01``)."""
    return _BY_ELEMENT.get(tag, [])

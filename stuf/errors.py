"""The codec's one error type.

``StufError`` carries the fields of a StUF ``Fo0x`` body, so a receiver can answer a message
it cannot understand with a proper foutbericht (see :func:`stuf.build_fault`)::

    StufError                 meaning unclear, schema breach, unknown message
    └── UnsafeXmlError        DTD, entity or network reference refused before parsing

Every text is passed through :func:`privacy.masking.mask_text`: no BSN ever reaches
``str(err)``, a log line or a warning.
"""

from __future__ import annotations

from privacy.masking import mask_text

__all__ = ["StufError", "UnsafeXmlError"]

# StUF 03.01 foutcodes the codec uses (StUF 03.01, tabel 4.1).
BERICHTCODE_ONBEKEND = "StUF019"
BERICHTCODE_NIET_ONDERSTEUND = "StUF025"
ENTITEITTYPE_ONBEKEND = "StUF028"
FUNCTIE_ONBEKEND = "StUF034"
COMBINATIE_NIET_ONDERSTEUND = "StUF040"
NIET_CONFORM_SCHEMA = "StUF055"
PROCES_FOUT = "StUF058"


class StufError(Exception):
    """A StUF message that could not be understood or built.

    :param omschrijving: readable reason (masked for BSNs before it is stored).
    :param code: StUF foutcode, e.g. ``StUF055``.
    :param plek: XPath-like location of the problem (``/zakLk01/object/startdatum``).
    :param berichtcode: ``Fo01``, ``Fo02`` or ``Fo03``: the kind of foutbericht to answer with.
    """

    def __init__(
        self,
        omschrijving: str,
        *,
        code: str = NIET_CONFORM_SCHEMA,
        plek: str = "client",
        berichtcode: str = "Fo02",
    ) -> None:
        self.omschrijving = mask_text(omschrijving)
        self.code = code
        self.plek = mask_text(plek)
        self.berichtcode = berichtcode
        super().__init__(self.omschrijving)

    def __str__(self) -> str:
        return f"{self.berichtcode} {self.code} at {self.plek}: {self.omschrijving}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(berichtcode={self.berichtcode!r}, code={self.code!r}, "
            f"plek={self.plek!r}, omschrijving={self.omschrijving!r})"
        )


class UnsafeXmlError(StufError):
    """The input carried a DTD, an entity or a network reference; it was not parsed."""

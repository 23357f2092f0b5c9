"""Specifications as a PDF a resident can read (fpdf2): a title, who and when, the lines, a total.

Why one small writer for every source: the GWS4all uitkeringsspecificatie and Allegro's budget
specification are both "lines of euro amounts with a total". The output is deterministic (fixed
creation date, no random document id), so the same specification gives the same bytes, the
same SHA-256 and therefore no new version; a corrected one gives other bytes and a new version.
Amounts are euro cents in, ``€ 1.234,56`` (Dutch notation) out; the core fonts know cp1252
only, so text outside it is replaced, never an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from fpdf import FPDF

__all__ = ["PdfSpecificatie", "euro", "render_specificatie"]

_FIXED = datetime(2000, 1, 1, tzinfo=UTC)


def euro(cents: int) -> str:
    """Euro cents as Dutch money: 123456 -> ``€ 1.234,56``, -500 -> ``-€ 5,00``."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    grouped = f"{whole:,}".replace(",", ".")
    return f"{sign}€ {grouped},{rest:02d}"


@dataclass(frozen=True)
class PdfSpecificatie:
    """What goes on the page: ``regels`` are (omschrijving, signed cents)."""

    titel: str
    kop: Sequence[tuple[str, str]]
    regels: Sequence[tuple[str, int]]
    totaal_label: str
    totaal_cent: int
    voetnoot: str = ""
    afzender: str = "Gemeente"
    extra: Sequence[str] = field(default_factory=tuple)


def _safe(text: str) -> str:
    return text.encode("cp1252", "replace").decode("cp1252")


def render_specificatie(spec: PdfSpecificatie) -> bytes:
    """The specification as PDF bytes (A4, one or more pages)."""
    pdf = FPDF(format="A4")
    pdf.core_fonts_encoding = "windows-1252"  # the euro sign is in cp1252, not in latin-1
    pdf.set_creation_date(_FIXED)
    pdf.set_title(_safe(spec.titel))
    pdf.set_author(_safe(spec.afzender))
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(0, 10, _safe(spec.titel), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, _safe(spec.afzender), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for label, value in spec.kop:
        pdf.cell(45, 6, _safe(label))
        pdf.cell(0, 6, _safe(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(110, 7, "Omschrijving", border="B")
    pdf.cell(35, 7, "Bij", border="B", align="R")
    pdf.cell(35, 7, "Af", border="B", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for omschrijving, cents in spec.regels:
        pdf.cell(110, 6, _safe(omschrijving)[:70])
        pdf.cell(35, 6, _safe(euro(cents)) if cents >= 0 else "", align="R")
        pdf.cell(
            35,
            6,
            _safe(euro(-cents)) if cents < 0 else "",
            align="R",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(110, 8, _safe(spec.totaal_label), border="T")
    pdf.cell(70, 8, _safe(euro(spec.totaal_cent)), border="T", align="R")
    pdf.ln(12)
    pdf.set_font("Helvetica", "", 9)
    for line in (*spec.extra, spec.voetnoot):
        if line:
            pdf.multi_cell(0, 5, _safe(line), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())

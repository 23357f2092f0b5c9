"""Retention per zaaktype (``archiefbeleid.csv``): what the archives record and when a document
may be proposed for destruction.

Why a table: the archiefnominatie, bewaartermijn and selectielijst category are decisions of
the municipality's archivist (Selectielijst gemeenten en intergemeentelijke organen 2020), not
of the code. Ketenbrug writes them into MyLex's MDTO (``waardering``, ``bewaartermijn``,
``informatiecategorie``) and lists documents whose term has passed as a vernietigingslijst for
beheer; it never destroys a document itself.

Columns: ``zaaktype;archiefnominatie;bewaartermijn;selectielijst_categorie;omschrijving``.
``archiefnominatie`` is ``vernietigen`` (``bewaartermijn`` required: whole years, ``P10Y``) or
``blijvend_bewaren`` (``bewaartermijn`` empty). The first sentence of ``omschrijving`` is the
category's name as MDTO records it (``begripLabel``); the rest is a remark for beheer. The row
``*`` is for documents whose zaaktype is unknown and must be the safest: blijvend bewaren, or
at least the longest bewaartermijn of the table. When ``zaaktypen.csv`` is beside it, every
e-Suite zaaktype there needs a row.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ARCHIEFBELEID",
    "BLIJVEND",
    "STANDAARD",
    "VERNIETIGEN",
    "Archiefbeleid",
    "Beleid",
    "load_archiefbeleid",
    "validate_archiefbeleid",
]

ARCHIEFBELEID = "archiefbeleid.csv"
VERNIETIGEN = "vernietigen"
BLIJVEND = "blijvend_bewaren"
#: The row for documents whose zaaktype is unknown.
STANDAARD = "*"
_COLUMNS = (
    "zaaktype",
    "archiefnominatie",
    "bewaartermijn",
    "selectielijst_categorie",
    "omschrijving",
)
_TERMIJN = re.compile(r"^P([1-9]\d{0,2})Y$")
_CATEGORIE = re.compile(r"^\d{1,2}(\.\d{1,2}){1,3}$")


@dataclass(frozen=True)
class Beleid:
    """One zaaktype's retention."""

    zaaktype: str
    archiefnominatie: str
    bewaartermijn: str | None
    selectielijst_categorie: str
    omschrijving: str

    @property
    def waardering(self) -> str:
        """MDTO's waardering code: ``V`` (te vernietigen) or ``B`` (blijvend te bewaren)."""
        return "V" if self.archiefnominatie == VERNIETIGEN else "B"

    @property
    def jaren(self) -> int | None:
        match = _TERMIJN.match(self.bewaartermijn or "")
        return int(match.group(1)) if match else None

    @property
    def categorie_naam(self) -> str:
        """The category's name: the first sentence of ``omschrijving``."""
        naam = self.omschrijving.split(". ", 1)[0].strip().rstrip(".")
        return naam or self.selectielijst_categorie


@dataclass(frozen=True)
class Archiefbeleid:
    rows: dict[str, Beleid]

    def voor(self, zaaktype: str | None) -> Beleid:
        """The zaaktype's row, else the ``*`` row (the validator guarantees there is one)."""
        return self.rows.get(zaaktype or STANDAARD) or self.rows[STANDAARD]


def _zaaktypen(folder: Path) -> set[str]:
    path = folder / "zaaktypen.csv"
    if not path.exists():
        return set()
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            (row.get("zaaktype") or "").strip()
            for row in csv.DictReader(handle, delimiter=";")
            if (row.get("zaaktype") or "").strip()
        }


def _row(raw: list[str], where: str, findings: list[str]) -> Beleid | None:
    zaaktype, nominatie, termijn, categorie = (cell.strip() for cell in raw[:4])
    before = len(findings)
    if not zaaktype:
        findings.append(f"{where}: zaaktype ontbreekt")
    if nominatie == VERNIETIGEN:
        if not _TERMIJN.match(termijn):
            findings.append(
                f"{where}: bewaartermijn {termijn!r} moet een termijn in hele jaren zijn "
                "(zoals P10Y) bij vernietigen"
            )
    elif nominatie == BLIJVEND:
        if termijn:
            findings.append(f"{where}: blijvend_bewaren heeft geen bewaartermijn ({termijn!r})")
    else:
        findings.append(
            f"{where}: archiefnominatie {nominatie!r} moet {VERNIETIGEN} of {BLIJVEND} zijn"
        )
    if not _CATEGORIE.match(categorie):
        findings.append(
            f"{where}: selectielijst_categorie {categorie!r} is geen categorie als 1.1.4"
        )
    if len(findings) != before:
        return None
    return Beleid(zaaktype, nominatie, termijn or None, categorie, raw[4].strip())


def _read(folder: Path) -> tuple[Archiefbeleid, list[str]]:
    path = folder / ARCHIEFBELEID
    findings: list[str] = []
    rows: dict[str, Beleid] = {}
    if not path.exists():
        return Archiefbeleid(rows), [f"{path.name}: bestand ontbreekt"]
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter=";")
        header = next(reader, None)
        if header is None or tuple(h.strip() for h in header) != _COLUMNS:
            return Archiefbeleid(rows), [f"{path.name}: kopregel moet {';'.join(_COLUMNS)} zijn"]
        for line, raw in enumerate(reader, start=2):
            if not any(cell.strip() for cell in raw):
                continue
            where = f"{path.name} regel {line}"
            if len(raw) != len(_COLUMNS):
                findings.append(f"{where}: {len(raw)} kolommen, verwacht {len(_COLUMNS)}")
                continue
            beleid = _row(raw, where, findings)
            if beleid is None:
                continue
            if beleid.zaaktype in rows:
                findings.append(f"{where}: zaaktype {beleid.zaaktype} staat er twee keer")
                continue
            rows[beleid.zaaktype] = beleid
    findings += _whole(path.name, rows, _zaaktypen(folder))
    return Archiefbeleid(rows), findings


def _whole(name: str, rows: dict[str, Beleid], zaaktypen: set[str]) -> list[str]:
    """Checks of the table as a whole: every zaaktype covered, ``*`` present and safest."""
    findings = [
        f"{name}: zaaktype {zaaktype} (zaaktypen.csv) heeft geen archiefbeleid"
        for zaaktype in sorted(zaaktypen - set(rows))
    ]
    standaard = rows.get(STANDAARD)
    if standaard is None:
        return [*findings, f"{name}: de regel '*' (onbekend zaaktype) ontbreekt"]
    longest = max((b.jaren or 0 for b in rows.values()), default=0)
    if standaard.archiefnominatie == VERNIETIGEN and (standaard.jaren or 0) < longest:
        findings.append(
            f"{name}: de regel '*' moet de langste bewaartermijn van de tabel hebben "
            f"(P{longest}Y) of blijvend_bewaren zijn: een onbekend zaaktype mag nooit eerder "
            "vernietigd worden dan een bekend"
        )
    return findings


def validate_archiefbeleid(folder: Path) -> list[str]:
    """Every problem in the retention table under ``folder`` (empty: sound)."""
    return _read(folder)[1]


def load_archiefbeleid(folder: Path | None = None) -> Archiefbeleid:
    """The retention table, refusing (MappingError) any finding: never half a table."""
    from mappings.tables import DEFAULT_DIR, MappingError

    beleid, findings = _read(folder or DEFAULT_DIR)
    if findings:
        raise MappingError(findings)
    return beleid

"""Functiescheiding: which systems receive a zaaktype's zaken and documents
(``zaaktype_routering.csv``).

Why a table: which systems may see a zaak is a decision of the municipality, not of the code.
Debt help (schuldhulpverlening, Allegro) stays with debt help: its zaken do not go to the
general zaaksysteem (the e-Suite, and so MijnLoket) and its documents go to the client's
debt-help dossier in Xtendis only, not to the e-Suite or the old archive MyLex. Beheer changes
that here, per zaaktype.

Columns: ``zaaktype;zaaksysteem;dossier;archief;omschrijving``; ``zaaksysteem`` and ``archief``
(MyLex) are ``ja`` or ``nee``, ``dossier`` is the Xtendis archive (``WERK_INKOMEN``,
``SCHULDHULP``) or empty for none. The zaaktype is the zaaksysteem's code (``zaaktypen.csv``
maps a source's code to it).

A zaaktype not in the table (or a zaak whose zaaktype is not known) fails safe:

- from a debt-help source (allegro): the schuldhulp route, Xtendis SCHULDHULP only. A debt-help
  zaak that slips into the e-Suite cannot be taken back from MijnLoket; one kept out can be
  let in later by a row here and a resend.
- from the old archive (bron ``mylex``, the migration to the e-Suite): the table's row when the
  zaaktype is listed; otherwise the document stays where it is (in MyLex only), because MyLex
  holds debt-help documents too and a document whose zaaktype nobody knows may be one.
- from any other source (gws4all, the e-Suite itself): the general route (e-Suite,
  Xtendis WERK_INKOMEN, MyLex), as before this table existed.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "ALGEMEEN",
    "DOSSIERS",
    "MIGRATIE_ONBEKEND",
    "SCHULDHULP",
    "SCHULDHULP_BRONNEN",
    "ZAAKTYPE_ROUTERING",
    "Route",
    "ZaaktypeRoutering",
    "load_zaaktype_routering",
    "validate_zaaktype_routering",
]

ZAAKTYPE_ROUTERING = "zaaktype_routering.csv"
_COLUMNS = ("zaaktype", "zaaksysteem", "dossier", "archief", "omschrijving")
#: The Xtendis archives a dossier write may go to.
DOSSIERS = ("WERK_INKOMEN", "SCHULDHULP")
_JA_NEE = {"ja": True, "nee": False}
#: Sources whose zaken are debt help: an unlisted zaaktype takes the schuldhulp route.
SCHULDHULP_BRONNEN = frozenset({"allegro"})
#: The old archive as a source (the migration MyLex -> e-Suite).
_MIGRATIE_BRON = "mylex"


@dataclass(frozen=True)
class Route:
    """Where a zaak and its documents go: the zaaksysteem (and so MijnLoket), the Xtendis
    archive of the client's dossier (None: no dossier write), the old archive MyLex."""

    zaaksysteem: bool
    dossier: str | None
    archief: bool


#: The general route: e-Suite, the Werk en Inkomen dossier, MyLex.
ALGEMEEN = Route(zaaksysteem=True, dossier="WERK_INKOMEN", archief=True)
#: Debt help: the schuldhulp dossier in Xtendis only.
SCHULDHULP = Route(zaaksysteem=False, dossier="SCHULDHULP", archief=False)
#: An old-archive document of an unknown zaaktype: it stays in MyLex, nowhere else.
MIGRATIE_ONBEKEND = Route(zaaksysteem=False, dossier=None, archief=True)


@dataclass(frozen=True)
class ZaaktypeRoutering:
    """Per zaaktype its route; :meth:`route` adds the fail-safe default per source."""

    rows: dict[str, Route] = field(default_factory=dict)

    def route(self, zaaktype: str | None, bron: str) -> Route:
        """The route of a zaak (or its document) of ``zaaktype`` coming from ``bron``.

        ``route(zaaktype, "mylex").zaaksysteem`` says whether an old archive document may
        enter the e-Suite: only when its zaaktype is listed with ``zaaksysteem`` ja.
        """
        if zaaktype and zaaktype in self.rows:
            return self.rows[zaaktype]
        if bron in SCHULDHULP_BRONNEN:
            return SCHULDHULP
        if bron == _MIGRATIE_BRON:
            return MIGRATIE_ONBEKEND
        return ALGEMEEN


def _read(path: Path) -> tuple[ZaaktypeRoutering, list[str]]:
    findings: list[str] = []
    rows: dict[str, Route] = {}
    if not path.exists():
        return ZaaktypeRoutering(rows), [f"{path.name}: bestand ontbreekt"]
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter=";")
        header = next(reader, None)
        if header is None or tuple(h.strip() for h in header) != _COLUMNS:
            return ZaaktypeRoutering(rows), [
                f"{path.name}: kopregel moet {';'.join(_COLUMNS)} zijn"
            ]
        for line, raw in enumerate(reader, start=2):
            if not any(cell.strip() for cell in raw):
                continue
            where = f"{path.name} regel {line}"
            if len(raw) != len(_COLUMNS):
                findings.append(f"{where}: {len(raw)} kolommen, verwacht {len(_COLUMNS)}")
                continue
            zaaktype, zaaksysteem, dossier, archief = (cell.strip() for cell in raw[:4])
            if not zaaktype:
                findings.append(f"{where}: zaaktype ontbreekt")
                continue
            wrong = [
                f"{column} moet ja of nee zijn, niet {value!r}"
                for column, value in (("zaaksysteem", zaaksysteem), ("archief", archief))
                if value not in _JA_NEE
            ]
            if dossier and dossier not in DOSSIERS:
                wrong.append(
                    f"dossier moet {' of '.join(DOSSIERS)} zijn of leeg (geen), niet {dossier!r}"
                )
            if wrong:
                findings.append(f"{where}: {'; '.join(wrong)}")
                continue
            route = Route(_JA_NEE[zaaksysteem], dossier or None, _JA_NEE[archief])
            if route == Route(False, None, False):
                findings.append(
                    f"{where}: {zaaktype} gaat nergens heen (zaaksysteem nee, geen dossier, "
                    "archief nee): de zaken en documenten zouden verloren gaan"
                )
                continue
            if zaaktype in rows:
                findings.append(f"{where}: zaaktype {zaaktype} staat er twee keer")
                continue
            rows[zaaktype] = route
    return ZaaktypeRoutering(rows), findings


def validate_zaaktype_routering(folder: Path) -> list[str]:
    """Every problem in the zaaktype routing under ``folder`` (empty: sound)."""
    return _read(folder / ZAAKTYPE_ROUTERING)[1]


def load_zaaktype_routering(folder: Path | None = None) -> ZaaktypeRoutering:
    """The zaaktype routing, refusing (MappingError) any finding: never half a table.

    A folder without the file has no rows: every zaaktype takes its source's fail-safe default.
    """
    from mappings.tables import DEFAULT_DIR, MappingError

    path = (folder or DEFAULT_DIR) / ZAAKTYPE_ROUTERING
    if not path.exists():
        return ZaaktypeRoutering()
    routering, findings = _read(path)
    if findings:
        raise MappingError(findings)
    return routering

"""The routing of specifications per zaaktype: which zaaktype's clients get which source's
specification, and in which system it is filed (``specificatie_routering.csv``).

Why a table: functiescheiding is a decision of the municipality, not of the code. Debt help
(Allegro) data stays with debt help: its specifications go to the client's dossier in Xtendis
only, never to the general e-Suite or MyLex. Beheer reads and changes the routing here.

Columns: ``bron;zaaktype;doel;omschrijving``; ``bron`` is gws4all or allegro, ``doel`` esuite
or xtendis. Allegro may be routed to xtendis only (the validator refuses anything else).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ROUTERING",
    "Routering",
    "load_routering",
    "validate_routering",
]

ROUTERING = "specificatie_routering.csv"
_COLUMNS = ("bron", "zaaktype", "doel", "omschrijving")
_BRONNEN = {"gws4all": {"esuite"}, "allegro": {"xtendis"}}


@dataclass(frozen=True)
class Routering:
    """Per (bron, zaaktype): the target system; ``zaaktypen(bron)`` for a source's walk."""

    rows: dict[tuple[str, str], str]

    def doel(self, bron: str, zaaktype: str) -> str | None:
        return self.rows.get((bron, zaaktype))

    def zaaktypen(self, bron: str) -> set[str]:
        return {zaaktype for (b, zaaktype) in self.rows if b == bron}


def _read(path: Path) -> tuple[Routering, list[str]]:
    findings: list[str] = []
    rows: dict[tuple[str, str], str] = {}
    if not path.exists():
        return Routering(rows), [f"{path.name}: bestand ontbreekt"]
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter=";")
        header = next(reader, None)
        if header is None or tuple(h.strip() for h in header) != _COLUMNS:
            return Routering(rows), [f"{path.name}: kopregel moet {';'.join(_COLUMNS)} zijn"]
        for line, raw in enumerate(reader, start=2):
            if not any(cell.strip() for cell in raw):
                continue
            if len(raw) != len(_COLUMNS):
                findings.append(f"{path.name} regel {line}: {len(raw)} kolommen, verwacht 4")
                continue
            bron, zaaktype, doel = (cell.strip() for cell in raw[:3])
            if bron not in _BRONNEN:
                findings.append(f"{path.name} regel {line}: onbekende bron {bron!r}")
                continue
            if doel not in _BRONNEN[bron]:
                findings.append(
                    f"{path.name} regel {line}: {bron} mag niet naar {doel!r} "
                    f"(toegestaan: {', '.join(sorted(_BRONNEN[bron]))}; functiescheiding)"
                )
                continue
            if not zaaktype:
                findings.append(f"{path.name} regel {line}: zaaktype ontbreekt")
                continue
            if (bron, zaaktype) in rows:
                findings.append(f"{path.name} regel {line}: {bron};{zaaktype} staat er twee keer")
                continue
            rows[(bron, zaaktype)] = doel
    return Routering(rows), findings


def validate_routering(folder: Path) -> list[str]:
    """Every problem in the routing table under ``folder`` (empty: sound)."""
    return _read(folder / ROUTERING)[1]


def load_routering(folder: Path | None = None) -> Routering:
    """The routing table, refusing (MappingError) any finding: never half a table."""
    from mappings.tables import DEFAULT_DIR, MappingError

    routering, findings = _read((folder or DEFAULT_DIR) / ROUTERING)
    if findings:
        raise MappingError(findings)
    return routering

"""The doorgifte tables: which e-Suite aanvragen go to GWS4all, and who sets which status.

Why tables: which zaaktypes are aanvragen the behandelaar works on in GWS4all, and which
statuses the klantcontactcentrum sets in the e-Suite before that, are decisions of the
municipality, not of the code. Beheer reads and changes them here.

``doorgifte.csv`` (``zaaktype;gws4all_zaaktype;omschrijving``): an e-Suite zaaktype handed to
GWS4all, with the GWS4all zaaktype code it becomes there. That code must map back to the same
zaaktype in ``zaaktypen.csv``, so the statuses GWS4all later pushes land on the same kind of
zaak.

``status_eigenaar.csv`` (read with the code tables, :mod:`mappings.tables`): the statustypes
(steps of the zaaktype's chain) the e-Suite owns on a zaak that started there. GWS4all pushing
such a status for such a zaak is a dead letter ``status_eigenaar``, never an overwrite. Every
step not listed belongs to the backoffice.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mappings.tables import DEFAULT_DIR, MappingError, MappingTables

__all__ = [
    "DOORGIFTE",
    "Doorgifte",
    "load_doorgifte",
    "validate_doorgifte",
]

DOORGIFTE = "doorgifte.csv"


@dataclass(frozen=True)
class Doorgifte:
    """The aanvraag zaaktypes handed to GWS4all (e-Suite zaaktype -> GWS4all zaaktype code)."""

    zaaktypen: dict[str, str]

    def gws4all_zaaktype(self, zaaktype: str) -> str | None:
        return self.zaaktypen.get(zaaktype)


def _rows(path: Path, columns: tuple[str, ...], findings: list[str]) -> Iterator[tuple[str, dict]]:
    if not path.exists():
        findings.append(f"{path.name}: bestand ontbreekt")
        return
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=";")
        if tuple(reader.fieldnames or ()) != columns:
            findings.append(f"{path.name}: kolommen moeten {';'.join(columns)} zijn")
            return
        for line, row in enumerate(reader, start=2):
            values = {k: (v or "").strip() for k, v in row.items() if k}
            if not any(values.values()):
                continue
            if any(not values[c] for c in columns if c != "omschrijving"):
                findings.append(f"{path.name} regel {line}: lege verplichte waarde")
                continue
            yield f"{path.name} regel {line}", values


def _read(folder: Path, tables: MappingTables) -> tuple[Doorgifte, list[str]]:
    findings: list[str] = []
    zaaktypen: dict[str, str] = {}
    columns = ("zaaktype", "gws4all_zaaktype", "omschrijving")
    for where, row in _rows(folder / DOORGIFTE, columns, findings):
        zaaktype, code = row["zaaktype"], row["gws4all_zaaktype"]
        back = tables.zaaktype("gws4all", code)
        if zaaktype in zaaktypen:
            findings.append(f"{where}: zaaktype {zaaktype} staat er twee keer")
        elif back is None or back.zaaktype != zaaktype:
            findings.append(
                f"{where}: GWS4all-zaaktype {code} hoort in zaaktypen.csv bij {zaaktype} "
                f"(nu: {back.zaaktype if back else 'niet gevonden'})"
            )
        else:
            zaaktypen[zaaktype] = code
    return Doorgifte(zaaktypen), findings


def validate_doorgifte(folder: Path, tables: MappingTables) -> list[str]:
    """Every problem in the doorgifte tables under ``folder`` (empty: sound)."""
    return _read(folder, tables)[1]


def load_doorgifte(folder: Path | None = None) -> Doorgifte:
    """Both tables, or :class:`MappingError` with every problem found."""
    from mappings.tables import load_tables

    where = Path(folder or DEFAULT_DIR)
    doorgifte, findings = _read(where, load_tables(where))
    if findings:
        raise MappingError(findings)
    return doorgifte

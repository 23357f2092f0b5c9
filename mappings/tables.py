"""Load and check the code tables that translate backoffice codes into e-Suite codes.

The chain is: backoffice status code (GWS4all, Allegro) → e-Suite statustype (zaaktype +
volgnummer) → the text the resident sees in MijnLoket. Statuses are identified by code and
volgnummer, never by text: "In behandeling" occurs twice in the bijstandsaanvraag chain.

Files (semicolon-separated, UTF-8, header row), in one folder:

- ``esuite_statustypen.csv``:
  zaaktype;volgnummer;statustype_code;omschrijving;mijnloket_tekst;annotatie
- ``zaaktypen.csv``: bronsysteem;broncode;zaaktype;omschrijving
- ``statussen.csv``: bronsysteem;broncode;volgnummer;omschrijving
- ``status_eigenaar.csv`` (optional): zaaktype;volgnummer;eigenaar;omschrijving: the steps
  the e-Suite sets on a zaak that started there (the doorgifte to GWS4all)

A backoffice status code maps to a volgnummer; the statustype is that volgnummer in the chain
of the e-Suite zaaktype the zaak's own zaaktype maps to. The validator checks that every
mapped volgnummer exists in the chain of every e-Suite zaaktype of that bronsysteem.
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from mappings.archiefbeleid import ARCHIEFBELEID, Archiefbeleid, load_archiefbeleid
from mappings.zaaktype_routering import (
    ZAAKTYPE_ROUTERING,
    ZaaktypeRoutering,
    load_zaaktype_routering,
    validate_zaaktype_routering,
)

__all__ = [
    "DEFAULT_DIR",
    "MappingError",
    "MappingTables",
    "StatusMapping",
    "Statustype",
    "ZaaktypeMapping",
    "load_tables",
    "validate_tables",
]

# The tables shipped as package data; KETENBRUG_MAPPINGS_DIR lets beheer keep their own elsewhere.
DEFAULT_DIR = Path(str(resources.files("mappings")))

STATUSTYPEN = "esuite_statustypen.csv"
ZAAKTYPEN = "zaaktypen.csv"
STATUSSEN = "statussen.csv"
STATUS_EIGENAAR = "status_eigenaar.csv"
#: The sides that may own a status step.
EIGENAREN = ("esuite", "gws4all")


class MappingError(Exception):
    """A mapping table is malformed; ``findings`` lists every problem with file and line."""

    def __init__(self, findings: list[str]) -> None:
        super().__init__("; ".join(findings))
        self.findings = findings


@dataclass(frozen=True)
class Statustype:
    """An e-Suite statustype: one step of a zaaktype's status chain."""

    zaaktype: str
    volgnummer: int
    code: str
    omschrijving: str
    mijnloket_tekst: str
    annotatie: str


@dataclass(frozen=True)
class ZaaktypeMapping:
    bronsysteem: str
    broncode: str
    zaaktype: str
    omschrijving: str


@dataclass(frozen=True)
class StatusMapping:
    """A backoffice status code and the volgnummer it means in the e-Suite chain."""

    bronsysteem: str
    broncode: str
    volgnummer: int
    omschrijving: str


@dataclass(frozen=True)
class MappingTables:
    statustypen: dict[tuple[str, int], Statustype]
    zaaktypen: dict[tuple[str, str], ZaaktypeMapping]
    statussen: dict[tuple[str, str], StatusMapping]
    #: (zaaktype, volgnummer) -> who sets that status on a zaak that started in the e-Suite
    #: (``status_eigenaar.csv``; a step not listed belongs to the backoffice)
    eigenaren: dict[tuple[str, int], str] = field(default_factory=dict)
    #: Retention per zaaktype (``archiefbeleid.csv``, mappings/archiefbeleid.py), when present.
    archiefbeleid: Archiefbeleid | None = None
    #: Functiescheiding: the systems a zaaktype's zaken and documents go to
    #: (``zaaktype_routering.csv``, mappings/zaaktype_routering.py; without it: the defaults).
    zaaktype_routering: ZaaktypeRoutering = field(default_factory=ZaaktypeRoutering)

    def status_eigenaar(self, zaaktype: str, volgnummer: int) -> str | None:
        """The side that owns this step of the chain, or None: the backoffice does."""
        return self.eigenaren.get((zaaktype, volgnummer))

    def zaaktype(self, bronsysteem: str, broncode: str) -> ZaaktypeMapping | None:
        """The e-Suite zaaktype for a backoffice zaaktype code, or None when unmapped."""
        return self.zaaktypen.get((bronsysteem, broncode))

    def status(self, bronsysteem: str, broncode: str) -> StatusMapping | None:
        """The mapping of a backoffice status code, or None when unmapped."""
        return self.statussen.get((bronsysteem, broncode))

    def statustype(self, zaaktype: str, volgnummer: int) -> Statustype | None:
        return self.statustypen.get((zaaktype, volgnummer))


def _rows(path: Path, columns: tuple[str, ...], findings: list[str]) -> Iterator[tuple[int, dict]]:
    if not path.exists():
        findings.append(f"{path.name}: bestand ontbreekt")
        return
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=";")
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            findings.append(f"{path.name}: kolommen ontbreken: {', '.join(missing)}")
            return
        for line, row in enumerate(reader, start=2):
            if not any((v or "").strip() for k, v in row.items() if k):
                continue
            if any(not (row.get(c) or "").strip() for c in columns if c != "annotatie"):
                findings.append(f"{path.name}:{line}: lege verplichte waarde")
                continue
            yield line, {k: (v or "").strip() for k, v in row.items() if k}


def _bron_rows(
    folder: Path,
    name: str,
    columns: tuple[str, ...],
    seen: Mapping[tuple[str, str], object],
    what: str,
    findings: list[str],
) -> Iterator[tuple[str, tuple[str, str], dict]]:
    """Rows of a backoffice code table as (where, (bronsysteem, broncode), row).

    A code already in ``seen`` (the caller's table, filled as it goes) is reported as double
    and skipped, so each code means one thing.
    """
    for line, row in _rows(folder / name, columns, findings):
        where = f"{name}:{line}"
        key = (row["bronsysteem"], row["broncode"])
        if key in seen:
            findings.append(f"{where}: {row['bronsysteem']} {what} {row['broncode']} dubbel")
            continue
        yield where, key, row


def _int(value: str, where: str, findings: list[str]) -> int | None:
    try:
        return int(value)
    except ValueError:
        findings.append(f"{where}: volgnummer {value!r} is geen getal")
        return None


def _load(folder: Path) -> tuple[MappingTables, list[str]]:
    findings: list[str] = []
    statustypen: dict[tuple[str, int], Statustype] = {}
    codes_seen: set[tuple[str, str]] = set()
    columns = ("zaaktype", "volgnummer", "statustype_code", "omschrijving", "mijnloket_tekst")
    for line, row in _rows(folder / STATUSTYPEN, (*columns, "annotatie"), findings):
        where = f"{STATUSTYPEN}:{line}"
        volgnummer = _int(row["volgnummer"], where, findings)
        if volgnummer is None:
            continue
        slot = (row["zaaktype"], volgnummer)
        if slot in statustypen:
            findings.append(f"{where}: volgnummer {volgnummer} dubbel voor {row['zaaktype']}")
            continue
        if (row["zaaktype"], row["statustype_code"]) in codes_seen:
            findings.append(f"{where}: statustype_code {row['statustype_code']} dubbel")
            continue
        codes_seen.add((row["zaaktype"], row["statustype_code"]))
        statustypen[slot] = Statustype(
            zaaktype=row["zaaktype"],
            volgnummer=volgnummer,
            code=row["statustype_code"],
            omschrijving=row["omschrijving"],
            mijnloket_tekst=row["mijnloket_tekst"],
            annotatie=row.get("annotatie", ""),
        )
    for zaaktype in {zt for zt, _ in statustypen}:
        numbers = sorted(nr for zt, nr in statustypen if zt == zaaktype)
        if numbers != list(range(1, len(numbers) + 1)):
            findings.append(
                f"{STATUSTYPEN}: volgnummers van {zaaktype} lopen niet 1..{len(numbers)}: {numbers}"
            )

    zaaktypen: dict[tuple[str, str], ZaaktypeMapping] = {}
    known_zaaktypen = {zt for zt, _ in statustypen}
    cols = ("bronsysteem", "broncode", "zaaktype", "omschrijving")
    for where, key, row in _bron_rows(folder, ZAAKTYPEN, cols, zaaktypen, "zaaktype", findings):
        if row["zaaktype"] not in known_zaaktypen:
            findings.append(f"{where}: zaaktype {row['zaaktype']} heeft geen statustypen")
            continue
        zaaktypen[key] = ZaaktypeMapping(**{c: row[c] for c in cols})

    statussen: dict[tuple[str, str], StatusMapping] = {}
    cols = ("bronsysteem", "broncode", "volgnummer", "omschrijving")
    for where, key, row in _bron_rows(folder, STATUSSEN, cols, statussen, "status", findings):
        volgnummer = _int(row["volgnummer"], where, findings)
        if volgnummer is None:
            continue
        targets = {m.zaaktype for m in zaaktypen.values() if m.bronsysteem == row["bronsysteem"]}
        missing = sorted(zt for zt in targets if (zt, volgnummer) not in statustypen)
        if not targets or missing:
            findings.append(
                f"{where}: volgnummer {volgnummer} bestaat niet in zaaktype(n) "
                f"{', '.join(missing) or '(geen zaaktypen voor ' + row['bronsysteem'] + ')'}"
            )
            continue
        statussen[key] = StatusMapping(
            row["bronsysteem"], row["broncode"], volgnummer, row["omschrijving"]
        )
    eigenaren = _eigenaren(folder, statustypen, findings)
    return MappingTables(statustypen, zaaktypen, statussen, eigenaren), findings


def _eigenaren(
    folder: Path, statustypen: Mapping[tuple[str, int], Statustype], findings: list[str]
) -> dict[tuple[str, int], str]:
    """``status_eigenaar.csv`` (``zaaktype;volgnummer;eigenaar;omschrijving``), when present:
    the statuses the e-Suite sets on a zaak that started there (see mappings/doorgifte.py)."""
    eigenaren: dict[tuple[str, int], str] = {}
    if not (folder / STATUS_EIGENAAR).exists():
        return eigenaren
    columns = ("zaaktype", "volgnummer", "eigenaar")
    for line, row in _rows(folder / STATUS_EIGENAAR, columns, findings):
        where = f"{STATUS_EIGENAAR}:{line}"
        volgnummer = _int(row["volgnummer"], where, findings)
        if volgnummer is None:
            continue
        slot = (row["zaaktype"], volgnummer)
        if row["eigenaar"] not in EIGENAREN:
            findings.append(f"{where}: eigenaar moet {' of '.join(EIGENAREN)} zijn")
        elif slot not in statustypen:
            findings.append(f"{where}: {slot[0]} heeft geen statustype {volgnummer}")
        elif slot in eigenaren:
            findings.append(f"{where}: {slot[0]};{volgnummer} staat er twee keer")
        else:
            eigenaren[slot] = row["eigenaar"]
    return eigenaren


def validate_tables(folder: Path = DEFAULT_DIR) -> list[str]:
    """Every problem in the tables under ``folder``; an empty list means they are sound."""
    findings = _load(folder)[1]
    # The specification routing (mappings/routering.py), checked when the folder holds it.
    from mappings.routering import ROUTERING, validate_routering

    if (folder / ROUTERING).exists():
        findings += validate_routering(folder)
    # The doorgifte tables (mappings/doorgifte.py), checked against sound tables only.
    from mappings.doorgifte import DOORGIFTE, validate_doorgifte

    if (folder / DOORGIFTE).exists() and not findings:
        findings += validate_doorgifte(folder, _load(folder)[0])
    # Retention per zaaktype (mappings/archiefbeleid.py), checked when the folder holds it.
    from mappings.archiefbeleid import validate_archiefbeleid

    if (folder / ARCHIEFBELEID).exists():
        findings += validate_archiefbeleid(folder)
    # The zaaktype routing (functiescheiding, mappings/zaaktype_routering.py), when present.
    if (folder / ZAAKTYPE_ROUTERING).exists():
        findings += validate_zaaktype_routering(folder)
    return findings


def load_tables(folder: Path | None = None) -> MappingTables:
    """Load the tables, refusing (MappingError) when any finding exists: never half a table."""
    folder = folder or DEFAULT_DIR
    tables, findings = _load(folder)
    if findings:
        raise MappingError(findings)
    if (folder / ARCHIEFBELEID).exists():
        tables = dataclasses.replace(tables, archiefbeleid=load_archiefbeleid(folder))
    routering = load_zaaktype_routering(folder)
    tables = dataclasses.replace(tables, zaaktype_routering=routering)
    return tables

"""Change one row of a mapping table safely: validated as a whole, written atomically.

Beheer adds a code from the beheer pages. The new table is written next to the others in a
scratch folder, checked with :func:`mappings.tables.validate_tables` exactly as
``ketenbrug mappings check`` checks, and only then moved over the old file (``os.replace``),
under a lock so two beheerders never lose each other's row. The shipped tables (package data)
are never edited: the folder must be the one ``KETENBRUG_MAPPINGS_DIR`` names.
"""

from __future__ import annotations

import csv
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mappings.tables import STATUSSEN, STATUSTYPEN, ZAAKTYPEN, MappingError, validate_tables

__all__ = ["EDITABLE", "put_mapping", "read_table"]

# table name (as an unmapped dead letter names it) → file, columns and the key columns.
EDITABLE: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "zaaktypen": (
        ZAAKTYPEN,
        ("bronsysteem", "broncode", "zaaktype", "omschrijving"),
        ("bronsysteem", "broncode"),
    ),
    "statussen": (
        STATUSSEN,
        ("bronsysteem", "broncode", "volgnummer", "omschrijving"),
        ("bronsysteem", "broncode"),
    ),
}
_ALL_FILES = (STATUSTYPEN, ZAAKTYPEN, STATUSSEN)


def read_table(folder: Path, file_name: str) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of one table file (semicolon-separated, UTF-8)."""
    path = folder / file_name
    if not path.exists():
        return [], []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=";")
        rows = [{k: (v or "") for k, v in row.items() if k} for row in reader]
        return list(reader.fieldnames or []), rows


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    with (folder / ".ketenbrug-mappings.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def put_mapping(folder: Path, table: str, values: dict[str, str]) -> dict[str, str] | None:
    """Add (or change) the row with this key; return the old row, or None when it is new.

    Raises :class:`MappingError` with the validator's findings when the tables would not be
    sound afterwards; then nothing was written.
    """
    if table not in EDITABLE:
        raise MappingError([f"tabel {table!r} kan hier niet worden aangevuld"])
    file_name, columns, key_columns = EDITABLE[table]
    row = {c: " ".join((values.get(c) or "").split()) for c in columns}
    empty = [c for c in columns if not row[c]]
    if empty:
        raise MappingError([f"{file_name}: lege verplichte waarde: {', '.join(empty)}"])
    if not folder.is_dir():
        raise MappingError([f"map {folder} bestaat niet"])
    with _locked(folder):
        header, rows = read_table(folder, file_name)
        header = header or list(columns)
        key = tuple(row[c] for c in key_columns)
        old: dict[str, str] | None = None
        kept: list[dict[str, str]] = []
        for existing in rows:
            if tuple(existing.get(c, "").strip() for c in key_columns) == key and old is None:
                old = existing
                kept.append({**existing, **row})
            else:
                kept.append(existing)
        if old is None:
            kept.append({c: row.get(c, "") for c in header})
        scratch = Path(tempfile.mkdtemp(prefix=".nieuw-", dir=folder))
        try:
            for other in _ALL_FILES:
                if other != file_name and (folder / other).exists():
                    shutil.copy2(folder / other, scratch / other)
            with (scratch / file_name).open("w", encoding="utf-8", newline="") as handle:
                writer = csv.DictWriter(
                    handle, fieldnames=header, delimiter=";", lineterminator="\n"
                )
                writer.writeheader()
                writer.writerows(kept)
                handle.flush()
                os.fsync(handle.fileno())
            findings = validate_tables(scratch)
            if findings:
                raise MappingError(findings)
            os.replace(scratch / file_name, folder / file_name)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return old

"""The ZGW simulator's in-memory state: the catalogus (seeded) and what clients wrote.

Why seeded from ``mappings/``: the zaken flow maps source codes to the zaaktypen and
statustypen in ``mappings/zaaktypen.csv`` and ``mappings/esuite_statustypen.csv``; a ZGW
zaaksysteem Ketenbrug can deliver to has those types in its Catalogi API. The simulator reads
the repository's tables (fine for a test double) and adds one ``initiator`` roltype per zaaktype
and the informatieobjecttypen the sources use. Objects are plain dicts keyed by uuid; the
app renders them with URLs (:mod:`simulators.zgw`). Document contents live in files.
"""

from __future__ import annotations

import csv
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["INFORMATIEOBJECTTYPEN", "Document", "ZgwStore"]

MAPPINGS = Path(__file__).resolve().parents[1] / "mappings"
INFORMATIEOBJECTTYPEN = (
    "Aanvraagformulier",
    "Beschikking",
    "Betaalspecificatie",
    "Bijlage",
    "Brief",
    "Uitkeringsspecificatie",
)
_NAMESPACE = uuid.UUID("2b0f0b8e-3c1e-4a55-9d3f-5a0c8e1d7a42")


def stable_uuid(*parts: object) -> str:
    """A type's uuid, the same in every run (so demo URLs stay put)."""
    return str(uuid.uuid5(_NAMESPACE, "/".join(map(str, parts))))


@dataclass
class Document:
    """An enkelvoudiginformatieobject: its versions (fields + content file), and its lock."""

    versions: list[dict[str, Any]] = field(default_factory=list)
    lock: str | None = None

    @property
    def latest(self) -> dict[str, Any]:
        return self.versions[-1]


class ZgwStore:
    """Catalogus and registrations; every method takes the lock (the server is threaded)."""

    def __init__(self, mappings: Path = MAPPINGS) -> None:
        self.lock = threading.RLock()
        self.zaaktypen: dict[str, dict[str, Any]] = {}
        self.statustypen: dict[str, dict[str, Any]] = {}
        self.roltypen: dict[str, dict[str, Any]] = {}
        self.informatieobjecttypen: dict[str, dict[str, Any]] = {}
        self._seed(mappings)
        self.reset()

    def reset(self) -> None:
        """Forget what clients wrote (the catalogus stays)."""
        with self.lock:
            self.zaken: dict[str, dict[str, Any]] = {}
            self.rollen: dict[str, dict[str, Any]] = {}
            self.statussen: dict[str, dict[str, Any]] = {}
            self.zaakinformatieobjecten: dict[str, dict[str, Any]] = {}
            self.documenten: dict[str, Document] = {}

    def _seed(self, mappings: Path) -> None:
        with (mappings / "zaaktypen.csv").open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle, delimiter=";"):
                code = row["zaaktype"].strip()
                key = stable_uuid("zaaktype", code)
                self.zaaktypen.setdefault(
                    key, {"identificatie": code, "omschrijving": row["omschrijving"].strip()}
                )
                self.roltypen[stable_uuid("roltype", code)] = {
                    "zaaktype": key,
                    "omschrijving": "Aanvrager",
                    "omschrijvingGeneriek": "initiator",
                }
        rows: list[dict[str, str]] = []
        with (mappings / "esuite_statustypen.csv").open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle, delimiter=";"))
        last: dict[str, int] = {}
        for row in rows:
            last[row["zaaktype"]] = max(last.get(row["zaaktype"], 0), int(row["volgnummer"]))
        for row in rows:
            zaaktype = stable_uuid("zaaktype", row["zaaktype"].strip())
            if zaaktype not in self.zaaktypen:  # a statustype of a zaaktype no source maps to
                self.zaaktypen[zaaktype] = {
                    "identificatie": row["zaaktype"].strip(),
                    "omschrijving": row["zaaktype"].strip(),
                }
                self.roltypen[stable_uuid("roltype", row["zaaktype"])] = {
                    "zaaktype": zaaktype,
                    "omschrijving": "Aanvrager",
                    "omschrijvingGeneriek": "initiator",
                }
            volgnummer = int(row["volgnummer"])
            self.statustypen[stable_uuid("statustype", row["zaaktype"], volgnummer)] = {
                "zaaktype": zaaktype,
                "volgnummer": volgnummer,
                "omschrijving": row["omschrijving"].strip(),
                "statustekst": row.get("mijnloket_tekst", "").strip(),
                "isEindstatus": volgnummer == last[row["zaaktype"]],
            }
        for name in INFORMATIEOBJECTTYPEN:
            self.informatieobjecttypen[stable_uuid("iotype", name)] = {"omschrijving": name}

    # --- questions the tests ask ------------------------------------------------------------

    def zaak_by_identificatie(self, identificatie: str) -> dict[str, Any] | None:
        with self.lock:
            return next(
                (z for z in self.zaken.values() if z["identificatie"] == identificatie), None
            )

    def document_by_identificatie(self, identificatie: str) -> Document | None:
        with self.lock:
            return next(
                (d for d in self.documenten.values() if d.latest["identificatie"] == identificatie),
                None,
            )

    def statussen_of(self, zaak_uuid: str) -> list[dict[str, Any]]:
        with self.lock:
            return [s for s in self.statussen.values() if s["zaak"] == zaak_uuid]

    def rollen_of(self, zaak_uuid: str) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.rollen.values() if r["zaak"] == zaak_uuid]

    def links_of(self, zaak_uuid: str) -> list[dict[str, Any]]:
        with self.lock:
            return [z for z in self.zaakinformatieobjecten.values() if z["zaak"] == zaak_uuid]

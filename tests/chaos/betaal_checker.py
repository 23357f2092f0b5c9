"""The invariants of the betaal chaos run, checked after its quiesce phase.

Against the model (the zaken, their clients, every query the simulators answered and in which
operation, when each Suwinet zaak was first delivered in the ledger) and every system's final
state: the e-Suite's documents, the state store (ledger, dead letters, doelbinding log, claims),
the blob folder and the logs. Violations name zaken, client indexes and periods, never a BSN.
Notes are what the run saw that is allowed (a known gap, a dead letter with no resend path).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text

from adapters.suwinet.client import BRP, UWV
from sync.betaalspecificaties import SSD_DIENST
from sync.doelbinding import GEVRAAGD
from sync.pseudonym import bsn_ref
from sync.store.db import Store
from sync.suwinet import DIENSTEN
from tests.chaos.checker import _State, check_claims

__all__ = ["BetaalModel", "Query", "ZaakInfo", "check_all"]

ROUTED = "B1026"
ENRICHED = ("B1026", "B1027")
#: The simulators' service names and the doelbinding log's name for them.
DIENST = {
    "UitkeringsSpecificatieClient-v0600": SSD_DIENST,
    "BRPDossierPersoonGSD": DIENSTEN[BRP],
    "UWVDossierInkomstenGSD": DIENSTEN[UWV],
}
SUWINET_SERVICES = ("BRPDossierPersoonGSD", "UWVDossierInkomstenGSD")
SUWINET_BESTAND = "suwinet-gegevens.pdf"


@dataclass(frozen=True)
class Query:
    """One query a simulator answered (or was killed answering), in operation ``op``."""

    service: str
    bsn: str = field(repr=False)
    outcome: str
    op: int


@dataclass(frozen=True)
class ZaakInfo:
    zaak: str
    zaaktype: str
    client: int
    created_op: int


@dataclass
class BetaalModel:
    """What the run did: zaken and their clients, queries, first delivery per Suwinet zaak."""

    secret: str
    periods: tuple[str, ...]
    bsns: dict[int, str] = field(default_factory=dict, repr=False)  # client index -> BSN
    zaken: list[ZaakInfo] = field(default_factory=list)
    queries: list[Query] = field(default_factory=list)
    delivered_op: dict[str, int] = field(default_factory=dict)  # zaak -> op
    killed_mid_query: list[tuple[int, str, str]] = field(default_factory=list)

    def add_zaak(self, zaak: str, zaaktype: str, client: int, op: int) -> None:
        self.zaken.append(ZaakInfo(zaak, zaaktype, client, op))

    def betaal_clients(self) -> list[int]:
        return sorted({z.client for z in self.zaken if z.zaaktype == ROUTED})

    def client_of(self, zaak: str) -> int | None:
        return next((z.client for z in self.zaken if z.zaak == zaak), None)


def _rows(store: Store, sql: str) -> list[Any]:
    with store.session() as session:
        return list(session.execute(text(sql)).all())


def check_betaal(
    model: BetaalModel,
    documents: dict[str, dict[str, Any]],
    expected: dict[tuple[int, str], str | None],
    letters: list[Any],
) -> tuple[list[str], list[str]]:
    """One document per client per period, the latest version; none without a payment."""
    violations: list[str] = []
    notes: list[str] = []
    found: dict[tuple[int, str], list[tuple[str, dict[str, Any]]]] = {}
    for ident, doc in documents.items():
        name = str(doc.get("bestandsnaam") or "")
        if not name.startswith("uitkeringsspecificatie-"):
            continue
        periode = name.removeprefix("uitkeringsspecificatie-").removesuffix(".pdf")
        client = model.client_of(str(doc.get("zaak")))
        if client is None or client not in model.betaal_clients():
            violations.append(f"misrouted: specificatie {ident} on zaak {doc.get('zaak')}")
            continue
        found.setdefault((client, periode), []).append((ident, doc))
    open_keys = {r.source_key for r in letters if r.flow == "betaalspecificaties"}
    for client in model.betaal_clients():
        ref = bsn_ref(model.secret, model.bsns[client])
        for periode in model.periods:
            docs = found.get((client, periode), [])
            want = expected.get((client, periode))
            what = f"client {client} {periode}"
            if want is None:
                if docs:
                    violations.append(f"niets gevonden: {what} has {len(docs)} document(s)")
                continue
            if len(docs) > 1:
                names = ", ".join(ident for ident, _ in docs)
                violations.append(f"twice: {what} has {len(docs)} documents ({names})")
            elif not docs:
                if f"betaalspec:gws4all:{periode}:{ref}" in open_keys:
                    notes.append(f"{what}: dead letter open, no document (no resend path)")
                else:
                    violations.append(f"lost: {what} paid, no document, no open dead letter")
            key = f"betaalspec:gws4all:{periode}:{ref}"
            if docs and key in open_keys:
                notes.append(f"{what}: delivered, its dead letter from an earlier run still open")
            if docs and all(doc["sha256"] != want for _, doc in docs):
                violations.append(
                    f"stale: {what}: document {docs[0][0]} is not the latest specification"
                )
    return violations, notes


def check_suwinet_documents(model: BetaalModel, documents: dict[str, dict[str, Any]]) -> list[str]:
    """Exactly one Suwinet document per bijstandsaanvraag, none on other zaken."""
    violations: list[str] = []
    count = Counter(
        str(doc.get("zaak"))
        for doc in documents.values()
        if doc.get("bestandsnaam") == SUWINET_BESTAND
    )
    for zaak in model.zaken:
        n = count.get(zaak.zaak, 0)
        if zaak.zaaktype in ENRICHED and n != 1:
            kind = "lost" if n == 0 else "twice"
            violations.append(f"{kind}: bijstandsaanvraag {zaak.zaak} has {n} Suwinet documents")
        if zaak.zaaktype not in ENRICHED and n:
            violations.append(f"misrouted: zaak {zaak.zaak} ({zaak.zaaktype}) has {n} Suwinet")
    return violations


def check_eenmalig(model: BetaalModel) -> tuple[list[str], list[str]]:
    """A Suwinet query is for a bijstandsaanvraag not yet delivered when it is made."""
    violations: list[str] = []
    repeats: Counter[str] = Counter()
    reported: set[str] = set()
    seen: Counter[tuple[str, str]] = Counter()
    for query in model.queries:
        if query.service not in SUWINET_SERVICES:
            continue
        zaken = [
            z
            for z in model.zaken
            if model.bsns.get(z.client) == query.bsn and z.zaaktype in ENRICHED
        ]
        if not zaken:
            violations.append(
                f"unasked: Suwinet queried ({query.service}) in op {query.op}"
                " about a person with no bijstandsaanvraag"
            )
            continue
        open_ = [
            z
            for z in zaken
            if z.created_op < query.op and model.delivered_op.get(z.zaak, query.op) >= query.op
        ]
        if not open_:
            zaak = zaken[0].zaak
            if zaak not in reported:  # the first repeat per zaak: one line, not every query
                reported.add(zaak)
                violations.append(
                    f"requery: zaak {zaak} delivered in op {model.delivered_op.get(zaak)},"
                    f" Suwinet asked again ({query.service}) in op {query.op}"
                )
            continue
        seen[(query.bsn, query.service)] += 1
        if seen[(query.bsn, query.service)] > len(zaken):
            repeats[query.service] += 1
    notes = [
        f"{n} repeated {service} queries before delivery (lost answers retried, concurrent runs,"
        " resends, killed runs)"
        for service, n in sorted(repeats.items())
    ]
    return violations, notes


def check_doelbinding(model: BetaalModel, store: Store) -> tuple[list[str], list[str]]:
    """Every query a simulator answered has a ``gevraagd`` row of its run (dienst, BSN ref).

    The log writes that row before each attempt leaves, so per operation, service and person
    there are at least as many rows as queries the simulator saw (attempts refused before the
    service, a 503, have a row and no query). A query of a process killed while it was out is
    reported apart (the known gap, should the row ever come after the call again).
    """
    rows: Counter[tuple[str, str, str]] = Counter()
    for row in _rows(store, "SELECT dienst, bsn_ref, run_ref, uitkomst FROM doelbinding_log"):
        if row.run_ref and row.run_ref.startswith("chaos-") and row.uitkomst.endswith(GEVRAAGD):
            rows[(row.run_ref.split("-")[1], row.dienst, row.bsn_ref)] += 1
    killed = {(op, service, bsn) for op, service, bsn in model.killed_mid_query}
    violations: list[str] = []
    gaps: list[str] = []
    missing: dict[str, list[int]] = {}
    for query in model.queries:
        if query.service not in DIENST:
            violations.append(f"refused: a request the simulator could not read in op {query.op}")
            continue
        slot = (
            f"{query.op:03d}",
            DIENST[query.service],
            bsn_ref(model.secret, query.bsn, length=64),
        )
        if rows[slot] > 0:
            rows[slot] -= 1
            continue
        what = f"{query.service} query in op {query.op} ({query.outcome})"
        if (query.op, query.service, query.bsn) in killed:
            gaps.append(what)
        else:
            missing.setdefault(query.service, []).append(query.op)
    for service, ops in sorted(missing.items()):
        shown = ", ".join(str(op) for op in sorted(set(ops))[:12])
        violations.append(
            f"doelbinding: {len(ops)} {service} queries without a doelbinding row (ops {shown})"
        )
    notes = [f"known gap: {len(gaps)} queries of killed processes unlogged: " + "; ".join(gaps)]
    return violations, notes if gaps else []


def check_others_unasked(model: BetaalModel) -> list[str]:
    """A person with neither a routed zaak nor a bijstandsaanvraag is asked nothing."""
    asked = {q.bsn for q in model.queries}
    violations = []
    for client, bsn in model.bsns.items():
        types = {z.zaaktype for z in model.zaken if z.client == client}
        if types and not types & set(ENRICHED) and bsn in asked:
            violations.append(f"unasked: client {client} (only {sorted(types)}) was queried")
    return violations


def check_ledger(store: Store) -> list[str]:
    rows = _rows(
        store,
        "SELECT flow, state, COUNT(*) AS n FROM ledger_entry"
        " WHERE state IN ('in_flight', 'pending') GROUP BY flow, state",
    )
    return [f"stuck: {row.n} {row.flow} ledger rows {row.state}" for row in rows]


def check_blobs(store: Store, blob_root: Path, killed: int) -> tuple[list[str], list[str]]:
    """Every kept record's blob exists; ``.part`` leftovers only from killed processes."""
    violations: list[str] = []
    notes: list[str] = []
    for row in _rows(store, "SELECT id, record_json FROM dead_letter WHERE state = 'open'"):
        record = json.loads(row.record_json) if row.record_json else {}
        path = ((record.get("data") or {}).get("content") or {}).get("path")
        if path and not Path(path).is_file():
            violations.append(f"orphan: dead letter {row.id} names a blob that is gone")
    parts = list(blob_root.rglob("*.part")) if blob_root.is_dir() else []
    if parts and not killed:
        violations.append(f"orphan: {len(parts)} .part files and no process was killed")
    elif parts:
        notes.append(f"{len(parts)} .part files of killed writers (purged by age)")
    return violations, notes


def check_logs(model: BetaalModel, logs: list[Path]) -> list[str]:
    violations: list[str] = []
    for log in logs:
        if not log.is_file():
            continue
        content = log.read_text(encoding="utf-8", errors="replace")
        for client, bsn in model.bsns.items():
            if bsn in content:
                violations.append(f"bsn: BSN of client {client} unmasked in {log.name}")
    return violations


def check_all(
    model: BetaalModel,
    store: Store,
    esuite: Any,
    expected: dict[tuple[int, str], str | None],
    blob_root: Path,
    logs: list[Path],
    *,
    killed: int = 0,
) -> tuple[list[str], list[str]]:
    """Every invariant: (violations, notes); no violations means the run survived."""
    documents = esuite.snapshot()["documenten"]
    letters = _rows(
        store, "SELECT id, flow, source_key, state FROM dead_letter WHERE state = 'open'"
    )
    violations, notes = check_betaal(model, documents, expected, letters)
    violations += check_suwinet_documents(model, documents)
    found, more = check_eenmalig(model)
    violations += found
    notes += more
    found, more = check_doelbinding(model, store)
    violations += found
    notes += more
    violations += check_others_unasked(model)
    violations += check_ledger(store)
    violations += check_claims(_State(store))
    found, more = check_blobs(store, blob_root, killed)
    violations += found
    notes += more
    violations += check_logs(model, logs)
    open_suwinet = [r for r in letters if r.flow == "suwinet"]
    if open_suwinet:
        violations.append(f"stuck: {len(open_suwinet)} Suwinet dead letters open after resends")
    return violations, notes

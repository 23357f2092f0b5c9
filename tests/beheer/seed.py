"""A state store with what beheer sees after a demo day: runs, dead letters, drift, links."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from mappings.tables import DEFAULT_DIR
from sync.deadletters import record_dead_letter
from sync.identity import IdentityMap
from sync.store.db import Store
from sync.store.models import (
    DriftItemRow,
    InboxMessage,
    InboxState,
    LedgerEntry,
    SyncRun,
    utcnow,
)

BSN = "111222333"  # elfproef-valid, synthetic
OTHER_BSN = "123456782"
ZAAK = "1900KBZ0000042"
UNKNOWN_CODE = "GWS-AV-99"


def body_with_bsn(zaak: str, bsn: str, code: str) -> bytes:
    return (
        f'<?xml version="1.0"?><ZAK:zakLk01 xmlns:ZAK="http://www.egem.nl/StUF/sector/zkn/0310">'
        f"<ZAK:identificatie>{zaak}</ZAK:identificatie><BG:inp.bsn>{bsn}</BG:inp.bsn>"
        f"<ZAK:status>{code}</ZAK:status></ZAK:zakLk01>"
    ).encode()


def seed(store: Store, *, stale_hours: float = 0) -> dict[str, int]:
    """Runs of zaken (the last one ``stale_hours`` old), unmapped and rejected dead letters."""
    now = utcnow()
    ids: dict[str, int] = {}
    with store.session() as session:
        for index in range(35):  # more than the chart's 30
            start = now - timedelta(hours=stale_hours, minutes=5 * (34 - index))
            for partition in range(2):
                session.add(
                    SyncRun(
                        flow="zaken",
                        source_system="gws4all",
                        run_ref=f"scheduled__{index}",
                        state="failed"
                        if index == 34 and partition == 1 and stale_hours == 0
                        else "success",
                        started_at=start,
                        finished_at=start + timedelta(seconds=20),
                        records_read=10 + index,
                        delivered=8 + (index % 3),
                        in_step=1,
                        dead_lettered=index % 4,
                        deferred=1 if index == 34 else 0,
                        superseded=1,
                    )
                )
        messages = []
        for n, (zaak, bsn, code) in enumerate(
            [
                (ZAAK, BSN, UNKNOWN_CODE),
                ("1900KBZ0000043", BSN, UNKNOWN_CODE),
                ("1900KBZ0000044", OTHER_BSN, "GWS-AV-01"),
            ]
        ):
            message = InboxMessage(
                source_system="gws4all",
                function="actualiseerZaakstatus",
                ordering_key=zaak,
                content_hash=f"{n:064d}",
                body=body_with_bsn(zaak, bsn, code),
                state=InboxState.RECEIVED if n < 2 else InboxState.PROCESSED,
                received_at=now - timedelta(minutes=30 - n),
            )
            session.add(message)
            messages.append(message)
        session.flush()
        for n, zaak in enumerate([ZAAK, "1900KBZ0000043"]):
            letter = record_dead_letter(
                session,
                flow="zaken",
                source_system="gws4all",
                source_key=zaak,
                reason="unmapped",
                message=f"code '{UNKNOWN_CODE}' staat niet in mappingtabel 'statussen'",
                payload_ref=f"inbox:{messages[n].id}",
            )
            session.flush()
            ids[f"unmapped{n}"] = letter.id
        rejected = record_dead_letter(
            session,
            flow="zaken",
            source_system="allegro",
            source_key="ALG-7",
            reason="target_rejected",
            message=f"e-Suite Fo01: zaak voor BSN {OTHER_BSN} onbekend",
            payload_ref="allegro:zaken.csv:7",
        )
        rejected.record_json = json.dumps({"data": {"bsn": OTHER_BSN, "zaak": "ALG-7"}})
        session.flush()
        ids["rejected"] = rejected.id
        identity = IdentityMap(session)
        identity.link("zaak", "gws4all", ZAAK, "esuite", ZAAK)
        identity.link("zaak", "allegro", "ALG-7", "esuite", "1900KBZ0000099")
        session.add(
            LedgerEntry(
                flow="zaken",
                source_system="gws4all",
                source_key=ZAAK,
                target_system="esuite",
                target_key=ZAAK,
                operation="actualiseerZaakstatus",
                content_hash="a" * 64,
                state="dead",
                attempts=1,
                last_error=f"code voor {BSN}",
            )
        )
        session.add(
            SyncRun(
                flow="archief_reconciliatie",
                source_system="mylex",
                run_ref="scheduled__arch",
                state="success",
                started_at=now - timedelta(hours=3),
                finished_at=now - timedelta(hours=3),
                records_read=200,
                delivered=1,
            )
        )
        drift = DriftItemRow(
            kind="DIFFERENT_CHECKSUM",
            identificatie="1900KBD0000007",
            mylex_sha256="b" * 64,
            mylex_size=10,
            archief_sha256="c" * 64,
            archief_size=11,
        )
        session.add(drift)
        session.flush()
        ids["drift"] = drift.id
    return ids


def mappings_copy(folder: Path) -> Path:
    """A writable copy of the shipped tables, as KETENBRUG_MAPPINGS_DIR would hold them."""
    folder.mkdir(parents=True, exist_ok=True)
    for source in DEFAULT_DIR.glob("*.csv"):
        (folder / source.name).write_bytes(source.read_bytes())
    return folder

"""The beheer queries and actions on the state store (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from mappings.tables import validate_tables
from sync.beheer import archief, fouten, koppel, overzicht, zoeken
from sync.resend import claim_requested
from sync.store.db import Store
from sync.store.models import AuditEntry, DeadLetter, DriftItemRow, utcnow
from tests.beheer.seed import BSN, OTHER_BSN, UNKNOWN_CODE, ZAAK, mappings_copy, seed

KEY = b"k"


def _audit(store: Store, object_type: str = "dead_letter") -> list[AuditEntry]:
    with store.session() as session:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.object_type == object_type).order_by(AuditEntry.id)
        ).all()
        session.expunge_all()
        return list(rows)


def test_overview_counts_chart_lag_and_what_stands_out(store: Store) -> None:
    seed(store)
    flows = {f.name: f for f in overzicht.flow_overview(store)}
    zaken = flows["zaken"]
    assert len(zaken.runs) == 30  # 35 runs seeded, the chart keeps the last 30
    last = zaken.last
    assert last is not None and last.ref == "scheduled__34"
    # two task instances added up; one failed, so the run failed
    assert (
        last.records_read,
        last.delivered,
        last.dead_lettered,
        last.deferred,
        last.superseded,
    ) == (
        88,
        2 * (8 + 34 % 3),
        2 * (34 % 4),
        2,
        2,
    )
    assert last.state == "failed" and "laatste run mislukt" in zaken.warnings
    assert zaken.open_dead_letters == 3  # two unmapped (gws4all) and one rejected (allegro)
    # lag: the oldest received inbox message is 30 minutes old, more than two 5-minute slots
    assert zaken.lag is not None and timedelta(minutes=29) < zaken.lag < timedelta(minutes=31)
    assert any(w.startswith("achterstand groeit") for w in zaken.warnings)
    assert "nog nooit gedraaid" in flows["documenten"].warnings
    assert flows["archief_reconciliatie"].warnings == []
    svg = overzicht.chart_svg(zaken.runs)
    assert (
        svg.startswith("<svg")
        and svg.count('class="afgeleverd"') == 30
        and svg.count('class="dead"') == 30
    )


def test_a_flow_that_missed_its_schedule_stands_out(store: Store) -> None:
    seed(store, stale_hours=2)
    zaken = {f.name: f for f in overzicht.flow_overview(store)}["zaken"]
    assert any(w.startswith("niet op schema") for w in zaken.warnings)
    on_time = {f.name: f for f in overzicht.flow_overview(store, now=utcnow() - timedelta(hours=2))}
    assert not any(w.startswith("niet op schema") for w in on_time["zaken"].warnings)


def test_filter_by_flow_system_reason_and_date(store: Store) -> None:
    ids = seed(store)
    rows, total = fouten.list_letters(store, fouten.LetterFilter(reason="unmapped"))
    assert total == 2 and {r.id for r in rows} == {ids["unmapped0"], ids["unmapped1"]}
    rows, total = fouten.list_letters(store, fouten.LetterFilter(system="allegro"))
    assert [r.id for r in rows] == [ids["rejected"]]
    assert BSN not in rows[0].message and OTHER_BSN not in rows[0].message
    today = utcnow().date()
    assert fouten.list_letters(store, fouten.LetterFilter(van=today, tot=today))[1] == 3
    assert fouten.list_letters(store, fouten.LetterFilter(tot=today - timedelta(days=1)))[1] == 0
    assert fouten.list_letters(store, fouten.LetterFilter(flow="documenten"))[1] == 0


def test_detail_masks_every_bsn_and_shows_ledger(store: Store) -> None:
    ids = seed(store)
    detail = fouten.letter_detail(store, ids["unmapped0"])
    assert detail is not None
    assert "*****2333" in detail.payload and BSN not in detail.payload and ZAAK in detail.payload
    assert [e.state for e in detail.ledger] == ["dead"] and BSN not in detail.ledger[0].last_error
    kept = fouten.letter_detail(store, ids["rejected"])
    assert kept is not None and "*****6782" in kept.payload and OTHER_BSN not in kept.payload


def test_resend_and_skip_are_audited_with_the_airflow_user(store: Store) -> None:
    ids = seed(store)
    result = fouten.resend(store, [ids["unmapped0"]], actor="airflow:anna")
    assert result.done == [ids["unmapped0"]]
    assert fouten.skip(store, [ids["rejected"]], actor="airflow:bob", reason="").refused
    assert fouten.skip(store, [ids["rejected"]], actor="airflow:bob", reason="testzaak").done
    entries = [(e.actor, e.action, e.detail) for e in _audit(store)]
    assert entries == [
        ("airflow:anna", "resend_requested", ""),
        ("airflow:bob", "skipped", "testzaak"),
    ]


def test_bulk_acts_on_the_filter_only(store: Store) -> None:
    ids = seed(store)
    result = fouten.bulk_resend(store, fouten.LetterFilter(reason="unmapped"), actor="airflow:anna")
    assert sorted(result.done) == sorted([ids["unmapped0"], ids["unmapped1"]])
    with store.session() as session:
        assert session.get(DeadLetter, ids["rejected"]).state == "open"  # type: ignore[union-attr]
    skipped = fouten.bulk_skip(
        store, fouten.LetterFilter(system="allegro"), actor="airflow:bob", reason="vervallen"
    )
    assert skipped.done == [ids["rejected"]]


def test_two_beheerders_pressing_resend_at_once_deliver_once(store: Store) -> None:
    """Both press at the same moment (barrier); then two flow runs race to claim: one wins."""
    ids = seed(store)
    letter = ids["unmapped0"]
    barrier = threading.Barrier(2)
    results: dict[str, fouten.ActionResult] = {}

    def press(name: str) -> None:
        barrier.wait()
        results[name] = fouten.resend(store, [letter], actor=f"airflow:{name}")

    threads = [threading.Thread(target=press, args=(n,)) for n in ("anna", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(len(r.done) for r in results.values()) == [0, 1]
    assert all(not r.refused for r in results.values())  # the other one is told "al aangevraagd"
    assert [e.action for e in _audit(store)] == ["resend_requested"]

    claims: list[list[int]] = []
    claim_barrier = threading.Barrier(2)

    def claim() -> None:
        claim_barrier.wait()
        claims.append(claim_requested(store, "zaken"))

    threads = [threading.Thread(target=claim) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claims, key=len) == [[], [letter]]  # one run holds it: delivered once


def test_add_mapping_validates_audits_and_resends_what_it_blocked(
    store: Store, tmp_path: Path
) -> None:
    ids = seed(store)
    folder = mappings_copy(tmp_path / "m")
    [code] = koppel.unmapped_codes(store)
    assert (code.system, code.table, code.code, code.count) == (
        "gws4all",
        "statussen",
        UNKNOWN_CODE,
        2,
    )
    before = (folder / "statussen.csv").read_bytes()
    with pytest.raises(koppel.MappingRefused) as refused:
        koppel.add_mapping(
            store,
            folder,
            "statussen",
            {
                "bronsysteem": "gws4all",
                "broncode": UNKNOWN_CODE,
                "volgnummer": "99",
                "omschrijving": "x",
            },
            actor="airflow:anna",
        )
    assert "volgnummer 99 bestaat niet" in refused.value.findings[0]
    assert (folder / "statussen.csv").read_bytes() == before and _audit(store, "mapping") == []
    with pytest.raises(koppel.MappingRefused):
        koppel.add_mapping(store, None, "statussen", {}, actor="airflow:anna")

    old = koppel.add_mapping(
        store,
        folder,
        "statussen",
        {
            "bronsysteem": "gws4all",
            "broncode": UNKNOWN_CODE,
            "volgnummer": "3",
            "omschrijving": "Onderzoek",
        },
        actor="airflow:anna",
    )
    assert old is None and validate_tables(folder) == []
    changed = koppel.add_mapping(
        store,
        folder,
        "statussen",
        {
            "bronsysteem": "gws4all",
            "broncode": UNKNOWN_CODE,
            "volgnummer": "2",
            "omschrijving": "Aanvulling",
        },
        actor="airflow:anna",
    )
    assert changed is not None and changed["volgnummer"] == "3"
    audits = _audit(store, "mapping")
    assert [(a.actor, a.action, a.object_id) for a in audits] == [
        ("airflow:anna", "mapping_added", f"statussen:gws4all:{UNKNOWN_CODE}"),
        ("airflow:anna", "mapping_changed", f"statussen:gws4all:{UNKNOWN_CODE}"),
    ]
    assert "oud: (geen)" in (audits[0].detail or "")
    assert "oud: " in (audits[1].detail or "") and "volgnummer=3" in (audits[1].detail or "")
    assert "nieuw: " in (audits[1].detail or "") and "volgnummer=2" in (audits[1].detail or "")

    result = koppel.resend_blocked(
        store, "gws4all", "statussen", UNKNOWN_CODE, actor="airflow:anna"
    )
    assert sorted(result.done) == sorted([ids["unmapped0"], ids["unmapped1"]])
    assert koppel.unmapped_codes(store) == []


def test_search_by_key_and_by_bsn_never_shows_the_bsn(store: Store) -> None:
    ids = seed(store)
    by_key = zoeken.search(store, ZAAK, bsn_key=KEY)
    assert by_key.identities and {s for s, _ in by_key.identities[0].links} == {"gws4all", "esuite"}
    assert by_key.histories[0].ledger and by_key.histories[0].letters[0][0] == ids["unmapped0"]
    by_other_system = zoeken.search(store, "1900KBZ0000099", bsn_key=KEY)
    assert {k for _, k in by_other_system.identities[0].links} == {"ALG-7", "1900KBZ0000099"}

    by_bsn = zoeken.search(store, "111-222-333", bsn_key=KEY)
    assert by_bsn.is_bsn and by_bsn.query_shown == "*****2333"
    assert by_bsn.bsn_zaken == [ZAAK, "1900KBZ0000043"]
    assert BSN not in repr(by_bsn)
    other = zoeken.search(store, OTHER_BSN, bsn_key=KEY)
    assert set(other.bsn_zaken) == {"1900KBZ0000044", "ALG-7"}  # inbox body and kept record
    assert OTHER_BSN not in repr(other)
    assert zoeken.search(store, "999999990", bsn_key=KEY).bsn_zaken == []


def test_mark_drift_handled_once_with_a_reason(store: Store) -> None:
    ids = seed(store)
    assert [r.kind for r in archief.drift_items(store)] == ["andere checksum"]
    assert archief.reconciliations(store)[0].records_read == 200
    with pytest.raises(archief.DriftRefused):
        archief.mark_handled(store, ids["drift"], actor="airflow:anna", reason=" ")
    archief.mark_handled(store, ids["drift"], actor="airflow:anna", reason="MyLex-versie is juist")
    with pytest.raises(archief.DriftRefused):
        archief.mark_handled(store, ids["drift"], actor="airflow:bob", reason="nogmaals")
    with store.session() as session:
        row = session.get(DriftItemRow, ids["drift"])
        assert (
            row is not None
            and row.state == "opgelost"
            and "MyLex-versie is juist" in (row.note or "")
        )
    assert [(a.actor, a.action, a.detail) for a in _audit(store, "drift_item")] == [
        ("airflow:anna", "drift_handled", "MyLex-versie is juist")
    ]

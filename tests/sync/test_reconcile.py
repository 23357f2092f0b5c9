"""Archive reconciliation: the merge-join, its errors, the report and the external sort."""

from __future__ import annotations

import gc
import os
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.reconcile import (
    ArchiveEntry,
    DriftItem,
    DriftKind,
    ReconcileReport,
    UnsortedListingError,
    identity_translate,
    reconcile,
    repairable,
    sort_external,
)


def entry(number: int, sha: str | None = None, size: int = 100) -> ArchiveEntry:
    return ArchiveEntry(f"DOC-{number:010d}", sha or f"{number:064x}", size)


def listing(*numbers: int) -> list[ArchiveEntry]:
    return [entry(n) for n in numbers]


def test_equal_sides_have_no_drift() -> None:
    report = ReconcileReport()
    assert list(reconcile(listing(1, 2, 3), listing(1, 2, 3), report=report)) == []
    assert (report.left_total, report.right_total, report.in_step) == (3, 3, 3)
    assert report.summary() == (
        "MyLex: 3 documenten, nieuw archief: 3 documenten, in orde: 3. Geen verschillen."
    )


def test_each_kind_is_found_with_its_entries() -> None:
    left = [entry(1), entry(2), entry(4), entry(5, size=7), entry(7)]
    right = [entry(2), entry(3), entry(4, sha="f" * 64), entry(5, size=8), entry(6)]
    drift = list(reconcile(left, right))
    assert drift == [
        DriftItem(DriftKind.MISSING_IN_RIGHT, "DOC-0000000001", entry(1), None),
        DriftItem(DriftKind.MISSING_IN_LEFT, "DOC-0000000003", None, entry(3)),
        DriftItem(DriftKind.DIFFERENT_CHECKSUM, "DOC-0000000004", entry(4), right[2]),
        DriftItem(DriftKind.DIFFERENT_CHECKSUM, "DOC-0000000005", left[3], right[3]),
        DriftItem(DriftKind.MISSING_IN_LEFT, "DOC-0000000006", None, entry(6)),
        DriftItem(DriftKind.MISSING_IN_RIGHT, "DOC-0000000007", entry(7), None),
    ]
    assert DriftKind.MISSING_IN_LEFT.label == "ontbreekt in MyLex"
    assert DriftKind.MISSING_IN_RIGHT.label == "ontbreekt in nieuw archief"
    assert DriftKind.DIFFERENT_CHECKSUM.label == "andere checksum"


def test_checksum_case_is_not_drift() -> None:
    upper = ArchiveEntry("DOC-1", "AB" * 32, 5)
    assert list(reconcile([upper], [upper._replace(sha256="ab" * 32)])) == []


def test_both_sides_empty() -> None:
    report = ReconcileReport()
    assert list(reconcile([], [], report=report)) == []
    assert report == ReconcileReport()


@pytest.mark.parametrize("empty_side", ["left", "right"])
def test_one_side_empty(empty_side: str) -> None:
    full = listing(1, 2)
    left, right = ([], full) if empty_side == "left" else (full, [])
    kind = DriftKind.MISSING_IN_LEFT if empty_side == "left" else DriftKind.MISSING_IN_RIGHT
    drift = list(reconcile(left, right))
    assert [(d.kind, d.identificatie) for d in drift] == [
        (kind, "DOC-0000000001"),
        (kind, "DOC-0000000002"),
    ]
    assert all(repairable(d) for d in drift)


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize(("bad", "problem"), [((1, 3, 2), "niet oplopend"), ((1, 2, 2), "dubbel")])
def test_unsorted_or_duplicate_listing_raises(
    side: str, bad: tuple[int, ...], problem: str
) -> None:
    good = listing(1, 2, 3)
    left, right = (listing(*bad), good) if side == "left" else (good, listing(*bad))
    with pytest.raises(UnsortedListingError) as raised:
        list(reconcile(left, right))
    error = raised.value
    assert error.side == side
    assert (error.previous, error.current, error.position) == (
        entry(bad[1]).identificatie,
        entry(bad[2]).identificatie,
        2,
    )
    message = str(error)
    assert ("MyLex" if side == "left" else "nieuw archief") in message
    assert problem in message
    assert entry(bad[1]).identificatie in message and entry(bad[2]).identificatie in message


def test_error_message_masks_a_bsn_in_an_identificatie() -> None:
    left = [ArchiveEntry("B-111222333", "a", 1), ArchiveEntry("A", "a", 1)]
    with pytest.raises(UnsortedListingError) as raised:
        list(reconcile(left, []))
    assert "111222333" not in str(raised.value)


def generated(count: int, *, skip: int = -1, other_sha: int = -1) -> Iterator[ArchiveEntry]:
    for number in range(count):
        if number % 1000 == skip:
            continue
        sha = "0" * 64 if number % 1000 == other_sha else "f" * 64
        yield ArchiveEntry(f"DOC-{number:010d}", sha, number)


def test_streaming_holds_constant_memory() -> None:
    count = 200_000
    gc.collect()
    tracemalloc.start()
    try:
        report = ReconcileReport()
        drift = 0
        for _item in reconcile(
            generated(count, skip=1), generated(count, skip=2, other_sha=3), report=report
        ):
            drift += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert drift == 3 * count // 1000
    assert report.in_step == count - 3 * count // 1000
    assert peak < 2_000_000, f"peak {peak} bytes: reconcile holds the listings in memory"


def test_report_counts_add_up() -> None:
    count = 10_000
    report = ReconcileReport()
    items = list(
        reconcile(generated(count, skip=1), generated(count, skip=2, other_sha=3), report=report)
    )
    per_kind = {kind: report.drift[kind] for kind in DriftKind}
    missing_right = per_kind[DriftKind.MISSING_IN_RIGHT]
    missing_left = per_kind[DriftKind.MISSING_IN_LEFT]
    different = per_kind[DriftKind.DIFFERENT_CHECKSUM]
    assert report.left_total == sum(1 for _ in generated(count, skip=1))
    assert report.right_total == sum(1 for _ in generated(count, skip=2))
    assert report.left_total == report.in_step + missing_right + different
    assert report.right_total == report.in_step + missing_left + different
    assert (missing_left, missing_right, different) == (10, 10, 10)
    assert report.drift_total == len(items) == 30
    assert report.auto_repairable == 20
    assert report.summary() == (
        "MyLex: 9.990 documenten, nieuw archief: 9.990 documenten, in orde: 9.970. "
        "Verschillen: 30 (ontbreekt in MyLex: 10, ontbreekt in nieuw archief: 10, "
        "andere checksum: 10); automatisch herstelbaar: 20, beslissing beheer nodig: 10."
    )


def test_report_keeps_in_step_count_when_stopped_early() -> None:
    report = ReconcileReport()
    items = reconcile(listing(1, 2, 4), listing(1, 2, 3, 4), report=report)
    assert next(items).kind is DriftKind.MISSING_IN_LEFT
    items.close()
    assert (report.in_step, report.right_total, report.left_total) == (2, 3, 2)


def test_repairable_rules() -> None:
    assert repairable(DriftItem(DriftKind.MISSING_IN_LEFT, "D", None, entry(1)))
    assert repairable(DriftItem(DriftKind.MISSING_IN_RIGHT, "D", entry(1), None))
    assert not repairable(DriftItem(DriftKind.MISSING_IN_LEFT, "D", None, None))
    assert not repairable(DriftItem(DriftKind.MISSING_IN_RIGHT, "D", None, None))
    assert not repairable(DriftItem(DriftKind.DIFFERENT_CHECKSUM, "D", entry(1), entry(1, "a")))


def test_identity_translate_then_sort_matches_the_other_side() -> None:
    mylex = [ArchiveEntry("ML-9", "a", 1), ArchiveEntry("ML-1", "b", 2), ArchiveEntry("X", "c", 3)]
    links = {"ML-9": "DOC-1", "ML-1": "DOC-2"}
    translated = list(sort_external(identity_translate(mylex, links.get)))
    assert translated == [
        ArchiveEntry("DOC-1", "a", 1),
        ArchiveEntry("DOC-2", "b", 2),
        ArchiveEntry("X", "c", 3),  # unlinked: keeps its own key, shows up as drift
    ]
    right = [ArchiveEntry("DOC-1", "a", 1), ArchiveEntry("DOC-2", "b", 2)]
    assert [(d.kind, d.identificatie) for d in reconcile(translated, right)] == [
        (DriftKind.MISSING_IN_RIGHT, "X")
    ]


entries_strategy = st.lists(
    st.builds(
        ArchiveEntry,
        st.text(alphabet=st.characters(blacklist_characters="\t\n"), max_size=8),
        st.text(alphabet="0123456789abcdef", min_size=1, max_size=4),
        st.integers(min_value=0, max_value=10**12),
        st.text(alphabet=st.characters(blacklist_characters="\t\n"), max_size=12),  # locatie
    ),
    max_size=60,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(entries=entries_strategy, chunk_size=st.integers(min_value=1, max_value=7))
def test_sort_external_equals_sorted(
    entries: list[ArchiveEntry], chunk_size: int, tmp_path: Path
) -> None:
    result = list(sort_external(entries, chunk_size=chunk_size, tmpdir=tmp_path))
    assert result == sorted(entries, key=lambda e: e.identificatie)
    assert os.listdir(tmp_path) == []


def test_sort_external_spills_runs_and_cleans_up(tmp_path: Path) -> None:
    entries = [entry(n) for n in reversed(range(1000))]
    sorter = sort_external(entries, chunk_size=100, tmpdir=tmp_path)
    first = next(sorter)
    (run_dir,) = tmp_path.iterdir()
    assert len(list(run_dir.iterdir())) == 10
    assert [first, *sorter] == sorted(entries)
    assert list(tmp_path.iterdir()) == []


def test_sort_external_cleans_up_when_closed_early(tmp_path: Path) -> None:
    sorter = sort_external(listing(5, 4, 3, 2, 1), chunk_size=2, tmpdir=tmp_path)
    assert next(sorter) == entry(1)
    sorter.close()
    assert list(tmp_path.iterdir()) == []


def test_sort_external_small_input_stays_in_memory(tmp_path: Path) -> None:
    assert list(sort_external(listing(2, 1), tmpdir=tmp_path)) == listing(1, 2)
    assert list(tmp_path.iterdir()) == []


def test_sort_external_refuses_what_it_cannot_spill(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="tab of regeleinde"):
        list(sort_external([ArchiveEntry("a\tb", "x", 1)] * 2, chunk_size=1, tmpdir=tmp_path))
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="chunk_size"):
        list(sort_external([], chunk_size=0))


def test_sort_external_feeds_reconcile_with_bounded_memory(tmp_path: Path) -> None:
    count = 50_000
    right = (ArchiveEntry(f"DOC-{(k * 7919) % count:010d}", "f" * 64, 1) for k in range(count))
    left = (ArchiveEntry(f"DOC-{n:010d}", "f" * 64, 1) for n in range(count))
    report = ReconcileReport()
    gc.collect()
    tracemalloc.start()
    try:
        drift = list(
            reconcile(left, sort_external(right, chunk_size=5_000, tmpdir=tmp_path), report=report)
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert drift == []
    assert report.in_step == count
    assert peak < 5_000_000, f"peak {peak} bytes"


keys_strategy = st.sets(st.integers(min_value=0, max_value=40), max_size=25)


@given(left_keys=keys_strategy, right_keys=keys_strategy, changed=keys_strategy)
def test_reconcile_agrees_with_a_set_oracle(
    left_keys: set[int], right_keys: set[int], changed: set[int]
) -> None:
    left = [entry(n) for n in sorted(left_keys)]
    right = [entry(n, sha="e" * 64 if n in changed else None) for n in sorted(right_keys)]
    report = ReconcileReport()
    found = {(d.kind, d.identificatie) for d in reconcile(left, right, report=report)}
    oracle = {(DriftKind.MISSING_IN_RIGHT, entry(n).identificatie) for n in left_keys - right_keys}
    oracle |= {(DriftKind.MISSING_IN_LEFT, entry(n).identificatie) for n in right_keys - left_keys}
    oracle |= {
        (DriftKind.DIFFERENT_CHECKSUM, entry(n).identificatie)
        for n in left_keys & right_keys & changed
    }
    assert found == oracle
    assert report.in_step == len((left_keys & right_keys) - changed)
    assert (report.left_total, report.right_total) == (len(left_keys), len(right_keys))

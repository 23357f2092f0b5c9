"""Benchmark the archive reconciliation (MyLex vs new archive) against the physical floor.

Run on demand (not a test)::

    .venv/bin/python bench/reconcile.py                   # 1,000,000 documents per side
    .venv/bin/python bench/reconcile.py --documents 100000

Both listings are generated lazily (identificaties ``DOC-0000000001``..., sha256 of the number),
with injected drift: 0.1% missing in MyLex, 0.1% missing in the new archive, 0.1% with another
checksum. Measured in one process:

1. the floor: merely iterating both generators, and a raw ``heapq.merge`` of them by
   identificatie (the least any merge-join in Python can cost);
2. ``reconcile`` of the two sorted generators, with a report, checked against the injected drift;
3. a variant where the new archive arrives unsorted (a lazy permutation) and goes through
   ``sort_external`` first; its sort is timed separately.

Targets (issue 7, item 4): 1,000,000 per side under 60 s and under 500 MB peak RSS.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import heapq
import math
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from operator import attrgetter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sync.reconcile import ArchiveEntry, DriftKind, ReconcileReport, reconcile, sort_external

TARGET_SECONDS = 60.0
TARGET_RSS_MB = 500.0
PERMUTATION_STEP = 7919  # a prime: coprime with every count of the form 10**k


def _sha(number: int, salt: bytes = b"") -> str:
    return hashlib.sha256(salt + number.to_bytes(8, "big")).hexdigest()


def mylex(count: int) -> Iterator[ArchiveEntry]:
    """The left side, sorted: every document except those missing in MyLex (number % 1000 == 1)."""
    for number in range(count):
        if number % 1000 != 1:
            yield ArchiveEntry(f"DOC-{number:010d}", _sha(number), 1000 + number % 5000)


def _new_archive_entry(number: int) -> ArchiveEntry | None:
    if number % 1000 == 2:  # missing in the new archive
        return None
    sha = _sha(number, b"x") if number % 1000 == 3 else _sha(number)  # another checksum
    return ArchiveEntry(f"DOC-{number:010d}", sha, 1000 + number % 5000)


def new_archive(count: int) -> Iterator[ArchiveEntry]:
    for number in range(count):
        if (item := _new_archive_entry(number)) is not None:
            yield item


def new_archive_unsorted(count: int) -> Iterator[ArchiveEntry]:
    """The same entries in a scrambled order (a lazy permutation of the numbers)."""
    for k in range(count):
        if (item := _new_archive_entry((k * PERMUTATION_STEP) % count)) is not None:
            yield item


def expected(count: int) -> dict[DriftKind, int]:
    def hits(residue: int) -> int:
        return sum(1 for n in range(residue, count, 1000))

    return dict.fromkeys(DriftKind, 0) | {  # the kinds not injected stay zero
        DriftKind.MISSING_IN_LEFT: hits(1),
        DriftKind.MISSING_IN_RIGHT: hits(2),
        DriftKind.DIFFERENT_CHECKSUM: hits(3),
    }


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def drain(items: Iterable[object]) -> None:
    collections.deque(items, maxlen=0)


def run(count: int) -> bool:
    if math.gcd(PERMUTATION_STEP, count) != 1:
        raise SystemExit(f"--documents must not be a multiple of {PERMUTATION_STEP}")
    print(f"Archive reconciliation, {count:,} documents per side (0.1% drift of each kind)")
    print(f"  peak RSS at start: {peak_rss_mb():.0f} MB")

    by_id = attrgetter("identificatie")
    floor_iterate = timed(lambda: drain(chain(mylex(count), new_archive(count))))
    floor_merge = timed(lambda: drain(heapq.merge(mylex(count), new_archive(count), key=by_id)))

    report = ReconcileReport()
    drift_count = 0

    def do_reconcile() -> None:
        nonlocal drift_count
        for _item in reconcile(mylex(count), new_archive(count), report=report):
            drift_count += 1

    seconds = timed(do_reconcile)
    rss_sorted = peak_rss_mb()
    correct = {kind: report.drift[kind] for kind in DriftKind} == expected(count)
    entries = report.left_total + report.right_total

    print(f"  floor, iterate both generators: {floor_iterate:7.2f} s")
    print(f"  floor, raw heapq.merge of both: {floor_merge:7.2f} s")
    print(
        f"  reconcile (sorted sides):       {seconds:7.2f} s, {entries / seconds:,.0f} entries/s, "
        f"peak RSS {rss_sorted:.0f} MB"
    )
    print(
        f"  ratios: reconcile / iterate = {seconds / floor_iterate:.2f}, "
        f"reconcile / heapq.merge = {seconds / floor_merge:.2f}"
    )
    print(f"  {report.summary()}")
    print(f"  drift as injected: {'yes' if correct else 'NO'} ({drift_count} items)")

    with tempfile.TemporaryDirectory(prefix="bench-reconcile-") as tmpdir:
        floor_unsorted = timed(lambda: drain(new_archive_unsorted(count)))
        sort_only = timed(lambda: drain(sort_external(new_archive_unsorted(count), tmpdir=tmpdir)))
        report_unsorted = ReconcileReport()

        def do_unsorted() -> None:
            right = sort_external(new_archive_unsorted(count), tmpdir=tmpdir)
            drain(reconcile(mylex(count), right, report=report_unsorted))

        seconds_unsorted = timed(do_unsorted)
    rss_all = peak_rss_mb()
    same = report_unsorted == report
    print(
        f"  unsorted new archive: generate {floor_unsorted:.2f} s, sort_external alone "
        f"{sort_only:.2f} s (incl. generating), sort_external + reconcile {seconds_unsorted:.2f} s "
        f"(same result: {'yes' if same else 'NO'}); peak RSS now {rss_all:.0f} MB"
    )

    ok_sorted = seconds < TARGET_SECONDS and rss_sorted < TARGET_RSS_MB and correct
    ok_unsorted = seconds_unsorted < TARGET_SECONDS and rss_all < TARGET_RSS_MB and same
    for name, ok, secs, rss in (
        ("sorted sides", ok_sorted, seconds, rss_sorted),
        ("one side unsorted", ok_unsorted, seconds_unsorted, rss_all),
    ):
        print(
            f"  {'PASS' if ok else 'MISS'} {name}: {secs:.1f} s (target < {TARGET_SECONDS:.0f} s), "
            f"{rss:.0f} MB peak RSS (target < {TARGET_RSS_MB:.0f} MB)"
        )
    return ok_sorted and ok_unsorted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--documents", type=int, default=1_000_000, help="documents per side")
    args = parser.parse_args()
    return 0 if run(args.documents) else 1


if __name__ == "__main__":
    raise SystemExit(main())

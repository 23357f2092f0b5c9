"""Archive reconciliation: MyLex (left) against the new archive (right), as a streaming merge-join.

Pure: no I/O except :func:`sort_external`'s temporary files, no database, no Airflow. Both
listings must be sorted strictly ascending by ``identificatie`` in Python string order (code
point order; for ASCII the same as ``LC_ALL=C sort``, *not* a database collation). A listing
out of order raises :class:`UnsortedListingError` instead of silently reporting false drift.
:func:`reconcile` holds one entry per side in memory, whatever the listing sizes.

A side that comes unsorted, or whose keys first go through :func:`identity_translate`, is put
in order by :func:`sort_external` with bounded memory.
"""

from __future__ import annotations

import enum
import heapq
import tempfile
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from itertools import islice
from operator import attrgetter
from pathlib import Path
from typing import IO, NamedTuple

from privacy.masking import mask_text

__all__ = ["ArchiveEntry", "DriftItem", "DriftKind", "ReconcileReport", "UnsortedListingError"]
__all__ += ["MERGE_KINDS", "identity_translate", "reconcile", "repairable", "sort_external"]

SIDE_NAMES = {"left": "MyLex", "right": "nieuw archief"}
_by_id = attrgetter("identificatie")


class ArchiveEntry(NamedTuple):
    """One document in an archive listing; ``sha256`` as hex (case is ignored when comparing)."""

    identificatie: str
    sha256: str
    size: int
    #: Where the document lives in its archive (MyLex: the content file's path); not compared.
    locatie: str = ""


class DriftKind(enum.Enum):
    """The kind of drift; the value is the Dutch text beheer reads (store ``kind.name``)."""

    MISSING_IN_LEFT = "ontbreekt in MyLex"
    MISSING_IN_RIGHT = "ontbreekt in nieuw archief"
    DIFFERENT_CHECKSUM = "andere checksum"
    #: Found by the nightly byte check (sync.bestandscontrole), not by the merge-join.
    BESCHADIGD = "beschadigd"
    #: Found by the Xtendis check (sync.xtendis_controle): delivered, yet no OK receipt.
    XTENDIS_ONTBREEKT = "ontbreekt in Xtendis"

    @property
    def label(self) -> str:
        return str(self.value)


#: The kinds the merge-join itself reports (the others come from their own checks).
MERGE_KINDS = (DriftKind.MISSING_IN_LEFT, DriftKind.MISSING_IN_RIGHT, DriftKind.DIFFERENT_CHECKSUM)


@dataclass(frozen=True, slots=True)
class DriftItem:
    """A document not in step: missing on one side, or different content on both."""

    kind: DriftKind
    identificatie: str
    left: ArchiveEntry | None
    right: ArchiveEntry | None


class UnsortedListingError(ValueError):
    """A listing is not strictly ascending by identificatie (out of order, or a duplicate)."""

    def __init__(self, side: str, previous: str, current: str, position: int) -> None:
        self.side, self.previous, self.current, self.position = side, previous, current, position
        problem = "dubbel" if previous == current else "niet oplopend"
        text = f"Lijst van {SIDE_NAMES.get(side, side)} ({side}) is niet strikt oplopend"
        text += f" gesorteerd op identificatie ({problem}): {current!r} op positie {position}"
        super().__init__(mask_text(f"{text} komt na {previous!r}"))


def repairable(item: DriftItem) -> bool:
    """Can Ketenbrug repair this by itself? A missing document whose other side exists can be
    re-sent; a checksum difference is never auto-repaired: beheer decides which side is right."""
    if item.kind is DriftKind.DIFFERENT_CHECKSUM:
        return False
    return (item.right if item.kind is DriftKind.MISSING_IN_LEFT else item.left) is not None


@dataclass
class ReconcileReport:
    """Counts of one reconciliation; ``left`` is MyLex, ``right`` the new archive."""

    left_total: int = 0
    right_total: int = 0
    in_step: int = 0
    drift: Counter[DriftKind] = field(default_factory=Counter)
    auto_repairable: int = 0

    def add(self, item: DriftItem) -> None:
        self.drift[item.kind] += 1
        self.auto_repairable += repairable(item)
        if item.kind is not DriftKind.MISSING_IN_LEFT:
            self.left_total += 1
        if item.kind is not DriftKind.MISSING_IN_RIGHT:
            self.right_total += 1

    def add_in_step(self, count: int = 1) -> None:
        self.in_step += count
        self.left_total += count
        self.right_total += count

    @property
    def drift_total(self) -> int:
        return sum(self.drift.values())

    def summary(self) -> str:
        def n(value: int) -> str:
            return f"{value:,}".replace(",", ".")

        head = (
            f"MyLex: {n(self.left_total)} documenten, nieuw archief: {n(self.right_total)} "
            f"documenten, in orde: {n(self.in_step)}."
        )
        if not self.drift_total:
            return f"{head} Geen verschillen."
        parts = ", ".join(f"{kind.label}: {n(self.drift[kind])}" for kind in MERGE_KINDS)
        manual = self.drift_total - self.auto_repairable
        return (
            f"{head} Verschillen: {n(self.drift_total)} ({parts}); automatisch herstelbaar: "
            f"{n(self.auto_repairable)}, beslissing beheer nodig: {n(manual)}."
        )


def _checked(entries: Iterable[ArchiveEntry], side: str) -> Iterator[ArchiveEntry]:
    previous: str | None = None
    for position, entry in enumerate(entries):
        key = entry.identificatie
        if previous is not None and key <= previous:
            raise UnsortedListingError(side, previous, key, position)
        previous = key
        yield entry


def _compare(
    lit: Iterator[ArchiveEntry], rit: Iterator[ArchiveEntry], tally: list[int]
) -> Iterator[DriftItem]:
    """The merge-join proper; counts in-step pairs in ``tally[0]``."""
    lentry, rentry = next(lit, None), next(rit, None)
    while lentry is not None or rentry is not None:
        if lentry is not None and (rentry is None or lentry.identificatie < rentry.identificatie):
            yield DriftItem(DriftKind.MISSING_IN_RIGHT, lentry.identificatie, lentry, None)
            lentry = next(lit, None)
        elif rentry is not None and (lentry is None or rentry.identificatie < lentry.identificatie):
            yield DriftItem(DriftKind.MISSING_IN_LEFT, rentry.identificatie, None, rentry)
            rentry = next(rit, None)
        elif lentry is not None and rentry is not None:  # same identificatie
            if lentry.size == rentry.size and (
                lentry.sha256 == rentry.sha256 or lentry.sha256.lower() == rentry.sha256.lower()
            ):
                tally[0] += 1
            else:  # also an equal hash with another size: one side's metadata is wrong
                yield DriftItem(DriftKind.DIFFERENT_CHECKSUM, lentry.identificatie, lentry, rentry)
            lentry, rentry = next(lit, None), next(rit, None)


def reconcile(
    left: Iterable[ArchiveEntry],
    right: Iterable[ArchiveEntry],
    *,
    report: ReconcileReport | None = None,
) -> Generator[DriftItem, None, None]:
    """Merge-join two listings sorted by identificatie; yield a :class:`DriftItem` per drift.

    Checksums compare case-insensitively; a size difference counts as ``DIFFERENT_CHECKSUM``
    too. With ``report``, every drift item and the in-step count are added to it (the in-step
    count also when the caller stops early or a listing turns out unsorted).
    """
    tally = [0]
    try:
        for item in _compare(_checked(left, "left"), _checked(right, "right"), tally):
            if report is not None:
                report.add(item)
            yield item
    finally:
        if report is not None:
            report.add_in_step(tally[0])


def identity_translate(
    entries: Iterable[ArchiveEntry], mapping: Callable[[str], str | None]
) -> Iterator[ArchiveEntry]:
    """Rename each identificatie to the other side's key through ``mapping`` (the identity map).

    An identificatie the mapping does not know (``None``) keeps its own key, so the document
    still shows up as drift instead of vanishing. Drift items then carry the translated key;
    map back through the identity map to repair on this side. Translation breaks the order:
    the caller must supply the result sorted, e.g. through :func:`sort_external`.
    """
    for entry in entries:
        key = mapping(entry.identificatie)
        yield entry if key is None else entry._replace(identificatie=key)


def _open_run(path: Path, mode: str) -> IO[str]:  # any str round-trips, lone surrogates too
    return path.open(mode, encoding="utf-8", errors="surrogatepass", newline="\n")


def _write_run(chunk: list[ArchiveEntry], path: Path) -> None:
    if any(
        "\t" in e.identificatie
        or "\n" in e.identificatie
        or "\t" in e.sha256
        or "\t" in e.locatie
        or "\n" in e.locatie
        for e in chunk
    ):
        raise ValueError(
            "Identificatie, checksum of locatie met tab of regeleinde: niet te sorteren"
        )
    with _open_run(path, "w") as run:
        run.writelines(f"{e.identificatie}\t{e.sha256}\t{e.size}\t{e.locatie}\n" for e in chunk)


def _read_run(run: IO[str]) -> Iterator[ArchiveEntry]:
    for line in run:
        identificatie, sha256, size, locatie = line[:-1].split("\t")
        yield ArchiveEntry(identificatie, sha256, int(size), locatie)


def sort_external(
    entries: Iterable[ArchiveEntry], *, chunk_size: int = 200_000, tmpdir: str | Path | None = None
) -> Generator[ArchiveEntry, None, None]:
    """Sort by identificatie with at most ``chunk_size`` entries in memory (stable, like sorted()).

    Sorted runs are spilled to a private temporary directory (under ``tmpdir``) as
    ``identificatie<TAB>sha256<TAB>size<TAB>locatie`` lines and merged with :func:`heapq.merge`. The
    directory is removed when the iterator is exhausted or closed (or garbage-collected).
    Input that fits in one chunk never touches the disk.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    source = iter(entries)
    chunk = list(islice(source, chunk_size))
    chunk.sort(key=_by_id)
    if len(chunk) < chunk_size:
        yield from chunk
        return
    with tempfile.TemporaryDirectory(prefix="ketenbrug-sort-", dir=tmpdir) as directory:
        runs: list[Path] = []
        while chunk:
            runs.append(Path(directory) / f"run-{len(runs):05d}.tsv")
            _write_run(chunk, runs[-1])
            chunk.clear()  # release this run before the next one is read
            chunk = list(islice(source, chunk_size))
            chunk.sort(key=_by_id)
        with ExitStack() as stack:
            opened = (stack.enter_context(_open_run(path, "r")) for path in runs)
            yield from heapq.merge(*(_read_run(f) for f in opened), key=_by_id)

"""A status date without a zone (found by the contract kit) is UTC, never a TypeError."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.esuite.target import _moment, _same_moment


def test_a_moment_without_a_zone_is_read_as_utc() -> None:
    assert _moment("2026-03-02T09:30:00") == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    assert _moment("2026-03-02T09:30:00Z") == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_moments_with_and_without_a_zone_compare() -> None:
    naive = datetime(2026, 3, 2, 9, 30)  # noqa: DTZ001  (what a source without zones sends)
    assert _same_moment(naive, datetime(2026, 3, 2, 9, 30, 0, 400_000, tzinfo=UTC))
    assert not _same_moment(naive, datetime(2026, 3, 2, 9, 31, tzinfo=UTC))

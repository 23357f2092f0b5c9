"""mask_text catches a BSN written in groups (111.222.333, 111 222 333, 111-222-333), and
leaves dates, times, amounts and phone numbers alone."""

from __future__ import annotations

import string
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privacy.masking import mask_text

NOT_DIGITS = st.text(alphabet=string.ascii_letters + " :;()/=\n\t\"'" + "éü", max_size=20).filter(
    lambda text: not text[-1:].isdigit()
)
NINE_DIGITS = st.text(alphabet=string.digits, min_size=9, max_size=9)


@pytest.mark.parametrize(
    "text",
    [
        "bsn 111.222.333 onbekend",
        "bsn 111 222 333 onbekend",
        "bsn 111-222-333 onbekend",
        "(111.222.333)",
        "klant=111-222-333;",
        "einde zin 111 222 333.",
        "stap 2 111-222-333",
    ],
)
def test_grouped_bsn_is_masked(text: str) -> None:
    masked = mask_text(text)
    assert "*****2333" in masked
    assert "111" not in masked.replace("*****2333", "")


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-02",
        "02-12-2026 14:05:33",
        "11:22:33",
        "2026-12-02T10:11:12.123456Z",
        "12.345.678,90",
        "€ 112.345.678,90",
        "1.112.345.678",
        "192.168.100.200",
        "0612345678",
        "06-12345678",
        "06 1234 5678",
        "020 123 4567",
        "020-123 4567",
        "+31 20 123 456 789",
        "111-222-333-444",
        "versie 1.2.3",
    ],
)
def test_dates_times_amounts_and_phone_numbers_stay(text: str) -> None:
    assert mask_text(text) == text


@given(NOT_DIGITS, NINE_DIGITS, st.sampled_from(["", ".", " ", "-"]), NOT_DIGITS)
def test_any_nine_digits_plain_or_grouped_are_masked(
    before: str, digits: str, sep: str, after: str
) -> None:
    written = sep.join((digits[:3], digits[3:6], digits[6:]))
    after = after if after[:1] not in {".", ",", "-", " "} else "x" + after
    masked = mask_text(f"{before}{written}{after}")
    assert written not in masked and digits[:5] not in masked.replace(digits[-4:], "")
    assert f"*****{digits[-4:]}" in masked


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31)))
def test_dates_are_never_masked(day: date) -> None:
    for text in (day.isoformat(), day.strftime("%d-%m-%Y"), day.strftime("%d.%m.%Y")):
        assert mask_text(f"datum {text} gezet") == f"datum {text} gezet"


@given(st.datetimes())
def test_timestamps_are_never_masked(moment: datetime) -> None:
    text = moment.isoformat()
    assert mask_text(text) == text


@given(st.integers(min_value=1_000, max_value=10**12), st.integers(min_value=0, max_value=99))
def test_dutch_amounts_with_cents_are_never_masked(euros: int, cents: int) -> None:
    text = f"€ {euros:,}".replace(",", ".") + f",{cents:02d}"
    assert mask_text(text) == text


@given(st.text(alphabet=string.digits, min_size=8, max_size=8))
def test_ten_digit_phone_numbers_are_never_masked(rest: str) -> None:
    number = "06" + rest
    for text in (
        number,
        f"06-{rest}",
        f"06 {rest[:4]} {rest[4:]}",
        f"0{rest[:2]} {rest[2:5]} {rest[5:]}0",
    ):
        assert mask_text(f"tel. {text}") == f"tel. {text}"

"""Property tests for the small pure pieces: BSN bijection, PDF sizes, fault config round trip."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from privacy.masking import is_valid_bsn
from simulators.faults import FaultConfig
from simulators.pdf import pdf_bytes
from simulators.synthetic import bsn_for_index, index_for_bsn


@given(st.integers(0, 10**7 - 1), st.integers(0, 10_000))
def test_bsn_is_valid_and_invertible(index: int, seed: int) -> None:
    bsn = bsn_for_index(index, seed)
    assert is_valid_bsn(bsn)
    assert index_for_bsn(bsn, seed) == index


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_index_for_bsn_only_claims_its_own(bsn: str) -> None:
    index = index_for_bsn(bsn)
    assert index is None or bsn_for_index(index) == bsn


@settings(max_examples=40)
@given(st.integers(2_000, 300_000), st.integers(0, 2**32))
def test_pdf_has_the_requested_size(size: int, seed: int) -> None:
    content = pdf_bytes("Brief (één)", ["regel \\ met ( haakjes )"], size=size, seed=seed)
    assert len(content) == size
    assert content.startswith(b"%PDF-1.4") and content.endswith(b"%%EOF\n")


rates = st.floats(0, 0.5, allow_nan=False)


@given(
    rates,
    rates,
    st.floats(0, 1, allow_nan=False),
    st.integers(0, 5_000),
    st.integers(0, 2**31),
    st.none() | st.lists(st.sampled_from(["http_503", "reset", "fo02"]), max_size=3),
)
def test_fault_config_round_trip(
    transient: float,
    permanent: float,
    duplicate: float,
    latency: int,
    seed: int,
    variants: list[str] | None,
) -> None:
    config = FaultConfig(
        latency_ms=latency,
        transient_rate=transient,
        permanent_rate=permanent,
        duplicate_rate=duplicate,
        seed=seed,
        transient_variants=tuple(variants) if variants is not None else None,
    )
    assert FaultConfig.from_dict(config.to_dict()) == config

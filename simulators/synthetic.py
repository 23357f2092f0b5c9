"""Deterministic synthetic data for the simulators: clients, zaken, statussen, documents, specs.

Why: the demo, the integration tests and the benchmarks need realistic data without a single real
person in it, in any volume (up to 1,000,000 zaken), and the *same* data every run so a failure
can be replayed. Therefore:

* every item is derived from ``(seed, kind, index)`` alone, so item *i* can be regenerated on its
  own (random access) and two runs with one seed agree byte for byte;
* every collection is a generator: nothing here holds more than one zaak at a time;
* BSNs pass the elfproef and are unique per client index (a bijection on the index, see
  :func:`bsn_for_index`); their ``repr`` is masked so a failing test never prints one;
* document bytes are produced lazily (:meth:`SynthDocument.iter_bytes`) as real PDFs.

Status codes are GWS4all codes from :data:`GWS4ALL_STATUS_CHAIN`, the twelve steps of the
Enschede bijstandsaanvraag chain (DOMAIN.md). ``mappings/gws4all_status.csv`` lists the same codes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from simulators._synth_build import build_client, build_spec, build_zaak
from simulators.synthetic_model import (
    GWS4ALL_STATUS_CHAIN,
    GWS4ALL_UNMAPPED_CODE,
    TZ,
    ZAAKTYPEN,
    BetaalRegel,
    Betaalspecificatie,
    SynthClient,
    SynthDocument,
    SynthStatus,
    SynthZaak,
    Zaaktype,
    bsn_for_index,
    iban_for_index,
    index_for_bsn,
)

__all__ = [
    "GWS4ALL_STATUS_CHAIN",
    "GWS4ALL_UNMAPPED_CODE",
    "TZ",
    "ZAAKTYPEN",
    "BetaalRegel",
    "Betaalspecificatie",
    "SynthClient",
    "SynthDocument",
    "SynthStatus",
    "SynthZaak",
    "SyntheticData",
    "Zaaktype",
    "bsn_for_index",
    "iban_for_index",
    "index_for_bsn",
]

# Kinds keep the per-item random streams apart (clients, zaken, specs never share numbers).
_KIND_CLIENT, _KIND_ZAAK, _KIND_SPEC = 1, 2, 3


def _rng(seed: int, kind: int, index: int) -> random.Random:
    return random.Random(((seed * 16 + kind) << 40) + index)


class SyntheticData:
    """Entry point: ``SyntheticData(seed=42).zaken(1_000_000)`` streams a million zaken.

    ``document_scale`` multiplies document sizes (0.01 for fast tests, 10 for benchmarks).
    ``client_count`` caps how many distinct clients the zaken draw from (see :meth:`zaak`).
    """

    def __init__(self, seed: int = 0, *, document_scale: float = 1.0) -> None:
        self.seed = seed
        self.document_scale = document_scale

    def client(self, index: int) -> SynthClient:
        return build_client(_rng(self.seed, _KIND_CLIENT, index), self.seed, index)

    def clients(self, count: int, start: int = 0) -> Iterator[SynthClient]:
        for index in range(start, start + count):
            yield self.client(index)

    def zaak(self, index: int, *, client_count: int | None = None) -> SynthZaak:
        """Zaak ``index`` on its own (random access); equal to the one :meth:`zaken` yields.

        Its client is drawn from the first ``client_count`` clients, by default from the first
        two thirds of the zaken before it: early clients collect several zaken, as in real life.
        """
        rng = _rng(self.seed, _KIND_ZAAK, index)
        pool = client_count or max(1, (index + 1) * 2 // 3)
        client = self.client(int(rng.random() * pool))
        return build_zaak(rng, index, client, self.document_scale)

    def zaken(
        self, count: int, *, start: int = 0, client_count: int | None = None
    ) -> Iterator[SynthZaak]:
        """Zaken ``start`` .. ``start + count - 1``, one at a time."""
        for index in range(start, start + count):
            yield self.zaak(index, client_count=client_count)

    def betaalspecificatie(
        self, client_index: int, periode: str, *, correction_rate: float = 0.02
    ) -> tuple[Betaalspecificatie, Betaalspecificatie | None]:
        """Client ``client_index``'s specification for ``periode`` and its correction, if any."""
        rng = _rng(self.seed, _KIND_SPEC, (client_index << 12) + _period_key(periode))
        spec = build_spec(rng, self.client(client_index), periode, versie=1)
        correction = None
        if rng.random() < correction_rate:
            correction = build_spec(rng, spec.client, periode, versie=2)
        return spec, correction

    def betaalspecificaties(
        self, periode: str, client_count: int, *, start: int = 0, correction_rate: float = 0.02
    ) -> Iterator[Betaalspecificatie]:
        """One specification per client for ``periode`` ("YYYY-MM"); a few followed by a
        correction (same periode, ``versie`` 2), as GWS4all sends them."""
        for index in range(start, start + client_count):
            spec, correction = self.betaalspecificatie(
                index, periode, correction_rate=correction_rate
            )
            yield spec
            if correction is not None:
                yield correction


def _period_key(periode: str) -> int:
    """0..4095 for 2000-01 .. 2341-04: fits the 12 bits the spec stream reserves for it."""
    year, month = (int(part) for part in periode.split("-"))
    if not 1 <= month <= 12 or not 2000 <= year < 2341:
        raise ValueError(f"periode must be YYYY-MM, got {periode!r}")
    return (year - 2000) * 12 + month - 1

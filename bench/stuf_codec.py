"""Benchmark the StUF codec against the floor (raw lxml parse) and against zeep.

Run on demand (not a test): ``.venv/bin/python bench/stuf_codec.py [--runs N]``. Compare the
printed ratios, not absolute numbers: this kind of machine varies 15-25% per run, so ``--runs``
measures N times and prints (and judges) the medians.

Targets: parse-to-objects >= 40% of raw ``lxml.etree.fromstring`` and >= 5x zeep deserialising
the same message with the official ZDS 1.2 schema (the copy shipped in ``stuf/schemas``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import stuf
from stuf import (
    CreeerZaak,
    Document,
    Systeem,
    VoegZaakdocumentToe,
    Zaak,
    ZdsVersion,
    build_message,
    new_stuurgegevens,
    parse_message,
)
from stuf.schema import schema_path

ZDS = "http://www.stufstandaarden.nl/koppelvlak/zds0120"
LXML_TARGET = 0.40  # parse-to-objects as a share of raw etree.fromstring (issue 4)
ZEEP_TARGET = 5.0  # parse-to-objects as a multiple of zeep's deserialiser (issue 4)


def rate(func: Callable[[], object], seconds: float = 1.0) -> float:
    """Calls per second of ``func``, best of three slices."""
    func()
    best = 0.0
    for _ in range(3):
        count, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds / 3:
            func()
            count += 1
        best = max(best, count / elapsed)
    return best


def messages() -> dict[str, tuple[stuf.Message, bytes]]:
    sg = new_stuurgegevens("Lk01", Systeem("1900", "GWS4all"), Systeem("1900", "CDR"), "ZAK")
    zaak = Zaak(
        "1900-2024-000123",
        "B1026",
        "Aanvraag minima",
        "Aanvraag minimaregelingen",
        startdatum=date(2024, 1, 2),
        registratiedatum=date(2024, 1, 2),
        initiator_bsn="111222333",
    )
    doc = Document(
        "DOC-2024-000001",
        "Beschikking",
        "1900-2024-000123",
        "Beschikking",
        "beschikking.pdf",
        "pdf",
        date(2024, 1, 3),
        vertrouwelijkheid="VERTROUWELIJK",
        auteur="Gemeente",
        inhoud=os.urandom(110_000),
        content_type="application/pdf",
    )
    small = CreeerZaak(sg, zaak)
    big = VoegZaakdocumentToe(replace(sg, entiteittype="EDC"), doc)
    return {
        "zakLk01 (creeerZaak)": (small, build_message(small, ZdsVersion.V1_2)),
        "edcLk01 (voegZaakdocumentToe)": (big, build_message(big, ZdsVersion.V1_2)),
    }


def zeep_parsers() -> dict[str, Callable[[bytes], object]] | None:
    """zeep element parsers from the shipped official (flattened) ZDS 1.2 schema, or None."""
    try:
        import zeep
        from zeep.loader import load_external
        from zeep.transports import Transport
        from zeep.xsd import Schema
    except ImportError:
        return None
    path = schema_path(ZdsVersion.V1_2)
    settings = zeep.Settings(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    started = time.perf_counter()
    transport = Transport()
    with path.open("rb") as handle:
        document = load_external(handle, transport, base_url=str(path), settings=settings)
    types = Schema(document, transport=transport, location=str(path), settings=settings)
    print(f"zeep schema load: {time.perf_counter() - started:.1f} s")
    result = {}
    for label, local in (
        ("zakLk01 (creeerZaak)", "creeerZaak_ZakLk01"),
        ("edcLk01 (voegZaakdocumentToe)", "voegZaakdocumentToe_EdcLk01"),
    ):
        element = types.get_element(f"{{{ZDS}}}{local}")

        def parse(data: bytes, element: object = element) -> object:
            body = etree.fromstring(data)[0][0]
            return element.parse(body, types)  # type: ignore[attr-defined]

        result[label] = parse
    return result


def measure(
    message: stuf.Message, data: bytes, zeep_parse: Callable[[bytes], object] | None
) -> tuple[float, float, float, float]:
    """Raw lxml, codec parse, codec build and zeep rates (0.0 without zeep) for one message."""
    raw = rate(lambda: etree.fromstring(data))
    parsed = rate(lambda: parse_message(data))
    built = rate(lambda: build_message(message, ZdsVersion.V1_2))
    zeep_rate = rate(lambda: zeep_parse(data)) if zeep_parse else 0.0
    return raw, parsed, built, zeep_rate


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--runs", type=int, default=1, metavar="N", help="measure N times; report the medians"
    )
    runs = max(1, parser.parse_args(argv).runs)
    samples = messages()
    zeep = zeep_parsers()
    print(
        f"{'message':32} {'size':>8} {'lxml parse/s':>13} {'codec parse/s':>14} "
        f"{'% of lxml':>9} {'zeep/s':>9} {'x zeep':>7} {'build/s':>9}"
    )
    verdicts: list[str] = []
    for label, (message, data) in samples.items():
        rows = [measure(message, data, zeep[label] if zeep else None) for _ in range(runs)]
        raw, parsed, built, zeep_rate = (
            statistics.median(column) for column in zip(*rows, strict=True)
        )
        share = statistics.median(row[1] / row[0] for row in rows)
        times = statistics.median(row[1] / row[3] for row in rows) if zeep_rate else 0.0
        times_zeep = f"{times:7.1f}" if zeep_rate else "    n/a"
        print(
            f"{label:32} {len(data):>8} {raw:>13.0f} {parsed:>14.0f} {share:>9.0%} "
            f"{zeep_rate:>9.0f} {times_zeep} {built:>9.0f}"
        )
        if runs > 1:
            shares = " ".join(f"{row[1] / row[0]:.0%}" for row in rows)
            print(f"{'':32} % of lxml per run: {shares}")
        verdicts.append(
            f"{'PASS' if share >= LXML_TARGET else 'MISS'}  {label}: parse {share:.0%} of raw lxml "
            f"(target >= {LXML_TARGET:.0%})"
        )
        if zeep_rate:
            verdicts.append(
                f"{'PASS' if times >= ZEEP_TARGET else 'MISS'}  {label}: parse {times:.1f}x zeep "
                f"(target >= {ZEEP_TARGET:.0f}x)"
            )
        else:
            verdicts.append(f"n/a   {label}: zeep not installed, x zeep target not measured")
    print()
    print("\n".join(verdicts))


if __name__ == "__main__":
    main()

"""The SCHULDHULP dossier's BSN comes from Allegro, the system of record of debt-help clients.

Functiescheiding keeps Allegro's debt-help zaken out of the e-Suite, so the e-Suite cannot
say whose dossier an Allegro document belongs in. ``sync.tasks.flow.flow_targets`` asks the
zaaksysteem first, then Allegro's zaken exports (``adapters.allegro.dossier_bsn``, kept in
memory for one task). Real simulators (e-Suite over HTTP, Allegro's exports and Xtendis' hot
folder over a real sshd) and the real task entry points; the rig is test_functiescheiding's.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pytest
from sqlalchemy import select

from adapters.allegro.config import AllegroConfig
from adapters.allegro.dossier_bsn import dossier_bsn
from adapters.errors import PermanentError
from privacy.masking import mask_text
from simulators.allegro import ZAKEN_COLUMNS, AllegroExporter, parse_export
from simulators.sftp.files import atomic_write, sha256_line
from simulators.testing import esuite, esuite_simulator
from simulators.xtendis import INDEX_NS
from stuf.model import Zaak
from stuf.xml import parse_xml_file
from sync.store.models import DeadLetter, LedgerEntry
from sync.tasks.flow import compose_dossier_bsn
from tests.sync.test_functiescheiding import Rig, rig

__all__ = ["esuite", "esuite_simulator", "rig"]  # the fixtures, used below

ERROR = "in de e-Suite en Allegro geen initiator (BSN)"


def _stored(rig: Rig) -> dict[str, tuple[str, str, str]]:
    """Stored document (kenmerk) -> (archive, dossier folder, the BSN in its index)."""
    found = {}
    for path in rig.xtendis.documents():
        index = parse_xml_file(path / "index.xml")
        kenmerk = index.findtext(f"{{{INDEX_NS}}}document/{{{INDEX_NS}}}kenmerk")
        bsn = index.findtext(f"{{{INDEX_NS}}}dossier/{{{INDEX_NS}}}bsn")
        found[str(kenmerk)] = (path.parent.parent.name, path.parent.name, str(bsn))
    return found


def _no_bsn(text: str, bsns: set[str]) -> bool:
    return mask_text(text) == text and not any(bsn in text for bsn in bsns)


def test_a_debt_help_document_lands_in_its_clients_schuldhulp_dossier(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    """Also from exports Allegro archived after processing the return file."""
    rig.exporter.write_batch(12)
    export = rig.exporter.write_documents(4, sizes=4096, document_faults={}, export_fault="")
    dossiers = rig.allegro_dossiers()
    assert rig.allegro_zaken().outcome.dead_lettered == 0
    archived = rig.exporter.process_returns()
    assert archived and not list((rig.area.local / "export").glob("ALG_ZAKEN_*.csv"))
    bsns = {bsn for _code, bsn in dossiers.values()}
    caplog.set_level(logging.DEBUG)

    run = rig.allegro_documenten()

    assert (run.outcome.delivered, run.outcome.dead_lettered) == (4, 0)
    expected = {
        d.document_id: (
            "SCHULDHULP",
            rig.xtendis.dossier_id(dossiers[d.dossiernummer][1]),
            dossiers[d.dossiernummer][1],
        )
        for d in export.documents
    }
    assert _stored(rig) == expected, "each in the SCHULDHULP dossier of its own client"
    assert rig.esuite_documenten() == set() and rig.esuite_zaken() == set()
    assert rig.mylex_documenten() == set()
    with rig.store.session() as session:
        assert set(session.scalars(select(LedgerEntry.target_system))) == {"xtendis"}
    assert all(_no_bsn(record.getMessage(), bsns) for record in caplog.records)


def test_a_dossier_unknown_everywhere_is_a_dead_letter_without_a_bsn(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    rig.exporter.write_batch(12)  # Allegro's index holds BSNs, just not of these dossiers
    bsns = {bsn for _code, bsn in rig.allegro_dossiers().values()}
    strange = AllegroExporter(rig.area.local, seed=7)  # knows no dossier: made-up numbers
    export = strange.write_documents(2, sizes=4096, document_faults={}, export_fault="")
    caplog.set_level(logging.DEBUG)

    run = rig.allegro_documenten()

    assert (run.outcome.delivered, run.outcome.dead_lettered) == (0, 2)
    with rig.store.session() as session:
        letters = session.scalars(select(DeadLetter)).all()
    assert len(letters) == 2
    for letter in letters:
        assert ERROR in letter.message, letter.message
        assert any(d.dossiernummer in letter.message for d in export.documents)
        assert _no_bsn(letter.message, bsns) and _no_bsn(letter.record_json or "", bsns)
    assert _stored(rig) == {}
    assert all(_no_bsn(record.getMessage(), bsns) for record in caplog.records)


def test_a_corrupt_zaken_export_is_skipped_and_the_others_still_answer(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    (good,) = rig.exporter.write_batch(12)
    (bad,) = rig.exporter.write_batch(12)
    export_dir = rig.area.local / "export"
    sidecar = export_dir / f"{bad.name}.sha256"
    sidecar.write_bytes(sha256_line(hashlib.sha256(b"anders").hexdigest(), bad.name))
    trusted = {row["dossiernummer"]: row["bsn"] for row in _rows(export_dir / good.name)}
    documents = rig.exporter.write_documents(8, sizes=4096, document_faults={}, export_fault="")
    known = {d.document_id for d in documents.documents if d.dossiernummer in trusted}
    only_in_bad = {d.document_id for d in documents.documents} - known
    assert known and only_in_bad, "the seed gives documents of both kinds"
    caplog.set_level(logging.WARNING)

    run = rig.allegro_documenten()

    assert (run.outcome.delivered, run.outcome.dead_lettered) == (len(known), len(only_in_bad))
    stored = _stored(rig)
    assert set(stored) == known
    by_id = {d.document_id: d.dossiernummer for d in documents.documents}
    assert all(stored[doc][2] == trusted[by_id[doc]] for doc in known)
    assert any(
        bad.name in r.getMessage() and "overgeslagen" in r.getMessage() for r in caplog.records
    )


# -- the lookup itself, against Allegro's real SFTP folder --------------------------------------
def _rows(path: Path) -> list[dict[str, str]]:
    return parse_export(path.read_bytes())


def _publish(folder: Path, name: str, rows: list[tuple[str, ...]]) -> None:
    """A zaken export as Allegro writes it: the CSV with its trailer, then its sidecar."""
    lines = [";".join(ZAKEN_COLUMNS), *(";".join(row) for row in rows), f"#EINDE;{len(rows)}"]
    content = ("\n".join(lines) + "\n").encode()
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(folder / name, [content])
    atomic_write(
        folder / f"{name}.sha256", [sha256_line(hashlib.sha256(content).hexdigest(), name)]
    )


def _row(dossier: str, bsn: str, step: int = 1) -> tuple[str, ...]:
    return (
        f"{dossier}-{step:02d}", dossier, bsn, "SHV", "Schuldhulpverlening", "AANM", "1",
        "Aanmelding ontvangen", "2026-01-05T09:00:00+01:00", "2026-01-05", "", "BAD-01",
    )  # fmt: skip


def test_the_latest_export_wins_archived_or_not(rig: Rig) -> None:
    config = rig.configs["allegro"]
    assert isinstance(config, AllegroConfig)
    export_dir = rig.area.local / "export"
    _publish(export_dir / "archief", "ALG_ZAKEN_20260105_000001.csv", [_row("ALG-1", "111222333")])
    _publish(export_dir, "ALG_ZAKEN_20260106_000002.csv", [_row("ALG-1", "123456782", 2)])
    _publish(export_dir / "archief", "ALG_ZAKEN_20260104_000003.csv", [_row("ALG-2", "111222333")])
    lookup, close = dossier_bsn(config)
    try:
        assert lookup("ALG-1") == "123456782", "the later export, though not yet archived"
        assert lookup("ALG-2") == "111222333", "an archived export still answers"
        with pytest.raises(PermanentError, match="ALG-3 heeft in Allegro geen initiator"):
            lookup("ALG-3")
    finally:
        close()


def test_the_composed_lookup_asks_the_zaaksysteem_first_and_names_every_place(
    rig: Rig,
) -> None:
    rows = [_row("ALG-1", "111222333"), _row("ZAAK-1", "111222333")]
    _publish(rig.area.local / "export", "ALG_ZAKEN_20260105_000001.csv", rows)
    rig.esuite.store.create_zaak(Zaak("ZAAK-1", "B1026", initiator_bsn="123456782"))
    configs = {name: rig.configs[name] for name in ("allegro", "esuite")}
    lookup, closers = compose_dossier_bsn(configs)
    assert lookup is not None and len(closers) == 2
    try:
        assert lookup("ZAAK-1") == "123456782", "the zaaksysteem answers first"
        assert lookup("ALG-1") == "111222333", "then Allegro"
        with pytest.raises(PermanentError) as refused:
            lookup("ALG-9")
        assert f"zaak ALG-9 heeft {ERROR}" in str(refused.value)
    finally:
        for close in closers:
            close()

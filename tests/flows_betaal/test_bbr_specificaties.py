"""Allegro's BBR specifications into the schuldhulp dossier in Xtendis, end to end.

Real path: the Allegro simulator's exports on the real sshd, ``run_bbr_specificaties`` with
its engine, Xtendis' hot folder with its import processor over SFTP. Only Xtendis is given:
functiescheiding means no other system may receive a write (the ledger names every write).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from adapters.allegro.config import AllegroConfig
from adapters.xtendis.config import XtendisConfig
from simulators.allegro import BBR_COLUMNS, AllegroExporter, parse_export
from simulators.sftp.client import pinned_line
from simulators.sftp.server import SshdServer
from simulators.sftp.testing import SftpArea
from simulators.xtendis import INDEX_NS, XtendisHotFolder
from stuf.xml import parse_xml_file
from sync.betaalspecificaties import run_bbr_specificaties
from sync.config import Settings
from sync.engine import RetryPolicy
from sync.store.db import Store
from sync.store.models import DeadLetter, LedgerEntry

FAST = RetryPolicy(attempts=2, wait_base_s=0, wait_max_s=0)
SECRET = "test-geheim-bbr"


@dataclass
class Rig:
    store: Store
    area: SftpArea
    settings: Settings
    allegro: AllegroConfig
    xtendis_config: XtendisConfig
    xtendis: XtendisHotFolder

    def run(self) -> dict[str, object]:
        return run_bbr_specificaties(
            allegro=self.allegro,
            xtendis=self.xtendis_config,
            secret=SECRET,
            settings=self.settings,
            store=self.store,
            retry=FAST,
            budget_s=60,
            receipt_timeout_s=10,
        )

    @property
    def export_dir(self) -> Path:
        return self.area.local / "export"

    def kenmerken(self) -> dict[str, list[Path]]:
        """Xtendis' stored documents by kenmerk (a kenmerk with two: two versions)."""
        found: dict[str, list[Path]] = {}
        for folder in self.xtendis.documents():
            tree = parse_xml_file(folder / "index.xml")
            kenmerk = tree.findtext(f"{{{INDEX_NS}}}document/{{{INDEX_NS}}}kenmerk") or ""
            found.setdefault(kenmerk, []).append(folder)
        return found

    def archieven(self) -> set[str]:
        return {folder.parent.parent.name for folder in self.xtendis.documents()}

    def returns(self, export: str) -> dict[str, tuple[str, str]]:
        path = self.area.local / "return" / f"{export.removesuffix('.csv')}.retour.csv"
        rows = parse_export(path.read_bytes())
        return {row["sleutel"]: (row["resultaat"], row["melding"]) for row in rows}

    def dead_letters(self) -> list[DeadLetter]:
        with self.store.session() as session:
            return list(session.scalars(select(DeadLetter)))

    def ledger(self) -> list[LedgerEntry]:
        with self.store.session() as session:
            return list(session.scalars(select(LedgerEntry)))


@pytest.fixture
def rig(
    sqlite_store: Store, sshd_server: SshdServer, sftp_area: SftpArea, tmp_path: Path
) -> Iterator[Rig]:
    ssh: dict[str, object] = {
        "host": sshd_server.host,
        "port": sshd_server.port,
        "username": sshd_server.username,
        "key_path": str(sshd_server.client_key_path),
        "known_hosts_line": pinned_line(sshd_server, None),
        "timeout_s": 5.0,
    }
    remote = sftp_area.remote
    hotfolder = XtendisHotFolder(sftp_area.local / "xtendis", poll_interval=0.05).start()
    try:
        yield Rig(
            sqlite_store,
            sftp_area,
            Settings(home=tmp_path / "home", database_url="unused", batch_size=100),
            AllegroConfig(**ssh, export_dir=f"{remote}/export", return_dir=f"{remote}/return"),  # type: ignore[arg-type]
            XtendisConfig(
                **ssh,  # type: ignore[arg-type]
                hotfolder_dir=f"{remote}/xtendis/hotfolder",
                receipts_dir=f"{remote}/xtendis/receipts",
            ),
            hotfolder,
        )
    finally:
        hotfolder.stop()


def _exporter(rig: Rig, dossiers: int = 12) -> AllegroExporter:
    exporter = AllegroExporter(rig.area.local, seed=3, client_count=40)
    exporter.write_batch(dossiers)  # the dossiers (some budgetbeheer) BBR specs are written for
    return exporter


def _rows(rig: Rig, name: str) -> list[dict[str, str]]:
    return parse_export((rig.export_dir / name).read_bytes())


def _publish(rig: Rig, name: str, rows: list[dict[str, str]]) -> None:
    """An export as Allegro writes it (header, rows, trailer, then the sidecar)."""
    lines = [";".join(BBR_COLUMNS)] + [";".join(row[c] for c in BBR_COLUMNS) for row in rows]
    content = ("\n".join(lines) + f"\n#EINDE;{len(rows)}\n").encode()
    (rig.export_dir / name).write_bytes(content)
    digest = hashlib.sha256(content).hexdigest()
    (rig.export_dir / f"{name}.sha256").write_text(f"{digest}  {name}\n")


def test_every_client_lands_in_the_schuldhulp_dossier_once_across_two_runs(rig: Rig) -> None:
    exporter = _exporter(rig)
    [export] = exporter.write_bbr("2024-01", correction_rate=0.0)
    specs = {row["specificatienummer"] for row in _rows(rig, export.name)}
    clients = {row["bsn"] for row in _rows(rig, export.name)}
    assert len(clients) >= 2

    first = rig.run()
    assert (first["exports"], first["delivered"], first["dead_lettered"]) == (1, len(clients), 0)
    documents = rig.kenmerken()
    assert len(documents) == len(clients)
    assert all(len(folders) == 1 for folders in documents.values())
    assert rig.archieven() == {"SCHULDHULP"}
    assert rig.returns(export.name) == dict.fromkeys(specs, ("VERWERKT", ""))
    assert {entry.target_system for entry in rig.ledger()} == {"xtendis"}, (
        "functiescheiding: no write to the e-Suite, MyLex or anything but Xtendis"
    )

    second = rig.run()
    assert (second["exports"], second["read"]) == (0, 0), "an answered export is not offered"
    assert rig.kenmerken() == documents


def test_the_same_export_delivered_again_drops_nothing_twice(rig: Rig) -> None:
    exporter = _exporter(rig)
    [export] = exporter.write_bbr("2024-01", correction_rate=0.0)
    rig.run()
    before = rig.kenmerken()
    _publish(rig, "ALG_BBR_20240108_000090.csv", _rows(rig, export.name))  # Allegro resends

    again = rig.run()
    assert (again["exports"], again["delivered"]) == (1, 0)
    assert again["in_step"] == len(before)
    assert rig.kenmerken() == before


def test_a_corrected_specification_is_a_new_version_not_a_second_document(rig: Rig) -> None:
    exporter = _exporter(rig)
    [export] = exporter.write_bbr("2024-01", correction_rate=0.0)
    rig.run()
    before = rig.kenmerken()
    rows = _rows(rig, export.name)
    nummer = rows[0]["specificatienummer"]
    corrected = [
        {
            **row,
            "specificatienummer": nummer.replace("-v1", "-v2"),
            "versie": "2",
            "bedrag_cent": f"+{int(row['bedrag_cent']) + 2500}"
            if row["regelnummer"] == "1"
            else row["bedrag_cent"],
        }
        for row in rows
        if row["specificatienummer"] == nummer
    ]
    _publish(rig, "ALG_BBR_20240201_000091.csv", corrected)

    outcome = rig.run()
    assert (outcome["delivered"], outcome["dead_lettered"]) == (1, 0)
    after = rig.kenmerken()
    assert set(after) == set(before), "no second document: the same kenmerk"
    grown = [kenmerk for kenmerk in after if len(after[kenmerk]) == 2]
    assert len(grown) == 1, "one new drop: Xtendis' next version of that document"
    assert all(len(after[k]) == 1 for k in after if k not in grown)
    versions = {(folder / "sha256").read_text() for folder in after[grown[0]]}
    assert len(versions) == 2


def test_a_late_older_version_never_replaces_the_newer_one_filed(rig: Rig) -> None:
    exporter = _exporter(rig)
    [export] = exporter.write_bbr("2024-01", correction_rate=0.0)
    rig.run()
    rows = _rows(rig, export.name)
    nummer = rows[0]["specificatienummer"]
    original = [row for row in rows if row["specificatienummer"] == nummer]
    corrected = [
        {
            **row,
            "specificatienummer": nummer.replace("-v1", "-v2"),
            "versie": "2",
            "bedrag_cent": f"+{int(row['bedrag_cent']) + 2500}"
            if row["regelnummer"] == "1"
            else row["bedrag_cent"],
        }
        for row in original
    ]
    _publish(rig, "ALG_BBR_20240201_000091.csv", corrected)
    assert rig.run()["delivered"] == 1
    filed = rig.kenmerken()

    _publish(rig, "ALG_BBR_20240202_000092.csv", original)  # version 1 again, late
    late = rig.run()
    assert (late["delivered"], late["superseded"], late["dead_lettered"]) == (0, 1, 0)
    assert rig.kenmerken() == filed, "version 2 stays Xtendis' newest: no drop of version 1"


def test_a_correction_in_the_same_export_files_only_the_newest_version(rig: Rig) -> None:
    exporter = _exporter(rig)
    [export] = exporter.write_bbr("2024-01", correction_rate=1.0)  # every spec v1 and v2
    rows = _rows(rig, export.name)
    clients = {row["bsn"] for row in rows}

    outcome = rig.run()
    assert outcome["delivered"] == len(clients)
    assert all(len(folders) == 1 for folders in rig.kenmerken().values())
    answers = rig.returns(export.name)
    replaced = {s: a for s, a in answers.items() if s.endswith("-v1")}
    assert len(replaced) == len(clients)
    assert all(a[0] == "VERWERKT" and "vervangen door" in a[1] for a in replaced.values())


@pytest.mark.parametrize("fault", ["truncated", "bad_checksum", "header"])
def test_a_bad_export_is_refused_with_a_dead_letter_and_a_return_file(rig: Rig, fault: str) -> None:
    exporter = _exporter(rig)
    [bad] = exporter.write_bbr("2024-01", correction_rate=0.0)
    [good] = exporter.write_bbr("2024-02", correction_rate=0.0)
    path = rig.export_dir / bad.name
    if fault == "truncated":
        path.write_bytes(path.read_bytes()[:-40])
    elif fault == "header":
        content = path.read_bytes().replace(b"tegenpartij", b"partij", 1)
        path.write_bytes(content)
        digest = hashlib.sha256(content).hexdigest()
        path.with_name(bad.name + ".sha256").write_text(f"{digest}  {bad.name}\n")
    else:
        path.with_name(bad.name + ".sha256").write_text(f"{'0' * 64}  {bad.name}\n")
    clients = {row["bsn"] for row in _rows(rig, good.name)}

    outcome = rig.run()
    assert (outcome["exports"], outcome["delivered"]) == (2, len(clients))
    [letter] = rig.dead_letters()
    reasons = {"truncated": "truncated", "bad_checksum": "checksum_mismatch"}
    assert letter.reason == reasons.get(fault, "invalid_message")
    assert bad.name in letter.source_key
    [(sleutel, (resultaat, _))] = rig.returns(bad.name).items()
    assert (sleutel, resultaat) == (bad.name, "AFGEWEZEN")
    assert {r for r, _ in rig.returns(good.name).values()} == {"VERWERKT"}


def test_no_bsn_in_logs_keys_dead_letters_or_return_files(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    exporter = _exporter(rig)
    [export] = exporter.write_bbr("2024-01", correction_rate=0.0)
    rows = _rows(rig, export.name)
    broken = rows[0]["specificatienummer"]
    for row in rows:
        if row["specificatienummer"] == broken:
            row["valutadatum"] = f"niet-{row['bsn']}"  # a bad line, with a BSN in it
    _publish(rig, export.name, rows)
    bsns = {row["bsn"] for row in rows}

    with caplog.at_level(logging.DEBUG):
        outcome = rig.run()
    assert outcome["dead_lettered"] == 1
    letters = rig.dead_letters()
    stored = [
        text
        for letter in letters
        for text in (letter.source_key, letter.message, letter.payload_ref, letter.record_json)
    ] + [text for entry in rig.ledger() for text in (entry.source_key, entry.target_key)]
    returned = (rig.area.local / "return" / f"{export.name[:-4]}.retour.csv").read_text()
    for bsn in bsns:
        assert bsn not in caplog.text
        assert not any(bsn in (text or "") for text in stored)
        assert bsn not in returned
    assert rig.returns(export.name)[broken][0] == "AFGEWEZEN"

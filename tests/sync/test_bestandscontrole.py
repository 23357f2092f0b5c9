"""The nightly byte check against the real SFTP MyLex simulator and the e-Suite simulator:
damaged bytes found within the budget and repaired, rotation, the cycle warning, crash safety."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from adapters.esuite.client import EsuiteClient
from adapters.esuite.document_target import EsuiteDocumentTarget
from adapters.mylex.client import MyLexClient
from adapters.mylex.config import MyLexConfig
from adapters.mylex.controle import Gelezen, lees_digest
from adapters.mylex.target import MyLexTarget
from mappings import load_tables
from simulators.http import SimulatorServer
from simulators.mylex import MyLexArchive
from simulators.sftp.client import pinned_line
from simulators.sftp.server import SshdServer
from simulators.sftp.testing import SftpArea
from simulators.synthetic_model import SynthDocument
from stuf import Document, Zaak
from sync.archief import HerstelFlow, herstel_beschadigd, reconcile_archives
from sync.bestandscontrole import (
    BestandsControleResult,
    ControleInstellingen,
    Registratie,
    controleer,
)
from sync.blobs import BlobStore
from sync.engine import Engine, RetryPolicy
from sync.reconcile import ArchiveEntry
from sync.store.db import Store
from sync.store.models import BestandControle, DriftItemRow, DriftState
from tests.adapters_esuite.conftest import make_config as esuite_config

ZAAK = "0153ESUITE3000001"
START = date(2024, 2, 1)


@dataclass
class Rig:
    store: Store
    mylex: MyLexArchive
    client: MyLexClient
    engine: Engine
    reader: EsuiteDocumentTarget
    blobs: BlobStore
    documents: dict[str, bytes]
    esuite_store: Any
    reads: list[str] = field(default_factory=list)

    def lezer(self, locatie: str) -> Gelezen | None:
        self.reads.append(locatie.rsplit("/", 1)[-1].rsplit(".", 1)[0])
        return lees_digest(self.client, locatie)

    def register(self) -> None:
        registratie = Registratie(self.store, page=4)  # several pages
        for entry in self.client.iter_listing():
            registratie(entry)
        registratie.finish()

    def night(
        self, budget: int, run: str, cyclus: int = 30, lezer: Callable[..., Any] | None = None
    ) -> BestandsControleResult:
        def herstel(items: Any) -> dict[str, str | None]:
            return herstel_beschadigd(self.engine, self.reader, self.blobs, items, run)

        return controleer(
            self.store,
            lezer or self.lezer,
            ControleInstellingen(budget, cyclus),
            run_ref=run,
            herstel=herstel,
        )

    @property
    def total(self) -> int:
        return sum(len(data) for data in self.documents.values())


@pytest.fixture
def rig(
    store: Store,
    esuite: SimulatorServer,
    sshd_server: SshdServer,
    sftp_area: SftpArea,
    tmp_path: Path,
) -> Iterator[Rig]:
    """Nine documents, byte-identical in the e-Suite and in MyLex (over the real sshd)."""
    esuite_store = esuite.app.store  # type: ignore[attr-defined]
    esuite_store.keep_content = True
    esuite_store.create_zaak(Zaak(ZAAK, "PW-LO-AANV", startdatum=START, registratiedatum=START))
    archive = MyLexArchive(sftp_area.local / "mylex", seed=3)
    documents: dict[str, bytes] = {}
    for number in range(9):
        doc = SynthDocument(
            identificatie=f"0153ESUITED{number:07d}",
            zaak_identificatie=ZAAK,
            titel=f"Brief {number}",
            bestandsnaam=f"brief-{number}.pdf",
            creatiedatum=date(2024, 3, 1 + number),
            size=3_000 + 500 * number,
            seed=number,
        )
        content = doc.read_bytes()
        documents[doc.identificatie] = content
        archive.write_document(doc, year=START.year)
        esuite_store.add_document(
            Document(
                identificatie=doc.identificatie,
                titel=doc.titel,
                zaak_identificatie=ZAAK,
                creatiedatum=doc.creatiedatum,
                formaat="application/pdf",
                bestandsnaam=doc.bestandsnaam,
                inhoud=content,
            )
        )
    config = MyLexConfig(
        host=sshd_server.host,
        port=sshd_server.port,
        username=sshd_server.username,
        key_path=str(sshd_server.client_key_path),
        known_hosts_line=pinned_line(sshd_server, None),
        root_dir=f"{sftp_area.remote}/mylex",
        timeout_s=5.0,
    )
    client = MyLexClient(config)
    target = MyLexTarget(config)
    esuite_client = EsuiteClient(esuite_config(esuite))  # type: ignore[arg-type]
    engine = Engine(
        store, HerstelFlow(), {"mylex": target}, load_tables(None), retry=RetryPolicy(2, 0, 0)
    )
    rig = Rig(
        store,
        archive,
        client,
        engine,
        EsuiteDocumentTarget(esuite_client),
        BlobStore(tmp_path / "blobs"),
        documents,
        esuite_store,
    )
    rig.register()
    yield rig
    client.close()
    target.close()
    esuite_client.close()


def _rows(store: Store) -> dict[str, BestandControle]:
    with store.session() as session:
        return {row.identificatie: row for row in session.scalars(select(BestandControle))}


def _drift(store: Store) -> list[DriftItemRow]:
    with store.session() as session:
        return list(session.scalars(select(DriftItemRow)))


def test_registration_folds_the_listing_in_and_drops_what_is_gone(rig: Rig) -> None:
    rows = _rows(rig.store)
    assert set(rows) == set(rig.documents)
    some = sorted(rig.documents)[4]
    assert rows[some].locatie == f"{rig.client.archief}/{START.year}/{ZAAK}/{some}.pdf"
    assert rows[some].sha256 == hashlib.sha256(rig.documents[some]).hexdigest()
    assert all(row.gecontroleerd_at is None for row in rows.values())
    gone = sorted(rig.documents)[0]
    rig.mylex.remove_document(gone)
    rig.register()
    assert set(_rows(rig.store)) == set(rig.documents) - {gone}


def test_damaged_bytes_are_found_within_the_budget_and_repaired_from_the_esuite(
    rig: Rig,
) -> None:
    damaged = sorted(rig.documents)[2]
    rig.mylex.change_checksum(damaged, mode="content")
    assert [doc.identificatie for doc, _ in rig.mylex.verify()] == [damaged]

    result = rig.night(rig.total, "nacht-1")  # budget: the whole archive

    assert result.gelezen_bestanden == 9
    assert result.beschadigd == 1
    assert result.hersteld == 1
    assert not list(rig.mylex.verify()), "MyLex' bytes match their MDTO checksums again"
    [item] = _drift(rig.store)
    assert (item.kind, item.identificatie, item.state) == ("BESCHADIGD", damaged, "hersteld")
    row = _rows(rig.store)[damaged]
    assert (row.uitkomst, row.gecontroleerd_at is not None) == ("hersteld", True)
    assert rig.reads.count(damaged) == 2, "read, and read again after the repair"
    assert "1 beschadigd (1 hersteld)" in result.summary()


def test_damaged_file_whose_new_archive_copy_differs_stays_open_for_beheer(rig: Rig) -> None:
    damaged = sorted(rig.documents)[5]
    rig.mylex.change_checksum(damaged, mode="content")
    rig.esuite_store.update_document(  # the e-Suite now holds another version
        Document(damaged, "Brief", inhoud=b"%PDF-1.4 een andere versie\n%%EOF\n")
    )

    result = rig.night(rig.total, "nacht-1")

    assert (result.beschadigd, result.hersteld) == (1, 0)
    [item] = _drift(rig.store)
    assert (item.kind, item.state) == ("BESCHADIGD", DriftState.OPEN)
    assert item.note is not None and "andere inhoud" in item.note
    assert list(rig.mylex.verify()), "nothing was written over the damaged file"
    assert _rows(rig.store)[damaged].gecontroleerd_at is None, "first in line again"


def test_rotation_reads_every_file_once_before_any_twice(rig: Rig) -> None:
    largest = max(len(data) for data in rig.documents.values())
    budget = rig.total // 3 + largest  # a third of the archive per night, rounded up
    for night in range(3):
        result = rig.night(budget, f"nacht-{night}")
        assert result.gelezen_bytes <= budget
    first_round = rig.reads[: len(rig.documents)]
    assert sorted(first_round) == sorted(rig.documents), "each file once, none twice"
    assert len(rig.reads) >= len(rig.documents)
    assert all(row.uitkomst == "in_orde" for row in _rows(rig.store).values())


def test_the_summary_warns_when_the_cycle_cannot_be_kept(rig: Rig) -> None:
    budget = rig.total // 4  # four nights or more per round
    result = rig.night(budget, "nacht-1", cyclus=2)
    assert not result.haalbaar
    assert result.dagen_nodig == -(-rig.total // budget)
    assert "cyclus van 2 dagen niet haalbaar" in result.summary()
    assert f"{result.dagen_nodig} dagen" in result.summary()
    assert rig.night(rig.total, "nacht-2", cyclus=2).haalbaar


def test_a_crash_mid_verification_leaves_unread_files_unchecked_and_a_rerun_goes_on(
    rig: Rig,
) -> None:
    class Crash(Exception):
        pass

    def crashing(locatie: str) -> Gelezen | None:
        if len(rig.reads) == 4:
            raise Crash
        return rig.lezer(locatie)

    with pytest.raises(Crash):
        rig.night(rig.total, "nacht-1", lezer=crashing)
    checked = {key for key, row in _rows(rig.store).items() if row.gecontroleerd_at is not None}
    assert checked == set(rig.reads) and len(checked) == 4

    rig.night(rig.total - sum(len(rig.documents[key]) for key in checked), "nacht-1")
    assert sorted(rig.reads) == sorted(rig.documents), "the rerun read the other five only"


def test_a_file_gone_between_listing_and_reading_is_not_damaged(rig: Rig) -> None:
    gone = sorted(rig.documents)[3]
    rig.mylex.remove_document(gone)  # after the registration

    result = rig.night(rig.total, "nacht-1")

    assert (result.beschadigd, result.verdwenen, result.gelezen_bestanden) == (0, 1, 8)
    assert _drift(rig.store) == []
    assert _rows(rig.store)[gone].gecontroleerd_at is None


class _InStep:
    """The new archive's listing, in step with what the rig put in MyLex."""

    def __init__(self, documents: dict[str, bytes]) -> None:
        self.documents = documents

    def iter_documents(self) -> Iterator[ArchiveEntry]:
        for key, data in self.documents.items():
            yield ArchiveEntry(key, hashlib.sha256(data).hexdigest(), len(data))


def test_the_reconciliation_registers_the_files_and_leaves_beschadigd_items_open(
    rig: Rig, tmp_path: Path
) -> None:
    damaged, gone = sorted(rig.documents)[1], sorted(rig.documents)[6]
    rig.mylex.change_checksum(damaged, mode="content")
    controleer(rig.store, rig.lezer, ControleInstellingen(rig.total, 30), run_ref="nacht-1")
    rig.mylex.remove_document(gone)
    registratie = Registratie(rig.store)

    reconcile_archives(
        rig.store,
        mylex=rig.client,
        archive=_InStep({k: v for k, v in rig.documents.items() if k != gone}),
        reader=rig.reader,
        engine=None,
        blobs=rig.blobs,
        run_ref="nacht-2",
        on_left_entry=registratie,
    )
    registratie.finish()

    assert registratie.seen == 8
    assert set(_rows(rig.store)) == set(rig.documents) - {gone}, "one listing fed both"
    states = {(row.kind, row.identificatie): row.state for row in _drift(rig.store)}
    assert states == {("BESCHADIGD", damaged): DriftState.OPEN}, "not opgelost by the merge-join"

"""Functiescheiding (issue #17 item 3): the zaaktype routing decides which systems receive a
zaak and its documents, in both directions.

GWS4all's B1026 zaak and its document reach the e-Suite, Xtendis WERK_INKOMEN and MyLex;
Allegro's debt-help zaken (B2010..B2012) stay out of the e-Suite (and so out of MijnLoket,
which shows what the e-Suite has) and their documents go to Xtendis SCHULDHULP only. Real
simulators (e-Suite over HTTP, Xtendis' hot folder and MyLex over a real sshd, Allegro's
exports) and the real task entry points.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from adapters.allegro.config import AllegroConfig
from adapters.base import SourceRecord
from adapters.errors import UnmappedCodeError
from adapters.esuite.config import EsuiteConfig
from adapters.mylex.config import MyLexConfig
from adapters.xtendis.config import XtendisConfig
from mappings.tables import DEFAULT_DIR, MappingError, load_tables, validate_tables
from mappings.zaaktype_routering import (
    ALGEMEEN,
    MIGRATIE_ONBEKEND,
    SCHULDHULP,
    ZAAKTYPE_ROUTERING,
    Route,
    load_zaaktype_routering,
)
from simulators.allegro import AllegroExporter, parse_export
from simulators.mylex import MyLexArchive
from simulators.sftp.client import pinned_line
from simulators.sftp.server import SshdServer
from simulators.sftp.testing import SftpArea
from simulators.testing import SimulatorHandle, esuite, esuite_simulator
from simulators.xtendis import INDEX_NS, XtendisHotFolder
from stuf import Systeem
from stuf.xml import parse_xml_file
from sync.blobs import BlobStore
from sync.config import Settings
from sync.drain import PartitionResult
from sync.engine import PlanContext, RetryPolicy
from sync.flows.documenten import DocumentenFlow
from sync.flows.zaken import ZakenFlow
from sync.identity import IdentityMap
from sync.inbox import Inbox
from sync.store.db import Store
from sync.store.models import IdentityLink, LedgerEntry
from sync.tasks.documenten import run_allegro_documenten, run_gws4all_documenten
from sync.tasks.zaken import run_allegro_zaken, run_zaken_partition
from sync.zaak_kenmerken import ZaakKenmerken
from tests.sync.messages import creeer_zaak, status, voeg_document

__all__ = ["esuite", "esuite_simulator"]  # the simulator fixtures, used below

FAST = RetryPolicy(attempts=2, wait_base_s=0, wait_max_s=0)
ZAAK = "1900FS0001"
SCHULDHULP_ZAAKTYPEN = {"B2010", "B2011", "B2012"}


# -- the table ---------------------------------------------------------------------------------
def test_the_shipped_table_routes_debt_help_to_xtendis_schuldhulp_only() -> None:
    routering = load_tables().zaaktype_routering
    for zaaktype in ("B1026", "B1027", "B1031", "B1033"):
        assert routering.route(zaaktype, "gws4all") == ALGEMEEN
    for zaaktype in SCHULDHULP_ZAAKTYPEN:
        assert routering.route(zaaktype, "allegro") == SCHULDHULP
        assert routering.route(zaaktype, "gws4all") == SCHULDHULP, "the zaaktype decides"
    assert Route(zaaksysteem=False, dossier="SCHULDHULP", archief=False) == SCHULDHULP


def test_an_unknown_zaaktype_fails_safe_per_source() -> None:
    routering = load_tables().zaaktype_routering
    assert routering.route("B9999", "allegro") == SCHULDHULP
    assert routering.route(None, "allegro") == SCHULDHULP
    assert routering.route("B9999", "gws4all") == ALGEMEEN
    assert routering.route(None, "esuite") == ALGEMEEN


def test_the_migration_lets_an_old_document_into_the_esuite_only_by_a_routed_zaaktype() -> None:
    routering = load_tables().zaaktype_routering
    assert routering.route("B1026", "mylex").zaaksysteem is True
    assert routering.route("B2010", "mylex").zaaksysteem is False
    assert routering.route(None, "mylex") == MIGRATIE_ONBEKEND
    assert routering.route("B9999", "mylex").zaaksysteem is False


def _copy_mappings(tmp_path: Path) -> Path:
    folder = tmp_path / "mappings"
    folder.mkdir()
    for csv in DEFAULT_DIR.glob("*.csv"):
        shutil.copy(csv, folder / csv.name)
    return folder


def _write_routering(folder: Path, *rows: str) -> None:
    header = "zaaktype;zaaksysteem;dossier;archief;omschrijving"
    (folder / ZAAKTYPE_ROUTERING).write_text("\n".join((header, *rows)) + "\n", encoding="utf-8")


def test_the_validator_names_file_and_line_of_every_problem(tmp_path: Path) -> None:
    folder = _copy_mappings(tmp_path)
    _write_routering(
        folder,
        "B1026;ja;WERK_INKOMEN;ja;goed",
        "B2010;misschien;SCHULDHULP;nee;geen ja/nee",
        "B2011;nee;SCHULDHULP;wel;geen ja/nee",
        "B2012;nee;ZORG;nee;onbekend archief",
        "B1026;ja;WERK_INKOMEN;ja;dubbel",
        "B1027;nee;;nee;nergens heen",
        ";ja;WERK_INKOMEN;ja;zonder zaaktype",
        "B1031;ja;WERK_INKOMEN;ja",
    )
    findings = validate_tables(folder)
    name = ZAAKTYPE_ROUTERING
    assert [f.split(":")[0] for f in findings] == [f"{name} regel {n}" for n in range(3, 10)]
    assert "zaaksysteem moet ja of nee zijn, niet 'misschien'" in findings[0]
    assert "archief moet ja of nee zijn, niet 'wel'" in findings[1]
    assert "dossier moet WERK_INKOMEN of SCHULDHULP zijn of leeg (geen), niet 'ZORG'" in findings[2]
    assert "B1026 staat er twee keer" in findings[3]
    assert "B1027 gaat nergens heen" in findings[4]
    assert "zaaktype ontbreekt" in findings[5]
    assert "4 kolommen, verwacht 5" in findings[6]
    with pytest.raises(MappingError) as refused:
        load_tables(folder)
    assert refused.value.findings == findings


def test_the_validator_refuses_a_wrong_header_and_a_folder_without_the_table_has_defaults(
    tmp_path: Path,
) -> None:
    folder = _copy_mappings(tmp_path)
    (folder / ZAAKTYPE_ROUTERING).write_text("zaaktype;doel\nB2010;esuite\n", encoding="utf-8")
    columns = "zaaktype;zaaksysteem;dossier;archief;omschrijving"
    assert validate_tables(folder) == [f"{ZAAKTYPE_ROUTERING}: kopregel moet {columns} zijn"]
    (folder / ZAAKTYPE_ROUTERING).unlink()
    assert validate_tables(folder) == []
    routering = load_zaaktype_routering(folder)
    assert routering.route("B2010", "allegro") == SCHULDHULP
    assert routering.route("B2010", "gws4all") == ALGEMEEN


# -- the flows, through the real task entry points ----------------------------------------------
@dataclass
class Rig:
    store: Store
    esuite: SimulatorHandle
    area: SftpArea
    settings: Settings
    configs: dict[str, object]
    xtendis: XtendisHotFolder
    mylex: MyLexArchive
    exporter: AllegroExporter

    def with_mappings(self, folder: Path) -> None:
        self.settings = Settings(
            home=self.settings.home,
            database_url="unused",
            batch_size=100,
            partitions=1,
            mappings_dir=folder,
        )

    def allegro_zaken(self) -> PartitionResult:
        return run_allegro_zaken(
            settings=self.settings, store=self.store, retry=FAST, budget_s=60, **self.configs
        )

    def allegro_documenten(self) -> PartitionResult:
        return run_allegro_documenten(
            settings=self.settings, store=self.store, retry=FAST, budget_s=60, **self.configs
        )

    def esuite_zaken(self) -> set[str]:
        return set(self.esuite.store.snapshot().get("zaken", {}))

    def esuite_documenten(self) -> set[str]:
        return set(self.esuite.store.snapshot().get("documenten", {}))

    def xtendis_archieven(self) -> dict[str, str]:
        """Stored document (its kenmerk) -> the Xtendis archive it is in
        (``archive/<archief>/<dossier>/<document>/index.xml``)."""
        found = {}
        for path in self.xtendis.documents():
            index = parse_xml_file(path / "index.xml")
            kenmerk = index.findtext(f"{{{INDEX_NS}}}document/{{{INDEX_NS}}}kenmerk")
            found[str(kenmerk)] = path.parent.parent.name
        return found

    def mylex_documenten(self) -> set[str]:
        return {doc.identificatie for doc in self.mylex.inventory()}

    def allegro_dossiers(self) -> dict[str, tuple[str, str]]:
        """Allegro's published dossiers: dossiernummer -> (Allegro zaaktype code, BSN)."""
        rows = [
            row
            for export in self.exporter.published
            if export.name.startswith("ALG_ZAKEN")
            for row in parse_export((self.area.local / "export" / export.name).read_bytes())
        ]
        return {row["dossiernummer"]: (row["zaaktype"], row["bsn"]) for row in rows}


def _ssh(sshd: SshdServer) -> dict[str, object]:
    return {
        "host": sshd.host,
        "port": sshd.port,
        "username": sshd.username,
        "key_path": str(sshd.client_key_path),
        "known_hosts_line": pinned_line(sshd, None),
        "timeout_s": 5.0,
    }


@pytest.fixture
def rig(
    store: Store,
    esuite: SimulatorHandle,
    sshd_server: SshdServer,
    sftp_area: SftpArea,
    tmp_path: Path,
) -> Iterator[Rig]:
    remote, ssh = sftp_area.remote, _ssh(sshd_server)
    (sftp_area.local / "mylex" / "archief").mkdir(parents=True)
    hotfolder = XtendisHotFolder(sftp_area.local / "xtendis", poll_interval=0.05).start()
    configs: dict[str, object] = {
        "esuite": EsuiteConfig(
            url=f"{esuite.url}/zds",
            zender=Systeem("1900", "CDR"),
            ontvanger=Systeem("1900", "ESUITE"),
            timeout_s=5.0,
        ),
        "xtendis": XtendisConfig(
            **ssh,  # type: ignore[arg-type]
            hotfolder_dir=f"{remote}/xtendis/hotfolder",
            receipts_dir=f"{remote}/xtendis/receipts",
        ),
        "mylex": MyLexConfig(**ssh, root_dir=f"{remote}/mylex"),  # type: ignore[arg-type]
        "allegro": AllegroConfig(
            **ssh,  # type: ignore[arg-type]
            export_dir=f"{remote}/export",
            return_dir=f"{remote}/return",
        ),
    }
    settings = Settings(home=tmp_path / "home", database_url="unused", batch_size=100, partitions=1)
    try:
        yield Rig(
            store,
            esuite,
            sftp_area,
            settings,
            configs,
            hotfolder,
            MyLexArchive(sftp_area.local / "mylex"),
            AllegroExporter(sftp_area.local, seed=1),
        )
    finally:
        hotfolder.stop()


def test_gws4all_b1026_zaak_and_document_reach_esuite_werk_inkomen_and_mylex(rig: Rig) -> None:
    inbox = Inbox(rig.store, blobs=BlobStore(rig.settings.home / "blobs"))
    inbox.receive(creeer_zaak(ZAAK), None)  # PW-LO-AANV: B1026
    inbox.receive(status(ZAAK, "GWS-AV-01", 1, 2), None)
    inbox.receive(voeg_document(f"{ZAAK}-D1", ZAAK, b"%PDF-1.4\n" + os.urandom(20_000)), None)
    esuite_config = rig.configs["esuite"]

    zaken = run_zaken_partition(
        0, esuite=esuite_config, settings=rig.settings, store=rig.store, retry=FAST
    )
    assert (zaken.outcome.delivered, zaken.outcome.dead_lettered) == (2, 0)
    assert rig.esuite_zaken() == {ZAAK}
    documenten = run_gws4all_documenten(
        0, settings=rig.settings, store=rig.store, retry=FAST, budget_s=60, **rig.configs
    )
    assert (documenten.outcome.delivered, documenten.outcome.dead_lettered) == (1, 0)
    assert rig.esuite_documenten() == {f"{ZAAK}-D1"}
    assert rig.xtendis_archieven() == {f"{ZAAK}-D1": "WERK_INKOMEN"}
    assert rig.mylex_documenten() == {f"{ZAAK}-D1"}


def test_allegro_debt_help_zaken_stay_out_of_the_esuite_and_keep_their_kenmerken(
    rig: Rig,
) -> None:
    rig.exporter.write_batch(30)
    dossiers = rig.allegro_dossiers()
    assert {code for code, _ in dossiers.values()} == {"SHV", "BBR", "BGA"}

    zaken = rig.allegro_zaken()
    assert zaken.outcome.read == 30
    assert (zaken.outcome.delivered, zaken.outcome.dead_lettered) == (0, 0)
    assert zaken.outcome.in_step == 30, "counted as in step: nothing to write for them"
    assert rig.esuite_zaken() == set(), "no debt-help zaak in the e-Suite (nor in MijnLoket)"
    assert rig.esuite.store.counts()["status_writes"] == 0
    with rig.store.session() as session:
        kenmerken = ZaakKenmerken(session)
        recorded = {dossier: kenmerken.lookup(dossier) for dossier in dossiers}
        links = session.scalars(select(IdentityLink)).all()
        ledger = session.scalars(select(LedgerEntry)).all()
    zaaktype = {"SHV": "B2010", "BBR": "B2011", "BGA": "B2012"}
    assert {d: k.zaaktype if k else None for d, k in recorded.items()} == {
        d: zaaktype[code] for d, (code, _) in dossiers.items()
    }, "kept under the dossiernummer, for the documents' route"
    assert all(k and k.startdatum for k in recorded.values())
    assert [link for link in links if link.entity_type == "zaak"] == [], (
        "no link: not in the e-Suite"
    )
    assert ledger == []


def test_allegro_debt_help_documents_reach_only_xtendis_schuldhulp(rig: Rig) -> None:
    """The BSN of each dossier comes from Allegro's own zaken exports (the e-Suite does not
    have these zaken): ``adapters.allegro.dossier_bsn``, composed by ``flow_targets``."""
    rig.exporter.write_batch(12)
    export = rig.exporter.write_documents(4, sizes=4096, document_faults={}, export_fault="")
    documents = {d.document_id for d in export.documents}
    assert rig.allegro_zaken().outcome.dead_lettered == 0

    run = rig.allegro_documenten()
    assert (run.outcome.delivered, run.outcome.dead_lettered) == (len(documents), 0)
    assert rig.xtendis_archieven() == dict.fromkeys(documents, "SCHULDHULP")
    assert rig.esuite_documenten() == set(), "not in the e-Suite"
    assert rig.esuite_zaken() == set()
    assert rig.mylex_documenten() == set(), "not in MyLex"
    assert not list((rig.area.local / "mylex").rglob("*.pdf")), "nothing in MyLex's SFTP folder"
    with rig.store.session() as session:
        targets = set(session.scalars(select(LedgerEntry.target_system)))
    assert targets == {"xtendis"}, "no write to the e-Suite or MyLex was even planned"


def test_beheer_routes_budgetadvies_to_the_esuite_again(rig: Rig, tmp_path: Path) -> None:
    folder = _copy_mappings(tmp_path)
    shipped = (folder / ZAAKTYPE_ROUTERING).read_text(encoding="utf-8")
    changed = shipped.replace("B2012;nee;SCHULDHULP;nee;", "B2012;ja;SCHULDHULP;ja;")
    assert changed != shipped
    (folder / ZAAKTYPE_ROUTERING).write_text(changed, encoding="utf-8")
    rig.with_mappings(folder)
    rig.exporter.write_batch(30)
    export = rig.exporter.write_documents(6, sizes=4096, document_faults={}, export_fault="")
    dossiers = rig.allegro_dossiers()
    budgetadvies = {dossier for dossier, (code, _) in dossiers.items() if code == "BGA"}
    assert budgetadvies and budgetadvies != set(dossiers)

    zaken = rig.allegro_zaken()
    assert zaken.outcome.dead_lettered == 0
    assert rig.esuite_zaken() == budgetadvies, "B2012 in the e-Suite; B2010 and B2011 not"

    run = rig.allegro_documenten()
    assert run.outcome.dead_lettered == 0
    by_dossier = {d.document_id: d.dossiernummer for d in export.documents}
    routed = {doc for doc, dossier in by_dossier.items() if dossier in budgetadvies}
    assert rig.esuite_documenten() == routed
    assert rig.mylex_documenten() == routed
    assert rig.xtendis_archieven() == dict.fromkeys(by_dossier, "SCHULDHULP")


# -- the documenten flow's fail-safe default ----------------------------------------------------
def _document(source: str, zaak: str | None) -> SourceRecord:
    return SourceRecord(
        source_system=source,
        key=f"{source}:document:D1",
        kind="document",
        data={
            "document": {"identificatie": "D1", "zaak_identificatie": zaak, "titel": "Brief"},
            "content": {"sha256": "ab" * 32, "size": 10, "ref": "blob:x"},
        },
        payload_ref=f"{source}:D1",
    )


def test_an_allegro_document_of_an_unknown_zaak_takes_the_schuldhulp_route(store: Store) -> None:
    with store.session() as session:
        context = PlanContext(IdentityMap(session), load_tables())
        operations = DocumentenFlow().plan(_document("allegro", "ALG-ONBEKEND"), context)
        assert [(op.target_system, op.data.get("archief")) for op in operations] == [
            ("xtendis", "SCHULDHULP")
        ]
        # Even when its zaak is linked in the e-Suite, the zaaktype decides.
        IdentityMap(session).link("zaak", "allegro", "ALG-1", "esuite", "ALG-1")
        ZaakKenmerken(session).record("ALG-1", bron="allegro", zaaktype="B2010")
        operations = DocumentenFlow().plan(_document("allegro", "ALG-1"), context)
        assert [op.target_system for op in operations] == ["xtendis"]


def test_a_gws4all_document_of_a_debt_help_zaaktype_follows_the_zaaktype(store: Store) -> None:
    with store.session() as session:
        context = PlanContext(IdentityMap(session), load_tables())
        ZaakKenmerken(session).record("Z-SHV", bron="gws4all", zaaktype="B2010")
        operations = DocumentenFlow().plan(_document("gws4all", "Z-SHV"), context)
        assert [(op.target_system, op.data.get("archief")) for op in operations] == [
            ("xtendis", "SCHULDHULP")
        ]


def test_a_document_finds_its_zaaktype_under_the_zaaksysteem_identificatie(store: Store) -> None:
    """The zaken flow records a routed zaak under its identificatie in the zaaksysteem, which
    the identity map links (the same value today; the link decides, not the coincidence)."""
    with store.session() as session:
        context = PlanContext(IdentityMap(session), load_tables())
        IdentityMap(session).link("zaak", "allegro", "ALG-2", "esuite", "ES-2")
        ZaakKenmerken(session).record("ES-2", bron="allegro", zaaktype="B1026")
        operations = DocumentenFlow().plan(_document("allegro", "ALG-2"), context)
        assert [(op.target_system, op.data.get("archief")) for op in operations] == [
            ("esuite", None),
            ("xtendis", "WERK_INKOMEN"),
            ("mylex", None),
        ]


def _allegro_status(status_code: str) -> SourceRecord:
    zaak = {"identificatie": "ALG-9", "zaaktype_code": "SHV", "startdatum": "2026-01-05"}
    return SourceRecord(
        source_system="allegro",
        key="allegro:M9",
        kind="zaakstatus",
        data={
            "zaak_identificatie": "ALG-9",
            "zaaktype_code": "SHV",
            "status_code": status_code,
            "datum_status_gezet": "2026-01-05T09:00:00.000000Z",
            "zaak": zaak,
        },
        payload_ref="allegro:ALG_ZAKEN_1.csv#2",
    )


def test_a_debt_help_status_with_an_unknown_code_is_still_a_dead_letter(store: Store) -> None:
    """Kept out of the zaaksysteem, yet beheer still hears of a code nobody mapped."""
    with store.session() as session:
        context = PlanContext(IdentityMap(session), load_tables())
        assert ZakenFlow().plan(_allegro_status("AANM"), context) == []
        with pytest.raises(UnmappedCodeError):
            ZakenFlow().plan(_allegro_status("ONBK"), context)

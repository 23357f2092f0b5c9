"""MyLex's folder year follows the zaak's start year: misfiled documents move once, by rename,
a move cut short is finished, a copy in two folders is settled, and a put files at the start year.
Against the real SFTP MyLex (sshd) and its simulator's view of the same folder."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from adapters.mylex import MyLexClient
from adapters.mylex.mdto import MdtoMetadata
from simulators.mylex import MyLexArchive
from simulators.synthetic import SynthDocument
from sync.herindeling import Herindeling, HerindelingResult
from sync.store.db import Store
from sync.zaak_kenmerken import ZaakKenmerken


def _doc(identificatie: str, zaak: str, created: date) -> SynthDocument:
    return SynthDocument(
        identificatie=identificatie,
        zaak_identificatie=zaak,
        titel="Beschikking",
        bestandsnaam=f"{identificatie}.pdf",
        creatiedatum=created,
        size=3_000,
        seed=7,
    )


def _start(store: Store, zaak: str, startdatum: date) -> None:
    with store.session() as session:
        ZaakKenmerken(session).record(zaak, bron="gws4all", zaaktype="B1026", startdatum=startdatum)


def _files(archive: MyLexArchive, identificatie: str) -> list[str]:
    return sorted(
        path.relative_to(archive.archief).as_posix()
        for path in archive.archief.rglob(f"{identificatie}*")
    )


def _night(store: Store, mylex: MyLexClient) -> tuple[list[str], HerindelingResult]:
    herindeling = Herindeling(store)
    listed = []
    for entry in mylex.iter_listing():
        listed.append(entry.identificatie)
        herindeling(entry)
    return listed, herindeling.move(mylex)


def test_a_misfiled_document_moves_once_to_its_zaaks_start_year(
    archive: MyLexArchive, mylex: MyLexClient, store: Store
) -> None:
    archive.write_document(_doc("D1", "Z1", date(2023, 5, 2)), year=2023)  # the old rule
    archive.write_document(_doc("D2", "Z2", date(2023, 5, 2)), year=2023)  # start unknown
    _start(store, "Z1", date(2021, 11, 30))

    listed, result = _night(store, mylex)
    assert listed == ["D1", "D2"]
    assert result.verplaatst == 1
    assert _files(archive, "D1") == [
        "2021/Z1/D1.MDTO.xml",
        "2021/Z1/D1.pdf",
        "2021/Z1/D1.pdf.bestand.MDTO.xml",
    ]
    assert _files(archive, "D2")[0].startswith("2023/Z2/"), "a zaak without known start stays"
    assert not list((archive.archief / "2021" / "Z1").glob(".*")), "no temporary names left"

    listed, again = _night(store, mylex)
    assert listed == ["D1", "D2"]
    assert again.verplaatst == 0, "a document is not moved twice"
    shas = {doc.identificatie: doc.sha256 for doc in archive.inventory()}
    entry = mylex.entry("D1", 2021, "Z1")
    assert entry is not None and entry.sha256 == shas["D1"], "complete at its new place"


def test_a_move_cut_short_is_finished_by_the_next_night(
    archive: MyLexArchive, mylex: MyLexClient, store: Store
) -> None:
    archive.write_document(_doc("D1", "Z1", date(2023, 5, 2)), year=2023)
    _start(store, "Z1", date(2020, 1, 6))
    old, new = archive.archief / "2023" / "Z1", archive.archief / "2020" / "Z1"
    new.mkdir(parents=True)
    # the first two renames happened, then the task was killed
    shutil.move(old / "D1.pdf", new / "D1.pdf")
    shutil.move(old / "D1.MDTO.xml", new / "D1.MDTO.xml")

    listed, result = _night(store, mylex)
    assert listed == ["D1"], "until its last rename the document is listed at its old place"
    assert result.verplaatst == 1
    assert _files(archive, "D1") == [
        "2020/Z1/D1.MDTO.xml",
        "2020/Z1/D1.pdf",
        "2020/Z1/D1.pdf.bestand.MDTO.xml",
    ]


def test_a_copy_in_two_folders_is_listed_once_and_the_wrong_year_removed(
    archive: MyLexArchive, mylex: MyLexClient, store: Store
) -> None:
    archive.write_document(_doc("D1", "Z1", date(2023, 5, 2)), year=2023)
    shutil.copytree(archive.archief / "2023" / "Z1", archive.archief / "2022" / "Z1")
    _start(store, "Z1", date(2022, 2, 1))

    listed, result = _night(store, mylex)
    assert listed == ["D1"], "one identificatie, one entry: the reconciliation keeps working"
    assert result.verplaatst + result.dubbel_opgeruimd == 1
    assert [f.split("/")[0] for f in _files(archive, "D1")] == ["2022"] * 3


def test_a_put_files_at_the_zaaks_start_year_and_takes_the_old_place_away(
    archive: MyLexArchive, mylex: MyLexClient, tmp_path: Path
) -> None:
    archive.write_document(_doc("D1", "Z1", date(2023, 5, 2)), year=2023)
    content = next((archive.archief / "2023" / "Z1").glob("D1.pdf")).read_bytes()
    metadata = MdtoMetadata(
        titel="Beschikking",
        zaak_identificatie="Z1",
        creatiedatum=date(2023, 5, 2),
        auteur="GWS4all",
        jaar=2021,
    )
    source = tmp_path / "D1.pdf"
    source.write_bytes(content)
    with source.open("rb") as handle:
        mylex.put_document("D1", handle, metadata)
    assert [f.split("/")[0] for f in _files(archive, "D1")] == ["2021"] * 3

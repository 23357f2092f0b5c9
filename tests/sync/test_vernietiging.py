"""The vernietigingslijst against the real SFTP MyLex: what is proposed, once; beheer judges."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from adapters.mylex import MyLexClient, MyLexConfig
from adapters.mylex.bewaring import BewaringTelling, iter_bewaring
from adapters.mylex.mdto import MdtoMetadata
from simulators.mylex import MyLexArchive
from simulators.sftp.client import pinned_line
from simulators.sftp.server import SshdServer
from simulators.sftp.testing import SftpArea
from sync.store.db import Store
from sync.store.models import AuditEntry, VernietigingKandidaat
from sync.vernietiging import (
    VernietigingRefused,
    afwijzen,
    goedkeuren,
    kandidaten,
    run_vernietigingslijst,
    run_vernietigingslijst_mylex,
    write_csv,
)

TODAY = date(2026, 12, 2)


@pytest.fixture
def config(sshd_server: SshdServer, sftp_area: SftpArea) -> MyLexConfig:
    return MyLexConfig(
        host=sshd_server.host,
        port=sshd_server.port,
        username=sshd_server.username,
        key_path=str(sshd_server.client_key_path),
        known_hosts_line=pinned_line(sshd_server),
        root_dir=sftp_area.remote,
        timeout_s=5.0,
    )


@pytest.fixture
def archive(sftp_area: SftpArea) -> MyLexArchive:
    return MyLexArchive(sftp_area.local, seed=3)


@pytest.fixture
def client(config: MyLexConfig, archive: MyLexArchive) -> Iterator[MyLexClient]:
    made = MyLexClient(config)
    yield made
    made.close()


def _put(client: MyLexClient, ident: str, zaak: str, **meta: object) -> None:
    metadata = MdtoMetadata(
        titel="Beschikking",
        zaak_identificatie=zaak,
        creatiedatum=date(2009, 6, 1),
        auteur="Ketenbrug",
        **meta,  # type: ignore[arg-type]
    )
    client.put_document(ident, io.BytesIO(b"%PDF-1.4\n" + ident.encode()), metadata)


def _files(archive: MyLexArchive) -> set[str]:
    return {p.relative_to(archive.root).as_posix() for p in archive.root.rglob("*") if p.is_file()}


@pytest.fixture
def populated(client: MyLexClient, archive: MyLexArchive) -> MyLexArchive:
    """Past, leap-day, 2062, blijvend and start-less documents, plus MyLex's own (start-less)."""
    _put(
        client,
        "D-OUD",
        "Z-1",
        jaar=2008,
        zaaktype="B1026",
        startdatum_looptijd=date(2010, 1, 1),
        einde_bewaartermijn=date(2020, 1, 1),
    )
    _put(client, "D-SCHRIKKEL", "Z-2", jaar=2015, startdatum_looptijd=date(2016, 2, 29))
    _put(
        client,
        "D-2062",
        "Z-3",
        jaar=2050,
        startdatum_looptijd=date(2052, 1, 1),
        einde_bewaartermijn=date(2062, 1, 1),
    )
    _put(client, "D-BLIJVEND", "Z-4", jaar=1990, waardering="B", bewaartermijn=None)
    _put(client, "D-ZONDER-START", "Z-5", jaar=1990)
    archive.populate(2)  # written by MyLex itself: V, P10Y, no start date of the term
    return archive


def test_the_walker_reads_the_end_of_each_term_and_skips_b_and_unknown(
    client: MyLexClient, populated: MyLexArchive
) -> None:
    telling = BewaringTelling()
    found = {b.identificatie: b for b in iter_bewaring(client, telling)}
    assert set(found) == {"D-OUD", "D-SCHRIKKEL", "D-2062"}
    assert found["D-OUD"].einde == date(2020, 1, 1) and found["D-OUD"].zaaktype == "B1026"
    assert found["D-OUD"].zaak == "Z-1" and found["D-OUD"].bewaartermijn == "P10Y"
    assert found["D-SCHRIKKEL"].einde == date(2026, 3, 1)  # 29 Feb + P10Y, no crash
    assert (telling.blijvend, telling.zonder_einde, telling.gelezen) == (1, 3, 7)


def test_past_documents_are_listed_once_and_beheers_judgement_is_never_reset(
    config: MyLexConfig, store: Store, populated: MyLexArchive, tmp_path: Path
) -> None:
    before = _files(populated)
    first = run_vernietigingslijst_mylex(mylex=config, store=store, today=TODAY, run_ref="r1")
    assert (first["nieuw"], first["voorgesteld"], first["nog_niet_verlopen"]) == (2, 2, 1)
    assert (first["blijvend_bewaren"], first["zonder_einde_bewaartermijn"]) == (1, 3)
    assert "vernietigt zelf niets" in str(first["samenvatting"])
    with store.session() as session:
        rows = {r.identificatie: r for r in session.scalars(select(VernietigingKandidaat))}
        assert set(rows) == {"D-OUD", "D-SCHRIKKEL"}  # never 2062, never B
        oud_id, schrikkel_id = rows["D-OUD"].id, rows["D-SCHRIKKEL"].id
        assert rows["D-OUD"].zaaktype == "B1026" and rows["D-OUD"].state == "voorgesteld"
        assert rows["D-OUD"].einde_bewaartermijn == date(2020, 1, 1)
        assert rows["D-OUD"].selectielijst_categorie == "1.1.4"
        first_seen = rows["D-OUD"].last_seen_at

    again = run_vernietigingslijst_mylex(mylex=config, store=store, today=TODAY, run_ref="r2")
    assert (again["nieuw"], again["opnieuw_gezien"], again["voorgesteld"]) == (0, 2, 2)

    goedkeuren(store, oud_id, "airflow:anna", "termijn verstreken, archivaris akkoord")
    afwijzen(store, schrikkel_id, "airflow:anna", "bezwaarprocedure loopt nog")
    with pytest.raises(VernietigingRefused):
        goedkeuren(store, oud_id, "airflow:bob", "nogmaals")  # compare-and-set: once only
    with pytest.raises(VernietigingRefused):
        goedkeuren(store, schrikkel_id, "airflow:bob", "toch wel")
    with pytest.raises(VernietigingRefused, match="reden"):
        afwijzen(store, oud_id, "airflow:bob", "  ")

    third = run_vernietigingslijst_mylex(mylex=config, store=store, today=TODAY, run_ref="r3")
    assert (third["nieuw"], third["al_beoordeeld"], third["voorgesteld"]) == (0, 2, 0)
    with store.session() as session:
        rows = {r.identificatie: r for r in session.scalars(select(VernietigingKandidaat))}
        assert {k: r.state for k, r in rows.items()} == {
            "D-OUD": "goedgekeurd",
            "D-SCHRIKKEL": "afgewezen",
        }
        assert rows["D-OUD"].beoordeeld_door == "airflow:anna"
        assert rows["D-OUD"].last_seen_at >= first_seen
        audits = [
            (a.actor, a.action, a.object_id, a.detail)
            for a in session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]
    assert audits == [
        (
            "airflow:anna",
            "vernietiging_goedgekeurd",
            str(oud_id),
            "termijn verstreken, archivaris akkoord",
        ),
        ("airflow:anna", "vernietiging_afgewezen", str(schrikkel_id), "bezwaarprocedure loopt nog"),
    ]
    assert _files(populated) == before  # Ketenbrug never deletes an archive file

    listed = kandidaten(store, "alle")
    assert write_csv(listed, tmp_path / "lijst.csv") == 2
    text = (tmp_path / "lijst.csv").read_text("utf-8")
    assert text.startswith("nr;identificatie;zaak;zaaktype") and "goedgekeurd" in text


def test_a_term_ending_today_or_later_is_not_listed(store: Store) -> None:
    from adapters.mylex.bewaring import Bewaring

    def doc(ident: str, einde: date, waardering: str = "V") -> Bewaring:
        return Bewaring(ident, "Z", None, waardering, "P10Y", "1.1.4", einde)

    listing = [
        doc("VANDAAG", TODAY),
        doc("2062", date(2062, 1, 1)),
        doc("GISTER", date(2026, 12, 1)),
        doc("B-OUD", date(2000, 1, 1), "B"),
    ]
    result = run_vernietigingslijst(store, listing, TODAY)
    assert (result["nieuw"], result["nog_niet_verlopen"]) == (1, 3)
    assert [k.identificatie for k in kandidaten(store)] == ["GISTER"]


def test_the_cli_lists_writes_csv_and_judges_once(
    sqlite_store: Store,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    from adapters.mylex.bewaring import Bewaring
    from sync.cli import main

    monkeypatch.setenv("KETENBRUG_DATABASE_URL", sqlite_store.url)
    listing = [
        Bewaring(f"DOC-{n}", "Z", "B1026", "V", "P10Y", "1.1.4", date(2020, 1, n)) for n in (1, 2)
    ]
    run_vernietigingslijst(sqlite_store, listing, TODAY)
    first, second = (k.id for k in kandidaten(sqlite_store))
    assert main(["vernietigingslijst"]) == 0
    out = capsys.readouterr().out
    assert "DOC-1" in out and "2 voorstel(len) (voorgesteld)" in out
    assert main(["vernietigingslijst", "goedkeuren", str(first), "--reden", "akkoord"]) == 0
    assert main(["vernietigingslijst", "goedkeuren", str(first), "--reden", "weer"]) == 1
    assert main(["vernietigingslijst", "afwijzen", str(second), "--reden", "nee"]) == 0
    assert main(["vernietigingslijst", "--status", "alle", "--csv", str(tmp_path / "l.csv")]) == 0
    rows = (tmp_path / "l.csv").read_text("utf-8").splitlines()
    assert len(rows) == 3 and ";goedgekeurd;cli:" in rows[1] and ";afgewezen;cli:" in rows[2]

"""MyLex old archive: MDTO 1.0.1 metadata valid against the official XSD, drift, SFTP access."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import paramiko
from lxml import etree

from simulators.mylex import SCHEMA_PATH, MyLexArchive, validate_mdto
from simulators.sftp.testing import SftpArea
from stuf.xml import load_schema, parse_xml_file

M = "{https://www.nationaalarchief.nl/mdto}"


def test_populated_metadata_validates_against_the_mdto_xsd(sftp_area: SftpArea) -> None:
    archive = MyLexArchive(sftp_area.local, seed=4)
    assert archive.populate(12) == 12
    schema = load_schema(SCHEMA_PATH)
    metas = sorted(archive.archief.rglob("*.MDTO.xml"))
    assert len(metas) == 24  # one informatieobject + one bestand per document
    for meta in metas:
        assert schema.validate(parse_xml_file(meta)), (meta.name, schema.error_log)
    assert archive.validate_all() == {}


def test_informatieobject_and_bestand_carry_the_required_fields(sftp_area: SftpArea) -> None:
    archive = MyLexArchive(sftp_area.local, seed=4)
    archive.populate(1)
    [doc] = archive.inventory()
    content = archive.archief / doc.path
    io = parse_xml_file(content.with_name(f"{doc.identificatie}.MDTO.xml"))[0]
    assert io.tag == f"{M}informatieobject"
    for field in ("identificatie", "naam", "waardering", "archiefvormer", "beperkingGebruik"):
        assert io.find(M + field) is not None, field
    bestand = parse_xml_file(content.with_name(content.name + ".bestand.MDTO.xml"))[0]
    assert int(bestand.findtext(f"{M}omvang") or 0) == content.stat().st_size == doc.omvang
    assert bestand.findtext(f"{M}bestandsformaat/{M}begripCode") == "fmt/18"
    assert bestand.findtext(f"{M}checksum/{M}checksumAlgoritme/{M}begripLabel") == "SHA256"
    assert doc.sha256 == hashlib.sha256(content.read_bytes()).hexdigest()


def test_schema_really_rejects_incomplete_metadata(sftp_area: SftpArea) -> None:
    archive = MyLexArchive(sftp_area.local, seed=4)
    archive.populate(1)
    meta = next(archive.archief.rglob("*[0-9].MDTO.xml"))
    tree = parse_xml_file(meta)
    waardering = tree.find(f"{M}informatieobject/{M}waardering")
    assert waardering is not None
    waardering.getparent().remove(waardering)
    assert validate_mdto(etree.tostring(tree))


def test_drift_missing_changed_and_extra(sftp_area: SftpArea) -> None:
    archive = MyLexArchive(sftp_area.local, seed=6)
    archive.populate(15)
    before = {doc.identificatie for doc in archive.inventory()}
    drift = archive.apply_drift(missing=2, changed=2, extra=1)
    archive.change_checksum(drift["changed"][0], mode="metadata")  # a wrong MDTO record too

    after = {doc.identificatie for doc in archive.inventory()}
    assert after == (before - set(drift["missing"])) | set(drift["extra"])
    assert {doc.identificatie for doc, kind in archive.verify() if kind == "checksum"} == set(
        drift["changed"]
    )
    assert archive.validate_all() == {}
    again = MyLexArchive(sftp_area.local.parent / "again", seed=6)
    again.populate(15)
    assert again.apply_drift(missing=2, changed=2, extra=1) == drift  # seeded drift


def test_archive_is_readable_and_writable_over_sftp(
    sftp_area: SftpArea, sftp_connect: Callable[..., paramiko.SFTPClient]
) -> None:
    archive = MyLexArchive(sftp_area.local, seed=4)
    archive.populate(3)
    doc = next(archive.inventory())
    sftp = sftp_connect(cwd=f"{sftp_area.remote}/archief")
    with sftp.open(doc.path, "rb") as handle:
        handle.prefetch()
        assert hashlib.sha256(handle.read()).hexdigest() == doc.sha256
    meta_path = doc.path + ".bestand.MDTO.xml"
    with sftp.open(meta_path, "rb") as handle:
        assert validate_mdto(handle.read()) == []

    folder = doc.path.rsplit("/", 1)[0]
    source = archive.archief / doc.path
    for suffix in ("", ".bestand.MDTO.xml"):
        sftp.put(str(source) + suffix, f"{folder}/KOPIE-{source.name}{suffix}")
    assert (archive.archief / folder / f"KOPIE-{source.name}").read_bytes() == source.read_bytes()

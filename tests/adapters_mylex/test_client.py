"""The MyLex adapter against a real OpenSSH sshd and the simulator's own archive checks."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from adapters.errors import TransientError
from adapters.mylex import (
    ChecksumMismatchError,
    MdtoMetadata,
    MyLexClient,
    MyLexConfig,
    UnsafeNameError,
    mdto_errors,
)
from adapters.mylex.controle import lees_digest
from simulators.mylex import MyLexArchive, validate_mdto
from simulators.sftp import TcpProxy
from simulators.sftp.testing import SftpArea
from simulators.synthetic import SynthDocument, SyntheticData
from stuf.xml import parse_xml
from tests.adapters_xtendis.rss import MB, generated_file, measure_upload

MakeConfig = Callable[..., MyLexConfig]
MDTO = "{https://www.nationaalarchief.nl/mdto}"


def _meta(doc: SynthDocument, year: int | None = None) -> MdtoMetadata:
    return MdtoMetadata(
        titel=doc.titel,
        zaak_identificatie=doc.zaak_identificatie,
        creatiedatum=doc.creatiedatum,
        auteur=doc.auteur,
        jaar=year,
        vertrouwelijkheid=doc.vertrouwelijkheid,
    )


def _docs(n: int, seed: int = 5) -> Iterator[tuple[SynthDocument, int]]:
    synth = SyntheticData(seed, document_scale=0.05)
    pairs = ((d, z.startdatum.year) for z in synth.zaken(n) for d in z.documenten)
    return itertools.islice(pairs, n)


def _put(mylex: MyLexClient, doc: SynthDocument, year: int) -> str:
    return mylex.put_document(
        doc.identificatie, io.BytesIO(doc.read_bytes()), _meta(doc, year), doc.sha256
    )


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_put_writes_the_layout_the_simulator_writes_and_valid_mdto(
    mylex: MyLexClient, archive: MyLexArchive, tmp_path: Path
) -> None:
    doc, year = next(_docs(1))
    assert _put(mylex, doc, year) == doc.sha256
    reference = MyLexArchive(tmp_path / "sim", seed=1)
    reference.write_document(doc, year=year)
    assert _files(archive.archief) == _files(reference.archief)
    assert not [p for p in archive.archief.rglob(".*")]  # no temp files left
    assert archive.validate_all() == {}  # the simulator's own XSD check
    for meta in archive.archief.rglob("*.MDTO.xml"):
        assert mdto_errors(meta.read_bytes()) == [] == validate_mdto(meta)
        theirs = reference.archief / meta.relative_to(archive.archief)
        ours_tree, theirs_tree = parse_xml(meta.read_bytes()), parse_xml(theirs.read_bytes())
        for tree in (ours_tree, theirs_tree):  # the only value that may differ: when checked
            for datum in tree.iter(f"{MDTO}checksumDatum"):
                datum.text = "-"
        assert _texts(ours_tree) == _texts(theirs_tree)
    (described,) = archive.inventory()
    assert (described.identificatie, described.sha256) == (doc.identificatie, doc.sha256)
    assert (archive.archief / described.path).read_bytes() == doc.read_bytes()
    assert list(archive.verify()) == []


def _texts(tree: object) -> list[tuple[str, str]]:
    return [(e.tag, (e.text or "").strip()) for e in tree.iter()]  # type: ignore[attr-defined]


def test_wrong_checksum_leaves_nothing_under_a_final_name(
    mylex: MyLexClient, archive: MyLexArchive
) -> None:
    doc, _ = next(_docs(1))
    with pytest.raises(ChecksumMismatchError) as caught:
        mylex.put_document(doc.identificatie, io.BytesIO(doc.read_bytes()), _meta(doc), "f" * 64)
    assert caught.value.reason == "checksum_mismatch"
    assert _files(archive.archief) == set()
    assert list(mylex.iter_listing()) == []


def test_listing_is_sorted_streaming_and_matches_the_simulator(
    mylex: MyLexClient, archive: MyLexArchive, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive.populate(30)
    for doc, year in _docs(6, seed=9):
        _put(mylex, doc, year)
    drift = archive.apply_drift(changed=2, extra=3)  # MLX-2019-… lands in another year/folder
    archive.write_document(
        SynthDocument("BS-2024-0001", "", "Specificatie", "s.pdf", date(2024, 2, 1), 3000, 1),
        year=2024,
    )  # a document without zaak: folder "los"
    listing = list(mylex.iter_listing())
    ids = [entry.identificatie for entry in listing]
    assert ids == sorted(ids) and len(ids) == len(set(ids)) == 40
    recorded = {(d.identificatie, d.sha256, d.omvang) for d in archive.inventory()}
    assert {(e.identificatie, e.sha256, e.size) for e in listing} == recorded
    bad = {doc.identificatie for doc, _ in archive.verify()}
    assert bad == set(drift["changed"])  # only the simulator's own drift; ours all verify
    actual = {
        e.identificatie
        for e in listing
        if hashlib.sha256(
            next((archive.archief).rglob(f"{e.identificatie}.pdf")).read_bytes()
        ).hexdigest()
        != e.sha256
    }
    assert actual == bad

    reads: list[str] = []
    original = mylex._sftp.read_small

    def spy(path: str, limit: int = 1 << 20) -> bytes | None:
        reads.append(path)
        return original(path, limit)

    monkeypatch.setattr(mylex._sftp, "read_small", spy)
    stream = mylex.iter_listing()
    assert isinstance(stream, Iterator)
    assert next(stream).identificatie == ids[0]
    assert len(reads) == 1  # one metadata file read for one entry: nothing listed ahead


def test_connection_cut_mid_put_is_transient_and_leaves_no_final_file(
    make_config: MakeConfig, tcp_proxy: TcpProxy, archive: MyLexArchive
) -> None:
    doc, year = next(_docs(1))
    data = b"%PDF-1.4\n" + bytes(3 * MB)
    digest = hashlib.sha256(data).hexdigest()
    tcp_proxy.cut_direction = "up"
    tcp_proxy.cut_after_bytes = 600_000
    client = MyLexClient(make_config(port=tcp_proxy.port))
    try:
        with pytest.raises(TransientError):
            client.put_document(doc.identificatie, io.BytesIO(data), _meta(doc, year), digest)
        assert not [f for f in _files(archive.archief) if not Path(f).name.startswith(".")]
        tcp_proxy.cut_after_bytes = None
        assert client.put_document(doc.identificatie, io.BytesIO(data), _meta(doc, year)) == digest
        assert [e.sha256 for e in client.iter_listing()] == [digest]
    finally:
        client.close()


def test_a_dropped_line_mid_listing_reconnects_and_the_walk_goes_on(
    make_config: MakeConfig, tcp_proxy: TcpProxy, mylex: MyLexClient, archive: MyLexArchive
) -> None:
    archive.populate(12)
    expected = list(mylex.iter_listing())
    client = MyLexClient(make_config(port=tcp_proxy.port))
    try:
        walk = client.iter_listing()
        found = [next(walk), next(walk)]
        assert tcp_proxy.cut_all() == 1, "the walk's one connection was cut mid-walk"
        found.extend(walk)
        locatie = found[-1].locatie
        tcp_proxy.cut_all()
        digest = lees_digest(client, locatie)  # the byte check reconnects as well
    finally:
        client.close()
    assert found == expected
    assert tcp_proxy.stats.connections >= 3
    assert digest is not None and digest.sha256 == expected[-1].sha256


def test_a_line_that_stays_down_fails_the_read_after_its_tries(
    make_config: MakeConfig, tcp_proxy: TcpProxy, archive: MyLexArchive
) -> None:
    archive.populate(2)
    client = MyLexClient(make_config(port=tcp_proxy.port))
    client._sftp.READ_ATTEMPTS = 2
    tcp_proxy.drop_rate = 1.0  # every new connection refused
    try:
        with pytest.raises(TransientError, match="mylex"):
            list(client.iter_listing())
    finally:
        client.close()
    assert tcp_proxy.stats.connections == 2, "one connection per try, then the error"


@pytest.mark.parametrize("name", ["../x", "/etc/passwd", "..", "a/b", "", ".x.part", "a b"])
def test_unsafe_names_are_refused(mylex: MyLexClient, archive: MyLexArchive, name: str) -> None:
    doc, _ = next(_docs(1))
    with pytest.raises(UnsafeNameError):
        mylex.put_document(name, io.BytesIO(b"%PDF"), _meta(doc))
    bad_zaak = MdtoMetadata("t", name or "..", date(2024, 1, 1), "x")
    with pytest.raises(UnsafeNameError):
        mylex.put_document("DOC-1", io.BytesIO(b"%PDF"), bad_zaak)
    assert _files(archive.archief) == set()


@pytest.mark.slow
def test_64_mb_put_keeps_memory_flat(
    make_config: MakeConfig, archive: MyLexArchive, tmp_path: Path, sftp_area: SftpArea
) -> None:
    source = generated_file(tmp_path / "groot.pdf", 64)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    meta = {"titel": "Groot", "zaak_identificatie": "Z-1", "creatiedatum": "2024-01-02"}
    meta["auteur"] = "test"
    result = measure_upload(
        "mylex", make_config(), source, name="Z-1-D01", metadata=meta, sha256=digest
    )
    assert result["sha256"] == digest
    assert result["growth_kb"] < 64 * 1024, json.dumps(result)
    assert list(archive.verify()) == [] and archive.validate_all() == {}

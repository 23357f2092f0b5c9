"""MyLexTarget against a real OpenSSH sshd and the simulator's own archive checks."""

from __future__ import annotations

import hashlib
import io
import random
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import pytest

from adapters.base import Operation, Target
from adapters.document import ARCHIVEER_DOCUMENT, DocumentContent, UnsupportedFormatError
from adapters.errors import InvalidMessageError, PermanentError, TransientError
from adapters.mylex import ChecksumMismatchError, MyLexClient, MyLexConfig, UnsafeNameError
from adapters.mylex.target import MyLexTarget
from adapters.sftp.pinned import PinnedSftp
from simulators.mylex import MyLexArchive, validate_mdto
from simulators.sftp import TcpProxy
from stuf.xml import parse_xml
from tests.adapters_xtendis.rss import MB, generated_file
from tests.adapters_xtendis.test_target import blob, measure_apply

MakeConfig = Callable[..., MyLexConfig]
MakeTarget = Callable[..., MyLexTarget]
MDTO = "{https://www.nationaalarchief.nl/mdto}"
ID = "1900-2024-00000004-D01"
ZAAK = "1900-2024-00000004"


def _pdf(size: int, seed: int = 1) -> bytes:
    return b"%PDF-1.4\n" + random.Random(seed).randbytes(size)


def _op(
    content: dict[str, Any],
    *,
    identificatie: str = ID,
    jaar: int | None = 2023,
    waardering: str | None = None,
    **document: Any,
) -> Operation:
    fields = {
        "identificatie": identificatie,
        "titel": "Beschikking levensonderhoud",
        "zaak_identificatie": ZAAK,
        "documenttype": "Beschikking",
        "bestandsnaam": "brief-001.pdf",
        "formaat": "application/pdf",
        "creatiedatum": "2024-03-01",
        "vertrouwelijkheid": None,
        "auteur": None,
        "taal": "nl",
        **document,
    }
    return Operation(
        target_system="mylex",
        name=ARCHIVEER_DOCUMENT,
        ledger_key=f"gws4all:{identificatie}:mylex",
        target_key=identificatie,
        data={"document": fields, "content": content, "jaar": jaar, "waardering": waardering},
    )


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def make_target(make_config: MakeConfig, archive: MyLexArchive) -> Iterator[MakeTarget]:
    made: list[MyLexTarget] = []

    def build(port: int | None = None, **kw: Any) -> MyLexTarget:
        target = MyLexTarget(make_config(port=port), **kw)
        made.append(target)
        return target

    yield build
    for target in made:
        target.close()


@pytest.fixture
def puts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Identificaties passed to ``MyLexClient.put_document`` (every streaming attempt)."""
    calls: list[str] = []
    original = MyLexClient.put_document

    def spy(self: MyLexClient, identificatie: str, *args: Any, **kwargs: Any) -> str:
        calls.append(identificatie)
        return original(self, identificatie, *args, **kwargs)

    monkeypatch.setattr(MyLexClient, "put_document", spy)
    return calls


def test_apply_archives_the_document_with_valid_mdto(
    make_target: MakeTarget, archive: MyLexArchive, tmp_path: Path
) -> None:
    pdf = _pdf(120_000)
    content = blob(tmp_path, pdf)
    operation = _op(content)
    target = make_target()
    assert isinstance(target, Target)
    assert not target.is_applied(operation)
    target.apply(operation)
    assert target.is_applied(operation)
    folder = f"2023/{ZAAK}"  # the zaak's start year, not the creation year
    assert _files(archive.archief) == {
        f"{folder}/{ID}.pdf",
        f"{folder}/{ID}.pdf.bestand.MDTO.xml",
        f"{folder}/{ID}.MDTO.xml",
    }
    assert (archive.archief / folder / f"{ID}.pdf").read_bytes() == pdf
    assert archive.validate_all() == {} and list(archive.verify()) == []
    (described,) = archive.inventory()
    assert (described.identificatie, described.sha256) == (ID, content["sha256"])
    assert described.omvang == len(pdf)
    info = archive.archief / folder / f"{ID}.MDTO.xml"
    assert validate_mdto(info) == []
    tree = parse_xml(info.read_bytes())
    actor = f"{MDTO}informatieobject/{MDTO}event/{MDTO}eventVerantwoordelijkeActor/"
    assert tree.findtext(actor + f"{MDTO}verwijzingNaam") == "Ketenbrug"
    waardering = f"{MDTO}informatieobject/{MDTO}waardering/{MDTO}begripCode"
    assert tree.findtext(waardering) == "V"
    assert "vertrouwelijk" in info.read_text()


def test_auteur_waardering_and_a_document_without_zaak(
    make_target: MakeTarget, archive: MyLexArchive, tmp_path: Path
) -> None:
    operation = _op(
        blob(tmp_path, _pdf(1_000)),
        identificatie="BS-2024-0001",
        zaak_identificatie=None,
        jaar=None,
        waardering="B",
        auteur="Team Inkomen",
    )
    make_target().apply(operation)
    info = archive.archief / "2024/los/BS-2024-0001.MDTO.xml"  # the creation year, folder los
    tree = parse_xml(info.read_bytes())
    assert "Team Inkomen" in info.read_text()
    assert tree.findtext(f"{MDTO}informatieobject/{MDTO}waardering/{MDTO}begripCode") == "B"
    assert archive.validate_all() == {}


def test_apply_twice_is_harmless(
    make_target: MakeTarget, archive: MyLexArchive, tmp_path: Path
) -> None:
    operation = _op(blob(tmp_path, _pdf(10_000)))
    make_target().apply(operation)
    before = _files(archive.archief)
    make_target().apply(operation)
    assert _files(archive.archief) == before
    assert len(list(archive.inventory())) == 1 and list(archive.verify()) == []


def test_is_applied_reads_the_recorded_checksum_and_size(
    make_target: MakeTarget, archive: MyLexArchive, tmp_path: Path, puts: list[str]
) -> None:
    pdf = _pdf(10_000)
    operation = _op(blob(tmp_path, pdf))
    target = make_target()
    target.apply(operation)
    newer = _op(blob(tmp_path, pdf + b"v2", "v2"))  # same document, other content
    assert target.is_applied(operation) and not target.is_applied(newer)
    archive.change_checksum(ID, mode="metadata")  # the metadata no longer records our sha256
    assert not target.is_applied(operation)
    target.apply(operation)  # a rewrite repairs it
    assert target.is_applied(operation)
    info = next(archive.archief.rglob(f"{ID}.MDTO.xml"))
    info.unlink()  # crash before the last file: incomplete is not applied
    assert not target.is_applied(operation)
    assert puts == [ID, ID]


def test_a_blob_that_does_not_match_its_checksum_leaves_no_final_file(
    make_target: MakeTarget, archive: MyLexArchive, tmp_path: Path, puts: list[str]
) -> None:
    content = blob(tmp_path, _pdf(50_000))
    content["sha256"] = "f" * 64
    operation = _op(content)
    target = make_target()
    with pytest.raises(ChecksumMismatchError) as caught:
        target.apply(operation)
    assert caught.value.reason == "checksum_mismatch"
    assert isinstance(caught.value, PermanentError)
    assert puts == [ID] * 3
    assert _files(archive.archief) == set()  # not even a temp file
    assert not target.is_applied(operation)


def test_a_bad_read_heals_on_the_next_stream(
    make_target: MakeTarget,
    archive: MyLexArchive,
    tmp_path: Path,
    puts: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pdf = _pdf(30_000)
    operation = _op(blob(tmp_path, pdf))
    original = DocumentContent.open
    opened: list[int] = []

    def flaky(self: DocumentContent, system: str = "", operation: str = "") -> BinaryIO:
        opened.append(1)
        if len(opened) < 3:
            return io.BytesIO(pdf[:100])  # a short read, twice
        return original(self, system, operation)

    monkeypatch.setattr(DocumentContent, "open", flaky)
    target = make_target()
    target.apply(operation)
    assert puts == [ID] * 3 and target.is_applied(operation)
    assert list(archive.verify()) == []


def test_a_connection_cut_mid_transfer_is_transient_and_the_retry_archives_once(
    make_target: MakeTarget, tcp_proxy: TcpProxy, archive: MyLexArchive, tmp_path: Path
) -> None:
    operation = _op(blob(tmp_path, b"%PDF-1.4\n" + bytes(3 * MB)))
    tcp_proxy.cut_direction = "up"
    tcp_proxy.cut_after_bytes = 600_000
    target = make_target(port=tcp_proxy.port)
    with pytest.raises(TransientError):
        target.apply(operation)
    assert tcp_proxy.stats.cut == 1
    assert not [f for f in _files(archive.archief) if not Path(f).name.startswith(".")]
    tcp_proxy.cut_after_bytes = None  # the line is back
    assert not target.is_applied(operation)
    target.apply(operation)
    assert target.is_applied(operation)
    assert len(list(archive.inventory())) == 1 and list(archive.verify()) == []


@pytest.mark.parametrize(
    "change",
    [
        {"identificatie": "../x"},
        {"identificatie": "/abs"},
        {"identificatie": "a b"},
        {"identificatie": ".x.part"},
        {"zaak_identificatie": "../../etc"},
        {"zaak_identificatie": "Z/1"},
        {"zaak_identificatie": "Z\u00e9"},
    ],
)
def test_unsafe_names_are_refused_before_anything_is_written(
    make_target: MakeTarget, archive: MyLexArchive, tmp_path: Path, change: dict[str, Any]
) -> None:
    target = make_target()
    operation = _op(blob(tmp_path, _pdf(1_000)), **change)
    for call in (target.apply, target.is_applied):
        with pytest.raises(UnsafeNameError) as caught:
            call(operation)
        assert isinstance(caught.value, PermanentError)
    assert len(target._clients) == 0  # not even a connection was made
    assert list(archive.archief.iterdir()) == []


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"creatiedatum": None}, InvalidMessageError),
        ({"jaar": 24}, InvalidMessageError),
        ({"jaar": "2024"}, InvalidMessageError),
        ({"waardering": "X"}, InvalidMessageError),
    ],
)
def test_an_incomplete_operation_is_a_dead_letter_before_connecting(
    make_target: MakeTarget, tmp_path: Path, change: dict[str, Any], error: type[PermanentError]
) -> None:
    target = make_target()
    with pytest.raises(error):
        target.apply(_op(blob(tmp_path, _pdf(1_000)), **change))
    assert len(target._clients) == 0


@pytest.mark.parametrize("formaat", ["application/pdf", "image/png", None])
def test_unidentifiable_content_is_a_dead_letter_before_connecting(
    make_target: MakeTarget, archive: MyLexArchive, tmp_path: Path, formaat: str | None
) -> None:
    """Only the bytes count: text is refused whatever ``formaat`` it declares."""
    target = make_target()
    with pytest.raises(UnsupportedFormatError) as caught:
        target.apply(_op(blob(tmp_path, b"geen document\n" * 100), formaat=formaat))
    assert caught.value.reason == "unsupported_format" and ID in str(caught.value)
    assert len(target._clients) == 0
    assert list(archive.archief.iterdir()) == []


def test_four_threads_archive_into_one_new_zaak_folder(
    make_target: MakeTarget, archive: MyLexArchive, tmp_path: Path
) -> None:
    operations = [
        _op(blob(tmp_path, _pdf(20_000, seed=i), f"b{i}"), identificatie=f"{ZAAK}-D{i:02d}")
        for i in range(8)
    ]
    target = make_target()
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def work(chunk: list[Operation]) -> None:
        try:
            start.wait(timeout=10)  # all four create the new year/zaak folders at once
            for operation in chunk:
                target.apply(operation)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(operations[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert 1 <= len(target._clients) <= 4
    assert len(list(archive.inventory())) == 8 and list(archive.verify()) == []
    target.close()
    assert all(target.is_applied(operation) for operation in operations)


def test_a_folder_another_writer_made_meanwhile_is_used(
    make_target: MakeTarget, archive: MyLexArchive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = make_target()
    target.apply(_op(blob(tmp_path, _pdf(1_000), "a"), identificatie=f"{ZAAK}-D01"))
    original = PinnedSftp.exists
    raced: list[str] = []

    def racing(self: PinnedSftp, path: str) -> bool:
        if path.endswith(f"/{ZAAK}") and not raced:  # looked before the other writer's mkdir
            raced.append(path)
            return False
        return original(self, path)

    monkeypatch.setattr(PinnedSftp, "exists", racing)
    target.apply(_op(blob(tmp_path, _pdf(1_000, seed=2), "b"), identificatie=f"{ZAAK}-D02"))
    assert raced and len(list(archive.inventory())) == 2


@pytest.mark.slow
def test_a_64_mb_document_moves_with_flat_memory(
    make_config: MakeConfig, archive: MyLexArchive, tmp_path: Path
) -> None:
    source = generated_file(tmp_path / "groot.pdf", 64)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    content = {"path": str(source), "sha256": digest, "size": source.stat().st_size}
    result = measure_apply("mylex", make_config(), _op(content, identificatie="Z-1-D01"))
    assert result["applied"] is True
    assert result["growth_kb"] < 16 * 1024, result  # well under the 64 MB it moved
    assert list(archive.verify()) == [] and archive.validate_all() == {}

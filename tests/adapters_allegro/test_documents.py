"""AllegroDocumentSource against real SFTP: blobs, keys, faults, names, moves, drops, memory."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import pytest

from adapters.allegro import AllegroClient, AllegroConfig, UnsafeNameError
from adapters.allegro.document_download import DocumentMissingError
from adapters.allegro.document_index import DOCUMENT_COLUMNS, parse_document_index
from adapters.allegro.documents import AllegroDocumentSource
from adapters.allegro.file_names import check_document_id, document_file_name, sanitize_filename
from adapters.base import RecordError, Source, SourceBatch, SourceRecord
from adapters.errors import (
    ChecksumMismatchError,
    InvalidMessageError,
    PermanentError,
    TransientError,
)
from simulators.allegro import DOCUMENT_COLUMNS as SIM_COLUMNS
from simulators.allegro import AllegroExporter, DocumentExport, parse_export
from simulators.sftp import TcpProxy
from simulators.sftp.testing import SftpArea

MakeConfig = Callable[..., AllegroConfig]
KB = 1024
MB = 1 << 20


# ---------------------------------------------------------------------- helpers
def _records(batch: SourceBatch) -> list[SourceRecord]:
    return [r for r in batch.records if isinstance(r, SourceRecord)]


def _errors(batch: SourceBatch) -> list[RecordError]:
    return [r for r in batch.records if isinstance(r, RecordError)]


def _read(source: AllegroDocumentSource, cursor: str | None = None, limit: int = 1000):
    batch = source.read_batch(cursor, limit)
    assert batch is not None
    return batch


def _export(area: SftpArea, n: int = 4, *, seed: int = 1, **kwargs: Any) -> DocumentExport:
    exporter = AllegroExporter(area.local, seed=seed)
    exporter.write_batch(3)  # dossiers, so documents belong to zaken of an ALG_ZAKEN export
    kwargs.setdefault("sizes", 3 * KB)
    return exporter.write_documents(n, **kwargs)


def _blobs(blob_dir: Path) -> list[Path]:
    return sorted(p for p in blob_dir.rglob("*") if p.is_file())


def _temps(blob_dir: Path) -> list[Path]:
    return [p for p in _blobs(blob_dir) if p.name.startswith(".")]


def _rewrite(
    area: SftpArea, export: DocumentExport, edit: Callable[[list[str]], list[str]]
) -> None:
    """Change the index rows (header kept unless ``edit`` changes it) and publish it again
    with a correct trailer and sidecar, as Allegro would have written it."""
    path = area.local / "export" / export.name
    lines = path.read_text().split("\n")[:-2]  # drop the trailer and the final empty piece
    lines = edit(lines)
    content = ("\n".join([*lines, f"#EINDE;{len(lines) - 1}"]) + "\n").encode()
    path.write_bytes(content)
    digest = hashlib.sha256(content).hexdigest()
    path.with_name(f"{export.name}.sha256").write_text(f"{digest}  {export.name}\n")


class CountingClient(AllegroClient):
    """Counts downloads; ``corrupt_first`` spoils that many (a bit flipped on the line)."""

    def __init__(self, config: AllegroConfig, corrupt_first: int = 0) -> None:
        super().__init__(config)
        self.downloads: list[str] = []
        self.corrupt_first = corrupt_first

    def download_export_file(
        self, relative: str, sink: BinaryIO, *, max_bytes: int | None = None
    ) -> tuple[str, int]:
        self.downloads.append(relative)
        if len(self.downloads) > self.corrupt_first:
            return super().download_export_file(relative, sink, max_bytes=max_bytes)

        received = hashlib.sha256()

        class Flip:
            def write(self, data: bytes) -> int:
                spoiled = bytes([data[0] ^ 1]) + data[1:]
                received.update(spoiled)
                return sink.write(spoiled)

        _, size = super().download_export_file(relative, Flip(), max_bytes=max_bytes)  # type: ignore[arg-type]
        return received.hexdigest(), size


# ---------------------------------------------------------------------- names
_BSN = "123456782"


@pytest.mark.parametrize(
    "name",
    [
        "..",
        ".",
        "../x",
        "../../etc/passwd",
        "x/../../y.pdf",
        "/etc/passwd",
        "/",
        "C:\\x",
        "C:x.pdf",
        "\\\\server\\share\\x.pdf",
        "a/b",
        "a\\b",
        "a\x00b.pdf",
        "a.pdf\x00.txt",
        "a\nb.pdf",
        "a\rb.pdf",
        "a\tb.pdf",
        "\x7fdel.pdf",
        ".bashrc",
        ".verborgen.pdf",
        "a" * 197 + ".pdf",
        "",
        "   ",
        "\uff0e\uff0e\uff0fetc\uff0fpasswd",  # fullwidth ../etc/passwd
        "\u2025\u2215etc",  # two-dot leader + division slash
        "a\u2044b.pdf",  # fraction slash
        "a\u29f8b.pdf",  # big solidus
        "a\uff3cb.pdf",  # fullwidth backslash
        "rapport\u202efdp.exe",  # right-to-left override: shows as rapportexe.pdf
        "zero\u200bwidth.pdf",
        "soft\u00adhyphen.pdf",
        "CON",
        "nul.txt",
        "-rf",
        "日本語",
        "x.pdf.part",
        f"{_BSN}/brief.pdf",
    ],
)
def test_sanitize_filename_refuses_paths_controls_and_odd_names(name: str) -> None:
    with pytest.raises(UnsafeNameError) as caught:
        sanitize_filename(name)
    assert caught.value.reason == "unsafe_name"
    assert caught.value.system == "allegro"
    message = caught.value.message
    assert _BSN not in message and "\x00" not in message and "\n" not in message
    assert len(message) < 160


@pytest.mark.parametrize("name", [None, 42, b"brief.pdf"])
def test_sanitize_filename_refuses_what_is_no_text(name: object) -> None:
    with pytest.raises(UnsafeNameError):
        sanitize_filename(name)


@pytest.mark.parametrize(
    ("name", "clean"),
    [
        ("brief.pdf", "brief.pdf"),
        ("ALG-2024-000001-D01.pdf", "ALG-2024-000001-D01.pdf"),
        ("Brief aan cliënt.PDF", "Brief_aan_client.PDF"),
        ("verslag (definitief).pdf", "verslag_definitief_.pdf"),
        ("  rapport.pdf ", "rapport.pdf"),
        ("rapport.pdf.", "rapport.pdf"),
        ("_x.pdf", "x.pdf"),
        ("\uff42\uff52\uff49\uff45\uff46.pdf", "brief.pdf"),  # fullwidth letters
        ("\ufb01le.pdf", "file.pdf"),  # the fi ligature
        ("r\u0435port.pdf", "r_port.pdf"),  # Cyrillic e: never passes as a Latin one
        ("Ærø ñ.pdf", "r_n.pdf"),  # Æ and ø have no decomposition: "_", stripped at the start
        ("a" * 196 + ".pdf", "a" * 196 + ".pdf"),
    ],
)
def test_sanitize_filename_cleans_harmless_oddities(name: str, clean: str) -> None:
    assert sanitize_filename(name) == clean
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,200}", clean) and ".." not in clean
    assert sanitize_filename(clean) == clean  # stable


@pytest.mark.parametrize(
    "value", ["/etc/passwd", "../x", "a/b", "a\\b", "..", "a b", "a..b", "-x", "x" * 65, "a\x00"]
)
def test_document_id_must_be_a_plain_token(value: str) -> None:
    with pytest.raises(UnsafeNameError):
        check_document_id(value)


def test_document_id_empty_is_invalid_and_file_names_follow_the_extension() -> None:
    with pytest.raises(InvalidMessageError):
        check_document_id("")
    with pytest.raises(InvalidMessageError, match="BSN") as caught:
        check_document_id(f"DOC-{_BSN}")
    assert _BSN not in caught.value.message
    assert check_document_id("ALG-2024-000001-D01") == "ALG-2024-000001-D01"
    assert document_file_name("ALG-1-D01", "Brief.PDF") == "ALG-1-D01.pdf"
    assert document_file_name("ALG-1-D01", "scan") == "ALG-1-D01"
    assert document_file_name("ALG-1-D01", "a.heelerglangeextensie") == "ALG-1-D01"
    assert DOCUMENT_COLUMNS == SIM_COLUMNS  # the adapter reads what the simulator writes


def test_wrong_header_is_one_error_for_the_whole_index() -> None:
    with pytest.raises(InvalidMessageError, match="kopregel"):
        parse_document_index(b"document_id;titel\n#EINDE;0\n")


# ---------------------------------------------------------------------- happy path
def test_documents_become_records_with_verified_blobs(
    allegro: AllegroClient, sftp_area: SftpArea, tmp_path: Path
) -> None:
    export = _export(sftp_area, 5, sizes=[2 * KB, 40 * KB, 3 * KB, 300 * KB, 1 * KB])
    blob_dir = tmp_path / "blobs"
    source = AllegroDocumentSource(allegro, blob_dir)
    assert isinstance(source, Source) and source.system == "allegro"
    batch = _read(source)
    records = _records(batch)
    assert len(records) == 5 and not _errors(batch)
    assert batch.ref == f"sftp:allegro:{export.name}"
    assert batch.cursor_after == f"{export.name}#compleet#{export.sha256[:12]}"
    assert batch.context == {"file": export.name, "sha256": export.sha256, "complete": True}
    zaken = {row["dossiernummer"] for row in _zaken_rows(sftp_area)}

    for line, (record, doc) in enumerate(zip(records, export.documents, strict=True), start=2):
        assert record.source_system == "allegro" and record.kind == "document"
        assert record.key == f"allegro-doc:{doc.document_id}:{doc.sha256[:16]}"
        assert record.payload_ref == f"sftp:allegro:{export.name}#{line}"
        assert record.data["document"] == {
            "identificatie": doc.document_id,
            "titel": doc.titel,
            "zaak_identificatie": doc.dossiernummer,
            "documenttype": doc.documenttype,
            "bestandsnaam": doc.bestandsnaam,
            "formaat": "application/pdf",
            "creatiedatum": doc.documentdatum,
            "vertrouwelijkheid": None,
            "auteur": "Allegro",
            "taal": "nld",
        }
        assert doc.dossiernummer in zaken
        content = record.data["content"]
        blob = Path(content["path"])
        assert blob == blob_dir / doc.sha256[:2] / doc.sha256
        assert content == {"path": str(blob), "sha256": doc.sha256, "size": doc.size}
        assert hashlib.sha256(blob.read_bytes()).hexdigest() == doc.sha256
        assert blob.stat().st_size == doc.size and blob.read_bytes().startswith(b"%PDF-")
        json.dumps(record.data)  # plain JSON, as the ledger keeps it
    assert len(_blobs(blob_dir)) == 5 and not _temps(blob_dir)


def _zaken_rows(area: SftpArea) -> list[dict[str, str]]:
    (path,) = (area.local / "export").glob("ALG_ZAKEN_*.csv")
    return parse_export(path.read_bytes())


def test_reading_again_gives_the_same_keys_and_stores_each_blob_once(
    allegro: AllegroClient, sftp_area: SftpArea, tmp_path: Path
) -> None:
    _export(sftp_area, 4)
    source = AllegroDocumentSource(allegro, tmp_path / "blobs")
    first, second = _read(source), _read(source)  # no commit in between: offered again
    assert [r.key for r in _records(first)] == [r.key for r in _records(second)]
    assert [r.data for r in _records(first)] == [r.data for r in _records(second)]
    assert len(_blobs(tmp_path / "blobs")) == 4 and not _temps(tmp_path / "blobs")


def test_the_same_content_twice_is_one_blob(
    allegro: AllegroClient, sftp_area: SftpArea, tmp_path: Path
) -> None:
    export = _export(sftp_area, 2)
    first, second = export.documents
    source_file = sftp_area.local / "export" / first.file
    shutil.copyfile(source_file, sftp_area.local / "export" / second.file)

    def same_bytes(lines: list[str]) -> list[str]:
        values = lines[2].split(";")
        values[7:9] = [str(first.size), first.sha256]
        return [*lines[:2], ";".join(values)]

    _rewrite(sftp_area, export, same_bytes)
    records = _records(_read(AllegroDocumentSource(allegro, tmp_path / "blobs")))
    assert len(records) == 2 and records[0].key != records[1].key
    assert records[0].data["content"] == records[1].data["content"]
    assert len(_blobs(tmp_path / "blobs")) == 1


# ---------------------------------------------------------------------- moves and cursor
def test_after_commit_moves_the_export_and_can_run_twice(
    allegro: AllegroClient, sftp_area: SftpArea, tmp_path: Path
) -> None:
    export = _export(sftp_area, 3)
    source = AllegroDocumentSource(allegro, tmp_path / "blobs")
    batch = _read(source)
    source.after_commit(batch)
    source.after_commit(batch)  # a second call (rerun) finds everything moved: no error
    folder = sftp_area.local / "export"
    assert not list(folder.glob("ALG_DOC_*"))
    processed = folder / "processed"
    assert sorted(p.name for p in processed.iterdir()) == [
        export.folder,
        export.name,
        f"{export.name}.sha256",
    ]
    assert sorted(p.name for p in (processed / export.folder).iterdir()) == sorted(
        d.file.rsplit("/", 1)[1] for d in export.documents
    )
    assert list(folder.glob("ALG_ZAKEN_*.csv"))  # the zaken exports are not touched
    assert source.read_batch(batch.cursor_after, 100) is None


def test_commit_without_move_is_archived_on_the_next_read_without_downloading(
    make_config: MakeConfig, sftp_area: SftpArea, tmp_path: Path
) -> None:
    exporter = AllegroExporter(sftp_area.local, seed=4)
    first = exporter.write_documents(2, sizes=KB)
    second = exporter.write_documents(3, sizes=KB)
    client = CountingClient(make_config())
    source = AllegroDocumentSource(client, tmp_path / "blobs")
    batch = _read(source)
    assert batch.context["file"] == first.name and len(client.downloads) == 2
    # the engine committed the batch (and its cursor); the process died before after_commit
    nxt = _read(source, batch.cursor_after)
    assert nxt.context["file"] == second.name
    assert len(client.downloads) == 2 + 3  # the committed export was not downloaded again
    assert (sftp_area.local / "export" / "processed" / first.name).exists()
    assert not (sftp_area.local / "export" / first.folder).exists()
    client.close()


def test_a_move_cut_short_is_finished_by_the_next_read(
    allegro: AllegroClient, sftp_area: SftpArea, tmp_path: Path
) -> None:
    export = _export(sftp_area, 2)
    source = AllegroDocumentSource(allegro, tmp_path / "blobs")
    batch = _read(source)
    folder = sftp_area.local / "export"
    (folder / "processed").mkdir()
    shutil.move(folder / export.name, folder / "processed" / export.name)  # index moved, crash
    assert source.read_batch(batch.cursor_after, 100) is None
    assert not list(folder.glob("ALG_DOC_*"))
    assert (folder / "processed" / export.folder).is_dir()
    assert (folder / "processed" / f"{export.name}.sha256").is_file()


def test_a_folder_still_being_published_is_left_alone(
    allegro: AllegroClient, sftp_area: SftpArea, tmp_path: Path
) -> None:
    export = _export(sftp_area, 2)
    folder = sftp_area.local / "export"
    for suffix in (".sha256", ""):  # Allegro has written the documents, not yet the index
        (folder / f"{export.name}{suffix}").unlink()
    source = AllegroDocumentSource(allegro, tmp_path / "blobs")
    assert source.read_batch(None, 100) is None
    assert (folder / export.folder).is_dir()


def test_limit_splits_an_export_and_the_cursor_resumes_it(
    allegro: AllegroClient, sftp_area: SftpArea, tmp_path: Path
) -> None:
    export = _export(sftp_area, 5)
    source = AllegroDocumentSource(allegro, tmp_path / "blobs")
    cursor = None
    seen: list[str] = []
    parts = []
    while (batch := source.read_batch(cursor, 2)) is not None:
        parts.append(len(batch.records))
        seen += [r.key for r in _records(batch)]
        source.after_commit(batch)  # moves only after the last part
        moved = not (sftp_area.local / "export" / export.name).exists()
        assert moved == batch.context["complete"]
        cursor = batch.cursor_after
    assert parts == [2, 2, 1]
    assert len(set(seen)) == 5
    assert cursor == f"{export.name}#compleet#{export.sha256[:12]}"


def test_a_cursor_for_other_content_starts_the_export_again(
    allegro: AllegroClient, sftp_area: SftpArea, tmp_path: Path
) -> None:
    export = _export(sftp_area, 3)
    source = AllegroDocumentSource(allegro, tmp_path / "blobs")
    assert len(_read(source, f"{export.name}#3#{export.sha256[:12]}").records) == 1
    assert len(_read(source, f"{export.name}#3#000000000000").records) == 3
    assert len(_read(source, "ALG_ZAKEN_20240101_000001.csv").records) == 3


# ---------------------------------------------------------------------- faults
@pytest.mark.parametrize(
    ("fault", "reason", "error_type"),
    [
        ("document_checksum", "checksum_mismatch", ChecksumMismatchError),
        ("document_missing", "document_missing", DocumentMissingError),
        ("unsafe_bestandsnaam", "unsafe_name", UnsafeNameError),
        ("unsafe_id", "unsafe_name", UnsafeNameError),
    ],
)
def test_a_bad_document_is_its_own_error_and_the_others_come_through(
    make_config: MakeConfig,
    sftp_area: SftpArea,
    tmp_path: Path,
    fault: str,
    reason: str,
    error_type: type[PermanentError],
) -> None:
    export = _export(sftp_area, 4, document_faults={1: fault})
    client = CountingClient(make_config())
    source = AllegroDocumentSource(client, tmp_path / "blobs")
    batch = _read(source)
    assert len(_records(batch)) == 3
    (error,) = _errors(batch)
    assert batch.records[1] is error
    assert error.key == error.payload_ref == f"sftp:allegro:{export.name}#3"
    assert isinstance(error.error, error_type) and error.error.reason == reason
    assert error.error.system == "allegro" and "regel 3" in error.error.message
    bad = export.documents[1]
    assert not (tmp_path / "blobs" / bad.sha256[:2] / bad.sha256).exists()
    assert not _temps(tmp_path / "blobs")
    downloads = len(client.downloads)
    assert downloads == {"document_checksum": 3 + 4}.get(fault, 3)  # 1 try + 3 retries
    assert batch.context["complete"]
    source.after_commit(batch)  # the bad row is a dead letter; the export is done
    assert (sftp_area.local / "export" / "processed" / export.name).exists()
    client.close()


def test_a_checksum_spoiled_once_on_the_line_is_downloaded_again(
    make_config: MakeConfig, sftp_area: SftpArea, tmp_path: Path
) -> None:
    export = _export(sftp_area, 1, sizes=64 * KB)
    client = CountingClient(make_config(), corrupt_first=2)
    (record,) = _read(AllegroDocumentSource(client, tmp_path / "blobs")).records
    assert isinstance(record, SourceRecord) and len(client.downloads) == 3
    assert record.data["content"]["sha256"] == export.documents[0].sha256
    assert len(_blobs(tmp_path / "blobs")) == 1
    client.close()


def test_a_checksum_that_stays_wrong_gives_up_after_the_retries(
    make_config: MakeConfig, sftp_area: SftpArea, tmp_path: Path
) -> None:
    _export(sftp_area, 1, document_faults={0: "document_checksum"})
    client = CountingClient(make_config())
    source = AllegroDocumentSource(client, tmp_path / "blobs", checksum_retries=1)
    (error,) = _read(source).records
    assert isinstance(error, RecordError) and error.error.reason == "checksum_mismatch"
    assert "2 keer gedownload" in error.error.message and len(client.downloads) == 2
    client.close()


@pytest.mark.parametrize(
    ("fault", "reason"), [("truncated", "truncated"), ("bad_checksum", "checksum_mismatch")]
)
def test_a_corrupt_index_is_one_error_and_is_archived_after_commit(
    make_config: MakeConfig, sftp_area: SftpArea, tmp_path: Path, fault: str, reason: str
) -> None:
    export = _export(sftp_area, 20, export_fault=fault)
    client = CountingClient(make_config())
    source = AllegroDocumentSource(client, tmp_path / "blobs")
    batch = _read(source)
    (error,) = batch.records
    assert isinstance(error, RecordError) and error.error.reason == reason
    actual = hashlib.sha256((sftp_area.local / "export" / export.name).read_bytes()).hexdigest()
    assert error.key == f"allegro-doc-file:{export.name}:{actual[:12]}"
    assert error.payload_ref == f"sftp:allegro:{export.name}"
    assert batch.context["corrupt"] == reason and batch.context["complete"]
    assert client.downloads == [] and not _blobs(tmp_path / "blobs")
    assert _read(source).records[0].key == error.key  # not committed: offered again, same key
    source.after_commit(batch)
    assert source.read_batch(batch.cursor_after, 100) is None
    assert (sftp_area.local / "export" / "processed" / export.folder).is_dir()
    client.close()


def test_unreadable_rows_are_errors_of_their_own(
    allegro: AllegroClient, sftp_area: SftpArea, tmp_path: Path
) -> None:
    export = _export(sftp_area, 8)

    def spoil(lines: list[str]) -> list[str]:
        rows = [line.split(";") for line in lines[1:]]
        rows[0][4] = "08-01-2024"  # line 2: date
        rows[1][8] = "xyz"  # line 3: sha256
        rows[2][6] = "pdf"  # line 4: mime
        rows[3] = rows[3][:5]  # line 5: fields
        rows[4][2] = "Brief\x07"  # line 6: control character in titel
        rows[5][5] = "Brief aan cliënt.pdf"  # line 7: sanitised, with a warning
        rows[7][0] = rows[6][0]  # line 9: the id of line 8, other content
        rows.append(rows[6])  # line 10: exact repeat of line 8: dropped
        return [lines[0], *(";".join(row) for row in rows)]

    _rewrite(sftp_area, export, spoil)
    batch = _read(AllegroDocumentSource(allegro, tmp_path / "blobs"))
    errors = {e.payload_ref.rsplit("#", 1)[1]: e.error for e in _errors(batch)}
    assert sorted(errors, key=int) == ["2", "3", "4", "5", "6", "9"]
    assert all(isinstance(e, InvalidMessageError) for e in errors.values())
    assert "documentdatum" in errors["2"].message and "sha256" in errors["3"].message
    assert "komt ook voor op regel 8" in errors["9"].message
    records = _records(batch)
    assert [r.payload_ref.rsplit("#", 1)[1] for r in records] == ["7", "8"]
    assert records[0].data["document"]["bestandsnaam"] == "Brief_aan_client.pdf"
    assert records[0].warnings and not records[1].warnings


def test_a_document_that_is_a_symlink_or_too_big_is_refused(
    allegro: AllegroClient, sftp_area: SftpArea, tmp_path: Path
) -> None:
    export = _export(sftp_area, 2, sizes=[KB, 8 * KB])
    target = sftp_area.local / "export" / export.documents[0].file
    secret = sftp_area.local / "elders.pdf"
    target.rename(secret)
    target.symlink_to(secret)  # the same bytes, but through a link: not a document
    source = AllegroDocumentSource(allegro, tmp_path / "blobs", max_document_bytes=4 * KB)
    link, big = _read(source).records
    assert isinstance(link, RecordError) and link.error.reason == "document_missing"
    assert isinstance(big, RecordError) and "omvang" in big.error.message
    assert not _blobs(tmp_path / "blobs")


# ---------------------------------------------------------------------- drops and memory
def test_connection_cut_mid_download_is_transient_and_leaves_no_blob(
    make_config: MakeConfig, tcp_proxy: TcpProxy, sftp_area: SftpArea, tmp_path: Path
) -> None:
    export = _export(sftp_area, 2, sizes=[KB, 2 * MB])
    blob_dir = tmp_path / "blobs"
    tcp_proxy.cut_after_bytes = 600_000  # past the handshake and the index, within the 2 MB
    client = AllegroClient(make_config(port=tcp_proxy.port))
    source = AllegroDocumentSource(client, blob_dir)
    try:
        with pytest.raises(TransientError):
            source.read_batch(None, 100)
        assert tcp_proxy.stats.cut == 1
        big = export.documents[1]
        assert not (blob_dir / big.sha256[:2] / big.sha256).exists()
        assert not _temps(blob_dir)
        tcp_proxy.cut_after_bytes = None  # the line is back: the same source reconnects
        batch = _read(source)
        assert batch.context["file"] == export.name
        assert [r.data["content"]["sha256"] for r in _records(batch)] == [
            d.sha256 for d in export.documents
        ]
    finally:
        client.close()


_CHILD = r"""
import json, sys
from pathlib import Path
def rss_kb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(field)
def reset_peak():
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
from adapters.allegro import AllegroClient, AllegroConfig
from adapters.allegro.documents import AllegroDocumentSource
args = json.loads(sys.argv[1])
client = AllegroClient(AllegroConfig(**args["config"]))
source = AllegroDocumentSource(client, Path(args["blobs"]))
client.list_exports()  # connect before the baseline
before = rss_kb("VmRSS")
reset_peak()
batch = source.read_batch(None, 10)
growth = rss_kb("VmHWM") - before
record = batch.records[0]
before = rss_kb("VmRSS")
reset_peak()
whole = len(Path(record.data["content"]["path"]).read_bytes())  # the anti-pattern
probe = rss_kb("VmHWM") - before
print(json.dumps({"growth_kb": growth, "probe_kb": probe, "size": whole,
                  "sha256": record.data["content"]["sha256"]}))
"""


@pytest.mark.slow
def test_a_64_mb_document_is_streamed_with_flat_memory(
    make_config: MakeConfig, sftp_area: SftpArea, tmp_path: Path
) -> None:
    export = _export(sftp_area, 1, sizes=64 * MB)
    (doc,) = export.documents
    args = {"config": make_config().__dict__, "blobs": str(tmp_path / "blobs")}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(args)],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["sha256"] == doc.sha256 and result["size"] == doc.size
    assert result["growth_kb"] < 16 * 1024, result  # the window is 1 MiB; 64 MiB whole
    assert result["probe_kb"] > 60 * 1024, result  # the probe does see a whole-file read


def test_no_bsn_in_logs_errors_or_keys(
    allegro: AllegroClient, sftp_area: SftpArea, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    export = _export(sftp_area, 4, document_faults={3: "document_checksum"})

    def with_bsns(lines: list[str]) -> list[str]:
        rows = [line.split(";") for line in lines[1:]]
        rows[0][2] = f"Brief over {_BSN}"  # a titel is free text: it passes, it is not logged
        rows[1][5] = f"{_BSN}/brief.pdf"
        rows[2][0] = f"DOC-{_BSN}"
        return [lines[0], *(";".join(row) for row in rows)]

    _rewrite(sftp_area, export, with_bsns)
    caplog.set_level("DEBUG")
    batch = _read(AllegroDocumentSource(allegro, tmp_path / "blobs"))
    (record,) = _records(batch)
    assert record.data["document"]["titel"] == f"Brief over {_BSN}"
    errors = _errors(batch)
    assert [e.error.reason for e in errors] == [
        "unsafe_name",
        "invalid_message",
        "checksum_mismatch",
    ]
    shown = caplog.text + repr(errors) + " ".join(r.key for r in batch.records)
    assert _BSN not in shown

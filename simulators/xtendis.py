"""Xtendis (digital client dossier) hot-folder import, served over real SFTP.

Why this shape: Xtendis imports batches from a hot folder and answers with receipt files, not
with a synchronous API. An adapter therefore cannot know from the upload alone whether a
document arrived; it must read the receipt, and on a rerun look for an existing receipt before
dropping again. This simulator implements that protocol (see ``docs/file-layouts.md``):

* a client drops ``<name>.<ext>`` (the document: pdf, png, jpg, tif, docx or odt), ``<name>.xml``
  (index) and, last, ``<name>.sha256`` (naming the document file), each under a temporary name
  (``.<file>.part`` or ``<file>.part``) and renamed when complete;
* a polling processor picks up a drop when its ``.sha256`` commit marker is present, checks the
  checksum and the index, stores the document in ``archive/<archief>/<dossier>/<document>/`` and
  writes ``receipts/<name>.ok.xml`` or ``receipts/<name>.error.xml`` (with a reason code);
* a re-drop of the same ``kenmerk`` with the same checksum is acknowledged as a duplicate, not
  stored twice.

Dossier folders are named by a keyed hash of the BSN, never by the BSN itself, so listings and
receipts show no BSN; receipts show the BSN masked.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import re
import shutil
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lxml import etree

from privacy.masking import is_valid_bsn, mask_bsn, mask_text
from simulators.faults import FaultConfig, FaultInjector
from simulators.sftp.files import atomic_write, is_temp_name, safe_name, sha256_file, sha256_line
from simulators.synthetic import TZ
from stuf.errors import StufError
from stuf.xml import parse_xml_file

__all__ = [
    "ARCHIEVEN",
    "EXTENSIONS",
    "INDEX_NS",
    "RECEIPT_NS",
    "ImportResult",
    "XtendisHotFolder",
    "build_index_xml",
    "drop_local",
]

log = logging.getLogger(__name__)

INDEX_NS = "urn:ketenbrug:sim:xtendis-index:1"
RECEIPT_NS = "urn:ketenbrug:sim:xtendis-receipt:1"
ARCHIEVEN = frozenset({"SCHULDHULP", "WERK_INKOMEN", "ZORG"})
_REQUIRED = (
    "archief",
    "dossier/bsn",
    "document/kenmerk",
    "document/documenttype",
    "document/documentdatum",
    "document/titel",
)
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
#: The document formats Xtendis imports, by the extension of the dropped file.
EXTENSIONS = frozenset({"pdf", "png", "jpg", "jpeg", "tif", "tiff", "docx", "odt"})


@dataclass(frozen=True)
class ImportResult:
    """The outcome of one drop, as written to its receipt."""

    name: str
    ok: bool
    reason_code: str = ""
    reason: str = ""
    document_id: str = ""
    dossier_id: str = ""
    duplicate: bool = False


def build_index_xml(
    *,
    archief: str,
    bsn: str,
    kenmerk: str,
    documenttype: str,
    documentdatum: str,
    titel: str,
    bestandsnaam: str,
    naam: str = "",
    zaaknummer: str = "",
    bron: str = "Ketenbrug",
) -> bytes:
    """An index XML as a client (Ketenbrug's adapter) must write it."""
    q = f"{{{INDEX_NS}}}"
    root = etree.Element(q + "xtendisIndex", nsmap={None: INDEX_NS}, versie="1")
    etree.SubElement(root, q + "archief").text = archief
    dossier = etree.SubElement(root, q + "dossier")
    etree.SubElement(dossier, q + "bsn").text = bsn
    if naam:
        etree.SubElement(dossier, q + "naam").text = naam
    document = etree.SubElement(root, q + "document")
    for tag, value in (
        ("kenmerk", kenmerk),
        ("documenttype", documenttype),
        ("documentdatum", documentdatum),
        ("titel", titel),
        ("zaaknummer", zaaknummer),
        ("bron", bron),
        ("bestandsnaam", bestandsnaam),
    ):
        if value:
            etree.SubElement(document, q + tag).text = value
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def drop_local(
    hotfolder: Path,
    name: str,
    pdf: bytes,
    index_xml: bytes,
    sha256: str | None = None,
    *,
    extension: str = "pdf",
) -> None:
    """Drop a triple straight on disk (temp name + rename each, ``.sha256`` last).

    For tests and the demo; Ketenbrug's adapter does the same over SFTP. ``sha256`` overrides
    the checksum written (to provoke a mismatch); ``extension`` names the document file.
    """
    digest = sha256 or hashlib.sha256(pdf).hexdigest()
    atomic_write(hotfolder / f"{name}.{extension}", [pdf])
    atomic_write(hotfolder / f"{name}.xml", [index_xml])
    atomic_write(hotfolder / f"{name}.sha256", [sha256_line(digest, f"{name}.{extension}")])


class _Rejected(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class XtendisHotFolder:
    """The Xtendis import side: hot folder, processor thread, dossier store, receipts.

    Call :meth:`process_once` for step-by-step tests or :meth:`start` for a polling thread.
    ``incomplete_after`` is how long a commit marker may wait for its partners before the drop
    is rejected (``INDEX_MISSING`` / ``DOCUMENT_MISSING``). A transient ``delayed`` fault
    decision postpones a drop to a later poll (a busy import server).
    """

    def __init__(
        self,
        root: Path | str,
        *,
        seed: int = 0,
        faults: FaultInjector | FaultConfig | None = None,
        poll_interval: float = 0.1,
        incomplete_after: float = 5.0,
    ) -> None:
        self.root = Path(root)
        self.hotfolder = self.root / "hotfolder"
        self.receipts = self.root / "receipts"
        self.archive = self.root / "archive"
        self.rejected = self.root / "rejected"
        for folder in (self.hotfolder, self.receipts, self.archive, self.rejected):
            folder.mkdir(parents=True, exist_ok=True)
        self.faults = faults if isinstance(faults, FaultInjector) else FaultInjector(faults)
        self.poll_interval = poll_interval
        self.incomplete_after = incomplete_after
        self._secret = hashlib.sha256(f"xtendis-sim-{seed}".encode()).digest()
        self._lock = threading.Lock()
        self._waiting_since: dict[str, float] = {}
        self._by_kenmerk: dict[tuple[str, str], tuple[str, str, str]] = {}  # -> (doc, dossier, sha)
        self._next_doc = 1
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.results: list[ImportResult] = []
        self._load_store()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> XtendisHotFolder:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="xtendis-processor", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> XtendisHotFolder:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.process_once()
            except Exception:  # keep polling; a real import server does not die on one drop
                log.exception("xtendis processor: unexpected error")
            self._stop.wait(self.poll_interval)

    # ------------------------------------------------------------------ store
    def dossier_id(self, bsn: str) -> str:
        """Xtendis' own dossier number: a keyed hash, so no BSN appears in a path or listing."""
        return "XD-" + hmac.new(self._secret, bsn.encode(), hashlib.sha256).hexdigest()[:16]

    def _load_store(self) -> None:
        """Rebuild the kenmerk index from the archive, so a restarted processor stays idempotent."""
        for index_path in self.archive.glob("*/*/*/index.xml"):
            tree = parse_xml_file(index_path)
            kenmerk = tree.findtext(f"{{{INDEX_NS}}}document/{{{INDEX_NS}}}kenmerk") or ""
            doc_dir = index_path.parent
            sha = (doc_dir / "sha256").read_text(encoding="ascii").strip()
            archief = doc_dir.parent.parent.name
            self._by_kenmerk[(archief, kenmerk)] = (doc_dir.name, doc_dir.parent.name, sha)
            self._next_doc = max(self._next_doc, int(doc_dir.name.removeprefix("XT-")) + 1)

    def documents(self) -> list[Path]:
        """Folders of all stored documents (``archive/<archief>/<dossier>/<document>``)."""
        return sorted(p.parent for p in self.archive.glob("*/*/*/index.xml"))

    # ------------------------------------------------------------------ processing
    def process_once(self) -> list[ImportResult]:
        """Process every committed drop once; returns the results written this round."""
        with self._lock:
            results = []
            for marker in sorted(self.hotfolder.glob("*.sha256")):
                if is_temp_name(marker.name):
                    continue
                result = self._process(marker.name.removesuffix(".sha256"))
                if result is not None:
                    results.append(result)
            self.results.extend(results)
            return results

    def _process(self, name: str) -> ImportResult | None:
        try:
            safe_name(name)
        except ValueError:
            self._quarantine(name)
            log.warning("xtendis: unsafe drop name quarantined")
            return None
        pdf, xml = self._document(name), self.hotfolder / f"{name}.xml"
        if not (pdf.exists() and xml.exists()):
            first = self._waiting_since.setdefault(name, time.monotonic())
            if time.monotonic() - first < self.incomplete_after:
                return None
            code = "INDEX_MISSING" if pdf.exists() else "DOCUMENT_MISSING"
            return self._finish(name, _Rejected(code, f"{code.lower()}: drop incomplete"))
        decision = self.faults.decide(
            "xtendis_import", transient_variants=("delayed",), permanent_variants=()
        )
        if decision.is_transient:
            return None
        try:
            return self._finish(name, self._import(name, pdf, xml))
        except _Rejected as rejected:
            return self._finish(name, rejected)

    def _document(self, name: str) -> Path:
        """The document file the commit marker names (``<name>.<ext>``); ``<name>.pdf`` when
        the marker names none (or another drop's file)."""
        marker = self.hotfolder / f"{name}.sha256"
        try:
            words = marker.read_text(encoding="ascii", errors="replace").split()
        except OSError:
            words = []
        named = words[1] if len(words) > 1 else ""
        if named.startswith(f"{name}.") and "/" not in named and "\\" not in named:
            return self.hotfolder / named
        return self.hotfolder / f"{name}.pdf"

    def _import(self, name: str, pdf: Path, xml: Path) -> ImportResult:
        extension = pdf.name.removeprefix(f"{name}.").lower()
        if extension not in EXTENSIONS:
            raise _Rejected(
                "FORMAT_UNSUPPORTED", f"document format {extension[:20]!r} not imported"
            )
        expected = self._read_marker(self.hotfolder / f"{name}.sha256")
        actual = sha256_file(pdf)
        if actual != expected:
            raise _Rejected(
                "CHECKSUM_MISMATCH", f"checksum mismatch: expected {expected}, got {actual}"
            )
        try:
            tree = parse_xml_file(xml)
        except StufError as exc:
            raise _Rejected(
                "INDEX_INVALID_XML", mask_text(f"index is not well-formed XML: {exc}")
            ) from None
        if tree.tag != f"{{{INDEX_NS}}}xtendisIndex":
            raise _Rejected("INDEX_INVALID_XML", f"unexpected root element {tree.tag}")
        fields = {path: (tree.findtext(self._qpath(path)) or "").strip() for path in _REQUIRED}
        missing = [path for path, value in fields.items() if not value]
        if missing:
            raise _Rejected("INDEX_INCOMPLETE", f"index lacks {', '.join(missing)}")
        archief, bsn, kenmerk = fields["archief"], fields["dossier/bsn"], fields["document/kenmerk"]
        if archief not in ARCHIEVEN:
            raise _Rejected("ARCHIEF_UNKNOWN", f"unknown archief {archief!r}")
        if not is_valid_bsn(bsn):
            raise _Rejected("BSN_INVALID", f"BSN {mask_bsn(bsn)} fails the elfproef")
        dossier = self.dossier_id(bsn)
        known = self._by_kenmerk.get((archief, kenmerk))
        if known is not None and known[2] == actual:
            return ImportResult(
                name, True, document_id=known[0], dossier_id=dossier, duplicate=True
            )
        document_id = f"XT-{self._next_doc:08d}"
        self._next_doc += 1
        target = self.archive / archief / dossier / document_id
        target.mkdir(parents=True)
        shutil.copyfile(pdf, target / pdf.name)
        shutil.copyfile(xml, target / "index.xml")
        (target / "sha256").write_text(actual + "\n", encoding="ascii")
        self._by_kenmerk[(archief, kenmerk)] = (document_id, dossier, actual)
        return ImportResult(name, True, document_id=document_id, dossier_id=dossier)

    @staticmethod
    def _qpath(path: str) -> str:
        return "/".join(f"{{{INDEX_NS}}}{part}" for part in path.split("/"))

    @staticmethod
    def _read_marker(marker: Path) -> str:
        text = marker.read_text(encoding="ascii", errors="replace").strip()
        value = text.split()[0].lower() if text else ""
        if not _HEX64.match(value):
            raise _Rejected("CHECKSUM_FILE_INVALID", "the .sha256 file holds no SHA-256 hex digest")
        return value

    def _finish(self, name: str, outcome: ImportResult | _Rejected) -> ImportResult:
        if isinstance(outcome, _Rejected):
            result = ImportResult(
                name, False, reason_code=outcome.code, reason=mask_text(outcome.reason)
            )
            self._quarantine(name)
        else:
            result = outcome
            for path in self._drop_files(name):
                path.unlink(missing_ok=True)
        self._waiting_since.pop(name, None)
        self._write_receipt(result)
        log.info("xtendis: %s -> %s %s", name, "OK" if result.ok else "FOUT", result.reason_code)
        return result

    def _quarantine(self, name: str) -> None:
        """Move a rejected drop to ``rejected/`` for beheer (keeps the hot folder clean)."""
        for source in self._drop_files(name):
            if source.exists():
                target = self.rejected / f"{int(time.time() * 1000)}-{source.name}"
                with contextlib.suppress(OSError):
                    shutil.move(source, target)

    def _drop_files(self, name: str) -> list[Path]:
        """The drop's document, index and marker (the document first: the marker names it)."""
        return [
            self._document(name),
            self.hotfolder / f"{name}.xml",
            self.hotfolder / f"{name}.sha256",
        ]

    def _write_receipt(self, result: ImportResult) -> None:
        q = f"{{{RECEIPT_NS}}}"
        root = etree.Element(q + "xtendisOntvangstbevestiging", nsmap={None: RECEIPT_NS})
        etree.SubElement(root, q + "aanlevering").text = result.name
        etree.SubElement(root, q + "resultaat").text = "OK" if result.ok else "FOUT"
        if result.ok:
            etree.SubElement(root, q + "documentId").text = result.document_id
            etree.SubElement(root, q + "dossierId").text = result.dossier_id
            etree.SubElement(root, q + "duplicaat").text = "true" if result.duplicate else "false"
        else:
            reden = etree.SubElement(root, q + "reden", code=result.reason_code)
            reden.text = result.reason
        etree.SubElement(root, q + "verwerkt").text = datetime.now(TZ).isoformat(timespec="seconds")
        body = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
        kind = "ok" if result.ok else "error"
        atomic_write(self.receipts / f"{result.name}.{kind}.xml", [bytes(body)])

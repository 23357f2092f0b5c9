"""Allegro (schuldhulpverlening / budgetbeheer, Kred'it) export folder, served over real SFTP.

Why this shape: Allegro does not offer an API to Ketenbrug; it drops CSV exports in an SFTP
folder and reads return files from another one. The adapter must cope with what such a folder
really does: files that appear under a temporary name and are renamed when complete, files that
arrive late (out of sequence), files delivered twice, files cut short and sidecar checksums that
do not match. The layouts are specified in ``docs/file-layouts.md``; this module is the
executable version of that spec (writer for the export side, reader for the return side).

Folder layout under ``root``::

    export/                 ALG_ZAKEN_<yyyymmdd>_<seq>.csv (+ .sha256), ALG_BBR_... (+ .sha256)
                            ALG_DOC_<yyyymmdd>_<seq>.csv (+ .sha256): index of a document export
    export/ALG_DOC_<yyyymmdd>_<seq>/   the documents of that export: <document_id>.pdf
    export/archief/         exports whose return file Allegro has processed
    export/processed/       document exports Ketenbrug has taken (moved there by Ketenbrug)
    return/                 <export stem>.retour.csv written by Ketenbrug
    return/verwerkt/        return files Allegro has processed

Determinism: one ``random.Random(seed)`` drives the data and a simulated clock drives the
dates, so the same seed and the same calls give byte-identical files. Faults are decided by a
:class:`~simulators.faults.FaultInjector` per file.
"""

from __future__ import annotations

import hashlib
import io
import logging
import random
import shutil
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from privacy.masking import mask_text
from simulators.faults import FaultConfig, FaultInjector
from simulators.pdf import pdf_chunks
from simulators.sftp.files import atomic_write, is_temp_name, sha256_line
from simulators.synthetic import TZ, SyntheticData

__all__ = [
    "ALLEGRO_STATUSSEN",
    "ALLEGRO_ZAAKTYPEN",
    "BBR_COLUMNS",
    "DOCUMENT_COLUMNS",
    "DOCUMENT_EXPORT_FAULTS",
    "DOCUMENT_FAULTS",
    "ZAKEN_COLUMNS",
    "AllegroExporter",
    "DocumentExport",
    "ExportDocument",
    "ExportFile",
    "ExportIntegrityError",
    "ReturnRecord",
    "format_cents",
    "parse_export",
    "render_return",
]

log = logging.getLogger(__name__)

ENCODING = "utf-8"
SEPARATOR = ";"
TRAILER_TAG = "#EINDE"
UNMAPPED_STATUSCODE = "ONBK"  # a code no mapping knows: must end as an ``unmapped`` dead letter

ZAKEN_COLUMNS = (
    "mutatie_id", "dossiernummer", "bsn", "zaaktype", "zaaktype_omschrijving", "statuscode",
    "status_volgnummer", "status_omschrijving", "datum_status_gezet", "startdatum", "einddatum",
    "behandelaar",
)  # fmt: skip
BBR_COLUMNS = (
    "specificatienummer", "dossiernummer", "bsn", "periode", "versie", "regelnummer", "soort",
    "omschrijving", "tegenpartij", "bedrag_cent", "valutadatum",
)  # fmt: skip
DOCUMENT_COLUMNS = (
    "document_id", "dossiernummer", "titel", "documenttype", "documentdatum", "bestandsnaam",
    "mime", "omvang", "sha256",
)  # fmt: skip
RETURN_COLUMNS = ("sleutel", "resultaat", "melding")

#: Allegro trajectory statuses: code -> (volgnummer, omschrijving). See docs/file-layouts.md.
ALLEGRO_STATUSSEN: dict[str, tuple[int, str]] = {
    "AANM": (1, "Aanmelding ontvangen"),
    "INTK": (2, "Intakegesprek gepland"),
    "INFO": (3, "Wachten op stukken van client"),
    "STAB": (4, "Stabilisatiefase"),
    "CRED": (5, "Schuldeisers aangeschreven"),
    "VOOR": (6, "Schuldregelingsvoorstel verstuurd"),
    "AKKO": (7, "Minnelijke regeling getroffen"),
    "BBRA": (8, "Budgetbeheer actief"),
    "NAZO": (9, "Nazorg"),
    "AFGS": (10, "Afgesloten"),
}
#: zaaktype -> (omschrijving, status path).
ALLEGRO_ZAAKTYPEN: dict[str, tuple[str, tuple[str, ...]]] = {
    "SHV": (
        "Schuldhulpverlening",
        ("AANM", "INTK", "INFO", "STAB", "CRED", "VOOR", "AKKO", "NAZO", "AFGS"),
    ),
    "BBR": ("Budgetbeheer", ("AANM", "INTK", "INFO", "BBRA", "AFGS")),
    "BGA": ("Budgetadvies", ("AANM", "INTK", "AFGS")),
}
_ZAAKTYPE_WEIGHTS = {"SHV": 0.5, "BBR": 0.35, "BGA": 0.15}
_BEHANDELAARS = ("BAD-schuldhulp-01", "BAD-schuldhulp-02", "BAD-budgetbeheer-01", "BAD-intake-01")
_FILE_VARIANTS_T = ("late",)
_FILE_VARIANTS_P = ("truncated", "bad_checksum")
#: Faults of a whole document export (operation ``allegro_documenten``): the index CSV cut
#: short, or a sidecar that does not match it.
DOCUMENT_EXPORT_FAULTS = ("truncated", "bad_checksum")
#: Faults of one document (operation ``allegro_document``): the index promises another SHA-256
#: than the file has, the file is not there, a path instead of a name in ``bestandsnaam``, an
#: absolute path as ``document_id``.
DOCUMENT_FAULTS = ("document_checksum", "document_missing", "unsafe_bestandsnaam", "unsafe_id")
UNSAFE_BESTANDSNAAM = "../../etc/passwd"
UNSAFE_DOCUMENT_ID = "/etc/passwd"
#: documenttype -> titel of the documents a schuldhulp dossier collects.
_DOCUMENTTYPEN = (
    ("Aanmeldformulier", "Aanmeldformulier schuldhulpverlening"),
    ("Intakeverslag", "Verslag intakegesprek"),
    ("Budgetplan", "Budgetplan"),
    ("Schuldenoverzicht", "Overzicht schulden en schuldeisers"),
    ("Schuldregelingsvoorstel", "Voorstel minnelijke schuldregeling"),
    ("Beschikking", "Beschikking schuldhulpverlening"),
    ("Correspondentie", "Brief aan schuldeiser"),
)
_DOC_CHUNK = 64 * 1024


class ExportIntegrityError(ValueError):
    """An export file that must not be processed: truncated, wrong checksum, bad trailer."""


def format_cents(cents: int) -> str:
    """Euro cents with an explicit sign: ``+125000``, ``-4550``, ``+0``."""
    return f"{'-' if cents < 0 else '+'}{abs(cents)}"


@dataclass(frozen=True)
class ExportFile:
    """One published export: name, kind, records, and what the fault injector did to it."""

    name: str
    kind: str  # "zaken" | "bbr"
    records: int
    sha256: str  # of the complete, correct content
    fault: str = ""  # "", "late", "truncated", "bad_checksum"
    duplicate_of: str = ""  # name of the file this one repeats


@dataclass(frozen=True)
class ExportDocument:
    """One document of a document export, as listed in the index and (maybe) on disk.

    ``sha256``/``size`` describe the bytes of the file (also when the file was left out);
    ``listed_sha256`` is what the index row promises (differs for ``document_checksum``).
    ``file`` is the path relative to ``export/``, empty when no file was written.
    """

    document_id: str
    dossiernummer: str
    titel: str
    documenttype: str
    documentdatum: str
    bestandsnaam: str
    mime: str
    size: int
    sha256: str
    listed_sha256: str
    file: str
    fault: str = ""

    def row(self) -> tuple[str, ...]:
        """The index line, in :data:`DOCUMENT_COLUMNS` order."""
        return (
            self.document_id, self.dossiernummer, self.titel, self.documenttype,
            self.documentdatum, self.bestandsnaam, self.mime, str(self.size), self.listed_sha256,
        )  # fmt: skip


@dataclass(frozen=True)
class DocumentExport:
    """One published document export: the index CSV, its folder and its documents."""

    name: str  # ALG_DOC_<yyyymmdd>_<seq>.csv
    folder: str  # ALG_DOC_<yyyymmdd>_<seq>, relative to export/
    sha256: str  # of the complete, correct index
    documents: tuple[ExportDocument, ...]
    fault: str = ""  # "", "truncated", "bad_checksum"


@dataclass(frozen=True)
class ReturnRecord:
    """One line of a return file written by Ketenbrug."""

    file: str
    sleutel: str  # mutatie_id or specificatienummer
    resultaat: str  # VERWERKT | AFGEWEZEN
    melding: str


@dataclass
class _Dossier:
    nummer: str
    client_index: int
    zaaktype: str
    start: date
    step: int = 0  # index into the status path of the last status written
    behandelaar: str = ""


@dataclass
class _Pending:
    export: ExportFile
    content: bytes


def _render(columns: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> bytes:
    """Header, rows and the ``#EINDE;<count>`` trailer; values never contain ';' or newlines."""
    out = io.StringIO()
    out.write(SEPARATOR.join(columns) + "\n")
    for row in rows:
        if any(SEPARATOR in value or "\n" in value for value in row):
            raise ValueError("a CSV value contains the separator or a newline")
        out.write(SEPARATOR.join(row) + "\n")
    out.write(f"{TRAILER_TAG}{SEPARATOR}{len(rows)}\n")
    return out.getvalue().encode(ENCODING)


def render_return(rows: list[tuple[str, str, str]]) -> bytes:
    """A return file (``sleutel;resultaat;melding`` + trailer), as Ketenbrug writes it."""
    return _render(RETURN_COLUMNS, rows)


def parse_export(content: bytes, expected_sha256: str | None = None) -> list[dict[str, str]]:
    """Parse and verify an export: checksum (if given), header, column counts, trailer count.

    The reference reader for tests; error texts are BSN-masked.
    """
    if expected_sha256 is not None and hashlib.sha256(content).hexdigest() != expected_sha256:
        raise ExportIntegrityError("sha256 mismatch")
    if not content.endswith(b"\n"):
        raise ExportIntegrityError("file does not end with a newline (truncated)")
    lines = content.decode(ENCODING).splitlines()
    if len(lines) < 2 or not lines[-1].startswith(TRAILER_TAG + SEPARATOR):
        raise ExportIntegrityError("trailer line missing (truncated)")
    header = lines[0].split(SEPARATOR)
    body = lines[1:-1]
    if int(lines[-1].split(SEPARATOR)[1]) != len(body):
        raise ExportIntegrityError(f"trailer count {lines[-1]!r} does not match {len(body)} rows")
    records = []
    for number, line in enumerate(body, start=2):
        values = line.split(SEPARATOR)
        if len(values) != len(header):
            raise ExportIntegrityError(mask_text(f"line {number}: {len(values)} fields: {line}"))
        records.append(dict(zip(header, values, strict=True)))
    return records


def _hashed(chunks: Iterable[bytes], digest: hashlib._Hash) -> Iterator[bytes]:
    """Pass ``chunks`` through, feeding each to ``digest`` on the way."""
    for chunk in chunks:
        digest.update(chunk)
        yield chunk


class AllegroExporter:
    """Seeded writer of Allegro exports into ``root/export`` (+ reader of ``root/return``).

    ``faults`` may be a :class:`FaultInjector` (shared counters) or a :class:`FaultConfig`.
    Per file it decides: transient ``late`` (held back until the next write or
    :meth:`flush_late`), permanent ``truncated`` / ``bad_checksum``, and ``duplicate`` (the same
    records published again under the next sequence number). ``chunk_delay`` slows writes so
    tests can observe the temporary name.
    """

    def __init__(
        self,
        root: Path | str,
        seed: int = 0,
        faults: FaultInjector | FaultConfig | None = None,
        *,
        client_count: int = 200,
        unmapped_rate: float = 0.0,
        chunk_delay: float = 0.0,
        chunk_size: int = 4096,
        start: datetime | None = None,
    ) -> None:
        self.root = Path(root)
        self.export_dir = self.root / "export"
        self.return_dir = self.root / "return"
        for folder in (self.export_dir / "archief", self.return_dir / "verwerkt"):
            folder.mkdir(parents=True, exist_ok=True)
        self.seed = seed
        self.faults = faults if isinstance(faults, FaultInjector) else FaultInjector(faults)
        self.client_count = client_count
        self.unmapped_rate = unmapped_rate
        self.chunk_delay = chunk_delay
        self.chunk_size = chunk_size
        self._rng = random.Random(seed)
        self._synth = SyntheticData(seed)
        self._clock = start or datetime(2024, 1, 8, 8, 30, tzinfo=TZ)
        self._seq = self._highest_sequence()  # continue numbering in a kept folder
        self._dossiers: list[_Dossier] = []
        self._open: list[_Dossier] = []
        self._pending: list[_Pending] = []
        self.published: list[ExportFile] = []
        # documents draw from their own generator and leave the clock alone: writing them
        # changes no zaken row (only the shared sequence numbers in the names move on)
        self._doc_rng = random.Random(f"allegro-documenten-{seed}")
        self._doc_counts: Counter[str] = Counter()
        self.document_exports: list[DocumentExport] = []

    # ------------------------------------------------------------------ zaken
    def write_batch(self, n: int) -> list[ExportFile]:
        """Publish one zaken export with ``n`` status mutations (plus faults); return files
        published by this call (late files from earlier calls included, in publish order)."""
        rows = [self._next_status_row() for _ in range(n)]
        return self._publish("zaken", "ALG_ZAKEN", _render(ZAKEN_COLUMNS, rows), len(rows))

    def _next_status_row(self) -> tuple[str, ...]:
        self._clock += timedelta(minutes=self._rng.randint(3, 240))
        if not self._open or self._rng.random() < 0.3:
            dossier = self._new_dossier()
        else:
            dossier = self._rng.choice(self._open)
            dossier.step += 1
        omschrijving, path = ALLEGRO_ZAAKTYPEN[dossier.zaaktype]
        code = path[dossier.step]
        volgnummer, status_oms = ALLEGRO_STATUSSEN[code]
        einddatum = ""
        if dossier.step == len(path) - 1:
            self._open.remove(dossier)
            einddatum = self._clock.date().isoformat()
        if self.unmapped_rate and self._rng.random() < self.unmapped_rate:
            code, status_oms = UNMAPPED_STATUSCODE, "Onbekende status (nieuw in Allegro)"
        client = self._synth.client(dossier.client_index)
        return (
            f"{dossier.nummer}-{dossier.step + 1:02d}",
            dossier.nummer,
            client.bsn,
            dossier.zaaktype,
            omschrijving,
            code,
            str(volgnummer),
            status_oms,
            self._clock.isoformat(timespec="seconds"),
            dossier.start.isoformat(),
            einddatum,
            dossier.behandelaar,
        )

    def _new_dossier(self) -> _Dossier:
        zaaktype = self._rng.choices(
            list(_ZAAKTYPE_WEIGHTS), weights=list(_ZAAKTYPE_WEIGHTS.values())
        )[0]
        dossier = _Dossier(
            nummer=f"ALG-{self._clock.year}-{len(self._dossiers) + 1:06d}",
            client_index=self._rng.randrange(self.client_count),
            zaaktype=zaaktype,
            start=self._clock.date(),
            behandelaar=self._rng.choice(_BEHANDELAARS),
        )
        self._dossiers.append(dossier)
        self._open.append(dossier)
        return dossier

    # ------------------------------------------------------------------ BBR specs
    def write_bbr(self, periode: str, *, correction_rate: float = 0.05) -> list[ExportFile]:
        """Publish the BBR payment specifications of ``periode`` (YYYY-MM): one per budgetbeheer
        dossier, some followed by a correction (``versie`` 2) in the same file."""
        year, month = (int(part) for part in periode.split("-"))
        valuta = date(year, month, 1)
        rows: list[tuple[str, ...]] = []
        dossiers = [d for d in self._dossiers if d.zaaktype == "BBR"] or [self._bbr_dossier()]
        for dossier in dossiers:
            versions = 2 if self._rng.random() < correction_rate else 1
            base = self._spec_lines()
            for versie in range(1, versions + 1):
                lines = base if versie == 1 else [(*base[0][:3], base[0][3] + 2500), *base[1:]]
                rows += self._spec_rows(dossier, periode, versie, valuta, lines)
        return self._publish("bbr", "ALG_BBR", _render(BBR_COLUMNS, rows), len(rows))

    def _bbr_dossier(self) -> _Dossier:
        dossier = self._new_dossier()
        dossier.zaaktype = "BBR"
        return dossier

    def _spec_lines(self) -> list[tuple[str, str, str, int]]:
        """(soort, omschrijving, tegenpartij, bedrag_cent): income positive, payments negative."""
        inkomen = self._rng.randint(110_000, 165_000)
        huur = self._rng.randint(55_000, 85_000)
        lines = [
            ("ONTV", "Uitkering Participatiewet", "Gemeente Enschede", inkomen),
            ("ONTV", "Zorgtoeslag", "Belastingdienst/Toeslagen", self._rng.randint(9_000, 13_000)),
            ("VAST", "Huur", "Domijn", -huur),
            ("VAST", "Energie", "Essent", -self._rng.randint(9_000, 22_000)),
            ("VAST", "Zorgverzekering", "Menzis", -self._rng.randint(13_000, 16_000)),
            ("LEEF", "Leefgeld", "Client", -self._rng.randint(20_000, 40_000)),
        ]
        if self._rng.random() < 0.6:
            lines.append(("AFL", "Aflossing schuldregeling", "Kredietbank", -5_000))
        if self._rng.random() < 0.2:
            lines.append(("CORR", "Terugboeking te veel ingehouden", "Kredietbank", 2_150))
        return lines

    def _spec_rows(
        self,
        dossier: _Dossier,
        periode: str,
        versie: int,
        valuta: date,
        lines: list[tuple[str, str, str, int]],
    ) -> list[tuple[str, ...]]:
        nummer = f"BBR-{dossier.nummer}-{periode.replace('-', '')}-v{versie}"
        bsn = self._synth.client(dossier.client_index).bsn
        return [
            (nummer, dossier.nummer, bsn, periode, str(versie), str(number), soort, oms, partij,
             format_cents(cents), valuta.isoformat())
            for number, (soort, oms, partij, cents) in enumerate(lines, start=1)
        ]  # fmt: skip

    # ------------------------------------------------------------------ documents
    def write_documents(
        self,
        n: int,
        *,
        sizes: int | Sequence[int] | None = None,
        document_faults: Mapping[int, str] | None = None,
        export_fault: str | None = None,
    ) -> DocumentExport:
        """Publish one document export: ``n`` PDFs in ``export/<stem>/``, then the index
        ``export/<stem>.csv``, then its ``.sha256`` sidecar (each temp name + rename).

        ``sizes``: bytes per document (one number for all, or one per document; default a
        seeded 20-200 kB). ``document_faults`` maps a document's index (0-based) to one of
        :data:`DOCUMENT_FAULTS`; ``export_fault`` is ``""`` or one of
        :data:`DOCUMENT_EXPORT_FAULTS`. Left as None, the fault injector decides (operations
        ``allegro_document`` per document and ``allegro_documenten`` per export).
        """
        if isinstance(sizes, Sequence) and len(sizes) != n:
            raise ValueError("sizes must give one size per document")
        unknown = set((document_faults or {}).values()) - set(DOCUMENT_FAULTS)
        if unknown or export_fault not in (None, "", *DOCUMENT_EXPORT_FAULTS):
            raise ValueError(f"unknown document fault: {sorted(unknown) or export_fault!r}")
        name = self._next_name("ALG_DOC")
        stem = name.removesuffix(".csv")
        (self.export_dir / stem).mkdir(exist_ok=True)
        documents = []
        for index in range(n):
            size = sizes[index] if isinstance(sizes, Sequence) else sizes
            if document_faults is not None:
                fault = document_faults.get(index, "")
            else:
                fault = self.faults.decide(
                    "allegro_document", transient_variants=(), permanent_variants=DOCUMENT_FAULTS
                ).variant
            documents.append(self._write_document(stem, size, fault))
        content = _render(DOCUMENT_COLUMNS, [document.row() for document in documents])
        if export_fault is None:
            export_fault = self.faults.decide(
                "allegro_documenten",
                transient_variants=(),
                permanent_variants=DOCUMENT_EXPORT_FAULTS,
            ).variant
        sha256 = hashlib.sha256(content).hexdigest()
        self._write(ExportFile(name, "documenten", n, sha256, export_fault), content)
        export = DocumentExport(name, stem, sha256, tuple(documents), export_fault)
        self.document_exports.append(export)
        return export

    def _write_document(self, stem: str, size: int | None, fault: str) -> ExportDocument:
        rng = self._doc_rng
        created = (self._clock - timedelta(minutes=rng.randint(0, 7 * 24 * 60))).date()
        if self._dossiers:
            dossier = rng.choice(self._dossiers)
            dossiernummer, created = dossier.nummer, max(created, dossier.start)
        else:  # documents of dossiers this exporter has not exported zaken of
            dossiernummer = f"ALG-{created.year}-{rng.randint(1, 999_999):06d}"
        self._doc_counts[dossiernummer] += 1
        document_id = f"{dossiernummer}-D{self._doc_counts[dossiernummer]:02d}"
        documenttype, titel = rng.choice(_DOCUMENTTYPEN)
        datum = created.isoformat()
        bestandsnaam = f"{documenttype.lower()}-{datum}.pdf"
        wanted = rng.randint(20_000, 200_000) if size is None else size
        lines = [f"Dossier {dossiernummer}", f"Document {document_id}", f"Datum {datum}"]
        chunks = pdf_chunks(
            titel, lines, size=wanted, seed=rng.randrange(1 << 32), chunk_size=_DOC_CHUNK
        )
        digest = hashlib.sha256()
        file = f"{stem}/{document_id}.pdf"
        if fault == "unsafe_bestandsnaam":
            bestandsnaam, file = UNSAFE_BESTANDSNAAM, ""
        elif fault == "unsafe_id":
            document_id, file = UNSAFE_DOCUMENT_ID, ""
        elif fault == "document_missing":
            file = ""
        if file:
            written = atomic_write(
                self.export_dir / file, _hashed(chunks, digest), chunk_delay=self.chunk_delay
            )
        else:
            written = sum(len(chunk) for chunk in _hashed(chunks, digest))
        sha256 = digest.hexdigest()
        listed = sha256
        if fault == "document_checksum":
            listed = hashlib.sha256(f"niet {sha256}".encode()).hexdigest()
        return ExportDocument(
            document_id, dossiernummer, titel, documenttype, datum, bestandsnaam,
            "application/pdf", written, sha256, listed, file, fault,
        )  # fmt: skip

    # ------------------------------------------------------------------ publishing
    def _publish(self, kind: str, prefix: str, content: bytes, records: int) -> list[ExportFile]:
        published = self.flush_late()
        decision = self.faults.decide(
            f"allegro_{kind}",
            transient_variants=_FILE_VARIANTS_T,
            permanent_variants=_FILE_VARIANTS_P,
        )
        export = ExportFile(
            name=self._next_name(prefix),
            kind=kind,
            records=records,
            sha256=hashlib.sha256(content).hexdigest(),
            fault=decision.variant,
        )
        if decision.variant == "late":
            self._pending.append(_Pending(export, content))
        else:
            published.append(self._write(export, content))
        if decision.duplicate:
            twin = ExportFile(
                self._next_name(prefix), kind, records, export.sha256, "", export.name
            )
            published.append(self._write(twin, content))
        return published

    def flush_late(self) -> list[ExportFile]:
        """Publish the files held back as ``late`` (their sequence numbers are older)."""
        pending, self._pending = self._pending, []
        return [self._write(item.export, item.content) for item in pending]

    def _highest_sequence(self) -> int:
        """Never overwrite an earlier export: new names continue after the highest on disk."""
        names = [p.name for p in self.export_dir.rglob("ALG_*.csv")]
        return max((int(name.rsplit("_", 1)[1].removesuffix(".csv")) for name in names), default=0)

    def _next_name(self, prefix: str) -> str:
        self._seq += 1
        return f"{prefix}_{self._clock:%Y%m%d}_{self._seq:06d}.csv"

    def _write(self, export: ExportFile, content: bytes) -> ExportFile:
        target = self.export_dir / export.name
        truncate_at = None
        if export.fault == "truncated":
            truncate_at = self._rng.randint(len(content) // 4, len(content) - 2)
        chunks = (content[i : i + self.chunk_size] for i in range(0, len(content), self.chunk_size))
        atomic_write(target, chunks, chunk_delay=self.chunk_delay, truncate_at=truncate_at)
        digest = export.sha256
        if export.fault == "bad_checksum":
            digest = hashlib.sha256(content + b"corrupt").hexdigest()
        sidecar = target.with_name(target.name + ".sha256")
        atomic_write(sidecar, [sha256_line(digest, export.name)])
        self.published.append(export)
        fault = f", fault {export.fault}" if export.fault else ""
        log.info("allegro: published %s (%d records%s)", export.name, export.records, fault)
        return export

    # ------------------------------------------------------------------ return side
    def read_returns(self) -> list[ReturnRecord]:
        """Parse every complete return file in ``return/`` (temp names are skipped)."""
        records: list[ReturnRecord] = []
        for path in sorted(self.return_dir.glob("*.retour.csv")):
            if is_temp_name(path.name):
                continue
            for row in parse_export(path.read_bytes()):
                records.append(
                    ReturnRecord(path.name, row["sleutel"], row["resultaat"], row["melding"])
                )
        return records

    def process_returns(self) -> list[str]:
        """What Allegro does with return files: archive the acknowledged export (+ sidecar) and
        move the return file to ``return/verwerkt``. Returns the export names archived."""
        archived: list[str] = []
        for path in sorted(self.return_dir.glob("*.retour.csv")):
            if is_temp_name(path.name):
                continue
            export_name = path.name.removesuffix(".retour.csv") + ".csv"
            for name in (export_name, export_name + ".sha256"):
                source = self.export_dir / name
                if source.exists():
                    shutil.move(source, self.export_dir / "archief" / name)
            shutil.move(path, self.return_dir / "verwerkt" / path.name)
            archived.append(export_name)
        return archived

"""Entry point of the betaalspecificaties DAG: one month's uitkeringsspecificaties from GWS4all's
SSD service into the clients' zaken in the e-Suite, as readable PDF documents.

The clients of a month are the initiators of the e-Suite zaken the identity map knows whose
zaaktype the routing table sends to the e-Suite (``mappings/specificatie_routering.csv``); a
client with several such zaken gets the document on the newest (highest identificatie). For
each client the SSD service is asked once per run: ``NietsGevonden`` (no payment that month)
is counted and skipped, an FWI fault becomes a dead letter with GWS4all's code and text, a
specification becomes a PDF (``sync.pdf``) in the blob store and a record for the flow.

Next to it, :func:`run_bbr_specificaties`: Allegro's budget specifications (BBR exports) as
PDFs into the client's schuldhulp dossier in Xtendis only (functiescheiding), the BSN for the
dossier taken from the export itself (:class:`BbrDossiers`).

The BSN lives in memory for one task only: records, ledger keys, dead letters and log lines
carry a keyed hash of it (``sync.pseudonym``), never the number.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from sqlalchemy import select

from adapters.allegro.bbr import AllegroBbrSource, BbrSpecificatie
from adapters.allegro.client import AllegroClient
from adapters.allegro.config import AllegroConfig
from adapters.base import Operation, RecordError, SourceBatch, SourceRecord
from adapters.document import UPDATE_ZAAKDOCUMENT
from adapters.dossier import DossierBsn
from adapters.errors import AlreadyExistsError, InvalidMessageError, PermanentError
from adapters.esuite.document_target import EsuiteDocumentTarget
from adapters.esuite.document_upload import upload_from_data
from adapters.soap_mtls import MtlsConfig, expiry_warnings
from adapters.ssd.client import Uitkeringsspecificatie
from adapters.xtendis.config import XtendisConfig
from adapters.xtendis.target import XtendisTarget
from mappings import load_tables
from mappings.routering import load_routering
from sync.blobs import BlobStore
from sync.config import Settings, load_settings
from sync.deadletters import record_from_letter
from sync.doelbinding import BETAALSPECIFICATIE, DoelbindingLog
from sync.drain import cursor_batches, drain
from sync.engine import Engine, RetryPolicy
from sync.flows.betaalspecificaties import DOCUMENT_VERSIE, FLOW_NAME, BetaalspecificatiesFlow
from sync.pdf import PdfSpecificatie, render_specificatie
from sync.pseudonym import bsn_ref
from sync.resend import perform_resends
from sync.store.db import Store, open_store
from sync.store.models import DeadLetter, IdentityLink

__all__ = [
    "BbrDossiers",
    "BbrRecords",
    "BetaalspecificatieSource",
    "ClientZaak",
    "ZaakdocumentVersies",
    "bbr_doel",
    "bbr_pdf",
    "esuite_clients",
    "run_bbr_specificaties",
    "run_betaalspecificaties",
    "specificatie_pdf",
]

log = logging.getLogger(__name__)

GWS4ALL = "gws4all"
ALLEGRO = "allegro"
#: Allegro's zaaktype code of budgetbeheer: every BBR export is about it (``zaaktypen.csv``).
BBR_ZAAKTYPE = "BBR"
#: The service asked, as the doelbinding log names it.
SSD_DIENST = "GWS4all SSD UitkeringsSpecificatieClient"
_MAANDEN = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
]


@dataclass(frozen=True)
class ClientZaak:
    """A client of the month and the zaak their documents go to (the BSN kept out of repr)."""

    bsn: str = field(repr=False)
    zaak: str


class SpecificatieBron(Protocol):
    """What the source needs of GWS4all (``adapters.ssd.client.SsdClient``)."""

    def uitkeringsspecificatie(self, bsn: str, periode: str) -> Uitkeringsspecificatie | None: ...


class ZaakLezer(Protocol):
    def geef_zaakdetails(self, zaak_identificatie: str) -> Any: ...


# --- the clients of a month ----------------------------------------------------------------


def esuite_clients(
    store: Store, esuite: ZaakLezer, zaaktypen: set[str], retry: RetryPolicy | None = None
) -> list[ClientZaak]:
    """The initiators of the e-Suite zaken of ``zaaktypen``, one zaak each (the newest)."""
    with store.session() as session:
        zaken = list(
            session.scalars(
                select(IdentityLink.key)
                .where(IdentityLink.entity_type == "zaak", IdentityLink.system == "esuite")
                .order_by(IdentityLink.key)
            )
        )
    retrying = (retry or RetryPolicy()).retrying()
    per_bsn: dict[str, str] = {}
    for zaak in zaken:
        answer = retrying(esuite.geef_zaakdetails, zaak)
        found = answer.zaak if answer is not None else None
        if found is None or not found.initiator_bsn:
            continue
        if str(found.zaaktype_code or "") not in zaaktypen:
            continue
        if zaak > per_bsn.get(found.initiator_bsn, ""):
            per_bsn[found.initiator_bsn] = zaak
    return sorted((ClientZaak(bsn, zaak) for bsn, zaak in per_bsn.items()), key=lambda c: c.zaak)


# --- the document ---------------------------------------------------------------------------


def _maand(periode: str) -> str:
    year, month = periode.split("-")
    return f"{_MAANDEN[int(month) - 1]} {year}"


def specificatie_pdf(spec: Uitkeringsspecificatie) -> bytes:
    """The specification as the resident reads it (no BSN on it: name and clientnummer)."""
    kop = [
        ("Aan", spec.naam),
        ("Clientnummer", spec.clientnummer),
        ("Regeling", spec.regeling),
        ("Dossiernummer", spec.dossiernummer),
        ("Periode", _maand(spec.periode)),
    ]
    if spec.datum_betaald is not None:
        kop.append(("Betaald op", spec.datum_betaald.strftime("%d-%m-%Y")))
    if spec.iban_eind:
        kop.append(("Op rekening", f"eindigend op {spec.iban_eind}"))
    return render_specificatie(
        PdfSpecificatie(
            titel=f"Uitkeringsspecificatie {_maand(spec.periode)}",
            kop=kop,
            regels=[(c.omschrijving, c.bedrag_cent) for c in spec.componenten],
            totaal_label="Uit te betalen bedrag",
            totaal_cent=spec.totaal_cent,
            afzender=f"Gemeente {spec.instantie}".strip(),
            voetnoot="Heeft u vragen over deze specificatie? Neem contact op met uw consulent.",
        )
    )


def document_identificatie(bron: str, periode: str, ref: str) -> str:
    """One document per client, period and source (max 40 characters, no BSN)."""
    prefix = {"gws4all": "BSP", "allegro": "BBR"}[bron]
    return f"{prefix}{periode.replace('-', '')}{ref[:20]}"


# --- the source -----------------------------------------------------------------------------


class BetaalspecificatieSource:
    """One month's specifications for a list of clients; the cursor is the position in it."""

    system = GWS4ALL

    def __init__(
        self,
        clients: Sequence[ClientZaak],
        ssd: SpecificatieBron,
        blobs: BlobStore,
        *,
        periode: str,
        secret: str,
        retry: RetryPolicy | None = None,
        doelbinding: DoelbindingLog | None = None,
    ) -> None:
        self.clients = clients
        self.doelbinding = doelbinding
        self.ssd = ssd
        self.blobs = blobs
        self.periode = periode
        self.secret = secret
        self.retry = retry or RetryPolicy()
        self.niets_gevonden = 0

    def read_batch(self, cursor: str | None, limit: int) -> SourceBatch | None:
        start = int(cursor or 0)
        chosen = self.clients[start : start + limit]
        if not chosen:
            return None
        records = [self._record(client) for client in chosen]
        found = [r for r in records if r is not None]
        end = start + len(chosen)
        return SourceBatch(found, cursor_after=str(end), ref=f"ssd:{self.periode}:{start}-{end}")

    def after_commit(self, batch: SourceBatch) -> None:
        """Nothing to acknowledge: SSD is asked, not drained."""

    def _ask(self, client: ClientZaak) -> Uitkeringsspecificatie | None:
        """One SSD query; every attempt is in the doelbinding log (when there is one)."""
        if self.doelbinding is None:
            return self.ssd.uitkeringsspecificatie(client.bsn, self.periode)
        return self.doelbinding.ask(
            self.ssd.uitkeringsspecificatie,
            client.bsn,
            self.periode,
            dienst=SSD_DIENST,
            doel=BETAALSPECIFICATIE,
            bsn=client.bsn,
            zaak=client.zaak,
        )

    def _record(self, client: ClientZaak) -> SourceRecord | RecordError | None:
        ref = bsn_ref(self.secret, client.bsn)
        key = f"betaalspec:{GWS4ALL}:{self.periode}:{ref}"
        payload_ref = f"ssd:{self.periode}:{ref}"
        try:
            spec = self.retry.retrying()(self._ask, client)
        except PermanentError as error:
            return RecordError(GWS4ALL, key, payload_ref, error)
        if spec is None:
            self.niets_gevonden += 1
            log.info("GWS4all: geen betaling in %s voor client %s", self.periode, ref[:12])
            return None
        blob = self.blobs.put_bytes(specificatie_pdf(spec))
        identificatie = document_identificatie(GWS4ALL, self.periode, ref)
        creatie = spec.datum_betaald or date.fromisoformat(f"{self.periode}-01")
        document = {
            "identificatie": identificatie,
            "titel": f"Uitkeringsspecificatie {_maand(self.periode)}",
            "zaak_identificatie": client.zaak,
            "documenttype": "Betaalspecificatie",
            "bestandsnaam": f"uitkeringsspecificatie-{self.periode}.pdf",
            "formaat": "application/pdf",
            "creatiedatum": creatie.isoformat(),
            "vertrouwelijkheid": "VERTROUWELIJK",
            "auteur": "GWS4all",
            "taal": "nld",
        }
        return SourceRecord(
            source_system=GWS4ALL,
            key=key,
            kind="specificatie",
            data={"doel": "esuite", "document": document, "content": blob.as_content()},
            payload_ref=payload_ref,
        )


# --- the target: a document per client and period, a correction a new version -------------


class ZaakdocumentVersies:
    """The e-Suite document target, plus :data:`DOCUMENT_VERSIE`: add the document to its zaak,
    or, when the e-Suite holds it with other content, make the new content its next version."""

    system = "esuite"

    def __init__(self, inner: EsuiteDocumentTarget) -> None:
        self.inner = inner

    def apply(self, operation: Operation) -> None:
        if operation.name != DOCUMENT_VERSIE:
            self.inner.apply(operation)
            return
        upload = upload_from_data(operation.data)
        documents = self.inner.documents
        try:
            documents.voeg_toe(upload)
            return
        except AlreadyExistsError:
            stored = documents.stored_sha256(upload.document.identificatie, self.inner.archive)
        if stored == upload.sha256:
            return  # a write whose answer was lost had landed
        documents.update(upload_from_data(operation.data, operation=UPDATE_ZAAKDOCUMENT))
        log.info("e-Suite: nieuwe versie van document %s", upload.document.identificatie)

    def is_applied(self, operation: Operation) -> bool:
        if operation.name != DOCUMENT_VERSIE:
            return self.inner.is_applied(operation)
        upload = upload_from_data(operation.data)
        stored = self.inner.documents.stored_sha256(
            upload.document.identificatie, self.inner.archive
        )
        return stored == upload.sha256


# --- the task -------------------------------------------------------------------------------


def _month_clients(
    store: Store,
    esuite: EsuiteDocumentTarget,
    settings: Settings,
    clients: Callable[[Store], Sequence[ClientZaak]] | None,
    retry: RetryPolicy | None,
) -> Sequence[ClientZaak]:
    """The month's clients: ``clients`` when given, else :func:`esuite_clients` of the
    zaaktypen the routing table sends to the e-Suite."""
    if clients is not None:
        return clients(store)
    zaaktypen = load_routering(settings.mappings_dir).zaaktypen(GWS4ALL)
    return esuite_clients(store, esuite.client, zaaktypen, retry)


def _esuite_engine(
    store: Store, esuite: EsuiteDocumentTarget, settings: Settings, retry: RetryPolicy | None
) -> Engine:
    """The engine that files specifications in the e-Suite, a correction as a new version."""
    return Engine(
        store,
        BetaalspecificatiesFlow(),
        {"esuite": ZaakdocumentVersies(esuite)},
        load_tables(settings.mappings_dir),
        retry=retry,
    )


def run_betaalspecificaties(
    periode: str,
    *,
    ssd: SpecificatieBron,
    esuite: EsuiteDocumentTarget,
    secret: str,
    settings: Settings | None = None,
    store: Store | None = None,
    clients: Callable[[Store], Sequence[ClientZaak]] | None = None,
    retry: RetryPolicy | None = None,
    budget_s: float = 3_000.0,
    run_ref: str | None = None,
    gebruiker: str = "ketenbrug",
    certificates: Sequence[MtlsConfig] = (),
) -> dict[str, object]:
    """One month's specifications into the e-Suite; returns counts only (no keys, no BSNs).

    ``certificates``: the client certificates the run uses (SSD's); one that expires within 30
    days is named in the run's ``waarschuwingen`` (the summary and the DAG run note).

    Every SSD query is in the doelbinding log (``sync.doelbinding``) with ``gebruiker``: the
    user who started the run, or Ketenbrug for the schedule.

    ``clients`` gives the month's clients; by default the e-Suite zaken of the zaaktypen the
    routing table sends to the e-Suite (:func:`esuite_clients`).
    """
    if len(periode) != 7 or periode[4] != "-":
        raise ValueError(f"periode moet JJJJ-MM zijn, niet {periode!r}")
    settings = settings or load_settings()
    own_store = store is None
    store = store or open_store(settings)
    try:
        month = _month_clients(store, esuite, settings, clients, retry)
        engine = _esuite_engine(store, esuite, settings, retry)
        source = BetaalspecificatieSource(
            month,
            ssd,
            BlobStore(settings.home / "blobs"),
            periode=periode,
            secret=secret,
            retry=retry,
            doelbinding=DoelbindingLog(
                store, secret=secret, flow=FLOW_NAME, gebruiker=gebruiker, run_ref=run_ref
            ),
        )
        batches = cursor_batches(engine, source, settings.batch_size, keeps_cursor=False)
        warnings = expiry_warnings(certificates)
        total, _ = drain(
            engine,
            store,
            GWS4ALL,
            batches,
            budget_s=budget_s,
            run_ref=run_ref,
            warnings=warnings,
        )
        log.info(
            "betaalspecificaties %s: %d clienten, %d afgeleverd, %d al gelijk, %d geen "
            "betaling, %d dead letters",
            periode,
            len(month),
            total.delivered,
            total.in_step,
            source.niets_gevonden,
            total.dead_lettered,
        )
        return {
            "periode": periode,
            "clienten": len(month),
            "niets_gevonden": source.niets_gevonden,
            **total.as_dict(),
            "waarschuwingen": warnings,
        }
    finally:
        if own_store:
            store.dispose()


def run_betaalspecificaties_resends(
    *,
    ssd: SpecificatieBron,
    esuite: EsuiteDocumentTarget,
    secret: str,
    settings: Settings | None = None,
    store: Store | None = None,
    clients: Callable[[Store], Sequence[ClientZaak]] | None = None,
    retry: RetryPolicy | None = None,
    run_ref: str | None = None,
    gebruiker: str = "ketenbrug",
) -> dict[str, object]:
    """Perform the resends beheer asked for: each client's specification asked of GWS4all
    once more (logged in the doelbinding log) and written as the normal run writes it.

    A letter names the client only by the keyed hash of the BSN; the client is found again
    among the clients of the e-Suite (or ``clients``) by that hash. A client no longer there
    leaves the letter open with that reason.
    """
    settings = settings or load_settings()
    own_store = store is None
    store = store or open_store(settings)
    try:
        engine = _esuite_engine(store, esuite, settings, retry)
        month: list[Sequence[ClientZaak]] = []  # read once, on the first letter

        def load(letter: DeadLetter) -> list[SourceRecord | RecordError]:
            kept: list[SourceRecord | RecordError] = list(record_from_letter(letter))
            if kept:
                return kept
            _, _, periode, ref = letter.source_key.split(":", 3)
            if not month:
                month.append(_month_clients(store, esuite, settings, clients, retry))
            client = next((c for c in month[0] if bsn_ref(secret, c.bsn) == ref), None)
            if client is None:
                error = PermanentError(
                    "client niet meer gevonden bij een zaak in de e-Suite: niet opnieuw gevraagd",
                    system=GWS4ALL,
                )
                return [RecordError(GWS4ALL, letter.source_key, letter.payload_ref or "", error)]
            source = BetaalspecificatieSource(
                [client],
                ssd,
                BlobStore(settings.home / "blobs"),
                periode=periode,
                secret=secret,
                retry=retry,
                doelbinding=DoelbindingLog(
                    store, secret=secret, flow=FLOW_NAME, gebruiker=gebruiker, run_ref=run_ref
                ),
            )
            found = source._record(client)
            return [found] if found is not None else []

        return perform_resends(store, engine, load)
    finally:
        if own_store:
            store.dispose()


# --- Allegro's budget specifications (BBR) into the schuldhulp dossier in Xtendis ----------


def bbr_pdf(spec: BbrSpecificatie) -> bytes:
    """Allegro's budget specification as the client reads it (no BSN on it)."""
    kop = [
        ("Dossiernummer", spec.dossiernummer),
        ("Specificatie", spec.specificatienummer),
        ("Periode", _maand(spec.periode)),
    ]
    if spec.versie > 1:
        kop.append(("Versie", f"{spec.versie} (correctie van een eerdere specificatie)"))
    return render_specificatie(
        PdfSpecificatie(
            titel=f"Budgetbeheer: specificatie {_maand(spec.periode)}",
            kop=kop,
            regels=[
                (f"{regel.omschrijving} ({regel.tegenpartij})", regel.bedrag_cent)
                for regel in spec.regels
            ],
            totaal_label="Saldo",
            totaal_cent=spec.totaal_cent,
            afzender="Gemeente, schuldhulpverlening",
            voetnoot="Heeft u vragen over uw budgetbeheer? Neem contact op met uw budgetbeheerder.",
        )
    )


class BbrDossiers:
    """Dossiernummer -> BSN, read from the BBR exports of this task only: the Xtendis index
    needs the client's BSN, the export carries it, and no record, key or dead letter may.

    A resend in another process finds nothing here and is refused with a text that says so:
    Allegro's next export (or a rerun on the same file) brings the BSN again.
    """

    def __init__(self) -> None:
        self._bsn: dict[str, str] = {}

    def remember(self, dossiernummer: str, bsn: str) -> bool:
        """False when the dossier was seen with another BSN in this task (then trust neither)."""
        known = self._bsn.setdefault(dossiernummer, bsn)
        return known == bsn

    def lookup(self) -> DossierBsn:
        """The ``dossier_bsn`` for :class:`~adapters.xtendis.target.XtendisTarget`."""
        return DossierBsn(self._bsn.get, "de BBR-export van deze run")


class BbrRecords:
    """Turns a checked BBR specification into a flow record (``to_record`` of the source):
    the PDF in the blob store, the key ``betaalspec:allegro:<periode>:<ref>`` (one document
    per client, period and source), the target from the routing table."""

    def __init__(self, blobs: BlobStore, secret: str, doel: str, dossiers: BbrDossiers) -> None:
        self.blobs = blobs
        self.secret = secret
        self.doel = doel
        self.dossiers = dossiers

    def __call__(self, file: str, spec: BbrSpecificatie) -> SourceRecord | RecordError:
        ref = bsn_ref(self.secret, spec.bsn)
        key = f"betaalspec:{ALLEGRO}:{spec.periode}:{ref}"
        payload_ref = f"{ALLEGRO}:{file}#{spec.line}"
        if not self.dossiers.remember(spec.dossiernummer, spec.bsn):
            error = InvalidMessageError(
                f"{file}: dossier {spec.dossiernummer} staat in deze run onder twee "
                "verschillende BSN's; corrigeer het in Allegro",
                system=ALLEGRO,
            )
            return RecordError(ALLEGRO, key, payload_ref, error)
        blob = self.blobs.put_bytes(bbr_pdf(spec))
        document = {
            "identificatie": document_identificatie(ALLEGRO, spec.periode, ref),
            "titel": f"Budgetbeheer specificatie {_maand(spec.periode)}",
            "zaak_identificatie": spec.dossiernummer,
            "documenttype": "Budgetspecificatie",
            "bestandsnaam": f"budgetspecificatie-{spec.periode}.pdf",
            "formaat": "application/pdf",
            "creatiedatum": f"{spec.periode}-01",
            "vertrouwelijkheid": "VERTROUWELIJK",
            "auteur": "Allegro",
            "taal": "nld",
        }
        return SourceRecord(
            source_system=ALLEGRO,
            key=key,
            kind="specificatie",
            data={
                "doel": self.doel,
                "document": document,
                "content": blob.as_content(),
                "versie": spec.versie,  # a late, older version never replaces a newer one
            },
            payload_ref=payload_ref,
        )


def bbr_doel(settings: Settings) -> str:
    """Where Allegro's budget specifications go: the routing row of the zaaktype Allegro's
    budgetbeheer maps to (``zaaktypen.csv``); empty (the flow dead-letters) without one."""
    mapped = load_tables(settings.mappings_dir).zaaktype(ALLEGRO, BBR_ZAAKTYPE)
    if mapped is None:
        return ""
    return load_routering(settings.mappings_dir).doel(ALLEGRO, mapped.zaaktype) or ""


def run_bbr_specificaties(
    *,
    allegro: AllegroConfig,
    xtendis: XtendisConfig,
    secret: str,
    settings: Settings | None = None,
    store: Store | None = None,
    retry: RetryPolicy | None = None,
    budget_s: float = 3_000.0,
    run_ref: str | None = None,
    receipt_timeout_s: float = 60.0,
) -> dict[str, object]:
    """Every waiting BBR export of Allegro into the clients' schuldhulp dossiers in Xtendis;
    returns counts only (no keys, no BSNs).

    Only Xtendis is a target here (functiescheiding: the routing table allows nothing else for
    Allegro). Each export is answered with a return file once committed; a corrected
    specification for a period already filed is a new drop, Xtendis' next version of it.
    """
    settings = settings or load_settings()
    own_store = store is None
    store = store or open_store(settings)
    dossiers = BbrDossiers()
    target = XtendisTarget(
        xtendis, dossier_bsn=dossiers.lookup(), receipt_timeout_s=receipt_timeout_s, poll_s=0.2
    )
    client = AllegroClient(allegro)
    try:
        engine = Engine(
            store,
            BetaalspecificatiesFlow(),
            {"xtendis": target},
            load_tables(settings.mappings_dir),
            retry=retry,
        )
        records = BbrRecords(
            BlobStore(settings.home / "blobs"), secret, bbr_doel(settings), dossiers
        )
        source = AllegroBbrSource(client, records)
        batches = cursor_batches(engine, source, settings.batch_size, keeps_cursor=False)
        total, files = drain(engine, store, ALLEGRO, batches, budget_s=budget_s, run_ref=run_ref)
        log.info(
            "betaalspecificaties allegro: %d exports, %d afgeleverd, %d al gelijk, %d dead letters",
            files,
            total.delivered,
            total.in_step,
            total.dead_lettered,
        )
        return {"bron": ALLEGRO, "exports": files, **total.as_dict()}
    finally:
        client.close()
        target.close()
        if own_store:
            store.dispose()

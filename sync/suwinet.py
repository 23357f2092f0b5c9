"""Entry points of the suwinet-verrijking task: a new bijstandsaanvraag's BRP data and UWV income
from Suwinet-Inkijk, once, as a readable PDF document on its zaak.

Which zaken: every zaak the identity map knows under the zaaksysteem (the zaken flow put it
there, from GWS4all or Allegro, or the zaaksysteem made it itself), whose zaaktype is in
``mappings/suwinet_verrijking.csv``, and that this flow has no finished ledger row and no dead
letter for (key ``suwinet:<zaak>``). The zaaktype and the applicant's BSN come from the zaaksysteem
(``geefZaakdetails``); the state store holds neither.

*Eenmalige uitvraag*: a zaak with a finished ledger row is never asked about again, nor one
with a dead letter: only a resend beheer asks for (:func:`run_suwinet_resends`) queries once
more, and the task log and the doelbinding log say so. So does the one other repeat: a zaak
whose run died between the ledger's intent and outcome (the extract is not kept). The PDF has
no query date on it, so the same answers give the same bytes and the engine finds the document
that did land in step. ``NietsGevonden`` from UWV is an answer ("geen
inkomsten bekend" on the document), an FWI fault a dead letter with BKWI's code and text.
Every query is in the doelbinding log (``sync.doelbinding``) with purpose :data:`SUWINET_AANVRAAG`.

The BSN lives in memory for one task only: ledger keys, dead letters and log lines carry the
zaak identificatie, the doelbinding log a keyed hash (``sync.pseudonym``). The document shows
it masked (``*****1234``): it is for the dossier, where the zaak already identifies the person.
"""

from __future__ import annotations

import csv
import hashlib
import logging
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select

from adapters.base import RecordError, SourceBatch, SourceRecord, Target
from adapters.document import PDF
from adapters.errors import PermanentError, TransientError
from adapters.soap_mtls import MtlsConfig, expiry_warnings
from adapters.suwinet.client import BRP, UWV, Inkomstenopgave, Persoon
from mappings.tables import DEFAULT_DIR, MappingError, load_tables
from privacy.masking import mask_bsn, mask_text
from sync.blobs import BlobStore
from sync.config import Settings, load_settings
from sync.deadletters import record_from_letter
from sync.doelbinding import Doel, DoelbindingLog
from sync.drain import cursor_batches, drain
from sync.engine import Engine, RetryPolicy
from sync.flows.suwinet import FLOW_NAME, RECORD_KIND, SuwinetFlow, ledger_key
from sync.pdf import PdfSpecificatie, render_specificatie
from sync.resend import perform_resends
from sync.store.db import Store, open_store
from sync.store.models import DeadLetter, IdentityLink, LedgerEntry, LedgerState

__all__ = [
    "SOURCE_SYSTEM",
    "SUWINET_AANVRAAG",
    "VERRIJKING",
    "SuwinetSource",
    "load_verrijking",
    "nieuwe_zaken",
    "run_suwinet",
    "run_suwinet_resends",
    "suwinet_pdf",
]

log = logging.getLogger(__name__)

SOURCE_SYSTEM = "suwinet"
VERRIJKING = "suwinet_verrijking.csv"
_AMSTERDAM = ZoneInfo("Europe/Amsterdam")
#: Why Suwinet is asked, as the doelbinding log states it (the lead's module keeps the others).
SUWINET_AANVRAAG = Doel(
    "vaststellen recht op bijstand bij de aanvraag (eenmalige uitvraag Suwinet)",
    "Participatiewet art. 17 en 64; Wet SUWI art. 62; AVG art. 6 lid 1 onder c en e",
)
#: The services asked, as the doelbinding log names them.
DIENSTEN = {
    BRP: "Suwinet-Inkijk BRPDossierPersoonGSD AanvraagPersoon",
    UWV: "Suwinet-Inkijk UWVDossierInkomstenGSD UWVPersoonsIkvInfo",
}


class SuwinetBron(Protocol):
    """What the source needs of Suwinet (``adapters.suwinet.client.SuwinetClient``)."""

    def persoon(self, bsn: str) -> Persoon | None: ...

    def inkomsten(self, bsn: str, begin: date, eind: date) -> list[Inkomstenopgave] | None: ...


class ZaakLezer(Protocol):
    """The zaaksysteem's ``geefZaakdetails`` (``adapters.esuite.client.EsuiteClient``)."""

    def geef_zaakdetails(self, zaak_identificatie: str) -> Any: ...


# --- which zaken ----------------------------------------------------------------------------


def load_verrijking(mappings_dir: Path | None = None) -> dict[str, str]:
    """``suwinet_verrijking.csv`` (``zaaktype;omschrijving``): the zaaktypen to enrich."""
    path = Path(mappings_dir or DEFAULT_DIR) / VERRIJKING
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=";")
        if reader.fieldnames != ["zaaktype", "omschrijving"]:
            raise MappingError([f"{VERRIJKING}: kolommen moeten zaaktype;omschrijving zijn"])
        found: dict[str, str] = {}
        problems: list[str] = []
        for line, row in enumerate(reader, start=2):
            zaaktype = (row.get("zaaktype") or "").strip()
            if not zaaktype:
                problems.append(f"{VERRIJKING} regel {line}: zaaktype ontbreekt")
            elif zaaktype in found:
                problems.append(
                    f"{VERRIJKING} regel {line}: zaaktype {zaaktype} staat er twee keer"
                )
            else:
                found[zaaktype] = (row.get("omschrijving") or "").strip()
    if problems:
        raise MappingError(problems)
    return found


#: Why a zaak is asked about again, as the task log and the doelbinding log say it.
NA_AFGEBROKEN_RUN = "na een afgebroken run"


def nieuwe_zaken(store: Store, zaaksysteem: str) -> tuple[list[str], dict[str, str]]:
    """The zaaksysteem's zaken to ask about, and which of them are asked again, and why.

    New: neither a finished ledger row nor a dead letter of this flow. Again: the ledger row is
    still in flight or pending (a run died between its intent and its outcome; the extract was
    not kept, so Suwinet is asked once more and the engine checks the zaaksysteem first).
    """
    with store.session() as session:
        zaken = session.scalars(
            select(IdentityLink.key)
            .where(IdentityLink.entity_type == "zaak", IdentityLink.system == zaaksysteem)
            .order_by(IdentityLink.key)
        ).all()
        rows = session.execute(
            select(LedgerEntry.source_key, LedgerEntry.state).where(
                LedgerEntry.flow == FLOW_NAME, LedgerEntry.source_system == SOURCE_SYSTEM
            )
        ).all()
        unfinished = {LedgerState.IN_FLIGHT, LedgerState.PENDING}
        done = {key for key, state in rows if state not in unfinished}
        again = {key for key, state in rows if state in unfinished}
        done.update(
            session.scalars(
                select(DeadLetter.source_key).where(
                    DeadLetter.flow == FLOW_NAME, DeadLetter.source_system == SOURCE_SYSTEM
                )
            )
        )
    chosen = [zaak for zaak in dict.fromkeys(zaken) if ledger_key(zaak) not in done]
    return chosen, {zaak: NA_AFGEBROKEN_RUN for zaak in chosen if ledger_key(zaak) in again}


# --- the document ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Uitvraag:
    """What Suwinet said about one aanvraag (the BSN kept out of ``repr``)."""

    zaak: str
    bsn: str = field(repr=False)
    persoon: Persoon | None
    inkomsten: Sequence[Inkomstenopgave]
    begin: date
    eind: date


def _dmy(day: date | None) -> str:
    return day.strftime("%d-%m-%Y") if day else "onbekend"


def suwinet_pdf(uitvraag: Uitvraag) -> bytes:
    """The extract as a caseworker reads it: BRP person and address, UWV income per month."""
    persoon = uitvraag.persoon
    kop = [("Zaak", uitvraag.zaak), ("BSN", mask_bsn(uitvraag.bsn))]
    if persoon is None:
        kop.append(("Persoon", "niet gevonden in de BRP"))
    else:
        kop += [
            ("Naam", persoon.naam),
            ("Geboortedatum", _dmy(persoon.geboortedatum)),
            ("Adres", persoon.straat),
            ("Postcode en plaats", f"{persoon.postcode} {persoon.woonplaats}".strip()),
        ]
    # No query date on the page: the same answers give the same bytes, so a zaak asked again
    # after a run that died mid-write finds its document in step (the date is in creatiedatum).
    kop.append(("Inkomstenperiode", f"{_dmy(uitvraag.begin)} t/m {_dmy(uitvraag.eind)}"))
    regels = sorted(uitvraag.inkomsten, key=lambda r: (r.begin or date.min, r.werkgever))
    extra = []
    if not regels:
        extra.append("UWV: geen inkomsten bekend in deze periode.")
    if persoon is not None and persoon.geheim:
        extra.append("Let op: geheimhouding persoonsgegevens in de BRP.")
    return render_specificatie(
        PdfSpecificatie(
            titel="Suwinet-gegevens bij de aanvraag",
            kop=kop,
            regels=[
                (f"{r.werkgever}, brutoloon {_dmy(r.begin)} t/m {_dmy(r.eind)}", r.brutoloon_cent)
                for r in regels
            ],
            totaal_label="Totaal brutoloon (UWV)",
            totaal_cent=sum(r.brutoloon_cent for r in regels),
            afzender="Suwinet-Inkijk (BKWI): BRP en UWV-polisadministratie",
            extra=extra,
            voetnoot="Eenmalige uitvraag bij de aanvraag bijstand (doelbinding vastgelegd).",
        )
    )


def document_identificatie(zaak: str) -> str:
    """One Suwinet document per zaak (at most 40 characters, no BSN)."""
    name = f"SUW{zaak}"
    return name if len(name) <= 40 else f"SUW{hashlib.sha256(zaak.encode()).hexdigest()[:37]}"


def _months_before(day: date, months: int) -> date:
    """The first day of the month ``months`` months before ``day``'s month."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


# --- the source -----------------------------------------------------------------------------


class SuwinetSource:
    """Asks Suwinet once per new bijstandsaanvraag; the cursor is the position in the list.

    ``herhaald`` maps a zaak asked about again to the reason ("na dead letter 7" for a
    resend): its queries are logged as a repeat, in the task log and the doelbinding log.
    """

    system = SOURCE_SYSTEM

    def __init__(
        self,
        zaken: Sequence[str],
        lezer: ZaakLezer,
        suwinet: SuwinetBron,
        blobs: BlobStore,
        *,
        zaaktypen: Mapping[str, str],
        doelbinding: DoelbindingLog,
        maanden: int = 12,
        retry: RetryPolicy | None = None,
        herhaald: Mapping[str, str] | None = None,
        vandaag: date | None = None,
    ) -> None:
        self.zaken = zaken
        self.lezer = lezer
        self.suwinet = suwinet
        self.blobs = blobs
        self.zaaktypen = zaaktypen
        self.doelbinding = doelbinding
        self.maanden = maanden
        self.retry = retry or RetryPolicy()
        self.herhaald = dict(herhaald or {})
        self.vandaag = vandaag or datetime.now(_AMSTERDAM).date()
        self.counts: Counter[str] = Counter()

    def read_batch(self, cursor: str | None, limit: int) -> SourceBatch | None:
        start = int(cursor or 0)
        chosen = self.zaken[start : start + limit]
        if not chosen:
            return None
        found = [r for r in (self._record_or_wait(zaak) for zaak in chosen) if r is not None]
        end = start + len(chosen)
        return SourceBatch(found, cursor_after=str(end), ref=f"suwinet:{start}-{end}")

    def after_commit(self, batch: SourceBatch) -> None:
        """Nothing to acknowledge: Suwinet is asked, not drained."""

    def _record_or_wait(self, zaak: str) -> SourceRecord | RecordError | None:
        """A passing failure (retries spent) holds back this zaak only, until the next run."""
        try:
            return self.record(zaak)
        except TransientError as error:
            self.counts["uitgesteld"] += 1
            log.warning(
                "Suwinet-verrijking: zaak %s uitgesteld tot de volgende run: %s",
                zaak,
                mask_text(str(error)),
            )
            return None

    def record(self, zaak: str) -> SourceRecord | RecordError | None:
        """The extract of one zaak; None when the zaak is no (known) bijstandsaanvraag."""
        key = ledger_key(zaak)
        answer = self.retry.retrying()(self.lezer.geef_zaakdetails, zaak)
        details = answer.zaak if answer is not None else None
        if details is None:
            self.counts["zaak_onbekend"] += 1
            return None  # not (yet) in the zaaksysteem: asked again next run
        if str(details.zaaktype_code or "") not in self.zaaktypen:
            self.counts["ander_zaaktype"] += 1
            return None
        bsn = str(details.initiator_bsn or "").strip()
        if not bsn:
            error = PermanentError(
                f"bijstandsaanvraag {zaak} heeft geen initiator met BSN: Suwinet niet gevraagd",
                system=SOURCE_SYSTEM,
            )
            return RecordError(SOURCE_SYSTEM, key, f"suwinet:{zaak}", error)
        reden = self.herhaald.get(zaak)
        if reden is not None:
            log.info("Suwinet: zaak %s opnieuw uitgevraagd %s", zaak, reden)
        eind = min(_as_date(details.startdatum) or self.vandaag, self.vandaag)
        begin = _months_before(eind, self.maanden)
        try:
            persoon = self._ask(BRP, zaak, bsn, reden, self.suwinet.persoon, bsn)
            inkomsten = self._ask(UWV, zaak, bsn, reden, self.suwinet.inkomsten, bsn, begin, eind)
        except PermanentError as error:
            return RecordError(SOURCE_SYSTEM, key, f"suwinet:{zaak}", error)
        self.counts["uitgevraagd"] += 1
        uitvraag = Uitvraag(zaak, bsn, persoon, inkomsten or [], begin, eind)
        blob = self.blobs.put_bytes(suwinet_pdf(uitvraag))
        document = {
            "identificatie": document_identificatie(zaak),
            "titel": "Suwinet-gegevens bij de aanvraag",
            "zaak_identificatie": zaak,
            "documenttype": "Suwinet-gegevens",
            "bestandsnaam": "suwinet-gegevens.pdf",
            "formaat": PDF,
            "creatiedatum": self.vandaag.isoformat(),
            "vertrouwelijkheid": "VERTROUWELIJK",
            "auteur": "Suwinet-Inkijk",
            "taal": "nld",
        }
        return SourceRecord(
            source_system=SOURCE_SYSTEM,
            key=key,
            kind=RECORD_KIND,
            data={"document": document, "content": blob.as_content()},
            payload_ref=f"suwinet:{zaak}",
        )

    def _ask(
        self, dienst: str, zaak: str, bsn: str, reden: str | None, call: Any, *args: Any
    ) -> Any:
        """One query, retried when transient; every attempt is in the doelbinding log."""
        return self.retry.retrying()(
            self.doelbinding.ask,
            call,
            *args,
            dienst=DIENSTEN[dienst],
            doel=SUWINET_AANVRAAG,
            bsn=bsn,
            zaak=zaak,
            herhaling=f"opnieuw {reden}: " if reden is not None else "",
        )


# --- the tasks ------------------------------------------------------------------------------


@dataclass
class _Task:
    """What both tasks share: the store, the engine and the source's arguments."""

    store: Store
    settings: Settings
    engine: Engine
    source_args: dict[str, Any]
    run_ref: str | None
    zaaksysteem: str
    warnings: list[str]


@contextmanager
def _task(
    *,
    suwinet: SuwinetBron,
    zaaksysteem: Target,
    lezer: ZaakLezer,
    secret: str,
    zaaksysteem_system: str = "esuite",
    settings: Settings | None = None,
    store: Store | None = None,
    retry: RetryPolicy | None = None,
    maanden: int = 12,
    run_ref: str | None = None,
    gebruiker: str = "ketenbrug",
    certificates: Sequence[MtlsConfig] = (),
) -> Iterator[_Task]:
    """Open the store (unless given), build the engine and the source's arguments."""
    settings = settings or load_settings()
    own_store = store is None
    store = store or open_store(settings)
    try:
        engine = Engine(
            store,
            SuwinetFlow(zaaksysteem_system),
            {zaaksysteem_system: zaaksysteem},
            load_tables(settings.mappings_dir),
            retry=retry,
        )
        doelbinding = DoelbindingLog(
            store, secret=secret, flow=FLOW_NAME, gebruiker=gebruiker, run_ref=run_ref
        )
        source_args = {
            "lezer": lezer,
            "suwinet": suwinet,
            "blobs": BlobStore(settings.home / "blobs"),
            "zaaktypen": load_verrijking(settings.mappings_dir),
            "doelbinding": doelbinding,
            "maanden": maanden,
            "retry": retry,
        }
        warnings = expiry_warnings(certificates)
        yield _Task(store, settings, engine, source_args, run_ref, zaaksysteem_system, warnings)
    finally:
        if own_store:
            store.dispose()


def run_suwinet(*, budget_s: float = 600.0, **arguments: Any) -> dict[str, object]:
    """Enrich every new bijstandsaanvraag once; returns counts only (no keys, no BSNs).

    Arguments: ``suwinet`` (a ``SuwinetClient``), ``zaaksysteem`` (the document target of the
    system that plays the zaaksysteem part, ``zaaksysteem_system``, default ``esuite``),
    ``lezer`` (its ``geefZaakdetails``), ``secret`` (the pseudonymisation key); optional
    ``settings``, ``store``, ``retry``, ``maanden`` (UWV months asked), ``run_ref``,
    ``gebruiker`` (who started the run, for the doelbinding log) and ``certificates`` (the
    client certificates used: one expiring within 30 days is in ``waarschuwingen``).
    """
    with _task(**arguments) as task:
        zaken, herhaald = nieuwe_zaken(task.store, task.zaaksysteem)
        source = SuwinetSource(zaken, **task.source_args, herhaald=herhaald)
        batches = cursor_batches(task.engine, source, task.settings.batch_size, keeps_cursor=False)
        total, _ = drain(
            task.engine,
            task.store,
            SOURCE_SYSTEM,
            batches,
            budget_s=budget_s,
            run_ref=task.run_ref,
            warnings=task.warnings,
        )
        log.info(
            "suwinet-verrijking: %d zaken bekeken, %d uitgevraagd, %d ander zaaktype, "
            "%d afgeleverd, %d dead letters",
            len(zaken),
            source.counts["uitgevraagd"],
            source.counts["ander_zaaktype"],
            total.delivered,
            total.dead_lettered,
        )
        if source.counts["uitgesteld"] and not source.counts["uitgevraagd"]:
            # Nothing got through: fail, so Airflow retries the task (nothing was recorded).
            raise TransientError(
                f"Suwinet-verrijking: {source.counts['uitgesteld']} zaken uitgesteld, "
                "Suwinet of het zaaksysteem onbereikbaar",
                system=SOURCE_SYSTEM,
            )
        return {
            "zaken": len(zaken),
            **dict(source.counts),
            **total.as_dict(),
            "waarschuwingen": task.warnings,
        }


def run_suwinet_resends(**arguments: Any) -> dict[str, object]:
    """Perform the resends beheer asked for: each claimed once, Suwinet asked once more.

    A letter whose record was kept (the write failed, the answer was fine) is written from
    that record without a new query; else the zaak is asked about again, logged as a repeat.
    Arguments as :func:`run_suwinet` (without ``budget_s``).
    """
    with _task(**arguments) as task:

        def load(letter: DeadLetter) -> list[SourceRecord | RecordError]:
            kept: list[SourceRecord | RecordError] = list(record_from_letter(letter))
            if kept:
                return kept
            zaak = letter.source_key.removeprefix("suwinet:")
            reden = f"na dead letter {letter.id} (opnieuw aanbieden)"
            source = SuwinetSource([zaak], **task.source_args, herhaald={zaak: reden})
            found = source.record(zaak)
            return [found] if found is not None else []

        return perform_resends(task.store, task.engine, load)

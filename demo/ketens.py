"""The demo's newer chains, each through Airflow as the older flows (called by ``demo.run``).

After the zaken, documenten and archive rounds: the monthly betaalspecificaties from GWS4all's
SSD service (mTLS) into the e-Suite and Allegro's budgetbeheer specs into Xtendis; the doorgifte
of new aanvragen from the e-Suite to GWS4all's backoffice with the behandelaar's statuses back on
the same zaak; the Suwinet-verrijking (mTLS) of new bijstandsaanvragen with its doelbinding log;
and a question session of GWS4all on the inbox (ZDS 1.1), check-out and check-in included.
Each part prints a short Dutch summary for beheer; a BSN is never printed (only masked).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, cast

import requests

from mappings import load_tables
from privacy.masking import mask_bsn
from stuf import (
    ActualiseerZaakstatus,
    Bevestiging,
    Document,
    Fout,
    GeefLijstZaakdocumenten,
    GeefZaakdetails,
    GeefZaakdocumentBewerken,
    GeefZaakdocumentLezen,
    LijstZaakdocumentenAntwoord,
    Systeem,
    UpdateZaakdocument,
    Zaak,
    ZaakdetailsAntwoord,
    ZaakdocumentAntwoord,
    ZaakdocumentBewerkenAntwoord,
    ZaakStatus,
    ZdsVersion,
    build_message,
    new_stuurgegevens,
    parse_message,
    soap_action_for,
)
from sync.store.models import utcnow
from sync.summary import flow_report

if TYPE_CHECKING:
    from demo.airflow import DagRunResult, LocalAirflow
    from simulators.allegro import AllegroExporter
    from simulators.esuite_store import EsuiteStore
    from simulators.gws4all_backoffice import Gws4allBackofficeServer
    from simulators.http import SimulatorServer
    from simulators.synthetic import SyntheticData
    from simulators.tls import CertPair, SimulatorPki, TlsSimulatorServer
    from simulators.xtendis import XtendisHotFolder
    from stuf.model import Message
    from sync.store.db import Store

__all__ = ["KetenSimulators", "run_ketens", "start_keten_simulators"]

#: The key of the BSN hash (password of ``ketenbrug_ssd``; Suwinet uses the same key).
DEMO_SECRET = "demo-geheim-voor-de-bsn-hash"  # noqa: S105 (a demo key, not a secret)
SSD_PATH = "/SSD/UitkeringsSpecificatieClient-v0600"
SUWINET_PATH = "/suwibroker/soap"
#: Synthetic clients of the new aanvragen: not among the demo's GWS4all zaken.
AANVRAAG_CLIENTS = (901, 902, 903)
BEHANDELAAR = Systeem(organisatie="1900", applicatie="GWS4all", gebruiker="behandelaar")
COLLEGA = Systeem(organisatie="1900", applicatie="GWS4all", gebruiker="collega")
KETENBRUG = Systeem(organisatie="1900", applicatie="CDR")


@dataclass
class KetenSimulators:
    """The simulators of the newer chains: SSD and Suwinet over mTLS, GWS4all's backoffice."""

    ssd: TlsSimulatorServer
    suwinet: TlsSimulatorServer
    gws4all: Gws4allBackofficeServer
    pki: SimulatorPki
    data: SyntheticData

    def connections(self) -> dict[str, dict[str, object]]:
        """Their Connections (JSON form), for ``airflow connections import``."""
        host, _, port = self.gws4all.url.removeprefix("http://").partition(":")
        return {
            "ketenbrug_ssd": self._mtls(self.ssd, SSD_PATH),
            "ketenbrug_suwinet": self._mtls(self.suwinet, SUWINET_PATH),
            "ketenbrug_gws4all_stuf": {
                "conn_type": "http",
                "host": host,
                "port": int(port),
                "extra": {"path": "/stuf", "timeout_s": 10},
            },
        }

    def _mtls(self, server: TlsSimulatorServer, path: str) -> dict[str, object]:
        host, _, port = server.url.removeprefix("https://").partition(":")
        cert, key = self.pki.client.as_requests_cert
        return {
            "conn_type": "http",
            "host": host,
            "port": int(port),
            "password": DEMO_SECRET,
            "extra": {
                "path": path,
                "client_cert": cert,
                "client_key": key,
                "verify": str(self.pki.ca_file),
                "timeout_s": 10,
            },
        }


def start_keten_simulators(
    running: contextlib.ExitStack, pki: SimulatorPki, seed: int
) -> KetenSimulators:
    """Start SSD, Suwinet (both with the demo's test CA and synthetic clients) and GWS4all's
    backoffice; they stop when ``running`` closes."""
    from simulators.gws4all_backoffice import make_gws4all_backoffice_server
    from simulators.ssd import make_ssd_server
    from simulators.suwinet import make_suwinet_server
    from simulators.synthetic import SyntheticData

    data = SyntheticData(seed)
    # payments up to the running month: the DAG asks for the month before its logical date
    last = datetime.now(UTC).strftime("%Y-%m")
    ssd = running.enter_context(make_ssd_server(tls=pki, data=data, last_period=last))
    suwinet = running.enter_context(make_suwinet_server(tls=pki, data=data))
    gws4all = running.enter_context(make_gws4all_backoffice_server())
    sims = KetenSimulators(
        cast("TlsSimulatorServer", ssd), cast("TlsSimulatorServer", suwinet), gws4all, pki, data
    )
    print(f"  GWS4all SSD (SOAP, mTLS)     {ssd.url}")
    print(f"  Suwinet-Inkijk (SOAP, mTLS)  {suwinet.url}")
    print(f"  GWS4all backoffice (ZDS 1.1) {gws4all.url}")
    return sims


@dataclass
class _Keten:
    """What the parts share: Airflow, the state store, the simulators, the inbox's door."""

    airflow: LocalAirflow
    store: Store
    esuite: SimulatorServer
    sims: KetenSimulators
    inbox_url: str
    cert: tuple[str, str]
    verify: str
    exporter: AllegroExporter
    xtendis: XtendisHotFolder
    run_dag: Callable[[LocalAirflow, str], DagRunResult]
    aanvragen: list[_Aanvraag] = field(default_factory=list)
    sha_before: str | None = None

    @property
    def esuite_store(self) -> EsuiteStore:
        return cast("EsuiteStore", self.esuite.app.store)  # type: ignore[attr-defined]

    def dag(self, dag_id: str) -> bool:
        result = self.run_dag(self.airflow, dag_id)
        if result.state != "success":
            print(f"  zie het Airflow-log: {result.log_path}")
        return result.state == "success"


def run_ketens(
    airflow: LocalAirflow,
    store: Store,
    esuite: SimulatorServer,
    sims: KetenSimulators,
    exporter: AllegroExporter,
    xtendis: XtendisHotFolder,
    *,
    inbox_url: str,
    gws4all_cert: CertPair,
) -> int:
    """The newer chains one after another; 0 when each did what it should."""
    from demo.run import run_dag

    keten = _Keten(
        airflow,
        store,
        esuite,
        sims,
        inbox_url,
        gws4all_cert.as_requests_cert,
        str(sims.pki.ca_file),
        exporter,
        xtendis,
        run_dag,
    )
    # the questions before the Suwinet part: their documenten run then moves few documents
    for part in (_betaalspecificaties, _doorgifte, _vragen, _suwinet):
        if not part(keten):
            return 1
    return 0


# --- 1. betaalspecificaties ---------------------------------------------------------------------


def _betaalspecificaties(keten: _Keten) -> bool:
    """The month's specifications into the clients' zaken, once; BBR into Xtendis only."""
    periode = _vorige_maand()
    schuldhulp_before = _schuldhulp(keten.xtendis)
    bbr = keten.exporter.write_bbr(periode, correction_rate=0.0)
    documents_before = keten.esuite_store.counts()["documenten"]
    print(
        "\nBetaalspecificaties (DAG ketenbrug_betaalspecificaties): GWS4all SSD over mTLS, "
        f"periode {periode}; Allegro zette {len(bbr)} BBR-export(s) klaar"
    )
    started = utcnow()
    if not keten.dag("ketenbrug_betaalspecificaties"):
        return False
    report = flow_report(keten.store, "betaalspecificaties", since=started, source_system="gws4all")
    asked = keten.sims.ssd.app.state()["counts"]  # type: ignore[attr-defined]
    nieuw = keten.esuite_store.counts()["documenten"] - documents_before
    print(
        f"  {report['read']} clienten met een zaak B1026 gevraagd bij GWS4all "
        f"({_counts(asked)}); {report['delivered']} specificaties als PDF in de e-Suite "
        f"(e-Suite: {nieuw} nieuwe documenten)"
    )
    mijnloket = load_tables().statustype("B1026", 6)
    if mijnloket is not None:
        print(f'  MijnLoket toont de client: "{mijnloket.mijnloket_tekst}"')
    for warning in report["warnings"]:
        print(f"  let op: {warning}")
    bbr_report = flow_report(
        keten.store, "betaalspecificaties", since=started, source_system="allegro"
    )
    schuldhulp = _schuldhulp(keten.xtendis) - schuldhulp_before
    print(
        f"  BBR (Allegro budgetbeheer): {bbr_report['delivered']} budgetspecificaties in het "
        f"schuldhulpdossier in Xtendis (archief SCHULDHULP: {schuldhulp} nieuw), niets in de "
        "e-Suite of MyLex (functiescheiding)"
    )
    for letter_id, reason, message in bbr_report["examples"]:
        print(f"    dead letter #{letter_id} [{reason}] {message[:160]}")
    again = utcnow()
    if not keten.dag("ketenbrug_betaalspecificaties"):
        return False
    rerun = flow_report(keten.store, "betaalspecificaties", since=again)
    print(
        f"  nog een keer: {rerun['delivered']} afgeleverd, {rerun['in_step']} al in de pas "
        "(één document per client per maand)"
    )
    keten.exporter.process_returns()
    return rerun["delivered"] == 0 and report["delivered"] > 0


def _vorige_maand() -> str:
    today = datetime.now(UTC).date()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year}-{month:02d}"


def _schuldhulp(xtendis: XtendisHotFolder) -> int:
    return sum(1 for folder in xtendis.documents() if folder.parent.parent.name == "SCHULDHULP")


def _counts(counts: dict[str, int]) -> str:
    words = {"ok": "gevonden", "niets_gevonden": "geen betaling"}
    return ", ".join(f"{words.get(k, k)}: {v}" for k, v in sorted(counts.items())) or "niets"


# --- 3a. doorgifte ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Aanvraag:
    zaak: str
    document: str
    zaaktype: str
    gws4all_zaaktype: str
    bsn: str


def _doorgifte(keten: _Keten) -> bool:
    """Three MijnLoket aanvragen to GWS4all; the behandelaar's statuses back on the same zaak."""
    aanvragen = [
        _aanvraag_in_de_esuite(keten, client, zaaktype)
        for client, zaaktype in zip(AANVRAAG_CLIENTS, ("B1026", "B1027", "B1026"), strict=True)
    ]
    print(
        f"\nDoorgifte (DAG ketenbrug_doorgifte): {len(aanvragen)} aanvragen uit MijnLoket in de "
        "e-Suite (status Ontvangen, aanvraagformulier erbij)"
    )
    if not keten.dag("ketenbrug_doorgifte"):
        return False
    held = keten.sims.gws4all.snapshot()
    for aanvraag in aanvragen:
        zaak = held["zaken"].get(aanvraag.zaak)
        documenten = zaak["documenten"] if zaak else []
        nummer = keten.sims.gws4all.gws_zaaknummer(aanvraag.zaak) or "-"
        print(
            f"  {aanvraag.zaak} ({aanvraag.zaaktype}, aanvrager {mask_bsn(aanvraag.bsn)}): in "
            f"GWS4all als {nummer} ({zaak['zaaktype_code'] if zaak else 'ONTBREEKT'}), "
            f"{len(documenten)} document"
        )
    if any(aanvraag.zaak not in held["zaken"] for aanvraag in aanvragen):
        return False
    now = datetime.now(UTC)
    for aanvraag in aanvragen:
        _push(keten, _status(aanvraag, now))
    print(
        "  de behandelaar in GWS4all zet per aanvraag 'Onderzoek recht op bijstand' (inbox, mTLS)"
    )
    if not keten.dag("ketenbrug_zaken"):
        return False
    tables = load_tables()
    for aanvraag in aanvragen:
        _, statussen = keten.esuite_store.get(aanvraag.zaak)
        last = statussen[-1]
        tekst = tables.statustype(aanvraag.zaaktype, int(last.statustype_volgnummer or 0))
        codes = " → ".join(str(s.statustype_code) for s in statussen)
        print(
            f"  e-Suite {aanvraag.zaak}: {codes}; MijnLoket: "
            f'"{tekst.mijnloket_tekst if tekst else "?"}"'
        )
    keten.aanvragen = aanvragen
    return True


def _aanvraag_in_de_esuite(keten: _Keten, client: int, zaaktype: str) -> _Aanvraag:
    store = keten.esuite_store
    zaak = store.next_identificatie()
    bsn = keten.sims.data.client(client).bsn
    today = datetime.now(UTC).date()
    omschrijving = "Aanvraag levensonderhoud" if zaaktype == "B1026" else "Bijzondere bijstand"
    store.create_zaak(
        Zaak(
            zaak,
            zaaktype,
            omschrijving=f"{omschrijving} via MijnLoket",
            startdatum=today,
            registratiedatum=today,
            initiator_bsn=bsn,
        )
    )
    store.add_status(
        zaak,
        ZaakStatus(
            zaak_identificatie=zaak,
            statustype_code=f"{zaaktype}-ST01",
            statustype_volgnummer=1,
            datum_status_gezet=datetime.now(UTC),
        ),
    )
    document = f"{zaak}-AANVRAAG"
    store.add_document(_formulier(document, zaak, today, b"aanvraag"))
    gws = "PW-LO-AANV" if zaaktype == "B1026" else "PW-BB-AANV"
    return _Aanvraag(zaak, document, zaaktype, gws, bsn)


def _formulier(document: str, zaak: str, day: date, tekst: bytes) -> Document:
    from simulators.pdf import pdf_bytes

    return Document(
        document,
        "Aanvraagformulier",
        zaak_identificatie=zaak,
        documenttype_omschrijving="Aanvraagformulier",
        bestandsnaam="aanvraag.pdf",
        formaat="application/pdf",
        creatiedatum=day,
        vertrouwelijkheid="VERTROUWELIJK",
        auteur="MijnLoket",
        inhoud=pdf_bytes("Aanvraagformulier", (tekst.decode(),)),
    )


def _status(aanvraag: _Aanvraag, when: datetime) -> ActualiseerZaakstatus:
    return ActualiseerZaakstatus(
        new_stuurgegevens("Lk01", BEHANDELAAR, KETENBRUG, entiteittype="ZAK"),
        zaak_identificatie=aanvraag.zaak,
        wordt=ZaakStatus(
            zaak_identificatie=aanvraag.zaak,
            statustype_code="GWS-AV-03",
            statustype_volgnummer=3,
            datum_status_gezet=when,
            zaaktype_code=aanvraag.gws4all_zaaktype,
        ),
    )


# --- 2. Suwinet-verrijking ----------------------------------------------------------------------


def _suwinet(keten: _Keten) -> bool:
    """Each new bijstandsaanvraag once to Suwinet; a rerun asks nothing; the doelbinding log."""
    from sync.doelbinding import queries_about

    aanvragen = keten.aanvragen
    print(
        "\nSuwinet-verrijking (DAG ketenbrug_suwinet): Suwinet-Inkijk over mTLS, voor elke "
        "nieuwe bijstandsaanvraag (B1026/B1027) in de e-Suite"
    )
    started = utcnow()
    if not keten.dag("ketenbrug_suwinet"):
        return False
    report = flow_report(keten.store, "suwinet", since=started)
    calls = _calls(keten.sims.suwinet)
    print(
        f"  {report['read']} aanvragen bevraagd (ook die uit GWS4all van de rondes hiervoor), "
        f"{calls} vragen aan Suwinet (BRP en UWV), {report['delivered']} documenten "
        '"Suwinet-gegevens bij de aanvraag" in de e-Suite'
    )
    first = aanvragen[0]
    docs = [
        d
        for d in keten.esuite_store.documents_of(first.zaak)
        if d.document.titel == "Suwinet-gegevens bij de aanvraag"
    ]
    print(f"  nieuwe aanvraag {first.zaak}: {len(docs)} Suwinet-document")
    if not keten.dag("ketenbrug_suwinet"):
        return False
    again = _calls(keten.sims.suwinet) - calls
    print(f"  nog een keer: {again} vragen aan Suwinet (eenmalige uitvraag)")
    queries = queries_about(keten.store, first.bsn, DEMO_SECRET)
    doelen = {query.doel for query in queries}
    print(
        f"  doelbindingslog van aanvrager {mask_bsn(first.bsn)} (ketenbrug audit --bsn ...)"
        + (f", doel: {next(iter(doelen))}:" if len(doelen) == 1 else ":")
    )
    for query in queries:
        doel = f" (doel: {query.doel})" if len(doelen) > 1 else ""
        print(f"    {query.at:%H:%M:%S} {query.dienst}: {query.uitkomst}{doel}")
    return len(docs) == 1 and again == 0


def _calls(server: TlsSimulatorServer) -> int:
    return sum(server.app.state()["counts"].values())  # type: ignore[attr-defined]


# --- 3b. GWS4all's questions --------------------------------------------------------------------


def _vragen(keten: _Keten) -> bool:
    """GWS4all asks the inbox (ZDS 1.1): details, documents, read, then check-out and check-in."""
    aanvraag = keten.aanvragen[0]
    # the inbox builds its answerer from these on the first question (docs/flows/vragen.md)
    with _esuite_for_the_inbox(keten.esuite.url + "/zds"):
        if not _sessie(keten, aanvraag):
            return False
    return _inchecken_verwerkt(keten, aanvraag)


@contextlib.contextmanager
def _esuite_for_the_inbox(url: str) -> Iterator[None]:
    """``KETENBRUG_ESUITE_*`` while the session runs: the inbox builds its answerer from them on
    the first question (docs/flows/vragen.md) and keeps it; later DAG runs do not see them."""
    names = ("KETENBRUG_ESUITE_URL", "KETENBRUG_ESUITE_ONTVANGER")
    before = {name: os.environ.get(name) for name in names}
    os.environ.update({names[0]: url, names[1]: "0153:ESUITE"})
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _sessie(keten: _Keten, aanvraag: _Aanvraag) -> bool:
    print(f"\nVragen van GWS4all aan de inbox (ZDS 1.1, synchroon) over {aanvraag.zaak}")
    details = _ask(keten, GeefZaakdetails(_vraag("ZAK"), zaak_identificatie=aanvraag.zaak))
    if not isinstance(details, ZaakdetailsAntwoord) or details.zaak is None:
        return _fout("geefZaakdetails", details)
    statussen = " → ".join(
        f"{s.statustype_code}"
        + (f" ({s.statustype_omschrijving})" if s.statustype_omschrijving else "")
        for s in details.statussen
    )
    print(
        f"  geefZaakdetails: zaak {details.zaak.identificatie}, zaaktype "
        f"{details.zaak.zaaktype_code}, statussen {statussen}"
    )
    lijst = _ask(keten, GeefLijstZaakdocumenten(_vraag("ZAK"), zaak_identificatie=aanvraag.zaak))
    if not isinstance(lijst, LijstZaakdocumentenAntwoord):
        return _fout("geefLijstZaakdocumenten", lijst)
    namen = ", ".join(f"{d.identificatie} ({d.titel})" for d in lijst.documenten)
    print(f"  geefLijstZaakdocumenten: {len(lijst.documenten)} documenten: {namen}")
    lezen = _ask(
        keten, GeefZaakdocumentLezen(_vraag("EDC"), document_identificatie=aanvraag.document)
    )
    if not isinstance(lezen, ZaakdocumentAntwoord) or lezen.document is None:
        return _fout("geefZaakdocumentLezen", lezen)
    inhoud = lezen.document.inhoud
    size = len(inhoud) if isinstance(inhoud, bytes) else 0
    print(f"  geefZaakdocumentLezen {aanvraag.document}: {lezen.document.titel}, {size} bytes")
    return _bewerken(keten, aanvraag)


def _bewerken(keten: _Keten, aanvraag: _Aanvraag) -> bool:
    """Check-out, a colleague's refused check-out, check-in, the documenten flow: a new version."""
    sha_before = _sha(keten, aanvraag.document)
    held = _ask(keten, _bewerk(aanvraag.document, BEHANDELAAR))
    if not isinstance(held, ZaakdocumentBewerkenAntwoord):
        return _fout("geefZaakdocumentbewerken", held)
    print(
        "  geefZaakdocumentbewerken (behandelaar): uitgecheckt, checkedOutId "
        f"{held.checked_out_id[:8]}..."
    )
    second = _ask(keten, _bewerk(aanvraag.document, COLLEGA))
    if not isinstance(second, Fout):
        print(f"  geefZaakdocumentbewerken (collega): NIET geweigerd: {type(second).__name__}")
        return False
    print(
        f"  geefZaakdocumentbewerken (collega): geweigerd, {second.berichtcode} "
        f"{second.code}: {second.omschrijving}"
    )
    nieuw = _formulier(
        aanvraag.document,
        aanvraag.zaak,
        datetime.now(UTC).date(),
        b"aanvraag, aangevuld door de behandelaar",
    )
    wordt = dataclasses.replace(
        nieuw, titel="Aanvraagformulier (aangevuld in GWS4all)", auteur="GWS4all"
    )
    check_in = UpdateZaakdocument(
        new_stuurgegevens("Di02", BEHANDELAAR, KETENBRUG, functie="updateZaakdocument"),
        was=Document(identificatie=aanvraag.document, titel=None, taal=None),
        wordt=wordt,
        checked_out_id=held.checked_out_id,
    )
    answer = _ask(keten, check_in)
    if not isinstance(answer, Bevestiging):
        return _fout("updateZaakdocument", answer)
    print(f"  updateZaakdocument (inchecken met het checkedOutId): {answer.berichtcode}")
    keten.sha_before = sha_before
    return True


def _inchecken_verwerkt(keten: _Keten, aanvraag: _Aanvraag) -> bool:
    """The documenten flow takes the check-in to the e-Suite as a new version (and every new
    document of the chains above to Xtendis and MyLex)."""
    sha_before = keten.sha_before
    started = utcnow()
    if not keten.dag("ketenbrug_documenten"):
        return False
    moved = flow_report(keten.store, "documenten", since=started)
    print(
        f"  documenten-flow: {moved['delivered']} afgeleverd (de nieuwe versie, en de "
        "specificaties en aanvraagformulieren naar Xtendis en MyLex)"
    )
    stored = keten.esuite_store.document(aanvraag.document)
    new_version = stored is not None and stored.sha256 != sha_before
    titel = stored.document.titel if stored is not None else "?"
    sha_after = stored.sha256 if stored is not None else ""
    versie = "nieuwe versie" if new_version else "GEEN nieuwe versie"
    print(
        f'  e-Suite {aanvraag.document}: {versie} ("{titel}", '
        f"sha256 {str(sha_before)[:10]}... → {str(sha_after)[:10]}...)"
    )
    return new_version


def _sha(keten: _Keten, document: str) -> str | None:
    stored = keten.esuite_store.document(document)
    return stored.sha256 if stored is not None else None


def _vraag(entiteittype: str) -> Any:
    return new_stuurgegevens("Lv01", BEHANDELAAR, KETENBRUG, entiteittype=entiteittype)


def _bewerk(document: str, who: Systeem) -> GeefZaakdocumentBewerken:
    sg = new_stuurgegevens("Di02", who, KETENBRUG, functie="geefZaakdocumentbewerken")
    return GeefZaakdocumentBewerken(sg, document_identificatie=document)


def _ask(keten: _Keten, message: Message) -> Any:
    """POST one message to the inbox as GWS4all does (mTLS); ask again after a StUF049 (the
    e-Suite answered 503: "try again later"), as GWS4all would."""
    body = build_message(message, ZdsVersion.V1_1)
    headers = {
        "Content-Type": "text/xml; charset=utf-8",
        "SOAPAction": f'"{soap_action_for(message, ZdsVersion.V1_1)}"',
    }
    for attempt in range(1, 7):
        response = requests.post(
            keten.inbox_url,
            data=body,
            headers=headers,
            timeout=30,
            cert=keten.cert,
            verify=keten.verify,
        )
        reply = parse_message(response.content)
        if not (isinstance(reply, Fout) and reply.code == "StUF049") or attempt == 6:
            break
        print("  (antwoord Fo01 StUF049: e-Suite even niet bereikbaar, GWS4all vraagt opnieuw)")
        time.sleep(0.2)
    return reply


def _push(keten: _Keten, message: Message) -> None:
    reply = _ask(keten, message)
    if not isinstance(reply, Bevestiging):
        raise RuntimeError(f"inbox weigerde de status: {reply}")


def _fout(vraag: str, reply: object) -> bool:
    if isinstance(reply, Fout):
        print(f"  {vraag}: {reply.berichtcode} {reply.code}: {reply.omschrijving}")
    else:
        print(f"  {vraag}: onverwacht antwoord {type(reply).__name__}")
    return False

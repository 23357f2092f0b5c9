"""Answer GWS4all's questions (ZDS 1.1 vraag/antwoord) by asking the e-Suite (ZDS 1.2).

GWS4all treats Ketenbrug as its zaaksysteem: it asks geefZaakdetails, geefZaakstatus,
geefLijstZaakdocumenten and geefZaakdocumentLezen on the inbox endpoint and waits for the
answer; a geefZaakdetails/geefZaakstatus may select many zaken (BSN, zaaktype, dates: listed
through the e-Suite's ZGW Zaken API, :mod:`sync.vragen_selectie`), with a scope and paging.
It edits a document through check-out: geefZaakdocumentbewerken reads it like
geefZaakdocumentLezen and records an exclusive check-out (:mod:`sync.checkout`),
cancelCheckout releases it; the check-in is an updateZaakdocument the inbox stores
(:mod:`sync.inbox`). Ketenbrug translates the keys through the identity map, asks the
e-Suite, translates the answer back (e-Suite zaaktype and statustype to GWS4all's codes,
through the mapping tables read backwards), merges what the inbox accepted but did not
deliver yet (:mod:`sync.vragen_pending`) and answers in ZDS 1.1. A question never changes
state (nothing is stored, no link made) except the check-out records.

The e-Suite gets a time budget per question (``KETENBRUG_VRAAG_BUDGET_S``, default 10 s): slow
or down, GWS4all gets a Fo01 with the transient code StUF049 and HTTP 503, never a hung
request. The inbox process reads the e-Suite's address from ``KETENBRUG_ESUITE_*`` (see
:func:`esuite_config_from_env`; secrets stay in the environment or in files it names).
See docs/flows/vragen.md.

Several municipalities (:mod:`sync.tenants`): each tenant asks its own e-Suite, configured by
the same names with its code in capitals appended, ``KETENBRUG_ESUITE_URL_DEVENTER``,
``KETENBRUG_ESUITE_ZENDER_DEVENTER``, and so on. Only the default tenant (a single-municipality
installation) reads the unsuffixed names. There is no fallback from a tenant to the unsuffixed
or another tenant's values: a question of Deventer is never asked of Raalte's e-Suite, and a
tenant without its own URL answers "e-Suite niet ingesteld". The question budget
(``KETENBRUG_VRAAG_BUDGET_S``) is one for the process.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from adapters.errors import KetenbrugError, TransientError, ZaakOnbekendError
from adapters.esuite.client import EsuiteClient
from adapters.esuite.config import EsuiteConfig
from adapters.esuite.document_errors import DocumentOnbekendError
from adapters.esuite.document_reading import EsuiteDocuments
from adapters.esuite.zaak_lijst import EsuiteZaakLijst
from adapters.gws4all import inbound
from adapters.gws4all.questions import (
    TRANSIENT_CODE,
    bewerken_antwoord,
    bv02_antwoord,
    fout_antwoord,
    lezen_antwoord,
    lijst_antwoord,
    zaken_antwoord,
)
from mappings.tables import MappingTables, load_tables
from privacy.masking import mask_text
from stuf import (
    CancelCheckout,
    Document,
    GeefLijstZaakdocumenten,
    GeefZaakdetails,
    GeefZaakdocumentBewerken,
    GeefZaakdocumentLezen,
    GeefZaakstatus,
    LijstZaakdocumentenAntwoord,
    StufError,
    Stuurgegevens,
    Systeem,
    Zaak,
    ZaakStatus,
    new_stuurgegevens,
)
from sync import checkout
from sync.config import load_settings
from sync.identity import IdentityMap
from sync.inbox import InboxAnswer
from sync.store.db import Store
from sync.tenants import DEFAULT, Tenant
from sync.vragen_pending import PendingZaak, pending_document, pending_documents, pending_zaak
from sync.vragen_selectie import select

__all__ = [
    "DEFAULT_BUDGET_S",
    "Vragen",
    "esuite_config_from_env",
    "esuite_setting",
    "vragen_from_env",
]

log = logging.getLogger(__name__)

DEFAULT_BUDGET_S = 10.0
ESUITE = "esuite"
_T = TypeVar("_T")


def _systeem(raw: str | None, default: str) -> Systeem:
    organisatie, _, applicatie = (raw or default).partition(":")
    return Systeem(organisatie=organisatie or None, applicatie=applicatie or organisatie)


def esuite_setting(
    source: Mapping[str, str], key: str, tenant: Tenant = DEFAULT, default: str | None = None
) -> str | None:
    """``KETENBRUG_ESUITE_<KEY>`` of ``tenant``: suffixed ``_<CODE>``, unsuffixed for the
    default tenant only (never a fallback from a named tenant to the shared name)."""
    name = f"KETENBRUG_ESUITE_{key}"
    if not tenant.is_default:
        name = f"{name}_{tenant.code.upper()}"
    return source.get(name, default)


def esuite_config_from_env(
    env: Mapping[str, str] | None = None, tenant: Tenant = DEFAULT
) -> EsuiteConfig | None:
    """``tenant``'s e-Suite for the inbox process, or None when its ``KETENBRUG_ESUITE_URL``
    (``_URL_<CODE>`` for a named tenant) is not set.

    ``KETENBRUG_ESUITE_ZENDER`` / ``_ONTVANGER`` as ``organisatie:applicatie`` (defaults
    ``<gemeentecode>:Ketenbrug`` / ``<gemeentecode>:e-Suite``), ``_VERIFY`` (CA bundle path,
    ``false`` for none), ``_CLIENT_CERT`` / ``_CLIENT_KEY`` (file paths); each suffixed like the
    URL. The call timeout is the question budget.
    """
    source = os.environ if env is None else env

    def setting(key: str, default: str | None = None) -> str | None:
        return esuite_setting(source, key, tenant, default)

    url = setting("URL")
    if not url:
        return None
    verify_raw = setting("VERIFY") or "true"
    verify: bool | str = (
        verify_raw
        if verify_raw.lower() not in ("true", "false")
        else (verify_raw.lower() == "true")
    )
    return EsuiteConfig(
        url=url,
        zender=_systeem(setting("ZENDER"), f"{tenant.gemeentecode}:Ketenbrug"),
        ontvanger=_systeem(setting("ONTVANGER"), f"{tenant.gemeentecode}:e-Suite"),
        timeout_s=budget_from_env(source),
        verify=verify,
        client_cert=setting("CLIENT_CERT"),
        client_key=setting("CLIENT_KEY"),
    )


def budget_from_env(env: Mapping[str, str] | None = None) -> float:
    source = os.environ if env is None else env
    return float(source.get("KETENBRUG_VRAAG_BUDGET_S", DEFAULT_BUDGET_S))


def vragen_from_env(
    store: Store,
    source_system: str,
    tenant: Tenant = DEFAULT,
    *,
    blob_root: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Vragen | None:
    """The answerer of ``tenant``'s inbox when none was given; None without its e-Suite.

    Its mapping tables are the tenant's (``load_settings(tenant=...)``); ``blob_root`` is the
    inbox's blob store (default: the tenant's home), where undelivered documents wait.
    """
    source = os.environ if env is None else env
    config = esuite_config_from_env(source, tenant)
    if config is None:
        return None
    settings = load_settings(dict(source), tenant=tenant.code or None)
    return Vragen(
        store,
        EsuiteClient(config),
        mappings=load_tables(settings.mappings_dir),
        budget_s=budget_from_env(source),
        source_system=source_system,
        blob_root=blob_root or settings.home / "blobs",
    )


def not_configured(question: Stuurgegevens | None) -> InboxAnswer:
    """Answer of an inbox that cannot ask the e-Suite (no ``KETENBRUG_ESUITE_URL``)."""
    text = "Ketenbrug kan deze vraag niet beantwoorden: de e-Suite is niet ingesteld"
    return InboxAnswer(500, fout_antwoord(question, "StUF058", text))


class Vragen:
    """Answers one question at a time (thread-safe: the inbox serves requests in a pool)."""

    def __init__(
        self,
        store: Store,
        client: EsuiteClient,
        *,
        mappings: MappingTables,
        budget_s: float = DEFAULT_BUDGET_S,
        source_system: str = inbound.SYSTEM,
        blob_root: Path | None = None,
    ) -> None:
        self.store = store
        self.client = client
        self.documents = EsuiteDocuments(client)
        self.zaken = EsuiteZaakLijst(client.config, client)  # ZGW: a selection of many zaken
        self.mappings = mappings
        self.budget_s = budget_s
        self.source_system = source_system
        self.blob_root = blob_root
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="kb-vraag")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.client.close()

    # -- entry ----------------------------------------------------------------------------
    def answer(self, question: inbound.Question) -> InboxAnswer:
        """The ZDS 1.1 answer to ``question``: La01/Du02/Bv02 (200), or a Fo (503 transient,
        500 not; a refused check-out, check-in or cancelCheckout is a Fo03)."""
        sg = question.stuurgegevens
        handlers: dict[type, Callable[[], bytes]] = {
            GeefZaakdetails: lambda: self._zaakvraag(question),  # type: ignore[arg-type]
            GeefZaakstatus: lambda: self._zaakvraag(question),  # type: ignore[arg-type]
            GeefLijstZaakdocumenten: lambda: self._lijst(sg, question.zaak_identificatie),  # type: ignore[union-attr]
            GeefZaakdocumentLezen: lambda: self._lezen(sg, question.document_identificatie),  # type: ignore[union-attr]
        }
        try:
            if isinstance(question, GeefZaakdocumentBewerken):
                body = self._bewerken(sg, question.document_identificatie)
            elif isinstance(question, CancelCheckout):
                body = self._cancel(question)
            else:
                body = self._within_budget(handlers[type(question)])
        except checkout.CheckoutRefused as refused:
            log.info("vraag %s geweigerd: %s", type(question).__name__, refused.omschrijving)
            fout = fout_antwoord(sg, refused.code, refused.omschrijving, berichtcode="Fo03")
            return InboxAnswer(500, fout)
        except TransientError as error:
            log.warning("vraag %s: e-Suite niet op tijd: %s", type(question).__name__, error)
            text = "de e-Suite antwoordt nu niet; stel de vraag later opnieuw"
            return InboxAnswer(503, fout_antwoord(sg, TRANSIENT_CODE, text))
        except (KetenbrugError, StufError) as error:  # StufError: not expressible in ZDS 1.1
            log.warning("vraag %s niet te beantwoorden: %s", type(question).__name__, error)
            return InboxAnswer(
                500, fout_antwoord(sg, "StUF058", f"vraag niet te beantwoorden: {error}")
            )
        return InboxAnswer(200, body)

    def _within_budget(self, work: Callable[[], _T]) -> _T:
        """Run ``work`` but give up after the budget: the asker gets a transient Fo at once."""
        future = self._pool.submit(work)
        try:
            return future.result(timeout=self.budget_s)
        except FutureTimeout:
            future.cancel()
            raise TransientError(
                f"geen antwoord binnen {self.budget_s:g} s", system=ESUITE, operation="vraag"
            ) from None

    # -- keys and codes -------------------------------------------------------------------
    def _esuite_key(self, entity: str, key: str) -> str:
        """The e-Suite's key of a GWS4all object: linked, else the same (docs/flows/zaken.md)."""
        with self.store.session() as session:
            found = IdentityMap(session).lookup(entity, self.source_system, key, ESUITE)
        return found or key

    def _own_key(self, entity: str, key: str) -> str:
        with self.store.session() as session:
            found = IdentityMap(session).lookup(entity, ESUITE, key, self.source_system)
        return found or key

    def _zaaktype(self, esuite_code: object) -> object:
        """GWS4all's zaaktype code for an e-Suite zaaktype (first row of the table that maps it)."""
        for mapping in self.mappings.zaaktypen.values():
            if mapping.bronsysteem == self.source_system and mapping.zaaktype == esuite_code:
                return mapping.broncode
        return esuite_code

    def _status_code(self, status: ZaakStatus) -> object:
        for mapping in self.mappings.statussen.values():
            if (
                mapping.bronsysteem == self.source_system
                and mapping.volgnummer == status.statustype_volgnummer
            ):
                return mapping.broncode
        return status.statustype_code

    def _esuite_volgnummer(self, status: ZaakStatus) -> int:
        """The e-Suite volgnummer a GWS4all status code stands for (to recognise a duplicate)."""
        mapping = self.mappings.status(self.source_system, str(status.statustype_code))
        return mapping.volgnummer if mapping is not None else status.statustype_volgnummer

    # -- geefZaakdetails, geefZaakstatus ----------------------------------------------------
    def _zaakvraag(self, question: GeefZaakdetails) -> bytes:
        """One zaak by identificatie (as always), or a selection of zaken, a page at a time
        (:mod:`sync.vragen_selectie`); answered with the related entities the scope asks."""
        sg = question.stuurgegevens
        status = isinstance(question, GeefZaakstatus)
        if question.selectie is None:
            found = self._zaakdetails(question.zaak_identificatie)
            zaken = [found] if found is not None else []
            return zaken_antwoord(sg, zaken, scope=question.scope, status=status)
        selectie = question.selectie
        esuite_zaaktype = None
        if selectie.zaaktype_code is not None:
            mapping = self.mappings.zaaktype(self.source_system, selectie.zaaktype_code)
            esuite_zaaktype = mapping.zaaktype if mapping is not None else selectie.zaaktype_code
        pagina = select(
            selectie,
            esuite_zaaktype=esuite_zaaktype,
            answered_zaaktype=self._zaaktype(esuite_zaaktype) if esuite_zaaktype else None,
            zoek=self.zaken.zoek,
            own_key=lambda key: self._own_key("zaak", key),
            details=self._zaakdetails,
            maximum=question.maximum_aantal,
            start=question.start,
        )
        return zaken_antwoord(
            sg, pagina.zaken, scope=question.scope, status=status, vervolg=pagina.vervolg
        )

    def _zaakdetails(self, zaak_id: str) -> tuple[Zaak, list[ZaakStatus]] | None:
        """The zaak as GWS4all knows it: the e-Suite's, what the inbox holds on top."""
        esuite_id = self._esuite_key("zaak", zaak_id)
        details = self.client.geef_zaakdetails(esuite_id)
        with self.store.session() as session:
            pending = pending_zaak(session, self.source_system, zaak_id)
        zaak: Zaak | None = None
        statussen: list[tuple[int, ZaakStatus]] = []
        if details is not None and details.zaak is not None:
            zaaktype = self._zaaktype(details.zaak.zaaktype_code)
            zaak = dataclasses.replace(
                details.zaak,
                identificatie=zaak_id,
                zaaktype_code=zaaktype,  # type: ignore[arg-type]
            )
            for status in details.statussen:
                own = dataclasses.replace(
                    status,
                    zaak_identificatie=zaak_id,
                    statustype_code=self._status_code(status),  # type: ignore[arg-type]
                    zaaktype_code=zaaktype,  # type: ignore[arg-type]
                )
                statussen.append((status.statustype_volgnummer, own))
        if details is not None and details.warnings:
            log.warning(
                "geefZaakdetails: e-Suite-antwoord gelezen met %d waarschuwing(en): %s",
                len(details.warnings),
                mask_text("; ".join(details.warnings))[:500],
            )
        return _merge(zaak, statussen, pending, self._esuite_volgnummer)

    # -- geefLijstZaakdocumenten ------------------------------------------------------------
    def _lijst(self, sg: Stuurgegevens, zaak_id: str) -> bytes:
        esuite_id = self._esuite_key("zaak", zaak_id)
        message = GeefLijstZaakdocumenten(
            new_stuurgegevens(
                "Lv01", self.client.config.zender, self.client.config.ontvanger, entiteittype="ZAK"
            ),
            zaak_identificatie=esuite_id,
        )
        documenten: list[Document] = []
        known = True
        try:
            answer = self.client.call(message, writes=False)
        except ZaakOnbekendError:
            known = False
        else:
            if not isinstance(answer, LijstZaakdocumentenAntwoord):
                raise TransientError(f"onverwacht antwoord: {type(answer).__name__}", system=ESUITE)
            for document in answer.documenten:
                documenten.append(
                    dataclasses.replace(
                        document,
                        identificatie=self._own_key("document", document.identificatie),
                        zaak_identificatie=zaak_id,
                        inhoud=None,
                    )
                )
        with self.store.session() as session:
            pending = pending_documents(session, self.source_system, zaak_id)
            created = pending_zaak(session, self.source_system, zaak_id).created
        listed = {document.identificatie: index for index, document in enumerate(documenten)}
        for identificatie, waiting in pending.items():
            document = dataclasses.replace(waiting.document, zaak_identificatie=zaak_id)
            if identificatie in listed:
                documenten[listed[identificatie]] = _overlay(
                    documenten[listed[identificatie]], document
                )
            else:
                documenten.append(document)
        if not known and not pending and created is None:
            raise ZaakOnbekendError(f"zaak {zaak_id} niet gevonden", system=ESUITE)
        return lijst_antwoord(sg, zaak_id, documenten)

    # -- geefZaakdocumentLezen --------------------------------------------------------------
    def _lezen(self, sg: Stuurgegevens, document_id: str) -> bytes:
        return lezen_antwoord(sg, self._document(document_id))

    def _document(self, document_id: str) -> Document | None:
        """The document as GWS4all knows it: the e-Suite's, with what the inbox holds on top."""
        with self.store.session() as session:
            waiting = pending_document(session, self.source_system, document_id)
        document: Document | None = None
        if waiting is None or waiting.content is None:
            esuite_id = self._esuite_key("document", document_id)
            sink = io.BytesIO()
            try:
                read = self.documents.read_document(esuite_id, sink)
            except DocumentOnbekendError:
                read = None
            if read is not None:
                zaak = read.document.zaak_identificatie
                document = dataclasses.replace(
                    read.document,
                    identificatie=document_id,
                    zaak_identificatie=self._own_key("zaak", zaak) if zaak else None,
                    inhoud=sink.getvalue(),
                )
        if waiting is not None:
            newer = waiting.document
            if waiting.content is not None:
                newer = dataclasses.replace(newer, inhoud=self._blob(waiting.content))
            document = _overlay(document, newer) if document is not None else newer
        return document

    # -- check-out: geefZaakdocumentbewerken, cancelCheckout ---------------------------------
    def _bewerken(self, sg: Stuurgegevens, document_id: str) -> bytes:
        """Read the document (within the budget), build the Du02, and only then record the
        check-out, here in the asking thread: an asker that got a Fo never holds a check-out."""
        document = self._within_budget(lambda: self._document(document_id))
        if document is None:
            raise checkout.CheckoutRefused(f"document {document_id} niet gevonden", "StUF064")
        checked_out_id = checkout.new_id()
        body = bewerken_antwoord(sg, document, checked_out_id)
        checkout.begin(
            self.store,
            self.source_system,
            document_id,
            sg.zender,
            checked_out_id,
            document.zaak_identificatie,
        )
        return body

    def _cancel(self, question: CancelCheckout) -> bytes:
        checkout.cancel(
            self.store,
            self.source_system,
            question.document_identificatie,
            question.checked_out_id,
        )
        return bv02_antwoord()

    def _blob(self, content: Mapping[str, object]) -> bytes:
        path = Path(str(content["path"]))
        if self.blob_root is not None and self.blob_root not in path.parents:
            raise TransientError("document niet in de blob-opslag", system="ketenbrug")
        return path.read_bytes()


def _overlay(base: Document, newer: Document) -> Document:
    """``base`` with every field ``newer`` has a value for."""
    values = {
        item.name: getattr(newer, item.name)
        for item in dataclasses.fields(Document)
        if getattr(newer, item.name) is not None
    }
    return dataclasses.replace(base, **values)


def _merge(
    zaak: Zaak | None,
    statussen: list[tuple[int, ZaakStatus]],
    pending: PendingZaak,
    volgnummer_of: Callable[[ZaakStatus], int],
) -> tuple[Zaak, list[ZaakStatus]] | None:
    """The e-Suite's zaak with the undelivered messages on top; statuses once, in date order."""
    merged = pending.apply(zaak)
    if merged is None:
        return None
    seen = {(nr, _second(status.datum_status_gezet)) for nr, status in statussen}
    result = [status for _nr, status in statussen]
    for status in pending.statussen:
        slot = (volgnummer_of(status), _second(status.datum_status_gezet))
        if slot not in seen:
            seen.add(slot)
            result.append(status)
    result.sort(key=lambda status: status.datum_status_gezet)
    return merged, result


def _second(moment: datetime) -> datetime:
    """Systems store datumStatusGezet with different precision: compare to the second."""
    return moment.replace(microsecond=0)

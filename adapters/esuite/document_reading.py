"""Reading documents from the e-Suite (ZDS 1.2): a zaak's list, one document streamed.

:meth:`EsuiteDocuments.list_documents` is geefLijstZaakdocumenten (an unknown zaak raises
:class:`~adapters.errors.ZaakOnbekendError`, a zaak without documents gives ``[]``);
:meth:`EsuiteDocuments.read_document` is geefZaakdocumentLezen, the answer streamed from the
socket through :func:`stuf.stream.stream_zaakdocument_lezen` into a sink, so memory stays flat
whatever the document's size. :meth:`EsuiteDocuments.stored_sha256` says which bytes the
e-Suite holds, from the ZGW listing where it can.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

import requests
import urllib3

from adapters.errors import TransientError
from adapters.esuite.archive import EsuiteArchive
from adapters.esuite.client import SYSTEM, EsuiteClient, fout_error
from adapters.esuite.document_errors import DocumentOnbekendError, DocumentZonderInhoudError
from stuf import (
    Document,
    Fout,
    GeefLijstZaakdocumenten,
    GeefZaakdocumentLezen,
    LijstZaakdocumentenAntwoord,
    NoValue,
    StufError,
    ZdsVersion,
    build_message,
    soap_action_for,
)
from stuf.stream import Writable, stream_zaakdocument_lezen

__all__ = ["EsuiteDocumentInfo", "EsuiteDocuments", "ReadDocument"]

_LEZEN = "geefZaakdocumentLezen"


@dataclass(frozen=True)
class EsuiteDocumentInfo:
    """One document of a zaak as geefLijstZaakdocumenten lists it (no content, no checksum)."""

    identificatie: str
    titel: str | None
    documenttype: str | None
    creatiedatum: date | None
    formaat: str | None
    taal: str | None
    vertrouwelijkheid: str | None
    auteur: str | None

    @classmethod
    def of(cls, document: Document) -> EsuiteDocumentInfo:
        def plain(value: Any) -> Any:
            return None if isinstance(value, NoValue) else value

        return cls(
            identificatie=document.identificatie,
            titel=plain(document.titel),
            documenttype=plain(document.documenttype_omschrijving),
            creatiedatum=plain(document.creatiedatum),
            formaat=plain(document.formaat),
            taal=plain(document.taal),
            vertrouwelijkheid=plain(document.vertrouwelijkheid),
            auteur=plain(document.auteur),
        )


class ReadDocument(NamedTuple):
    """What :meth:`EsuiteDocuments.read_document` wrote: metadata, SHA-256 and size."""

    document: Document
    sha256: str
    size: int


class _SinkFailed(Exception):
    """The caller's sink failed: its error is re-raised as it was, not taken for the network's."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


class _GuardedSink:
    def __init__(self, sink: Writable) -> None:
        self.sink = sink

    def write(self, data: bytes, /) -> Any:
        try:
            return self.sink.write(data)
        except Exception as exc:
            raise _SinkFailed(exc) from exc


class _Discard:
    def write(self, data: bytes, /) -> int:
        return len(data)


class EsuiteDocuments:
    """The e-Suite's ZDS 1.2 document services for reading, on top of an :class:`EsuiteClient`."""

    def __init__(self, client: EsuiteClient) -> None:
        self.client = client

    def list_documents(self, zaak_identificatie: str) -> list[EsuiteDocumentInfo]:
        """The zaak's documents (metadata only). An unknown zaak raises ZaakOnbekendError (the
        e-Suite's Fo02 "niet gevonden"): it is not the same as a zaak without documents (``[]``).
        """
        message = GeefLijstZaakdocumenten(
            self.client.stuurgegevens("Lv01", "ZAK"), zaak_identificatie=zaak_identificatie
        )
        answer = self.client.call(message, writes=False)
        if not isinstance(answer, LijstZaakdocumentenAntwoord):
            raise TransientError(
                f"onverwacht antwoord op geefLijstZaakdocumenten: {type(answer).__name__}",
                system=SYSTEM,
                operation="geefLijstZaakdocumenten",
            )
        return [EsuiteDocumentInfo.of(document) for document in answer.documenten]

    def read_document(self, identificatie: str, sink: Writable) -> ReadDocument:
        """geefZaakdocumentLezen: the content goes to ``sink`` as it arrives (memory stays flat).

        Returns the metadata (``inhoud`` None) with the SHA-256 and size of what was written.
        Raises DocumentOnbekendError, DocumentZonderInhoudError, TransientError (a cut-off or
        unreadable answer: ``sink`` then holds part of the document, the caller discards it);
        an error of ``sink`` itself comes out as it was.
        """
        message = GeefZaakdocumentLezen(
            self.client.stuurgegevens("Lv01", "EDC"), document_identificatie=identificatie
        )
        body = build_message(message, ZdsVersion.V1_2)
        action = soap_action_for(message, ZdsVersion.V1_2)
        response = self.client.post(
            body, action=action, operation=_LEZEN, writes=False, stream=True
        )
        try:
            with response:
                response.raw.decode_content = True
                streamed = stream_zaakdocument_lezen(response.raw, _GuardedSink(sink))
        except _SinkFailed as failed:
            raise failed.error from None
        except StufError as exc:
            raise TransientError(
                f"onleesbaar antwoord van e-Suite (HTTP {response.status_code}): {exc}",
                system=SYSTEM,
                operation=_LEZEN,
            ) from exc
        except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as exc:
            raise TransientError(
                f"antwoord van e-Suite afgebroken: {type(exc).__name__}",
                system=SYSTEM,
                operation=_LEZEN,
            ) from exc
        answer = streamed.message
        if isinstance(answer, Fout):
            raise fout_error(answer, _LEZEN, unknown=DocumentOnbekendError)
        document = getattr(answer, "document", None)
        if document is None:
            raise DocumentOnbekendError(
                f"e-Suite kent document {identificatie} niet", system=SYSTEM, operation=_LEZEN
            )
        if isinstance(document.inhoud, NoValue):
            raise DocumentZonderInhoudError(
                f"e-Suite geeft geen inhoud voor document {identificatie}",
                system=SYSTEM,
                operation=_LEZEN,
            )
        return ReadDocument(document, streamed.sha256, streamed.size)

    def stored_sha256(self, identificatie: str, archive: EsuiteArchive) -> str | None:
        """SHA-256 of the document as the e-Suite holds it; None when it does not list it.

        From the archive's ZGW listing; downloaded (into nothing) only when that gives none.
        """
        entry = archive.document(identificatie)
        if entry is None:
            return None
        if entry.sha256 is not None:
            return entry.sha256
        try:
            return self.read_document(identificatie, _Discard()).sha256
        except DocumentOnbekendError:
            return None

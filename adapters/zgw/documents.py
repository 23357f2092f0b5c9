"""Zaakdocuments in a ZGW Documenten API, linked to their zaak in the Zaken API.

Deliver (:data:`VOEG_ZAAKDOCUMENT_TOE`): POST an enkelvoudiginformatieobject with the blob as
``inhoud`` (streamed, :mod:`adapters.zgw.upload`), its size as ``bestandsomvang`` and its
SHA-256 as ``integriteit``; then POST a zaakinformatieobject linking it to the zaak. A new
version (:data:`UPDATE_ZAAKDOCUMENT`): lock, PATCH the new ``inhoud`` (and the fields given),
unlock: the API keeps the old version and numbers the new one.

Idempotence: a document is known by ``identificatie`` (per bronorganisatie). Found with the
same SHA-256, a delivery only adds a missing link and counts as delivered
(:class:`AlreadyExistsError`); found with other bytes it is refused (another document under the
same identificatie). :meth:`ZgwDocuments.is_applied` compares the stored ``integriteit`` and
``bestandsomvang`` with the operation's (and, for a delivery, checks the link).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from adapters.base import Operation
from adapters.document import (
    CHECKSUM_ATTEMPTS,
    UPDATE_ZAAKDOCUMENT,
    VOEG_ZAAKDOCUMENT_TOE,
    DocumentContent,
    DocumentFields,
    document_parts,
)
from adapters.errors import (
    AlreadyExistsError,
    AmbiguousWriteError,
    ChecksumMismatchError,
    InvalidMessageError,
    KetenbrugError,
    TargetRejectedError,
    TransientError,
)
from adapters.zgw.catalogi import Catalogus
from adapters.zgw.client import SYSTEM, ZgwClient
from adapters.zgw.upload import BlobReadError, ChecksumMismatch, StreamedJson
from adapters.zgw.zaken import ZgwZaken
from stuf.values import AMSTERDAM

__all__ = ["DocumentOnbekendError", "ZgwDocuments"]

log = logging.getLogger(__name__)

_TAAL = {"nl": "nld", "nld": "nld", "dut": "nld", "en": "eng", "eng": "eng", "de": "ger"}
_VERTROUWELIJKHEID = {
    "openbaar",
    "beperkt_openbaar",
    "intern",
    "zaakvertrouwelijk",
    "vertrouwelijk",
    "confidentieel",
    "geheim",
    "zeer_geheim",
}


class DocumentOnbekendError(TargetRejectedError):
    """A new version of a document the Documenten API does not hold."""


def _sha256(item: Mapping[str, Any]) -> str | None:
    integriteit = item.get("integriteit")
    if not isinstance(integriteit, dict) or integriteit.get("algoritme") != "sha_256":
        return None
    return str(integriteit.get("waarde") or "").lower() or None


def _same_content(item: Mapping[str, Any] | None, content: DocumentContent) -> bool:
    return (
        item is not None
        and _sha256(item) == content.sha256
        and item.get("bestandsomvang") in (None, content.size)
    )


def _vertrouwelijkheid(value: str | None, operation: str) -> str | None:
    """ZGW spelling of a ZDS (``BEPERKT OPENBAAR``) or ZGW (``beperkt_openbaar``) value."""
    if value is None:
        return None
    spelled = value.strip().lower().replace(" ", "_")
    if spelled not in _VERTROUWELIJKHEID:
        raise InvalidMessageError(
            f"vertrouwelijkheid {value[:40]!r} is geen ZGW-waarde",
            system=SYSTEM,
            operation=operation,
        )
    return spelled


class ZgwDocuments:
    """The zaakdocument operations of :mod:`adapters.document` against the Documenten API."""

    def __init__(self, client: ZgwClient, catalogus: Catalogus, zaken: ZgwZaken) -> None:
        self.client = client
        self.catalogus = catalogus
        self.zaken = zaken
        self.root = client.config.documenten_url

    # --- reading ----------------------------------------------------------------------------

    def find(self, identificatie: str, operation: str = "documenten") -> dict[str, Any] | None:
        """The document with this identificatie (of our bronorganisatie), or None."""
        params = {
            "identificatie": identificatie,
            "bronorganisatie": self.client.config.bronorganisatie,
        }
        url = f"{self.root}/enkelvoudiginformatieobjecten"
        for item in self.client.results(url, operation, params):
            if item.get("identificatie") == identificatie:
                return item
        return None

    def _linked(self, zaak_url: str, document_url: str, operation: str) -> bool:
        params = {"zaak": zaak_url, "informatieobject": document_url}
        answer = self.client.get(f"{self.zaken.root}/zaakinformatieobjecten", operation, params)
        items = answer if isinstance(answer, list) else []  # this list is not paginated
        return any(
            isinstance(item, dict) and item.get("informatieobject") == document_url
            for item in items
        )

    def is_applied(self, operation: Operation) -> bool:
        fields, content = document_parts(self._with_titel(operation.data), SYSTEM)
        stored = self.find(fields.identificatie, operation.name)
        if not _same_content(stored, content):
            return False
        if operation.name == UPDATE_ZAAKDOCUMENT or not fields.zaak_identificatie:
            return True
        assert stored is not None
        zaak = self.zaken.find(fields.zaak_identificatie, operation.name)
        return zaak is not None and self._linked(
            str(zaak["url"]), str(stored["url"]), operation.name
        )

    # --- writing ----------------------------------------------------------------------------

    def voeg_toe(self, data: Mapping[str, Any]) -> None:
        fields, content = document_parts(data, SYSTEM)
        if not fields.zaak_identificatie:
            raise InvalidMessageError(
                f"document {fields.identificatie} zonder zaak",
                system=SYSTEM,
                operation=VOEG_ZAAKDOCUMENT_TOE,
            )
        zaak = self.zaken.require(fields.zaak_identificatie, VOEG_ZAAKDOCUMENT_TOE)
        stored = self.find(fields.identificatie, VOEG_ZAAKDOCUMENT_TOE)
        if stored is not None:
            if not _same_content(stored, content):
                raise TargetRejectedError(
                    f"document {fields.identificatie} bestaat al in de Documenten API met andere "
                    f"inhoud (sha256 {_sha256(stored)}, te leveren {content.sha256})",
                    system=SYSTEM,
                    operation=VOEG_ZAAKDOCUMENT_TOE,
                )
            self._link(zaak, stored, fields)
            raise AlreadyExistsError(
                f"document {fields.identificatie} staat er al",
                system=SYSTEM,
                operation=VOEG_ZAAKDOCUMENT_TOE,
            )
        body = {
            **self._metadata(fields, VOEG_ZAAKDOCUMENT_TOE),
            "bronorganisatie": self.client.config.bronorganisatie,
            "informatieobjecttype": self.catalogus.informatieobjecttype(
                fields.documenttype, self.client.config.informatieobjecttype
            ),
            "indicatieGebruiksrecht": False,
        }
        created = self._upload(
            "POST",
            f"{self.root}/enkelvoudiginformatieobjecten",
            body,
            fields,
            content,
            VOEG_ZAAKDOCUMENT_TOE,
        )
        self._link(zaak, created, fields)

    def _link(
        self, zaak: Mapping[str, Any], document: Mapping[str, Any], fields: DocumentFields
    ) -> None:
        if self._linked(str(zaak["url"]), str(document["url"]), VOEG_ZAAKDOCUMENT_TOE):
            return
        body = {
            "zaak": zaak["url"],
            "informatieobject": document["url"],
            "titel": fields.titel[:200],
        }
        self.client.request(
            "POST",
            f"{self.zaken.root}/zaakinformatieobjecten",
            operation="zaakinformatieobjecten",
            body=body,
        )

    def update(self, data: Mapping[str, Any]) -> None:
        """A new version: lock, PATCH the content and the fields given, unlock (always)."""
        fields, content = document_parts(self._with_titel(data), SYSTEM)
        stored = self.find(fields.identificatie, UPDATE_ZAAKDOCUMENT)
        if stored is None:
            raise DocumentOnbekendError(
                f"Documenten API kent document {fields.identificatie} niet, de nieuwe versie is "
                "niet opgeslagen",
                system=SYSTEM,
                operation=UPDATE_ZAAKDOCUMENT,
            )
        url = str(stored["url"])
        metadata = self._metadata(fields, UPDATE_ZAAKDOCUMENT)
        raw = data.get("document") or {}
        changes = {key: value for key, value in metadata.items() if key in _given(raw)}
        lock = self.client.request("POST", f"{url}/lock", operation="lock", body={})
        key = lock.get("lock") if isinstance(lock, dict) else None
        if not key:
            raise TransientError("lock zonder sleutel", system=SYSTEM, operation="lock")
        try:
            self._upload(
                "PATCH", url, {**changes, "lock": key}, fields, content, UPDATE_ZAAKDOCUMENT
            )
        finally:
            try:
                self.client.request("POST", f"{url}/unlock", operation="unlock", body={"lock": key})
            except KetenbrugError as error:
                log.warning("document %s niet ontgrendeld: %s", fields.identificatie, error)

    # --- helpers ----------------------------------------------------------------------------

    @staticmethod
    def _with_titel(data: Mapping[str, Any]) -> Mapping[str, Any]:
        """An update may leave titel out (unchanged); the shared parser wants one."""
        document = data.get("document")
        if isinstance(document, Mapping) and not document.get("titel"):
            return {**data, "document": {**document, "titel": "-"}}
        return data

    @staticmethod
    def _metadata(fields: DocumentFields, operation: str) -> dict[str, Any]:
        taal = (fields.taal or "nld").lower()
        return {
            "identificatie": fields.identificatie,
            "titel": fields.titel[:200],
            "creatiedatum": (fields.creatiedatum or datetime.now(AMSTERDAM).date()).isoformat(),
            "auteur": (fields.auteur or "Ketenbrug")[:200],
            "taal": _TAAL.get(taal, taal[:3]),
            "formaat": (fields.formaat or "")[:255],
            "bestandsnaam": (fields.bestandsnaam or "")[:255],
            "vertrouwelijkheidaanduiding": _vertrouwelijkheid(fields.vertrouwelijkheid, operation),
        }

    def _upload(
        self,
        method: str,
        url: str,
        metadata: Mapping[str, Any],
        fields: DocumentFields,
        content: DocumentContent,
        operation: str,
    ) -> dict[str, Any]:
        """Send ``metadata`` with the blob streamed; read a mismatching blob again, then stop."""
        body = {
            **{key: value for key, value in metadata.items() if value is not None},
            "bestandsomvang": content.size,
            "integriteit": {
                "algoritme": "sha_256",
                "waarde": content.sha256,
                "datum": datetime.now(AMSTERDAM).date().isoformat(),
            },
        }
        read = ""
        for attempt in range(CHECKSUM_ATTEMPTS):
            with content.open(SYSTEM, operation) as handle:
                streamed = StreamedJson(body, handle, content.size, content.sha256)
                try:
                    answer = self.client.request(method, url, operation=operation, data=streamed)
                except ChecksumMismatch as mismatch:
                    read = mismatch.sha256
                    log.warning(
                        "zgw: inhoud van document %s klopt niet met sha256 (poging %d), afgebroken",
                        fields.identificatie,
                        attempt + 1,
                    )
                    continue
                except BlobReadError as exc:
                    raise TransientError(
                        f"blob van document {fields.identificatie} niet te lezen: {exc}",
                        system=SYSTEM,
                        operation=operation,
                    ) from exc
            if not isinstance(answer, dict) or not answer.get("url"):
                raise AmbiguousWriteError(
                    "onleesbaar antwoord van de Documenten API", system=SYSTEM, operation=operation
                )
            return answer
        raise ChecksumMismatchError(
            f"inhoud van document {fields.identificatie} klopt niet met de sha256 (verwacht "
            f"{content.sha256}, gelezen {read or 'onbekend'}) na {CHECKSUM_ATTEMPTS} keer lezen",
            system=SYSTEM,
            operation=operation,
            sha256=read,
        )


def _given(raw: Any) -> set[str]:
    """The ZGW fields an update names (its other fields stay as they are)."""
    names = {
        "titel": "titel",
        "creatiedatum": "creatiedatum",
        "auteur": "auteur",
        "taal": "taal",
        "formaat": "formaat",
        "bestandsnaam": "bestandsnaam",
        "vertrouwelijkheid": "vertrouwelijkheidaanduiding",
    }
    if not isinstance(raw, Mapping):
        return set()
    return {zgw for key, zgw in names.items() if raw.get(key) not in (None, "")}

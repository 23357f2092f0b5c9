"""Xtendis as a sync target: drops a document into the client dossier and waits for its receipt.

A drop is not idempotent by itself, its receipt makes it so: before dropping, :meth:`apply`
looks for the receipt of the drop name (the flow derives it from the ledger key), and for a
commit marker still waiting in the hot folder. An OK receipt means delivered; an error receipt
is a dead letter (``xtendis_rejected``, with Xtendis' reason code); a committed drop without a
receipt yet is waited for, never dropped again. No receipt in time raises
:class:`~adapters.xtendis.client.ReceiptTimeoutError`, an ambiguous write: the engine asks
:meth:`XtendisTarget.is_applied` before it tries again.

The index needs the client's BSN, which a document does not carry and the operation must not
carry (the ledger stores operations): the flow passes ``dossier_bsn(zaak_identificatie)``,
which is only called when a drop is really made.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from adapters.base import Operation
from adapters.document import (
    CHECKSUM_ATTEMPTS,
    DROP_DOCUMENT,
    ClientPool,
    DocumentContent,
    DocumentFields,
    document_parts,
    optional_str,
    require_archivable,
)
from adapters.errors import ChecksumMismatchError, InvalidMessageError, PermanentError
from adapters.sftp.pinned import safe_name
from adapters.xtendis.client import ReceiptTimeoutError, XtendisClient
from adapters.xtendis.config import XtendisConfig
from adapters.xtendis.index import SYSTEM, XtendisIndex, XtendisRejectedError

__all__ = ["DROP_DOCUMENT", "XtendisDrop", "XtendisTarget"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class XtendisDrop:
    """A ``drop_document`` operation, parsed and checked; nothing remote has happened yet."""

    name: str
    archief: str
    documenttype: str
    documentdatum: date
    document: DocumentFields
    content: DocumentContent

    @classmethod
    def from_operation(
        cls, operation: Operation, default_documenttype: str | None = None
    ) -> XtendisDrop:
        """Parse ``operation.data``; unsafe names raise ``UnsafeNameError``, gaps
        :class:`InvalidMessageError` (both permanent), before any connection is made.

        Xtendis requires a documenttype: ``default_documenttype`` stands in for a missing one;
        without it such a document is a dead letter."""
        if operation.name != DROP_DOCUMENT:
            raise PermanentError(f"onbekende operatie {operation.name!r}", system=SYSTEM)
        data = operation.data
        document, content = document_parts(data, SYSTEM)
        name = safe_name(optional_str(data, "drop_name", SYSTEM) or "", SYSTEM)
        safe_name(document.identificatie, SYSTEM)
        archief = optional_str(data, "archief", SYSTEM)
        if archief is None:
            raise InvalidMessageError("documentoperatie ongeldig: archief ontbreekt", system=SYSTEM)
        documenttype = document.documenttype or default_documenttype
        documentdatum = document.creatiedatum
        if documenttype is None or documentdatum is None:
            missing = "documenttype" if documenttype is None else "creatiedatum"
            raise InvalidMessageError(
                f"Xtendis vereist {missing} voor document {document.identificatie}",
                system=SYSTEM,
            )
        return cls(name, archief, documenttype, documentdatum, document, content)

    def index(self, bsn: str) -> XtendisIndex:
        """The index XML fields; ``bsn`` comes from the flow, just before the drop."""
        document = self.document
        return XtendisIndex(
            archief=self.archief,
            bsn=bsn,
            kenmerk=document.identificatie,
            documenttype=self.documenttype,
            documentdatum=self.documentdatum,
            titel=document.titel,
            zaaknummer=document.zaak_identificatie or "",
            bestandsnaam=document.bestandsnaam or "",
        )


class XtendisTarget:
    """Target adapter for Xtendis (operation ``drop_document``). Safe to share between threads.

    ``receipt_timeout_s`` bounds the wait for a receipt after a drop (and in
    :meth:`is_applied` for a drop still waiting in the hot folder); ``poll_s`` is the interval
    between looks into ``receipts/``. ``default_documenttype`` is indexed for a document
    without a documenttype (Xtendis requires one); None makes such a document a dead letter.
    ``checksum_attempts`` is how often a blob is streamed before a mismatch is final.
    """

    system = SYSTEM

    def __init__(
        self,
        config: XtendisConfig,
        *,
        dossier_bsn: Callable[[str | None], str],
        receipt_timeout_s: float = 60.0,
        poll_s: float = 1.0,
        checksum_attempts: int = CHECKSUM_ATTEMPTS,
        default_documenttype: str | None = None,
    ) -> None:
        self.config = config
        self.default_documenttype = default_documenttype
        self.dossier_bsn = dossier_bsn
        self.receipt_timeout_s = receipt_timeout_s
        self.poll_s = poll_s
        self.checksum_attempts = max(1, checksum_attempts)
        self._clients: ClientPool[XtendisClient] = ClientPool(lambda: XtendisClient(config))

    def close(self) -> None:
        """Close every client's session (they reconnect when used again)."""
        self._clients.close()

    def apply(self, operation: Operation) -> None:
        """Deliver once: an existing receipt settles it, a committed drop is waited for,
        otherwise the blob is dropped (streamed, SHA-256 checked) and its receipt awaited."""
        drop = XtendisDrop.from_operation(operation, self.default_documenttype)
        with self._clients.client() as client:
            if self._settled(client, drop.name):
                return
            if client.pending(drop.name):
                # Committed earlier (a crash or a timeout): its receipt is coming; a re-drop
                # would only race the importer.
                client.wait_for_receipt(drop.name, self.receipt_timeout_s, self.poll_s)
                return
            if self._settled(client, drop.name):  # imported between the two looks
                return
            index = drop.index(self.dossier_bsn(drop.document.zaak_identificatie))
            self._drop(client, drop, index)
            client.wait_for_receipt(drop.name, self.receipt_timeout_s, self.poll_s)

    @staticmethod
    def _settled(client: XtendisClient, name: str) -> bool:
        """True when an OK receipt exists; an error receipt raises XtendisRejectedError."""
        receipt = client.already_dropped(name)
        if receipt is None:
            return False
        receipt.raise_for_error()
        return True

    def _drop(self, client: XtendisClient, drop: XtendisDrop, index: XtendisIndex) -> None:
        """Stream the blob as ``<name>.<ext>`` of its detected format (unidentifiable content
        is :class:`~adapters.document.UnsupportedFormatError`); a checksum mismatch streams it
        again (a read may have been bad)."""
        for attempt in range(1, self.checksum_attempts + 1):
            try:
                with drop.content.open(SYSTEM, "drop") as handle:
                    formaat = require_archivable(handle, drop.document, SYSTEM)
                    client.drop(
                        drop.name,
                        handle,
                        index,
                        expected_sha256=drop.content.sha256,
                        extension=formaat.extension,
                    )
                return
            except ChecksumMismatchError:
                if attempt == self.checksum_attempts:
                    raise
                log.warning(
                    "xtendis: %s checksum wijkt af van de bron (poging %d van %d), opnieuw",
                    drop.name,
                    attempt,
                    self.checksum_attempts,
                )

    def is_applied(self, operation: Operation) -> bool:
        """An OK receipt exists, or the drop is still committed and gets one within the timeout."""
        drop = XtendisDrop.from_operation(operation, self.default_documenttype)
        with self._clients.client() as client:
            receipt = client.already_dropped(drop.name)
            if receipt is None and client.pending(drop.name):
                try:
                    receipt = client.wait_for_receipt(
                        drop.name, self.receipt_timeout_s, self.poll_s
                    )
                except XtendisRejectedError:
                    return False  # apply() finds the error receipt and dead-letters it
                except ReceiptTimeoutError:
                    return False  # still pending: apply() waits again, it does not re-drop
            return receipt is not None and receipt.ok

"""Delivering documents to the e-Suite (ZDS 1.2): voegZaakdocumentToe and updateZaakdocument,
the blob streamed (:mod:`adapters.esuite.upload_body`), its SHA-256 checked on the way.

A blob whose bytes do not match ``content.sha256``/``size`` is never sent whole (the upload is
cut off before the envelope's closing tags, so the e-Suite stores nothing); it is re-read (and
re-sent) up to :data:`CHECKSUM_RETRIES` times before a
:class:`~adapters.errors.ChecksumMismatchError` (``checksum_mismatch``) is raised.

Updating (a new version of a document's content and metadata): the blob in the *wordt* object;
the *was* object holds only the identificatie (all the schema requires), no ``checkedOutId`` is
sent. A document the e-Suite does not know is a :class:`DocumentOnbekendError`. Delivering: a
Fo03 "bestaat al" is an :class:`~adapters.errors.AlreadyExistsError`, an unknown zaak a
:class:`~adapters.errors.ZaakOnbekendError`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from dataclasses import replace
from typing import BinaryIO, TypeVar

from adapters.document import UPDATE_ZAAKDOCUMENT, VOEG_ZAAKDOCUMENT_TOE
from adapters.errors import KetenbrugError, TransientError
from adapters.esuite.client import SYSTEM, EsuiteClient, expect_bevestiging, fout_error
from adapters.esuite.document_errors import (
    BlobUnavailableError,
    DocumentOnbekendError,
    checksum_error,
)
from adapters.esuite.document_reading import EsuiteDocuments
from adapters.esuite.document_upload import FUNCTIONS, DocumentUpload
from adapters.esuite.upload_body import BlobMismatch, BlobReadError, StreamedBody, envelope_parts
from stuf import (
    Document,
    Fout,
    UpdateZaakdocument,
    VoegZaakdocumentToe,
    ZdsVersion,
    soap_action_for,
)

__all__ = ["CHECKSUM_RETRIES", "EsuiteDocumentDelivery"]

log = logging.getLogger(__name__)

#: How often a blob whose bytes do not match its SHA-256 is read again before giving up.
CHECKSUM_RETRIES = 3
_VOEG_TOE = FUNCTIONS[VOEG_ZAAKDOCUMENT_TOE]
_UPDATE = FUNCTIONS[UPDATE_ZAAKDOCUMENT]
E = TypeVar("E", bound=KetenbrugError)


def _blob_matches(path: str, size: int, sha256: str) -> tuple[bool, str]:
    """Read the blob once, locally: (does it match, its sha256)."""
    digest = hashlib.sha256()
    total = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            total += len(chunk)
    return total == size and digest.hexdigest() == sha256, digest.hexdigest()


class EsuiteDocumentDelivery(EsuiteDocuments):
    """Delivers documents to the e-Suite, and reads them as :class:`EsuiteDocuments` does.

    One object for both: who delivers asks next what the e-Suite holds (``stored_sha256``).
    ``retry_delay_s`` is the pause before a blob with a wrong checksum is read again.
    """

    def __init__(self, client: EsuiteClient, *, retry_delay_s: float = 0.2) -> None:
        super().__init__(client)
        self.retry_delay_s = retry_delay_s

    def voeg_toe(self, upload: DocumentUpload) -> None:
        """voegZaakdocumentToe with the blob streamed (see the module doc).

        Raises AlreadyExistsError (Fo03 "bestaat al"), ZaakOnbekendError, TargetRejectedError,
        TransientError/AmbiguousWriteError, BlobUnavailableError, ChecksumMismatchError.
        """
        self._deliver(upload, _VOEG_TOE)

    def update(self, upload: DocumentUpload) -> None:
        """updateZaakdocument: the blob (streamed) and the given fields become the document's.

        The *was* object carries only the identificatie. Raises DocumentOnbekendError (the
        e-Suite does not know the document), TargetRejectedError, TransientError/
        AmbiguousWriteError, BlobUnavailableError, ChecksumMismatchError (the e-Suite keeps
        the content it had: an upload whose bytes do not match is cut off before its end).
        """
        self._deliver(upload, _UPDATE)

    def _message(
        self, function: str, document: Document
    ) -> VoegZaakdocumentToe | UpdateZaakdocument:
        """The message for one attempt: every attempt is a new message (a fresh
        referentienummer)."""
        if function == _UPDATE:
            sg = self.client.stuurgegevens("Di02", entiteittype=None, functie=_UPDATE)
            was = Document(document.identificatie, None, taal=None)
            return UpdateZaakdocument(sg, was=was, wordt=document)
        return VoegZaakdocumentToe(self.client.stuurgegevens("Lk01", "EDC"), document)

    def _deliver(self, upload: DocumentUpload, function: str) -> None:
        """Send ``function`` with the blob streamed; re-read a mismatching blob, then give up."""
        document = replace(upload.document, inhoud=None)
        identificatie = upload.document.identificatie
        mismatch = BlobMismatch("", 0)
        for attempt in range(1 + CHECKSUM_RETRIES):
            if attempt:
                time.sleep(self.retry_delay_s)
                matches, sha256 = self._read_blob(upload, function)
                if not matches:
                    mismatch = BlobMismatch(sha256, -1)
                    continue
            message = self._message(function, document)
            head, tail = envelope_parts(message)
            try:
                self._send(upload, head, tail, soap_action_for(message, ZdsVersion.V1_2), function)
                return
            except BlobMismatch as exc:
                mismatch = exc
                log.warning(
                    "e-Suite: inhoud van document %s klopt niet met sha256 (%s, poging %d), "
                    "niet (volledig) verstuurd",
                    identificatie,
                    function,
                    attempt + 1,
                )
        outcome = "niet bijgewerkt" if function == _UPDATE else "niet afgeleverd"
        raise checksum_error(
            f"inhoud van document {identificatie} klopt niet met de sha256 "
            f"(verwacht {upload.sha256}, gelezen {mismatch.sha256 or 'onbekend'}) "
            f"na {1 + CHECKSUM_RETRIES} keer lezen; {outcome}",
            function,
            mismatch.sha256,
        )

    def _open_blob(self, upload: DocumentUpload, function: str = _VOEG_TOE) -> BinaryIO:
        try:
            return open(upload.path, "rb")  # closed by the caller
        except (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError) as exc:
            what = f"niet leesbaar: {type(exc).__name__}"
            raise _blob_error(BlobUnavailableError, upload, what, function) from exc
        except OSError as exc:
            raise _blob_error(TransientError, upload, f"niet te openen: {exc}", function) from exc

    def _read_blob(self, upload: DocumentUpload, function: str = _VOEG_TOE) -> tuple[bool, str]:
        self._open_blob(upload, function).close()  # the same errors as for the upload itself
        try:
            return _blob_matches(upload.path, upload.size, upload.sha256)
        except OSError as exc:
            raise _blob_error(TransientError, upload, f"niet te lezen: {exc}", function) from exc

    def _send(
        self,
        upload: DocumentUpload,
        head: bytes,
        tail: bytes,
        action: str,
        function: str = _VOEG_TOE,
    ) -> None:
        with self._open_blob(upload, function) as handle:
            actual_size = os.fstat(handle.fileno()).st_size
            if actual_size != upload.size:  # no need to send anything to know
                raise BlobMismatch("", actual_size)
            body = StreamedBody(head, handle, tail, upload.size, upload.sha256)
            try:
                response = self.client.post(body, action=action, operation=function, writes=True)
            except BlobReadError as exc:  # cut off before the envelope was complete
                what = f"niet te lezen: {exc}"
                raise _blob_error(TransientError, upload, what, function) from exc
        answer = self.client.answer(response, operation=function, writes=True)
        if isinstance(answer, Fout):
            raise _write_error(answer, function, upload.document.identificatie)
        expect_bevestiging(answer, function)


def _blob_error(kind: type[E], upload: DocumentUpload, what: str, function: str) -> E:
    """Ketenbrug's own copy of the blob failed us (not the e-Suite): ``kind`` says for how long."""
    text = f"blob van document {upload.document.identificatie} {what}"
    return kind(text, system=SYSTEM, operation=function)


def _write_error(fout: Fout, function: str, identificatie: str) -> KetenbrugError:
    """The Fo0x of a write: for a new document the zaak can be unknown, for an update the
    document (then nothing of the new version is stored)."""
    if function == _UPDATE:
        return fout_error(
            fout,
            _UPDATE,
            unknown=DocumentOnbekendError,
            unknown_text=f"e-Suite kent document {identificatie} niet, "
            "de nieuwe versie is niet opgeslagen",
        )
    return fout_error(fout, _VOEG_TOE, exists=True)

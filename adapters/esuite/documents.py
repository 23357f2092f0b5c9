"""Documents in the e-Suite (ZDS 1.2): deliver one streamed, update one streamed, list a zaak's,
read one streamed.

Delivering (:class:`EsuiteDocumentTarget`, operation :data:`VOEG_ZAAKDOCUMENT_TOE`): the
voegZaakdocumentToe envelope is built once with a stand-in ``inhoud`` and split around it; the
request body is then *head + base64 of the blob, read in chunks + tail*, with its length known
in advance (``4 * ceil(size / 3)`` for the base64), so requests sends a Content-Length and the
document is never in memory. The bytes are byte for byte what ``build_message`` writes with the
content inline, and the envelope is checked against the ZDS 1.2 schema before anything is sent.

The SHA-256 of the blob is computed on the bytes as they are streamed. The tail of the envelope
(the closing tags) is sent only when that hash and the size match ``content.sha256``/``size``:
on a mismatch the upload is aborted, the e-Suite receives XML that is not well-formed and
stores nothing. The blob is then re-read (and re-sent) up to :data:`CHECKSUM_RETRIES` times
before a :class:`~adapters.sftp.pinned.ChecksumMismatchError` (``checksum_mismatch``) is raised.

Updating (operation :data:`UPDATE_ZAAKDOCUMENT`, a new version of a document's content and
metadata): an updateZaakdocument (``updateZaakdocument_Di02``) streamed exactly the same way,
the blob in the *wordt* object; the *was* object holds only the identificatie (all the schema
requires), no ``checkedOutId`` is sent. The data contract is that of delivering; only
``document.identificatie`` (and the content) are required, the fields given are the new values,
the others are left as they are. A document the e-Suite does not know is a
:class:`DocumentOnbekendError` (a :class:`TargetRejectedError`, reason ``target_rejected``).
:meth:`EsuiteDocumentTarget.is_applied` is true when the e-Suite holds the document with the
operation's SHA-256 (so an update whose content equals what is stored counts as applied: the
metadata is not compared).

A Fo03 "Document ... bestaat al" is :class:`~adapters.errors.AlreadyExistsError` (delivered) when
the e-Suite holds the same bytes, and a :class:`TargetRejectedError` when it holds other bytes.
:meth:`EsuiteDocumentTarget.is_applied` compares SHA-256s through the ZGW listing
(:class:`~adapters.esuite.archive.EsuiteArchive`), downloading only when the archive gives none.

Reading (:class:`EsuiteDocuments`): :meth:`~EsuiteDocuments.list_documents` (geefLijstZaak-
documenten; an unknown zaak raises :class:`ZaakOnbekendError`, a zaak without documents gives
``[]``) and :meth:`~EsuiteDocuments.read_document` (geefZaakdocumentLezen, the answer streamed
from the socket through :func:`stuf.stream.stream_zaakdocument_lezen` into a sink).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, BinaryIO, NamedTuple

import requests
import urllib3

from adapters.base import Operation
from adapters.document import UPDATE_ZAAKDOCUMENT, VOEG_ZAAKDOCUMENT_TOE
from adapters.errors import (
    AlreadyExistsError,
    AmbiguousWriteError,
    InvalidMessageError,
    PermanentError,
    TargetRejectedError,
    TransientError,
    ZaakOnbekendError,
)
from adapters.esuite.archive import EsuiteArchive
from adapters.esuite.client import SYSTEM, TRANSIENT_FO02_CODES, EsuiteClient
from stuf import (
    Bevestiging,
    Document,
    Fout,
    GeefLijstZaakdocumenten,
    GeefZaakdocumentLezen,
    LijstZaakdocumentenAntwoord,
    NoValue,
    StufError,
    UpdateZaakdocument,
    VoegZaakdocumentToe,
    ZdsVersion,
    build_message,
    new_stuurgegevens,
    parse_message,
    soap_action_for,
    validate,
)
from stuf.privacy import mask_text
from stuf.stream import Writable, stream_zaakdocument_lezen

__all__ = [
    "CHECKSUM_RETRIES",
    "BlobUnavailableError",
    "DocumentOnbekendError",
    "DocumentUpload",
    "DocumentZonderInhoudError",
    "EsuiteDocumentInfo",
    "EsuiteDocumentTarget",
    "EsuiteDocuments",
    "ReadDocument",
    "StreamedBody",
    "envelope_parts",
    "upload_from_data",
]

log = logging.getLogger(__name__)

#: How often a blob whose bytes do not match its SHA-256 is read again before giving up.
CHECKSUM_RETRIES = 3
_FILE_CHUNK = 3 * 64 * 1024  # bytes of blob per base64 piece (a multiple of 3: no padding)
#: Stand-in inhoud: its base64 (40 characters) occurs once in the envelope, where the blob goes.
_PLACEHOLDER = b"KETENBRUG-INHOUD:" + os.urandom(13)
_PLACEHOLDER_B64 = base64.b64encode(_PLACEHOLDER)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_VERTROUWELIJKHEID = (
    "ZEER GEHEIM",
    "GEHEIM",
    "CONFIDENTIEEL",
    "VERTROUWELIJK",
    "ZAAKVERTROUWELIJK",
    "INTERN",
    "BEPERKT OPENBAAR",
    "OPENBAAR",
)
_VOEG_TOE = "voegZaakdocumentToe"
_UPDATE = "updateZaakdocument"
_LEZEN = "geefZaakdocumentLezen"
#: The ZDS function each operation is sent as.
_FUNCTIONS = {VOEG_ZAAKDOCUMENT_TOE: _VOEG_TOE, UPDATE_ZAAKDOCUMENT: _UPDATE}


class DocumentOnbekendError(TargetRejectedError):
    """The e-Suite does not know the document."""


class DocumentZonderInhoudError(TargetRejectedError):
    """The e-Suite knows the document but gives no content for it (``inhoud`` nil)."""


class BlobUnavailableError(PermanentError):
    """The blob to deliver is not there (or not readable) on Ketenbrug's side."""

    reason = "file_unavailable"


def _checksum_error(message: str, operation: str, sha256: str) -> PermanentError:
    # Imported here: adapters.sftp pulls in paramiko, which this HTTP adapter does not need.
    from adapters.sftp.pinned import ChecksumMismatchError

    return ChecksumMismatchError(message, system=SYSTEM, operation=operation, sha256=sha256)


# --- the operation's data --------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentUpload:
    """What to deliver: the metadata (``inhoud`` None) and where the blob is, with its digest."""

    document: Document
    path: str
    sha256: str
    size: int


def _invalid(text: str, operation: str = VOEG_ZAAKDOCUMENT_TOE) -> InvalidMessageError:
    return InvalidMessageError(
        f"operatie {operation}: {text}", system=SYSTEM, operation=_FUNCTIONS[operation]
    )


def _text(
    raw: Mapping[str, Any], key: str, operation: str, *, required: bool = False
) -> str | None:
    value = raw.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _invalid(f"veld {key!r} ontbreekt", operation)
        return None
    if not isinstance(value, str):
        raise _invalid(f"veld {key!r} is geen tekst", operation)
    return value.strip()


def _vertrouwelijkheid(value: str | None, operation: str) -> str | None:
    """ZDS spelling (``BEPERKT OPENBAAR``) of a ZDS or ZGW value (``beperkt_openbaar``)."""
    if value is None:
        return None
    spelled = value.upper().replace("_", " ")
    if spelled not in _VERTROUWELIJKHEID:
        raise _invalid(f"vertrouwelijkheid {value[:40]!r} is geen ZDS-waarde", operation)
    return spelled


def upload_from_data(
    data: Mapping[str, Any], *, operation: str = VOEG_ZAAKDOCUMENT_TOE
) -> DocumentUpload:
    """The operation's plain-JSON data as a :class:`DocumentUpload`; InvalidMessageError if not.

    For :data:`VOEG_ZAAKDOCUMENT_TOE` the document needs identificatie, titel and
    zaak_identificatie (taal defaults to ``nld``); for :data:`UPDATE_ZAAKDOCUMENT` only the
    identificatie: a field left out is not changed (no default taal either).
    """
    if operation not in _FUNCTIONS:
        raise PermanentError(f"onbekende operatie {operation!r}", system=SYSTEM)
    voeg_toe = operation == VOEG_ZAAKDOCUMENT_TOE
    raw_document, content = data.get("document"), data.get("content")
    if not isinstance(raw_document, Mapping) or not isinstance(content, Mapping):
        raise _invalid("'document' en 'content' moeten objecten zijn", operation)

    def text(key: str, *, required: bool = False) -> str | None:
        return _text(raw_document, key, operation, required=required)

    creatiedatum = text("creatiedatum") or ""
    try:
        day = date.fromisoformat(creatiedatum) if creatiedatum else None
    except ValueError:
        raise _invalid(
            f"creatiedatum {creatiedatum[:20]!r} is geen JJJJ-MM-DD", operation
        ) from None
    formaat = text("formaat")
    document = Document(
        identificatie=text("identificatie", required=True) or "",
        titel=text("titel", required=voeg_toe),
        zaak_identificatie=text("zaak_identificatie", required=voeg_toe),
        documenttype_omschrijving=text("documenttype"),
        bestandsnaam=text("bestandsnaam"),
        formaat=formaat,
        creatiedatum=day,
        taal=text("taal") or ("nld" if voeg_toe else None),
        vertrouwelijkheid=_vertrouwelijkheid(text("vertrouwelijkheid"), operation),
        auteur=text("auteur"),
        content_type=formaat,
    )
    path = content.get("path")
    sha256 = str(content.get("sha256") or "").lower()
    size = content.get("size")
    if not isinstance(path, str) or not os.path.isabs(path):
        raise _invalid("content.path moet een absoluut pad zijn", operation)
    if not _SHA256.match(sha256):
        raise _invalid("content.sha256 is geen SHA-256 (64 hexadecimale tekens)", operation)
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise _invalid("content.size moet een geheel getal >= 0 zijn", operation)
    return DocumentUpload(document, path, sha256, size)


# --- the streamed request body ---------------------------------------------------------------


class _ChecksumMismatch(Exception):
    """The blob's bytes are not the promised ones (raised inside the upload: aborts it)."""

    def __init__(self, sha256: str, size: int) -> None:
        super().__init__(f"sha256 {sha256}, {size} bytes")
        self.sha256 = sha256
        self.size = size


class _BlobReadError(Exception):
    """Reading the blob failed (not an OSError: requests would take it for a network error)."""


def envelope_parts(message: VoegZaakdocumentToe | UpdateZaakdocument) -> tuple[bytes, bytes]:
    """(head, tail) of the ZDS 1.2 envelope of ``message``; the base64 inhoud goes between.

    The inhoud is that of the voegZaakdocumentToe's document, or of the updateZaakdocument's
    *wordt* (its *was* must carry none). Built by ``build_message`` with a stand-in inhoud and
    checked against the ZDS 1.2 schema, so ``head + base64(content) + tail`` is exactly
    ``build_message`` with the content inline. Raises :class:`InvalidMessageError` when the
    document lacks what the schema requires.
    """
    templated: VoegZaakdocumentToe | UpdateZaakdocument
    if isinstance(message, UpdateZaakdocument):
        operation, identificatie = UPDATE_ZAAKDOCUMENT, message.wordt.identificatie
        if message.was.inhoud is not None:
            raise _invalid("het was-object hoort geen inhoud te hebben", operation)
        templated = replace(message, wordt=replace(message.wordt, inhoud=_PLACEHOLDER))
    else:
        operation, identificatie = VOEG_ZAAKDOCUMENT_TOE, message.document.identificatie
        templated = replace(message, document=replace(message.document, inhoud=_PLACEHOLDER))
    try:
        template = build_message(templated, ZdsVersion.V1_2)
    except StufError as exc:
        raise _invalid(f"document {identificatie}: {exc.omschrijving}", operation) from exc
    findings = validate(template, ZdsVersion.V1_2)
    if findings:
        text = "; ".join(findings[:3])
        raise _invalid(f"document {identificatie} is niet ZDS 1.2-geldig: {text}", operation)
    if template.count(_PLACEHOLDER_B64) != 1:  # pragma: no cover - 2**-104
        raise _invalid("plaatshouder voor inhoud niet uniek in het bericht", operation)
    head, tail = template.split(_PLACEHOLDER_B64)
    return head, tail


class StreamedBody:
    """A request body read by requests/urllib3: ``head``, base64 of ``handle``, ``tail``.

    ``len()`` is known before the first byte (so a Content-Length is sent). The blob is read in
    pieces of :data:`_FILE_CHUNK` and hashed as it goes; ``tail`` is handed out only when the
    size and SHA-256 are the expected ones, else ``read`` raises ``_ChecksumMismatch`` and the
    request is cut off before the envelope is complete.
    """

    def __init__(self, head: bytes, handle: BinaryIO, tail: bytes, size: int, sha256: str) -> None:
        self._parts: list[bytes] = [head]
        self._handle = handle
        self._tail = tail
        self._size = size
        self._sha256 = sha256
        self._hash = hashlib.sha256()
        self._read = 0
        self._carry = b""
        self._blob_done = False
        self._pending = memoryview(b"")
        self.length = len(head) + 4 * ((size + 2) // 3) + len(tail)

    def __len__(self) -> int:
        return self.length

    @property
    def sha256(self) -> str:
        """SHA-256 of the blob bytes streamed so far."""
        return self._hash.hexdigest()

    def read(self, size: int | None = -1, /) -> bytes:
        wanted = self.length if size is None or size < 0 else size
        out = bytearray()
        while len(out) < wanted:
            if not self._pending:
                piece = self._next_piece()
                if piece is None:
                    break
                self._pending = memoryview(piece)
                continue
            take = self._pending[: wanted - len(out)]
            out += take
            self._pending = self._pending[len(take) :]
        return bytes(out)

    def _next_piece(self) -> bytes | None:
        if self._parts:
            return self._parts.pop(0)
        if not self._blob_done:
            encoded = self._next_blob_piece()
            if encoded is not None:
                return encoded
            self._blob_done = True
            return self._tail
        return None

    def _next_blob_piece(self) -> bytes | None:
        remaining = self._size - self._read
        if remaining == 0:
            try:
                extra = self._handle.read(1)
            except OSError as exc:
                raise _BlobReadError(str(exc)) from exc
            if extra or self._carry or self._hash.hexdigest() != self._sha256:
                raise _ChecksumMismatch(self._hash.hexdigest(), self._read + len(extra))
            return None
        try:
            data = self._handle.read(min(_FILE_CHUNK, remaining))
        except OSError as exc:
            raise _BlobReadError(str(exc)) from exc
        if not data:  # shorter than promised
            raise _ChecksumMismatch(self._hash.hexdigest(), self._read)
        self._hash.update(data)
        self._read += len(data)
        data = self._carry + data
        usable = len(data) if self._read == self._size else len(data) - len(data) % 3
        self._carry = data[usable:]
        return base64.b64encode(data[:usable])


def _blob_matches(path: str, size: int, sha256: str) -> tuple[bool, str]:
    """Read the blob once, locally: (does it match, its sha256)."""
    digest = hashlib.sha256()
    total = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            total += len(chunk)
    return total == size and digest.hexdigest() == sha256, digest.hexdigest()


# --- ZDS calls --------------------------------------------------------------------------------


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


def _fout_text(fout: Fout) -> str:
    """The Fo0x for a log line or error: any BSN in the e-Suite's wording masked."""
    return mask_text(f"e-Suite {fout.berichtcode} {fout.code}: {fout.omschrijving}")


class EsuiteDocuments:
    """The e-Suite's ZDS 1.2 document services on top of an :class:`EsuiteClient`.

    ``retry_delay_s`` is the pause before a blob with a wrong checksum is read again.
    """

    def __init__(self, client: EsuiteClient, *, retry_delay_s: float = 0.2) -> None:
        self.client = client
        self.retry_delay_s = retry_delay_s

    def _stuurgegevens(self, berichtcode: str, entiteittype: str) -> Any:
        config = self.client.config
        return new_stuurgegevens(
            berichtcode, config.zender, config.ontvanger, entiteittype=entiteittype
        )

    # --- deliver ----------------------------------------------------------------------------

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
            config = self.client.config
            sg = new_stuurgegevens(
                "Di02", config.zender, config.ontvanger, functie="updateZaakdocument"
            )
            was = Document(document.identificatie, None, taal=None)
            return UpdateZaakdocument(sg, was=was, wordt=document)
        return VoegZaakdocumentToe(self._stuurgegevens("Lk01", "EDC"), document)

    def _deliver(self, upload: DocumentUpload, function: str) -> None:
        """Send ``function`` with the blob streamed; re-read a mismatching blob, then give up."""
        document = replace(upload.document, inhoud=None)
        identificatie = upload.document.identificatie
        mismatch = _ChecksumMismatch("", 0)
        for attempt in range(1 + CHECKSUM_RETRIES):
            if attempt:
                time.sleep(self.retry_delay_s)
                matches, sha256 = self._read_blob(upload, function)
                if not matches:
                    mismatch = _ChecksumMismatch(sha256, -1)
                    continue
            message = self._message(function, document)
            head, tail = envelope_parts(message)
            try:
                self._send(upload, head, tail, soap_action_for(message, ZdsVersion.V1_2), function)
                return
            except _ChecksumMismatch as exc:
                mismatch = exc
                log.warning(
                    "e-Suite: inhoud van document %s klopt niet met sha256 (%s, poging %d), "
                    "niet (volledig) verstuurd",
                    identificatie,
                    function,
                    attempt + 1,
                )
        outcome = "niet bijgewerkt" if function == _UPDATE else "niet afgeleverd"
        raise _checksum_error(
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
            raise BlobUnavailableError(
                f"blob van document {upload.document.identificatie} niet leesbaar: "
                f"{type(exc).__name__}",
                system=SYSTEM,
                operation=function,
            ) from exc
        except OSError as exc:
            raise TransientError(
                f"blob van document {upload.document.identificatie} niet te openen: {exc}",
                system=SYSTEM,
                operation=function,
            ) from exc

    def _read_blob(self, upload: DocumentUpload, function: str = _VOEG_TOE) -> tuple[bool, str]:
        self._open_blob(upload, function).close()  # the same errors as for the upload itself
        try:
            return _blob_matches(upload.path, upload.size, upload.sha256)
        except OSError as exc:
            raise TransientError(
                f"blob van document {upload.document.identificatie} niet te lezen: {exc}",
                system=SYSTEM,
                operation=function,
            ) from exc

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
                raise _ChecksumMismatch("", actual_size)
            body = StreamedBody(head, handle, tail, upload.size, upload.sha256)
            try:
                response = self.client.post(body, action=action, operation=function, writes=True)
            except _BlobReadError as exc:  # cut off before the envelope was complete
                raise TransientError(
                    f"blob van document {upload.document.identificatie} niet te lezen: {exc}",
                    system=SYSTEM,
                    operation=function,
                ) from exc
        with response:
            content = response.content
            status = response.status_code
        try:
            answer = parse_message(content)
        except StufError as exc:
            raise AmbiguousWriteError(
                f"onleesbaar antwoord van e-Suite (HTTP {status}): {exc}",
                system=SYSTEM,
                operation=function,
            ) from exc
        if isinstance(answer, Fout):
            if function == _UPDATE:
                self._raise_update_fout(answer, upload.document.identificatie)
            self._raise_voeg_toe_fout(answer)
        if not isinstance(answer, Bevestiging):
            raise AmbiguousWriteError(
                f"onverwacht antwoord op {function}: {type(answer).__name__}",
                system=SYSTEM,
                operation=function,
            )

    @staticmethod
    def _raise_voeg_toe_fout(fout: Fout) -> None:
        text = _fout_text(fout)
        wording = fout.omschrijving.lower()
        if fout.berichtcode == "Fo02" and fout.code in TRANSIENT_FO02_CODES:
            raise TransientError(text, system=SYSTEM, operation=_VOEG_TOE)
        if "bestaat al" in wording:
            raise AlreadyExistsError(text, system=SYSTEM, operation=_VOEG_TOE)
        if "onbekend" in wording or "niet gevonden" in wording:
            raise ZaakOnbekendError(text, system=SYSTEM, operation=_VOEG_TOE)
        raise TargetRejectedError(text, system=SYSTEM, operation=_VOEG_TOE)

    @staticmethod
    def _raise_update_fout(fout: Fout, identificatie: str) -> None:
        text = _fout_text(fout)
        wording = fout.omschrijving.lower()
        if fout.berichtcode == "Fo02" and fout.code in TRANSIENT_FO02_CODES:
            raise TransientError(text, system=SYSTEM, operation=_UPDATE)
        if "onbekend" in wording or "niet gevonden" in wording:
            raise DocumentOnbekendError(
                f"e-Suite kent document {identificatie} niet, de nieuwe versie is niet "
                f"opgeslagen ({text})",
                system=SYSTEM,
                operation=_UPDATE,
            )
        raise TargetRejectedError(text, system=SYSTEM, operation=_UPDATE)

    # --- read -------------------------------------------------------------------------------

    def list_documents(self, zaak_identificatie: str) -> list[EsuiteDocumentInfo]:
        """The zaak's documents (metadata only). An unknown zaak raises ZaakOnbekendError (the
        e-Suite's Fo02 "niet gevonden"): it is not the same as a zaak without documents (``[]``).
        """
        message = GeefLijstZaakdocumenten(
            self._stuurgegevens("Lv01", "ZAK"), zaak_identificatie=zaak_identificatie
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
            self._stuurgegevens("Lv01", "EDC"), document_identificatie=identificatie
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
            self._raise_lezen_fout(answer)
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

    @staticmethod
    def _raise_lezen_fout(fout: Fout) -> None:
        text = _fout_text(fout)
        wording = fout.omschrijving.lower()
        if fout.berichtcode == "Fo02" and fout.code in TRANSIENT_FO02_CODES:
            raise TransientError(text, system=SYSTEM, operation=_LEZEN)
        if "onbekend" in wording or "niet gevonden" in wording:
            raise DocumentOnbekendError(text, system=SYSTEM, operation=_LEZEN)
        raise TargetRejectedError(text, system=SYSTEM, operation=_LEZEN)

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


# --- the Target --------------------------------------------------------------------------------


class EsuiteDocumentTarget:
    """Target adapter for documents in the e-Suite (operations :data:`VOEG_ZAAKDOCUMENT_TOE`
    and :data:`UPDATE_ZAAKDOCUMENT`)."""

    system = SYSTEM

    def __init__(
        self,
        client: EsuiteClient,
        archive: EsuiteArchive | None = None,
        *,
        retry_delay_s: float = 0.2,
    ) -> None:
        self.client = client
        self.documents = EsuiteDocuments(client, retry_delay_s=retry_delay_s)
        self.archive = archive if archive is not None else EsuiteArchive(client.config, client)

    def apply(self, operation: Operation) -> None:
        if operation.name == UPDATE_ZAAKDOCUMENT:
            self.documents.update(upload_from_data(operation.data, operation=UPDATE_ZAAKDOCUMENT))
            return
        if operation.name != VOEG_ZAAKDOCUMENT_TOE:
            raise PermanentError(f"onbekende operatie {operation.name!r}", system=SYSTEM)
        upload = upload_from_data(operation.data)
        try:
            self.documents.voeg_toe(upload)
        except AlreadyExistsError as error:
            stored = self.documents.stored_sha256(upload.document.identificatie, self.archive)
            if stored is not None and stored != upload.sha256:
                raise TargetRejectedError(
                    f"document {upload.document.identificatie} bestaat al in de e-Suite met "
                    f"andere inhoud (sha256 {stored}, te leveren {upload.sha256})",
                    system=SYSTEM,
                    operation=_VOEG_TOE,
                ) from error
            raise

    # the reader, for sources and reconciliation that hold a target
    def list_documents(self, zaak_identificatie: str) -> list[EsuiteDocumentInfo]:
        """See :meth:`EsuiteDocuments.list_documents`."""
        return self.documents.list_documents(zaak_identificatie)

    def read_document(self, identificatie: str, sink: Writable) -> ReadDocument:
        """See :meth:`EsuiteDocuments.read_document`."""
        return self.documents.read_document(identificatie, sink)

    def is_applied(self, operation: Operation) -> bool:
        """Does the e-Suite hold this document with the operation's SHA-256? (For an update:
        with the new version's; the metadata is not compared.)"""
        if operation.name not in _FUNCTIONS:
            return False
        upload = upload_from_data(operation.data, operation=operation.name)
        stored = self.documents.stored_sha256(upload.document.identificatie, self.archive)
        return stored == upload.sha256

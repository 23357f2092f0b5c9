"""The document operation contract shared by the document targets (Xtendis, MyLex, e-Suite).

Why one module: the documenten flow builds one kind of :class:`~adapters.base.Operation` per
target, as plain JSON, and every target must read it the same way. ``Operation.data``::

    {
      "document": {"identificatie": str, "titel": str, "zaak_identificatie": str | None,
                   "documenttype": str | None, "bestandsnaam": str | None,
                   "formaat": str | None (mime), "creatiedatum": "YYYY-MM-DD" | None,
                   "vertrouwelijkheid": str | None, "auteur": str | None, "taal": str | None},
      "content": {"path": "/abs/path/to/blob", "sha256": "<hex>", "size": int},
      # xtendis only ("drop_document"):
      "archief": "WERK_INKOMEN" | "SCHULDHULP" | "ZORG",
      "drop_name": "<safe file stem derived from the ledger key>",
      # mylex only ("archiveer_document"):
      "jaar": int | None (the zaak's start year), "waardering": "V" | "B" | None,
    }

``target_key`` is the document identificatie. The bytes are not in the operation: ``content``
points at a blob on local disk that the target streams, checking its SHA-256 on the way. No BSN
is ever part of the data (Xtendis gets it from the flow through a callable).

A malformed operation is a flow bug, not a target problem: it raises
:class:`~adapters.errors.InvalidMessageError` (dead letter ``invalid_message``).

:class:`ClientPool` is here too because both SFTP targets need the same thing: their clients are
not thread-safe and the engine writes from a fresh thread pool per batch, so a client is lent
to one thread at a time and returned, never bound to a thread that is about to die.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any, BinaryIO, Generic, Protocol, TypeVar

from adapters import formats
from adapters.errors import (
    ChecksumMismatchError,
    InvalidMessageError,
    PermanentError,
    TransientError,
)
from privacy.masking import mask_text

__all__ = [
    "ARCHIVABLE_MIMES",
    "ARCHIVEER_DOCUMENT",
    "CHECKSUM_ATTEMPTS",
    "DROP_DOCUMENT",
    "PDF",
    "UPDATE_ZAAKDOCUMENT",
    "VOEG_ZAAKDOCUMENT_TOE",
    "ClientPool",
    "ContentUnavailableError",
    "DocumentContent",
    "DocumentFields",
    "UnsupportedFormatError",
    "document_parts",
    "optional_str",
    "require_archivable",
]

#: The zaaksysteem (e-Suite, ZGW): add a document to its zaak, or a new version of it.
VOEG_ZAAKDOCUMENT_TOE = "voeg_zaakdocument_toe"
UPDATE_ZAAKDOCUMENT = "update_zaakdocument"
#: Xtendis: drop one document into the client dossier (hot folder + receipt).
DROP_DOCUMENT = "drop_document"
#: MyLex: archive one document with its MDTO metadata.
ARCHIVEER_DOCUMENT = "archiveer_document"
#: How often a target streams a blob whose bytes did not match its SHA-256 before giving up.
CHECKSUM_ATTEMPTS = 3
PDF = formats.PDF
#: The formats the archives (Xtendis, MyLex) take: pdf, png, jpeg, tiff, docx and odt.
ARCHIVABLE_MIMES = frozenset(
    {formats.PDF, formats.PNG, formats.JPEG, formats.TIFF, formats.DOCX, formats.ODT}
)
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")


class ContentUnavailableError(PermanentError):
    """The blob an operation points at is not there (or not a file)."""

    reason = "content_unavailable"


class UnsupportedFormatError(PermanentError):
    """The content is not a format the target archives, or not identifiable at all."""

    reason = "unsupported_format"


def _invalid(what: str, system: str) -> InvalidMessageError:
    return InvalidMessageError(f"documentoperatie ongeldig: {what}", system=system)


def optional_str(data: Mapping[str, Any], key: str, system: str = "") -> str | None:
    """``data[key]`` as a stripped string, None when absent or empty; other types are invalid."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _invalid(f"{key} is geen tekst", system)
    return value.strip() or None


def _required_str(data: Mapping[str, Any], key: str, system: str) -> str:
    value = optional_str(data, key, system)
    if value is None:
        raise _invalid(f"{key} ontbreekt", system)
    return value


@dataclass(frozen=True)
class DocumentFields:
    """The descriptive fields of one document (``Operation.data["document"]``)."""

    identificatie: str
    titel: str
    zaak_identificatie: str | None = None
    documenttype: str | None = None
    bestandsnaam: str | None = None
    formaat: str | None = None
    creatiedatum: date | None = None
    vertrouwelijkheid: str | None = None
    auteur: str | None = None
    taal: str | None = None

    @classmethod
    def from_data(cls, data: Any, system: str = "") -> DocumentFields:
        """Parse the ``document`` dict; :class:`InvalidMessageError` when it does not fit."""
        if not isinstance(data, Mapping):
            raise _invalid("document ontbreekt", system)
        raw_date = optional_str(data, "creatiedatum", system)
        try:
            creatiedatum = date.fromisoformat(raw_date) if raw_date else None
        except ValueError:
            raise _invalid(f"creatiedatum {mask_text(raw_date or '')[:40]!r}", system) from None
        return cls(
            identificatie=_required_str(data, "identificatie", system),
            titel=_required_str(data, "titel", system),
            zaak_identificatie=optional_str(data, "zaak_identificatie", system),
            documenttype=optional_str(data, "documenttype", system),
            bestandsnaam=optional_str(data, "bestandsnaam", system),
            formaat=optional_str(data, "formaat", system),
            creatiedatum=creatiedatum,
            vertrouwelijkheid=optional_str(data, "vertrouwelijkheid", system),
            auteur=optional_str(data, "auteur", system),
            taal=optional_str(data, "taal", system),
        )


@dataclass(frozen=True)
class DocumentContent:
    """Where the bytes are and what they must hash to (``Operation.data["content"]``).

    ``sha256`` is kept lower-case. :meth:`open` gives a fresh binary file each time, so a
    target can stream the blob again after a checksum mismatch.
    """

    path: str
    sha256: str
    size: int

    @classmethod
    def from_data(cls, data: Any, system: str = "") -> DocumentContent:
        """Parse the ``content`` dict; :class:`InvalidMessageError` when it does not fit."""
        if not isinstance(data, Mapping):
            raise _invalid("content ontbreekt", system)
        path = _required_str(data, "path", system)
        if not path.startswith("/"):
            raise _invalid("content.path is geen absoluut pad", system)
        sha256 = _required_str(data, "sha256", system)
        if not _HEX64.match(sha256):
            raise _invalid("content.sha256 is geen SHA-256 (64 hex-tekens)", system)
        size = data.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise _invalid("content.size is geen aantal bytes", system)
        return cls(path=path, sha256=sha256.lower(), size=size)

    def open(self, system: str = "", operation: str = "") -> BinaryIO:
        """The blob, opened for binary reading; the caller closes it.

        A blob of another size than ``size`` cannot hash to ``sha256`` either: it raises
        :class:`~adapters.errors.ChecksumMismatchError` at once, before a byte is sent.
        A missing blob is permanent (:class:`ContentUnavailableError`), any other OS error
        (a storage hiccup) transient.
        """
        try:
            handle = open(self.path, "rb")  # noqa: SIM115  (the caller closes it)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise ContentUnavailableError(
                f"documentinhoud niet gevonden: {type(exc).__name__}", system=system
            ) from exc
        except OSError as exc:
            raise _unreadable(exc, system) from exc
        try:
            actual = os.fstat(handle.fileno()).st_size
        except OSError as exc:
            handle.close()
            raise _unreadable(exc, system) from exc
        if actual != self.size:
            handle.close()
            raise ChecksumMismatchError(
                f"documentinhoud is {actual} bytes, de bron noemt {self.size}",
                system=system,
                operation=operation,
                sha256="",
            )
        return handle


def _unreadable(exc: OSError, system: str) -> TransientError:
    return TransientError(f"documentinhoud niet leesbaar: {type(exc).__name__}", system=system)


def document_parts(
    data: Mapping[str, Any], system: str = ""
) -> tuple[DocumentFields, DocumentContent]:
    """The ``document`` and ``content`` parts of a document operation's data."""
    return (
        DocumentFields.from_data(data.get("document"), system),
        DocumentContent.from_data(data.get("content"), system),
    )


def require_archivable(
    handle: BinaryIO, fields: DocumentFields, system: str
) -> formats.Bestandsformaat:
    """The format of the content in ``handle`` (a :meth:`DocumentContent.open` file).

    Told from the bytes only (:func:`adapters.formats.identify`); the file name and the
    declared ``formaat`` are not trusted. Content that is unidentifiable, or of a format not in
    :data:`ARCHIVABLE_MIMES`, raises :class:`UnsupportedFormatError`. ``handle`` is left at
    offset 0, ready to be streamed. A read error of the blob store is transient.
    """
    try:
        found = formats.identify(handle)
    except OSError as exc:
        raise _unreadable(exc, system) from exc
    if found is None or found.mime not in ARCHIVABLE_MIMES:
        gemeld = f" (opgegeven als {mask_text(fields.formaat)[:60]!r})" if fields.formaat else ""
        raise UnsupportedFormatError(
            f"{system}: formaat van document {mask_text(fields.identificatie)[:80]} niet herkend"
            f"{gemeld}; gearchiveerd worden pdf, png, jpeg, tiff, docx en odt",
            system=system,
        )
    return found


class _Closable(Protocol):
    def close(self) -> None: ...


C = TypeVar("C", bound=_Closable)


class ClientPool(Generic[C]):
    """Lends non-thread-safe clients, one thread at a time, made on demand by ``factory``.

    At most as many clients exist as threads ever used the pool at once; a client goes back
    after use whatever happened (its session reconnects itself after a dropped line).
    :meth:`close` closes the sessions of all of them; they reconnect if used again.
    """

    def __init__(self, factory: Callable[[], C]) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._idle: list[C] = []
        self._all: list[C] = []

    @contextmanager
    def client(self) -> Iterator[C]:
        with self._lock:
            lent = self._idle.pop() if self._idle else None
        if lent is None:
            lent = self._factory()
            with self._lock:
                self._all.append(lent)
        try:
            yield lent
        finally:
            with self._lock:
                self._idle.append(lent)

    def __len__(self) -> int:
        with self._lock:
            return len(self._all)

    def close(self) -> None:
        with self._lock:
            clients = list(self._all)
        for client in clients:
            client.close()

"""What a source does with the next Allegro export: read it, wait for it, or refuse it whole.

Why shared: both sources (zaken and documents) take exports the same way. Without a sidecar
the export is still being published (look again next run); one that vanished between listing
and reading was archived or withdrawn; one that fails its checks, or cannot be read, becomes a
single dead letter for the whole file, so it never blocks the exports after it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from adapters.allegro.client import AllegroClient
from adapters.allegro.config import SYSTEM
from adapters.allegro.integrity import ExportIntegrityError, ExportNotReadyError
from adapters.base import RecordError, SourceBatch
from adapters.errors import PermanentError
from adapters.sftp.pinned import RemoteFileError

__all__ = ["UNREADABLE", "Taken", "rejected_batch", "take_export"]

log = logging.getLogger(__name__)

#: The ``sha256`` of an export that could not be read at all.
UNREADABLE = "onleesbaar"


class _Verified(Protocol):
    @property
    def sha256(self) -> str: ...


ExportT = TypeVar("ExportT", bound=_Verified)


@dataclass(frozen=True)
class Taken(Generic[ExportT]):
    """An export taken: verified (``export``), or refused whole (``failure``). ``sha256`` is
    the digest of the bytes read, :data:`UNREADABLE` when there were none."""

    sha256: str
    export: ExportT | None = None
    failure: PermanentError | None = None


def take_export(
    client: AllegroClient, name: str, prefix: str, read: Callable[[str], ExportT]
) -> Taken[ExportT] | None:
    """``read(name)`` with its outcome sorted; None when there is nothing to do this run."""
    try:
        export = read(name)
    except ExportNotReadyError:
        log.info("allegro: %s nog niet compleet (geen sidecar), volgende keer", name)
        return None
    except ExportIntegrityError as exc:
        return Taken(exc.sha256, failure=exc)
    except RemoteFileError as exc:
        if name not in client.list_exports(prefix):
            return None  # archived or withdrawn between listing and reading
        return Taken(UNREADABLE, failure=exc)
    return Taken(export.sha256, export=export)


def rejected_batch(
    name: str,
    sha256: str,
    error: PermanentError,
    *,
    key_prefix: str,
    ref: str,
    cursor_after: str,
    **context: Any,
) -> SourceBatch:
    """An export that failed its checks: one error for the whole file, no records from it.

    ``batch.context`` carries ``file``, ``sha256``, ``corrupt`` (the reason) and ``context``.
    """
    log.warning("allegro: %s afgekeurd: %s", name, error.reason)
    record = RecordError(SYSTEM, f"{key_prefix}:{name}:{sha256[:12]}", ref, error)
    return SourceBatch(
        records=[record],
        cursor_after=cursor_after,
        ref=ref,
        context={"file": name, "sha256": sha256, **context, "corrupt": error.reason},
    )

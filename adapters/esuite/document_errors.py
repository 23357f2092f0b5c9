"""The errors of the e-Suite's document services, beyond the shared error tree.

Apart from the rest so that callers (the vragen answerer, the flows) can catch them without
pulling in the streamed upload or the target.
"""

from __future__ import annotations

from adapters.errors import PermanentError, TargetRejectedError
from adapters.esuite.client import SYSTEM

__all__ = [
    "BlobUnavailableError",
    "DocumentOnbekendError",
    "DocumentZonderInhoudError",
    "checksum_error",
]


class DocumentOnbekendError(TargetRejectedError):
    """The e-Suite does not know the document."""


class DocumentZonderInhoudError(TargetRejectedError):
    """The e-Suite knows the document but gives no content for it (``inhoud`` nil)."""


class BlobUnavailableError(PermanentError):
    """The blob to deliver is not there (or not readable) on Ketenbrug's side."""

    reason = "file_unavailable"


def checksum_error(message: str, operation: str, sha256: str) -> PermanentError:
    """A :class:`~adapters.errors.ChecksumMismatchError` (``checksum_mismatch``)."""
    # Imported here: adapters.sftp pulls in paramiko, which this HTTP adapter does not need.
    from adapters.errors import ChecksumMismatchError

    return ChecksumMismatchError(message, system=SYSTEM, operation=operation, sha256=sha256)

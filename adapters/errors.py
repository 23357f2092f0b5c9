"""Ketenbrug's error tree: every failure is classified by what to do about it.

::

    KetenbrugError
    ├── TransientError      retry with backoff (timeout, HTTP 5xx, Fo02 transient, SFTP drop)
    │   └── AmbiguousWriteError  the write may have happened: check the target before retrying
    ├── PermanentError      dead letter with ``reason``, the batch goes on
    │   ├── UnmappedCodeError   a code has no row in a mapping table (reason ``unmapped``)
    │   ├── InvalidMessageError malformed XML or schema-invalid StUF (reason ``invalid_message``)
    │   ├── FutureDateError     a datum/tijdstip implausibly far in the future (``future_date``)
    │   ├── ChecksumMismatchError bytes read are not the bytes promised (``checksum_mismatch``)
    │   └── TargetRejectedError the target refused the write for good (Fo01/Fo03)
    └── ConfigError         the installation is wrong; stop and tell a developer

Adapters translate library errors at their boundary into this tree (``raise ... from exc``).
Messages never carry a raw BSN: callers mask with :func:`privacy.masking.mask_bsn`.
"""

from __future__ import annotations

__all__ = [
    "AlreadyExistsError",
    "AmbiguousWriteError",
    "ChecksumMismatchError",
    "ConfigError",
    "FutureDateError",
    "InvalidMessageError",
    "KetenbrugError",
    "PermanentError",
    "TargetRejectedError",
    "TransientError",
    "UnmappedCodeError",
    "no_answer",
]


class KetenbrugError(Exception):
    """Base of all Ketenbrug errors; ``system`` and ``operation`` say where it happened."""

    def __init__(self, message: str, *, system: str = "", operation: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.system = system
        self.operation = operation


class TransientError(KetenbrugError):
    """May succeed when tried again later."""


class AmbiguousWriteError(TransientError):
    """The request went out but no clear answer came back (read timeout, reset, garbage).

    The engine asks :meth:`Target.is_applied` before it tries such a write again.
    """


def no_answer(message: str, *, writes: bool, system: str, operation: str) -> TransientError:
    """No usable answer came back: a write may have landed (ambiguous), a read is retried."""
    kind = AmbiguousWriteError if writes else TransientError
    return kind(message, system=system, operation=operation)


class ConfigError(KetenbrugError):
    """The installation is misconfigured (missing connection, bad mapping file, ...)."""


class PermanentError(KetenbrugError):
    """Will fail again the same way: becomes a dead letter with ``reason``."""

    reason = "permanent"


class UnmappedCodeError(PermanentError):
    """A code from a source system has no row in a mapping table."""

    reason = "unmapped"

    def __init__(self, table: str, code: str) -> None:
        super().__init__(f"code {code!r} staat niet in mappingtabel {table!r}")
        self.table = table
        self.code = code


class InvalidMessageError(PermanentError):
    """A message could not be parsed or broke the schema beyond what we accept."""

    reason = "invalid_message"


class TargetRejectedError(PermanentError):
    """The target refused the write (e.g. StUF Fo01/Fo03)."""

    reason = "target_rejected"


class ZaakOnbekendError(TargetRejectedError):
    """The zaak is not (yet) in the zaaksysteem: the zaaksysteem said so, or the identity map
    has no link for it. Resend once the zaak is there."""

    reason = "zaak_onbekend"


class ChecksumMismatchError(PermanentError):
    """The bytes read from the source are not the bytes the source promised.

    ``sha256`` is the digest of the bytes actually read (empty when there was nothing to
    compare). Every transfer raises this one class, SFTP and HTTP alike, so the flows catch one.
    """

    reason = "checksum_mismatch"

    def __init__(self, message: str, *, system: str, operation: str, sha256: str) -> None:
        super().__init__(message, system=system, operation=operation)
        self.sha256 = sha256


class AlreadyExistsError(KetenbrugError):
    """A create was rejected because the object already exists: counts as delivered."""


class FutureDateError(PermanentError):
    """A change dated implausibly far in the future (a typo: 2062 for 2026).

    Ordering trusts these dates: one such status would make every later correct status of the
    zaak look older, and so superseded. It is refused instead, for beheer to correct.
    """

    reason = "future_date"

"""The Adapter interface: what a source yields, what a target accepts.

Modelled on a Singer tap: a source reads *changes since a cursor* in batches and names each
record by a stable key; a target applies an :class:`Operation` idempotently, or, when the
target system is not idempotent, says whether the operation's effect is already there
(:meth:`Target.is_applied`), so the engine can resume after a crash without writing twice.
The engine in ``sync/`` owns all state (ledger, cursors, identity map); adapters own none.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from adapters.errors import PermanentError

__all__ = [
    "Operation",
    "RecordError",
    "Source",
    "SourceBatch",
    "SourceRecord",
    "Target",
    "content_hash",
]


def content_hash(data: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``data``: equal content, equal hash, whatever the order."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SourceRecord:
    """One change read from a source system, in canonical (JSON-serialisable) form.

    ``key`` is stable: the same change read twice has the same key, which is what makes
    the whole chain idempotent. ``ordering_key``/``ordering_value`` let the engine apply the
    changes of one object (a zaak) in order, and skip a late change older than one delivered.
    """

    source_system: str
    key: str
    kind: str
    data: Mapping[str, Any]
    payload_ref: str
    ordering_key: str | None = None
    ordering_value: str | None = None
    warnings: Sequence[str] = ()


@dataclass(frozen=True)
class RecordError:
    """A record the source could read but not understand: becomes a dead letter, batch goes on."""

    source_system: str
    key: str
    payload_ref: str
    error: PermanentError


@dataclass
class SourceBatch:
    """A batch of records plus the cursor to store once the batch is committed."""

    records: list[SourceRecord | RecordError]
    cursor_after: str | None = None
    ref: str = ""
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    """One write to one target, derived from a source record by a flow.

    ``ledger_key`` identifies the write in the ledger (source key plus, where one record
    causes several writes, a suffix). ``data`` is what the target client needs.
    """

    target_system: str
    name: str
    ledger_key: str
    target_key: str
    data: Mapping[str, Any]
    ordering_key: str | None = None
    ordering_value: str | None = None

    @property
    def content_hash(self) -> str:
        return content_hash({"name": self.name, "target": self.target_key, "data": self.data})


@runtime_checkable
class Source(Protocol):
    """A system Ketenbrug reads changes from."""

    system: str

    def read_batch(self, cursor: str | None, limit: int) -> SourceBatch | None:
        """The next batch of at most ``limit`` records after ``cursor``; None when none are left."""
        ...

    def after_commit(self, batch: SourceBatch) -> None:
        """Called once the engine committed the batch (e.g. move a file to ``processed/``)."""
        ...


@runtime_checkable
class Target(Protocol):
    """A system Ketenbrug writes to."""

    system: str

    def apply(self, operation: Operation) -> None:
        """Perform the write.

        Raises :class:`~adapters.errors.TransientError` to be retried,
        :class:`~adapters.errors.PermanentError` for a dead letter, and
        :class:`~adapters.errors.AlreadyExistsError` when a create found the object there.
        """
        ...

    def is_applied(self, operation: Operation) -> bool:
        """Read the target: is the effect of ``operation`` already there?"""
        ...

"""In-memory flow and target for engine tests: records what was written, injects faults."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from adapters.base import Operation, SourceBatch, SourceRecord
from adapters.errors import (
    AmbiguousWriteError,
    TargetRejectedError,
    TransientError,
    UnmappedCodeError,
)
from sync.engine import PlanContext


def record(key: str, value: str = "v", *, order: str | None = None, obj: str = "a") -> SourceRecord:
    return SourceRecord(
        source_system="src",
        key=key,
        kind="thing",
        data={"value": value, "obj": obj},
        payload_ref=f"ref:{key}",
        ordering_key=f"obj:{obj}" if order else None,
        ordering_value=order,
    )


class EchoFlow:
    """One write per record; value ``unmapped`` raises UnmappedCodeError."""

    name = "test"

    def plan(self, rec: SourceRecord, context: PlanContext) -> Sequence[Operation]:
        if rec.data["value"] == "unmapped":
            raise UnmappedCodeError("testtabel", "X1")
        return [
            Operation(
                target_system="fake",
                name="put",
                ledger_key=rec.key,
                target_key=f"obj:{rec.data['obj']}" if rec.ordering_key else rec.key,
                data=dict(rec.data),
                ordering_key=rec.ordering_key,
                ordering_value=rec.ordering_value,
            )
        ]


@dataclass
class FakeTarget:
    """Counts every write; ``transient_left[key]`` faults before success, ``reject`` for good."""

    system: str = "fake"
    writes: Counter[str] = field(default_factory=Counter)
    transient_left: dict[str, int] = field(default_factory=dict)
    ambiguous_left: dict[str, int] = field(default_factory=dict)
    reject: set[str] = field(default_factory=set)
    checks: int = 0

    def apply(self, operation: Operation) -> None:
        key = operation.ledger_key
        if self.transient_left.get(key, 0) > 0:
            self.transient_left[key] -= 1
            raise TransientError("HTTP 503")
        if key in self.reject:
            raise TargetRejectedError("Fo03 geweigerd")
        self.writes[key] += 1
        if self.ambiguous_left.get(key, 0) > 0:
            # The write landed, but the answer got lost on the way back.
            self.ambiguous_left[key] -= 1
            raise AmbiguousWriteError("read timeout")

    def is_applied(self, operation: Operation) -> bool:
        self.checks += 1
        return self.writes[operation.ledger_key] > 0


def batch(*records: SourceRecord, cursor: str | None = None) -> SourceBatch:
    return SourceBatch(records=list(records), cursor_after=cursor)

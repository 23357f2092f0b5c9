"""${Name} as a sync target: operations in, idempotent writes out (see adapters/base.py).

To implement (the contract kit says what is missing): ``apply`` maps library errors onto
adapters/errors.py (TransientError, AmbiguousWriteError when the answer was lost,
PermanentError with a reason, AlreadyExistsError); ``is_applied`` reads the system.
"""

from __future__ import annotations

from adapters.base import Operation
from adapters.${name}.config import ${Name}Config

__all__ = ["SYSTEM", "${Name}Target"]

SYSTEM = "${name}"


class ${Name}Target:
    """Target adapter for ${Name}."""

    system = SYSTEM

    def __init__(self, config: ${Name}Config) -> None:
        self.config = config

    def close(self) -> None:
        """Close the connection (nothing open yet)."""

    def apply(self, operation: Operation) -> None:
        raise NotImplementedError("${name}: apply is not written yet")

    def is_applied(self, operation: Operation) -> bool:
        raise NotImplementedError("${name}: is_applied is not written yet")

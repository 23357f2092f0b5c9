"""What should have happened: every push the run made and how the inbox answered it.

The model is deliberately simple: it knows what was *acknowledged* (Bv03) and what each
acknowledged message must lead to in the e-Suite, independent of how the engine gets there.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

__all__ = ["FUTURE_YEAR", "Model", "Push", "StatusKey"]

FUTURE_YEAR = 2062  # the typo the issue names: 2062 for 2026
Kind = Literal["zaak", "status", "document", "broken"]
Answer = Literal["bv03", "fault", "no_answer"]

# A status is identified by its zaak and its moment (unique per zaak within a run).
StatusKey = tuple[str, datetime]


@dataclass
class Push:
    """One message the run pushed (possibly several times: same bytes)."""

    kind: Kind
    body: bytes
    zaak: str | None = None
    gezet: datetime | None = None
    code: str | None = None
    document_id: str | None = None
    answers: list[Answer] = field(default_factory=list)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()

    @property
    def acknowledged(self) -> bool:
        return "bv03" in self.answers

    @property
    def future(self) -> bool:
        return self.gezet is not None and self.gezet.year >= FUTURE_YEAR

    @property
    def status_key(self) -> StatusKey | None:
        if self.zaak is None or self.gezet is None:
            return None
        return (self.zaak, self.gezet.astimezone(UTC))


@dataclass
class Model:
    """All pushes, the BSNs used, and the beheer decisions the checker must respect."""

    pushes: list[Push] = field(default_factory=list)
    bsns: dict[str, str] = field(default_factory=dict)  # zaak -> BSN
    unmapped_code: str = "GWS-CHAOS-NIEUW"
    mapping_fixed: bool = False

    def add(self, push: Push) -> Push:
        self.pushes.append(push)
        return push

    def acknowledged(self, kind: Kind) -> list[Push]:
        return [p for p in self.pushes if p.kind == kind and p.acknowledged]

    def unanswered(self) -> list[Push]:
        """Pushes the sender never got an answer for: GWS4all would send them again."""
        return [p for p in self.pushes if p.answers and p.answers[-1] == "no_answer"]

    def statuses(self) -> dict[StatusKey, list[Push]]:
        """Acknowledged status pushes per logical status (re-sent copies share a key)."""
        found: dict[StatusKey, list[Push]] = {}
        for push in self.acknowledged("status"):
            key = push.status_key
            assert key is not None
            found.setdefault(key, []).append(push)
        return found

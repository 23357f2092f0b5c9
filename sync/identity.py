"""The identity map: the same zaak, document or person under each system's own key."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.store.models import IdentityLink

__all__ = ["IdentityMap"]


class IdentityMap:
    """Links keys across systems through a canonical id, inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        # Per session (one batch): a zaak with five statuses is looked up once, not five times.
        self._canonical: dict[tuple[str, str, str], str | None] = {}
        self._keys: dict[tuple[str, str, str], str | None] = {}

    def canonical_id(self, entity_type: str, system: str, key: str) -> str | None:
        slot = (entity_type, system, key)
        if slot not in self._canonical:
            self._canonical[slot] = self.session.scalar(
                select(IdentityLink.canonical_id).where(
                    IdentityLink.entity_type == entity_type,
                    IdentityLink.system == system,
                    IdentityLink.key == key,
                )
            )
        return self._canonical[slot]

    def lookup(self, entity_type: str, system: str, key: str, other_system: str) -> str | None:
        """The key ``other_system`` uses for the object ``system`` calls ``key``, if linked."""
        canonical = self.canonical_id(entity_type, system, key)
        if canonical is None:
            return None
        slot = (entity_type, canonical, other_system)
        if slot not in self._keys:
            self._keys[slot] = self.session.scalar(
                select(IdentityLink.key).where(
                    IdentityLink.entity_type == entity_type,
                    IdentityLink.canonical_id == canonical,
                    IdentityLink.system == other_system,
                )
            )
        return self._keys[slot]

    def origin(self, entity_type: str, system: str, key: str) -> str | None:
        """The system the object was first known in (the first link of its group), if linked.

        Why: a zaak that started in the e-Suite and was handed to GWS4all (the doorgifte) has
        statuses the e-Suite owns; one that started in GWS4all has none.
        """
        canonical = self.canonical_id(entity_type, system, key)
        if canonical is None:
            return None
        return self.session.scalar(
            select(IdentityLink.system)
            .where(IdentityLink.entity_type == entity_type, IdentityLink.canonical_id == canonical)
            .order_by(IdentityLink.id)
            .limit(1)
        )

    def link(
        self, entity_type: str, system: str, key: str, other_system: str, other_key: str
    ) -> str:
        """Record that ``system:key`` and ``other_system:other_key`` are one object.

        Idempotent: linking the same pair again changes nothing. Returns the canonical id.
        """
        canonical = self.canonical_id(entity_type, system, key) or self.canonical_id(
            entity_type, other_system, other_key
        )
        if canonical is None:
            canonical = str(uuid.uuid4())
        for sys_name, sys_key in ((system, key), (other_system, other_key)):
            if self.canonical_id(entity_type, sys_name, sys_key) is None:
                self.session.add(
                    IdentityLink(
                        entity_type=entity_type,
                        canonical_id=canonical,
                        system=sys_name,
                        key=sys_key,
                    )
                )
                self._canonical[(entity_type, sys_name, sys_key)] = canonical
                self._keys[(entity_type, canonical, sys_name)] = sys_key
        return canonical

    def register(self, entity_type: str, system: str, key: str) -> str:
        """Make ``system:key`` known (without a partner yet) and return its canonical id."""
        canonical = self.canonical_id(entity_type, system, key)
        if canonical is None:
            canonical = str(uuid.uuid4())
            self.session.add(
                IdentityLink(
                    entity_type=entity_type, canonical_id=canonical, system=system, key=key
                )
            )
            self._canonical[(entity_type, system, key)] = canonical
        return canonical

"""The identity map: the same zaak, document or person under each system's own key."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.store.models import IdentityLink

__all__ = ["IdentityMap"]

_IN_CHUNK = 500


class IdentityMap:
    """Links keys across systems through a canonical id, inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        # Per session (one batch): a zaak with five statuses is looked up once, not five times.
        self._canonical: dict[tuple[str, str, str], str | None] = {}
        self._keys: dict[tuple[str, str, str], str | None] = {}
        self._origin: dict[tuple[str, str], str | None] = {}
        #: Groups whose links were all loaded: a system missing from one is not linked.
        self._complete: set[tuple[str, str]] = set()

    def preload(self, entity_type: str, system: str, keys: Iterable[str]) -> None:
        """Load the links of many keys at once (a batch), so that ``canonical_id``,
        ``lookup`` and ``origin`` of those keys ask the database nothing more.

        Why: one query per record costs a round trip and, through autoflush, a flush of the
        batch's pending rows; a batch of 500 records then pays for 500 flushes.
        """
        wanted = sorted({key for key in keys if (entity_type, system, key) not in self._canonical})
        found: set[str] = set()
        for start in range(0, len(wanted), _IN_CHUNK):
            chunk = wanted[start : start + _IN_CHUNK]
            rows = self.session.execute(
                select(IdentityLink.key, IdentityLink.canonical_id).where(
                    IdentityLink.entity_type == entity_type,
                    IdentityLink.system == system,
                    IdentityLink.key.in_(chunk),
                )
            )
            for key, canonical in rows:
                self._canonical[(entity_type, system, key)] = canonical
                found.add(canonical)
            for key in chunk:
                self._canonical.setdefault((entity_type, system, key), None)
        groups = sorted(found)
        for start in range(0, len(groups), _IN_CHUNK):
            chunk = groups[start : start + _IN_CHUNK]
            links = self.session.execute(
                select(IdentityLink.canonical_id, IdentityLink.system, IdentityLink.key)
                .where(
                    IdentityLink.entity_type == entity_type,
                    IdentityLink.canonical_id.in_(chunk),
                )
                .order_by(IdentityLink.id)
            )
            for canonical, linked_system, key in links:
                self._origin.setdefault((entity_type, canonical), linked_system)
                self._keys.setdefault((entity_type, canonical, linked_system), key)
                self._canonical.setdefault((entity_type, linked_system, key), canonical)
            self._complete.update((entity_type, canonical) for canonical in chunk)

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
        if slot not in self._keys and (entity_type, canonical) in self._complete:
            return None
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
        group = (entity_type, canonical)
        if group not in self._origin:
            self._origin[group] = self.session.scalar(
                select(IdentityLink.system)
                .where(
                    IdentityLink.entity_type == entity_type, IdentityLink.canonical_id == canonical
                )
                .order_by(IdentityLink.id)
                .limit(1)
            )
        return self._origin[group]

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
            self._origin[(entity_type, canonical)] = system  # the group's first link
            self._complete.add((entity_type, canonical))
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
            self._origin[(entity_type, canonical)] = system
            self._complete.add((entity_type, canonical))
            self.session.add(
                IdentityLink(
                    entity_type=entity_type, canonical_id=canonical, system=system, key=key
                )
            )
            self._canonical[(entity_type, system, key)] = canonical
        return canonical

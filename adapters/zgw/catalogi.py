"""Codes to Catalogi API URLs: zaaktype, statustype, roltype, informatieobjecttype.

Why a cache: the flows name types by code (the mapped zaaktype ``B1026``, a volgnummer, a
documenttype); the Zaken and Documenten APIs want the type's URL. Types change seldom (a new
version of a zaaktype is published at most a few times a year), so each is looked up once per
target, i.e. once per task. A code the catalogus does not know is a refusal (dead letter), not
a guess: beheer adds the type to the catalogus or fixes the mapping.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from adapters.errors import TargetRejectedError
from adapters.zgw.client import SYSTEM, ZgwClient
from stuf.values import AMSTERDAM

__all__ = ["Catalogus"]


def _current(items: list[dict[str, Any]], today: date) -> dict[str, Any] | None:
    """The version valid today (the latest begun one; the latest of all when none began)."""
    published = [i for i in items if not i.get("concept")] or items
    begun = [i for i in published if str(i.get("beginGeldigheid") or "") <= today.isoformat()]
    pool = begun or published
    return max(pool, key=lambda i: str(i.get("beginGeldigheid") or ""), default=None)


class Catalogus:
    """Cached look-ups in the Catalogi API (thread-safe; the cache lives as long as it)."""

    def __init__(self, client: ZgwClient) -> None:
        self.client = client
        self.root = client.config.catalogi_url
        self._known: dict[tuple[str, ...], str] = {}
        self._lock = threading.Lock()

    def _cached(self, key: tuple[str, ...], find: Callable[[], str | None], what: str) -> str:
        with self._lock:
            if key in self._known:
                return self._known[key]
        url = find()
        if not url:
            raise TargetRejectedError(
                f"{what} staat niet in de Catalogi API", system=SYSTEM, operation=key[0]
            )
        with self._lock:
            self._known[key] = url
        return url

    def zaaktype(self, code: str) -> str:
        """URL of the zaaktype with ``identificatie`` = the mapped code."""

        def find() -> str | None:
            items = list(
                self.client.results(f"{self.root}/zaaktypen", "zaaktypen", {"identificatie": code})
            )
            found = _current(
                [i for i in items if i.get("identificatie") == code], datetime.now(AMSTERDAM).date()
            )
            return str(found["url"]) if found else None

        return self._cached(("zaaktypen", code), find, f"zaaktype {code!r}")

    def statustype(self, zaaktype_url: str, volgnummer: int) -> str:
        """URL of the zaaktype's statustype with this volgnummer."""

        def find() -> str | None:
            for item in self.client.results(
                f"{self.root}/statustypen", "statustypen", {"zaaktype": zaaktype_url}
            ):
                if item.get("volgnummer") == volgnummer and item.get("zaaktype") == zaaktype_url:
                    return str(item["url"])
            return None

        what = f"statustype {volgnummer} van zaaktype {zaaktype_url}"
        return self._cached(("statustypen", zaaktype_url, str(volgnummer)), find, what)

    def roltype(self, zaaktype_url: str, generiek: str = "initiator") -> str:
        """URL of the zaaktype's roltype with this omschrijvingGeneriek."""

        def find() -> str | None:
            params = {"zaaktype": zaaktype_url, "omschrijvingGeneriek": generiek}
            for item in self.client.results(f"{self.root}/roltypen", "roltypen", params):
                if item.get("omschrijvingGeneriek") == generiek:
                    return str(item["url"])
            return None

        what = f"roltype {generiek} van zaaktype {zaaktype_url}"
        return self._cached(("roltypen", zaaktype_url, generiek), find, what)

    def informatieobjecttype(self, omschrijving: str | None, fallback: str | None) -> str:
        """URL of the informatieobjecttype named ``omschrijving``, else of ``fallback``."""
        for name in filter(None, (omschrijving, fallback)):
            try:
                return self._cached(
                    ("informatieobjecttypen", name), functools.partial(self._iotype, name), name
                )
            except TargetRejectedError:
                continue
        raise TargetRejectedError(
            f"informatieobjecttype {omschrijving!r} (en terugval {fallback!r}) staat niet in de "
            "Catalogi API",
            system=SYSTEM,
            operation="informatieobjecttypen",
        )

    def _iotype(self, omschrijving: str) -> str | None:
        items = [
            item
            for item in self.client.results(
                f"{self.root}/informatieobjecttypen",
                "informatieobjecttypen",
                {"omschrijving": omschrijving},
            )
            if str(item.get("omschrijving", "")).lower() == omschrijving.lower()
        ]
        found = _current(items, datetime.now(AMSTERDAM).date())
        return str(found["url"]) if found else None

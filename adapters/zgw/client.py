"""HTTP to the ZGW APIs, with every failure classified on Ketenbrug's error tree.

Why one place: the three APIs answer alike (JSON, ``application/problem+json`` on error,
paginated lists), so one client decides what a failure means:

- no connection made (refused, connect timeout), 429, 502/503/504: :class:`TransientError`
  (nothing was processed);
- a write whose answer was lost (read timeout, reset after sending, 500, an unreadable 2xx):
  :class:`AmbiguousWriteError` (the engine checks ``is_applied`` before writing again); for
  a read the same is a plain :class:`TransientError`;
- 401/403: :class:`ConfigError` (client_id or secret wrong, or no rights: every record would
  fail alike, so the task stops instead of dead-lettering them);
- 404: :class:`ZgwNotFoundError`; other 4xx: :class:`TargetRejectedError` with the problem's
  ``title``/``detail``/``invalidParams``, any BSN in them masked.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import requests
import urllib3

from adapters.errors import ConfigError, TargetRejectedError, TransientError, no_answer
from adapters.http_sessions import ThreadSessions
from adapters.zgw.auth import authorization
from adapters.zgw.config import ZgwConfig
from privacy.masking import mask_text

__all__ = ["SYSTEM", "ZgwClient", "ZgwNotFoundError"]

SYSTEM = "zgw"
_NOT_PROCESSED = {429, 502, 503, 504}
#: Zaken API resources carry geometry: it wants the coordinate system named (else 412).
_CRS = {"Accept-Crs": "EPSG:4326", "Content-Crs": "EPSG:4326"}
_MAX_PAGES = 1000


class ZgwNotFoundError(TargetRejectedError):
    """The API does not know the resource (HTTP 404)."""


def _problem_text(response: requests.Response) -> str:
    """``title: detail (field: reason, ...)`` of a ZGW ``Fout``, masked, at most 300 chars."""
    try:
        problem = response.json()
    except ValueError:
        problem = None
    if not isinstance(problem, dict):
        return mask_text(f"HTTP {response.status_code}")
    parts = [str(problem.get("title") or f"HTTP {response.status_code}")]
    if problem.get("detail"):
        parts.append(str(problem["detail"]))
    invalid = problem.get("invalidParams")
    if isinstance(invalid, list) and invalid:
        fields = ", ".join(
            f"{item.get('name')}: {item.get('reason')}"
            for item in invalid
            if isinstance(item, dict)
        )
        parts.append(f"({fields})")
    return mask_text(" ".join(parts))[:300]


def _not_sent(exc: requests.RequestException) -> bool:
    """Did the request never leave (no connection made)?"""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


class ZgwClient:
    """Calls the ZGW APIs as one client_id; one ``requests.Session`` per thread."""

    def __init__(self, config: ZgwConfig) -> None:
        self.config = config
        self._sessions = ThreadSessions(verify=config.verify)

    @property
    def session(self) -> requests.Session:
        return self._sessions.get()

    def close(self) -> None:
        self._sessions.close()

    # --- requests ---------------------------------------------------------------------------

    def request(
        self,
        method: str,
        url: str,
        *,
        operation: str,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        data: Any = None,
    ) -> Any:
        """One call; the answer's JSON (None for an empty answer) or an error from the tree.

        ``body`` is sent as JSON; ``data`` is a ready body (an iterable with ``__len__``: a
        streamed upload with a Content-Length). An exception raised by ``data`` while it is
        sent comes out unchanged.
        """
        writes = method != "GET"
        headers = {"Authorization": authorization(self.config), "Accept": "application/json"}
        headers.update(_CRS)
        if body is not None or data is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                json=body,
                data=data,
                headers=headers,
                timeout=self.config.timeout_s,
                verify=self.config.verify,
            )
        except requests.RequestException as exc:
            if _not_sent(exc):
                raise TransientError(
                    f"ZGW-API niet bereikbaar: {type(exc).__name__}",
                    system=SYSTEM,
                    operation=operation,
                ) from exc
            raise no_answer(
                f"ZGW-API gaf geen antwoord: {type(exc).__name__}",
                writes=writes,
                system=SYSTEM,
                operation=operation,
            ) from exc
        with response:
            return self._answer(response, operation, writes)

    def _answer(self, response: requests.Response, operation: str, writes: bool) -> Any:
        status = response.status_code
        if status in _NOT_PROCESSED:
            raise TransientError(f"ZGW-API HTTP {status}", system=SYSTEM, operation=operation)
        if status >= 500:
            raise no_answer(
                f"ZGW-API HTTP {status}: {_problem_text(response)}",
                writes=writes,
                system=SYSTEM,
                operation=operation,
            )
        if status in (401, 403):
            raise ConfigError(
                f"ZGW-API weigert client_id {self.config.client_id!r} (HTTP {status}): "
                f"{_problem_text(response)}; controleer login/wachtwoord en rechten van "
                "Connection ketenbrug_zgw",
                system=SYSTEM,
                operation=operation,
            )
        if status == 404:
            raise ZgwNotFoundError(
                f"ZGW-API: niet gevonden ({_problem_text(response)})",
                system=SYSTEM,
                operation=operation,
            )
        if status >= 400:
            raise TargetRejectedError(
                f"ZGW-API weigert {operation} (HTTP {status}): {_problem_text(response)}",
                system=SYSTEM,
                operation=operation,
            )
        if not response.content:
            return None
        try:
            return response.json()
        except (ValueError, json.JSONDecodeError) as exc:
            raise no_answer(
                f"onleesbaar antwoord van ZGW-API (HTTP {status})",
                writes=writes,
                system=SYSTEM,
                operation=operation,
            ) from exc

    def get(self, url: str, operation: str, params: Mapping[str, str] | None = None) -> Any:
        return self.request("GET", url, operation=operation, params=params)

    def results(
        self, url: str, operation: str, params: Mapping[str, str] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every result of a paginated list (``{"count", "next", "results"}``), page by page."""
        page: Any = self.get(url, operation, params)
        for _ in range(_MAX_PAGES):
            if not isinstance(page, dict) or not isinstance(page.get("results"), list):
                raise TransientError(
                    "onleesbaar ZGW-antwoord: geen gepagineerde lijst",
                    system=SYSTEM,
                    operation=operation,
                )
            yield from (item for item in page["results"] if isinstance(item, dict))
            following = page.get("next")
            if not following:
                return
            page = self.get(str(following), operation)

    def first(self, url: str, operation: str, params: Mapping[str, str]) -> dict[str, Any] | None:
        """The first result of a filtered list, or None."""
        return next(self.results(url, operation, params), None)

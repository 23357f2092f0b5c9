"""The new archive's listing: the e-Suite's ZGW Documenten API, read page by page.

Why ZGW and not ZDS: ZDS can only list the documents of one zaak, and only read a document's
checksum by downloading it. The e-Suite's second protocol, the ZGW Documenten API, lists every
``enkelvoudiginformatieobject`` with ``bestandsomvang`` and ``integriteit`` (algorithm, value,
date): what the nightly reconciliation compares with Ketenbrug's ledger, without downloading.

What the client does *not* rely on: an order of the results (the API promises none), nor a
stable listing while it pages (documents added meanwhile shift the pages). A document that
shifts from the end of one page to the start of the next is yielded once (the previous page's
identificaties are remembered, never more); one that shifts back across a page boundary (a
document removed meanwhile) can be missed: a reconciliation that finds a document "missing"
asks :meth:`EsuiteArchive.document` before acting on it. Memory holds one page at a time.

ZGW errors are mapped on the error tree: 429/5xx and unreadable answers are transient, 401/403,
405 and a 404 for the listing itself (wrong ``zgw_path``) are configuration errors, other 4xx are
permanent. Authorisation: the session's mTLS certificate, as for ZDS (no ZGW JWT yet).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from adapters.errors import ConfigError, KetenbrugError, PermanentError, TransientError
from adapters.esuite.client import SYSTEM, EsuiteClient
from adapters.esuite.config import EsuiteConfig
from adapters.esuite.zgw_api import next_page, zgw_root

__all__ = ["ArchiveListingEntry", "EsuiteArchive", "zgw_base_url"]

log = logging.getLogger(__name__)

_RESOURCE = "enkelvoudiginformatieobjecten"
_OPERATION = "zgw_enkelvoudiginformatieobjecten"
_RETRY_STATUSES = {429, 500, 502, 503, 504}
_HEX = frozenset("0123456789abcdef")
E = TypeVar("E", bound=KetenbrugError)


def _error(kind: type[E], text: str) -> E:
    """``kind`` for the listing, the one operation this module performs."""
    return kind(text, system=SYSTEM, operation=_OPERATION)


@dataclass(frozen=True)
class ArchiveListingEntry:
    """One document as the archive lists it.

    ``sha256`` is None when the archive gives no SHA-256 ``integriteit`` (another algorithm, or
    none filled in); ``size`` is None without ``bestandsomvang``.
    """

    identificatie: str
    sha256: str | None
    size: int | None
    url: str = ""


def zgw_base_url(config: EsuiteConfig) -> str:
    """The ZGW Documenten API root: ``zgw_path`` on the host of the ZDS ``url``, or itself."""
    return zgw_root(config, config.zgw_path)


def _sha256(item: dict[str, Any]) -> str | None:
    integriteit = item.get("integriteit")
    if not isinstance(integriteit, dict) or integriteit.get("algoritme") != "sha_256":
        return None
    value = str(integriteit.get("waarde") or "").strip().lower()
    return value if len(value) == 64 and set(value) <= _HEX else None


def _entry(item: Any) -> ArchiveListingEntry:
    if not isinstance(item, dict) or not isinstance(item.get("identificatie"), str):
        raise _error(TransientError, "onleesbaar ZGW-antwoord: resultaat zonder identificatie")
    size = item.get("bestandsomvang")
    return ArchiveListingEntry(
        identificatie=item["identificatie"],
        sha256=_sha256(item),
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        url=str(item.get("url") or ""),
    )


class EsuiteArchive:
    """Reads the archive's document listing (ZGW Documenten API) of the e-Suite.

    Shares the connection settings (and, given a client, the thread-local sessions with their
    certificates) of the ZDS :class:`EsuiteClient`.
    """

    system = SYSTEM

    def __init__(
        self,
        config: EsuiteConfig,
        client: EsuiteClient | None = None,
        *,
        page_attempts: int = 5,
        page_wait_s: float = 0.2,
    ) -> None:
        self.config = config
        self.client = client if client is not None else EsuiteClient(config)
        self.base_url = zgw_base_url(config)
        # A nightly walk over thousands of pages must not fail on one passing 503: each page
        # is retried on its own (a page is a pure read).
        self._page_retry = Retrying(
            retry=retry_if_exception_type(TransientError),
            stop=stop_after_attempt(page_attempts),
            wait=wait_exponential(multiplier=page_wait_s, max=5.0),
            reraise=True,
        )

    @property
    def listing_url(self) -> str:
        return f"{self.base_url}/{_RESOURCE}"

    def close(self) -> None:
        self.client.close()

    def iter_documents(self) -> Iterator[ArchiveListingEntry]:
        """Every document in the archive, page by page (one page in memory, never the list)."""
        yield from self._iter({})

    def document(self, identificatie: str) -> ArchiveListingEntry | None:
        """The document with this identificatie, or None when the archive does not list it.

        ZGW makes an identificatie unique per bronorganisatie only: when several match, the
        first is returned and the others are logged.
        """
        matches = [
            entry
            for entry in self._iter({"identificatie": identificatie})
            if entry.identificatie == identificatie  # a server that ignores the filter, too
        ]
        if len(matches) > 1:
            log.warning(
                "ZGW: %d documenten met identificatie %s, de eerste gebruikt",
                len(matches),
                identificatie,
            )
        return matches[0] if matches else None

    # --- paging -----------------------------------------------------------------------------

    def _iter(self, filters: dict[str, str]) -> Iterator[ArchiveListingEntry]:
        page = 1
        previous_ids: set[str] = set()
        while True:
            data = self._page_retry(self._get_page, page, filters)
            seen: set[str] = set()
            for entry in (_entry(item) for item in data["results"]):
                seen.add(entry.identificatie)
                if entry.identificatie in previous_ids:
                    continue  # shifted over the page boundary: already yielded
                yield entry
            previous_ids = seen
            following = next_page(data, page, lambda text: _error(TransientError, text))
            if following is None:
                return
            page = following

    def _get_page(self, page: int, filters: dict[str, str]) -> dict[str, Any]:
        """One page of the listing. The page is asked for at our own base URL: a ``next`` link
        may name the host the API sees itself as (behind a gateway), not the one we reach."""
        params = dict(filters)
        if page > 1:
            params["page"] = str(page)
        try:
            response = self.client.session.get(
                self.listing_url,
                params=params,
                headers={"Accept": "application/json"},
                timeout=self.config.timeout_s,
                verify=self.config.verify,
            )
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise _error(
                TransientError, f"ZGW Documenten API gaf geen antwoord: {type(exc).__name__}"
            ) from exc
        with response:
            self._check_status(response, page)
            try:
                data = response.json()
            except ValueError as exc:
                raise _error(
                    TransientError, f"onleesbaar ZGW-antwoord (pagina {page}): geen JSON"
                ) from exc
        if not isinstance(data, dict) or not isinstance(data.get("results"), list):
            raise _error(
                TransientError, f"onleesbaar ZGW-antwoord (pagina {page}): geen gepagineerde lijst"
            )
        return data

    @staticmethod
    def _check_status(response: requests.Response, page: int) -> None:
        status = response.status_code
        if status == 200:
            return
        text = f"ZGW Documenten API HTTP {status} (pagina {page})"
        if status in _RETRY_STATUSES:
            raise _error(TransientError, text)
        if status == 404 and page > 1:  # the listing shrank while we paged: start again later
            raise _error(TransientError, text)
        if status in (401, 403, 404, 405):  # not allowed, or not the ZGW API at all
            raise _error(
                ConfigError, f"{text}: klopt de ZGW-configuratie (zgw_path, certificaat, rechten)?"
            )
        if status >= 500:
            raise _error(TransientError, text)
        raise _error(PermanentError, text)

"""New zaken of given zaaktypes, read from the e-Suite's ZGW Zaken API page by page.

Why ZGW and not ZDS: ZDS 1.2 can only ask for a zaak whose identificatie is already known; the
doorgifte (e-Suite -> GWS4all) must *find* the new aanvragen. The Zaken API lists zaken filtered
on ``zaaktype`` and ``startdatum__gte``, so a nightly or hourly read costs about the new zaken.

What the client does *not* rely on: an order of the results (the API promises none, so the
caller sorts and dedupes what it gets), nor the server applying the filters (each result's
zaaktype and startdatum are checked again here). One request walk per zaaktype (the 1.5 API
filters on one zaaktype); one page in memory at a time.

:meth:`EsuiteZaakLijst.zoek` serves GWS4all's questions that select zaken on an initiator BSN,
a zaaktype or dates (:mod:`sync.vragen_selectie`): the same listing with the Zaken API 1.5
filters ``rol__betrokkeneIdentificatie__natuurlijkPersoon__inpBsn``, ``zaaktype``,
``identificatie`` and ``startdatum``/``registratiedatum`` ``__gte``/``__lte``.

Zaaktype codes become URLs as ``<zgw_catalogi_path>/zaaktypen/<code>``: the e-Suite simulator's
naming. A real Catalogi API names a zaaktype by a uuid (one per version), so against it the
codes must first be looked up (``GET /zaaktypen?identificatie=<code>``); not done yet.

Errors on the error tree, like :mod:`adapters.esuite.archive`: no answer, 429 and 5xx, an
unreadable answer and a page that vanished while paging are transient; 401/403/404/405/412 on
the first page are configuration errors (wrong ``zgw_zaken_path``, certificate or rights);
other 4xx are permanent. Every error text is masked.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlsplit

import requests

from adapters.errors import ConfigError, KetenbrugError, PermanentError, TransientError
from adapters.esuite.client import SYSTEM, EsuiteClient
from adapters.esuite.config import EsuiteConfig
from adapters.esuite.zgw_api import next_page, zgw_root
from privacy.masking import BsnMaskingFilter, mask_text

__all__ = ["EsuiteZaakLijst", "ZaakKop", "ZaakZoekvraag", "zgw_root"]

# urllib3 logs each request line (with its query, which may hold a BSN) at DEBUG: masked here,
# whether or not the process installed log masking
logging.getLogger("urllib3.connectionpool").addFilter(BsnMaskingFilter())
#: The Zaken API 1.5 filter on the BSN of a betrokkene (any rol; checked as initiator after).
BSN_FILTER = "rol__betrokkeneIdentificatie__natuurlijkPersoon__inpBsn"

_OPERATION = "zgw_zaken"
_RETRY_STATUSES = {429, 500, 502, 503, 504}
_CONFIG_STATUSES = {401, 403, 404, 405, 412}
#: Zaken carry geometry: the Zaken API wants the coordinate system named (else 412).
_HEADERS = {"Accept": "application/json", "Accept-Crs": "EPSG:4326"}
E = TypeVar("E", bound=KetenbrugError)


def _error(kind: type[E], text: str) -> E:
    return kind(mask_text(text), system=SYSTEM, operation=_OPERATION)


@dataclass(frozen=True)
class ZaakKop:
    """The head of a zaak as listed: enough to decide whether to pass it on."""

    identificatie: str
    zaaktype_code: str
    startdatum: date
    registratiedatum: date


@dataclass(frozen=True)
class ZaakZoekvraag:
    """Filters of a zaken search (each optional, all must hold); ``bsn`` is kept out of repr."""

    identificatie: str | None = None
    zaaktype_code: str | None = None
    bsn: str | None = field(default=None, repr=False)
    startdatum_vanaf: date | None = None
    startdatum_tot_en_met: date | None = None
    registratiedatum_vanaf: date | None = None
    registratiedatum_tot_en_met: date | None = None


def _last_segment(url: str) -> str:
    return unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])


def _day(item: dict[str, Any], name: str) -> date:
    """A ZGW date field (``YYYY-MM-DD``); a missing or malformed one makes the answer unreadable."""
    value = item.get(name)
    try:
        if isinstance(value, str):
            return date.fromisoformat(value[:10])
    except ValueError:
        pass
    raise _error(TransientError, f"onleesbaar ZGW-antwoord: zaak zonder geldige {name}")


def _matches(item: dict[str, Any], vraag: ZaakZoekvraag) -> bool:
    """Does a listed zaak meet the filters the listing shows (a server may ignore one)?"""
    if vraag.identificatie is not None and item["identificatie"] != vraag.identificatie:
        return False
    zaaktype = item.get("zaaktype")
    if vraag.zaaktype_code is not None and (
        not isinstance(zaaktype, str) or _last_segment(zaaktype) != vraag.zaaktype_code
    ):
        return False
    for name, low, high in (
        ("startdatum", vraag.startdatum_vanaf, vraag.startdatum_tot_en_met),
        ("registratiedatum", vraag.registratiedatum_vanaf, vraag.registratiedatum_tot_en_met),
    ):
        if low is None and high is None:
            continue
        day = _day(item, name)
        if (low is not None and day < low) or (high is not None and day > high):
            return False
    return True


def _day_before(day: date | None) -> date | None:
    return day - timedelta(days=1) if day is not None else None


def _day_after(day: date | None) -> date | None:
    return day + timedelta(days=1) if day is not None else None


class EsuiteZaakLijst:
    """Reads the zaken listing (ZGW Zaken API) of the e-Suite.

    Shares the connection settings (and, given a client, the thread-local sessions with their
    certificates) of the ZDS :class:`EsuiteClient`.
    """

    system = SYSTEM

    def __init__(self, config: EsuiteConfig, client: EsuiteClient | None = None) -> None:
        self.config = config
        self.client = client if client is not None else EsuiteClient(config)
        self.listing_url = f"{zgw_root(config, config.zgw_zaken_path)}/zaken"
        self.zaaktypen_url = f"{zgw_root(config, config.zgw_catalogi_path)}/zaaktypen"

    def close(self) -> None:
        self.client.close()

    def zaaktype_url(self, code: str) -> str:
        return f"{self.zaaktypen_url}/{quote(code, safe='')}"

    def nieuwe_zaken(self, zaaktype_codes: Iterable[str], vanaf: date) -> Iterator[ZaakKop]:
        """Every zaak of these zaaktypes with ``startdatum >= vanaf``, page by page, in no
        particular order (a zaak may come twice when the listing shifts while paging)."""
        for code in dict.fromkeys(zaaktype_codes):  # each zaaktype once, in the order given
            filters = {
                "zaaktype": self.zaaktype_url(code),
                "startdatum__gte": vanaf.isoformat(),
                "ordering": "startdatum",
            }
            for item in self._iter(filters):
                kop = self._kop(item, code)
                if kop is not None and kop.startdatum >= vanaf:  # a server ignoring the filter
                    yield kop

    def zoek(self, vraag: ZaakZoekvraag) -> list[str]:
        """The identificaties of the zaken the Zaken API finds for ``vraag``, sorted, each once.

        The filters go to the API (``zaaktype``, ``identificatie``, the BSN filter,
        ``startdatum__gte/__lte``, and ``registratiedatum__gt/__lt`` a day around the asked
        range: the Zaken API 1.5 has no ``__gte``/``__lte`` for it); what the listing shows is
        checked again here (identificatie, zaaktype, dates). The BSN cannot be: the listing
        does not show the rollen, so the caller checks the initiator in the zaak's details.
        """
        filters = {"ordering": "identificatie"}
        for name, value in (
            ("identificatie", vraag.identificatie),
            ("zaaktype", self.zaaktype_url(vraag.zaaktype_code) if vraag.zaaktype_code else None),
            (BSN_FILTER, vraag.bsn),
            ("startdatum__gte", vraag.startdatum_vanaf),
            ("startdatum__lte", vraag.startdatum_tot_en_met),
            ("registratiedatum__gt", _day_before(vraag.registratiedatum_vanaf)),
            ("registratiedatum__lt", _day_after(vraag.registratiedatum_tot_en_met)),
        ):
            if value is not None:
                filters[name] = value.isoformat() if isinstance(value, date) else str(value)
        found: set[str] = set()
        for item in self._iter(filters):
            if not isinstance(item, dict) or not isinstance(item.get("identificatie"), str):
                raise _error(TransientError, "onleesbaar ZGW-antwoord: zaak zonder identificatie")
            if _matches(item, vraag):
                found.add(item["identificatie"])
        return sorted(found)

    @staticmethod
    def _kop(item: Any, code: str) -> ZaakKop | None:
        """The zaak's head, None when it is not of zaaktype ``code`` (the filter ignored)."""
        if not isinstance(item, dict) or not isinstance(item.get("identificatie"), str):
            raise _error(TransientError, "onleesbaar ZGW-antwoord: zaak zonder identificatie")
        zaaktype = item.get("zaaktype")
        # compare the zaaktype's own key, not the host: behind a gateway the API may name itself
        # by another host than the one we reach it at
        if not isinstance(zaaktype, str) or _last_segment(zaaktype) != code:
            return None
        return ZaakKop(
            identificatie=item["identificatie"],
            zaaktype_code=code,
            startdatum=_day(item, "startdatum"),
            registratiedatum=_day(item, "registratiedatum"),
        )

    # --- paging -----------------------------------------------------------------------------

    def _iter(self, filters: dict[str, str]) -> Iterator[Any]:
        page = 1
        while True:
            data = self._get_page(page, filters)
            yield from data["results"]
            following = next_page(data, page, lambda text: _error(TransientError, text))
            if following is None:
                return
            page = following

    def _get_page(self, page: int, filters: dict[str, str]) -> dict[str, Any]:
        """One page, asked for at our own URL: a ``next`` link may name another host."""
        params = dict(filters)
        if page > 1:
            params["page"] = str(page)
        status, content = self._get(self.listing_url, params, f"pagina {page}")
        self._check_status(status, page)
        try:
            data = json.loads(content)
        except ValueError as exc:  # UnicodeDecodeError included
            raise _error(
                TransientError,
                f"onleesbaar ZGW-antwoord (pagina {page}): geen JSON ({len(content)} bytes)",
            ) from exc
        if not isinstance(data, dict) or not isinstance(data.get("results"), list):
            raise _error(
                TransientError, f"onleesbaar ZGW-antwoord (pagina {page}): geen gepagineerde lijst"
            )
        return data

    def identificatie_van(self, url: str) -> str | None:
        """The identificatie of the zaak at ``url`` (a notificatie's ``hoofdObject``), or None
        when the Zaken API no longer has it (404, 410).

        Only a URL of one zaak under this e-Suite's own Zaken API is asked for: a notificatie
        must not make Ketenbrug fetch what it names elsewhere (PermanentError otherwise).
        """
        prefix = f"{self.listing_url}/"
        rest = url[len(prefix) :] if url.startswith(prefix) else ""
        if not rest or any(c in rest for c in "/?#%\\") or rest in {".", ".."}:
            raise _error(PermanentError, "hoofdObject is geen zaak van deze e-Suite")
        status, content = self._get(url, {}, "zaak")
        if status in (404, 410):
            return None
        self._check_status(status, 1)
        try:
            item = json.loads(content)
        except ValueError as exc:
            raise _error(TransientError, "onleesbaar ZGW-antwoord (zaak): geen JSON") from exc
        if not isinstance(item, dict) or not isinstance(item.get("identificatie"), str):
            raise _error(TransientError, "onleesbaar ZGW-antwoord: zaak zonder identificatie")
        return str(item["identificatie"])

    def _get(self, url: str, params: dict[str, str], what: str) -> tuple[int, bytes]:
        """GET ``url``: its status and whole body (a broken-off body is transient)."""
        try:
            response = self.client.session.get(
                url,
                params=params,
                headers=_HEADERS,
                timeout=self.config.timeout_s,
                verify=self.config.verify,
            )
        except requests.RequestException as exc:
            raise _error(
                TransientError, f"ZGW Zaken API gaf geen antwoord: {type(exc).__name__}"
            ) from exc
        with response:
            if response.status_code != 200:
                return response.status_code, b""
            try:
                return 200, response.content
            except requests.RequestException as exc:  # the body broke off while reading
                raise _error(TransientError, f"ZGW Zaken API antwoord afgebroken ({what})") from exc

    @staticmethod
    def _check_status(status: int, page: int) -> None:
        if status == 200:
            return
        text = f"ZGW Zaken API HTTP {status} (pagina {page})"
        if status in _RETRY_STATUSES or status >= 500:
            raise _error(TransientError, text)
        if status == 404 and page > 1:  # the listing shrank while we paged: read again later
            raise _error(TransientError, text)
        if status in _CONFIG_STATUSES:
            raise _error(
                ConfigError,
                f"{text}: klopt de ZGW-configuratie (zgw_zaken_path, certificaat, rechten)?",
            )
        raise _error(PermanentError, text)

"""The e-Suite's ZGW Zaken API 1.5 on loopback: a read-only listing of its zaken.

Why: the doorgifte (e-Suite -> GWS4all) must find the new aanvragen *incrementally*; ZDS 1.2
can only ask for a zaak whose identificatie is known. The real e-Suite also answers the ZGW
Zaken API, whose listing filters on zaaktype and startdatum. The zaken are those of the
:class:`~simulators.esuite_store.EsuiteStore` the ZDS side writes (creeerZaak).

Endpoints (under ``/zaken/api/v1``, JSON, no authorisation checked, ``Accept-Crs: EPSG:4326``
required as in the real API, else 412):

=============================  ===================================================================
``GET /zaken``                 paginated ``{"count", "next", "previous", "results"}``; filters
                               ``zaaktype`` (a URL), ``identificatie``, ``bronorganisatie``,
                               ``startdatum`` and ``startdatum__gt/gte/lt/lte``, the same for
                               ``registratiedatum``;
                               ``rol__betrokkeneIdentificatie__natuurlijkPersoon__inpBsn``
                               (matched on the initiator's BSN, the one rol the store
                               knows); ``ordering`` (``startdatum``,
                               ``registratiedatum``, ``identificatie``, ``-`` for descending);
                               ``page`` (1-based; past the end: 404 "Ongeldige pagina.")
``GET /zaken/{uuid}``          one zaak, 404 when unknown
=============================  ===================================================================

The e-Suite simulator knows a zaaktype only by its code: its URL here is
``<base>/catalogi/api/v1/zaaktypen/<code>`` (not served). ``registratiedatum`` is the day the
store received the zaak; ``status`` names the last status written (a URL that is not served),
or is null. Without ``ordering`` results are ordered by ``identificatie`` descending, so a
client that assumes "oldest first" is caught out; the real API promises no order at all.

Faults as in :mod:`simulators.esuite_zgw`: socket-level ones from :mod:`simulators.http`;
``fo02`` answers 500, ``fo03`` answers 400, ``schema_invalid`` answers 200 with a body cut off
halfway (not JSON).
"""

from __future__ import annotations

import json
import math
import threading
import uuid
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit
from wsgiref.types import StartResponse, WSGIEnvironment

from simulators.esuite_store import EsuiteStore, StoredZaak
from simulators.esuite_zgw import API_VERSION, BRONORGANISATIE, DEFAULT_PAGE_SIZE
from simulators.faults import FaultDecision
from simulators.http import FAULT_KEY
from simulators.zgw_fout import zgw_fout
from stuf import NoValue

__all__ = [
    "CATALOGI_PREFIX",
    "ZAKEN_PATH",
    "ZAKEN_PREFIX",
    "ZgwZakenApp",
    "zaak_uuid",
    "zaaktype_url",
]

ZAKEN_PREFIX = "/zaken/api/v1"
ZAKEN_PATH = f"{ZAKEN_PREFIX}/zaken"
CATALOGI_PREFIX = "/catalogi/api/v1"
_ZAAKTYPEN_PATH = f"{CATALOGI_PREFIX}/zaaktypen/"
_CRS = "EPSG:4326"
_ZAAK_NAMESPACE = uuid.UUID("0d9e6c1f-4b7a-4f0e-8a51-2c6d3e9b7f20")
_STATUS_NAMESPACE = uuid.UUID("5a2b8e44-13c9-4d6f-b0e7-9f1a7c3d2e68")
_DATE_FIELDS = ("startdatum", "registratiedatum")
_LOOKUPS: dict[str, Callable[[date, date], bool]] = {
    "": lambda value, wanted: value == wanted,
    "__gt": lambda value, wanted: value > wanted,
    "__gte": lambda value, wanted: value >= wanted,
    "__lt": lambda value, wanted: value < wanted,
    "__lte": lambda value, wanted: value <= wanted,
}
_ORDERINGS = ("startdatum", "registratiedatum", "identificatie")
_BSN_FILTER = "rol__betrokkeneIdentificatie__natuurlijkPersoon__inpBsn"


def zaak_uuid(identificatie: str) -> str:
    """The stable uuid of a zaak in the ZGW urls (derived from its identificatie)."""
    return str(uuid.uuid5(_ZAAK_NAMESPACE, identificatie))


def zaaktype_url(base: str, code: str) -> str:
    """The URL by which this simulator names the zaaktype with ``code``."""
    return f"{base}{_ZAAKTYPEN_PATH}{quote(code, safe='')}"


def _zaaktype_code(url: str) -> str | None:
    """The code in a zaaktype URL of this simulator (any host), or None for another URL."""
    path = urlsplit(url).path
    if not path.startswith(_ZAAKTYPEN_PATH) or "/" in path[len(_ZAAKTYPEN_PATH) :]:
        return None
    return unquote(path[len(_ZAAKTYPEN_PATH) :]) or None


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, NoValue):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _date_of(stored: StoredZaak, name: str) -> date | None:
    if name == "registratiedatum":
        return stored.received.date()
    value = stored.zaak.startdatum
    if isinstance(value, NoValue) or value is None:
        return None
    return value if isinstance(value, date) else None


class _Invalid(Exception):
    """A query parameter the real API would refuse (400 with ``invalidParams``)."""

    def __init__(self, name: str, code: str, reason: str) -> None:
        super().__init__(reason)
        self.name, self.code, self.reason = name, code, reason


class ZgwZakenApp:
    """WSGI app for the Zaken paths; :class:`simulators.esuite.EsuiteApp` routes to it."""

    def __init__(self, store: EsuiteStore, *, page_size: int = DEFAULT_PAGE_SIZE) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.store = store
        self.page_size = page_size
        self._uuid_lock = threading.Lock()
        self._uuids: dict[str, str] = {}

    @staticmethod
    def handles(path: str) -> bool:
        return path == ZAKEN_PREFIX or path.startswith(ZAKEN_PREFIX + "/")

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "").rstrip("/")
        if environ["REQUEST_METHOD"] != "GET":
            return _problem(start_response, 405, "method_not_allowed", "Alleen lezen.")
        decision: FaultDecision | None = environ.get(FAULT_KEY)
        if decision is not None and decision.variant == "fo02":
            return _problem(start_response, 500, "error", "Tijdelijke fout (gesimuleerd).")
        if decision is not None and decision.variant == "fo03":
            return _problem(start_response, 400, "invalid", "Verzoek geweigerd (gesimuleerd).")
        if path != ZAKEN_PATH and not path.startswith(ZAKEN_PATH + "/"):
            return _problem(start_response, 404, "not_found", "Niet gevonden.")
        if environ.get("HTTP_ACCEPT_CRS") != _CRS:
            detail = "'Accept-Crs' header ontbreekt of wordt niet ondersteund."
            return _problem(start_response, 412, "precondition_failed", detail)
        base = _base_url(environ)
        if path == ZAKEN_PATH:
            try:
                data = self._list(base, parse_qs(environ.get("QUERY_STRING", "")))
            except _Invalid as exc:
                return _problem(start_response, 400, "invalid", exc.reason, invalid=exc)
            if data is None:
                return _problem(start_response, 404, "not_found", "Ongeldige pagina.")
        else:
            found = self._by_uuid(path[len(ZAKEN_PATH) + 1 :])
            if found is None:
                return _problem(start_response, 404, "not_found", "Niet gevonden.")
            data = _item(base, found)
        body = json.dumps(data).encode()
        if decision is not None and decision.variant == "schema_invalid":
            body = body[: len(body) // 2]  # processed, but the answer is cut off: not JSON
        start_response("200 OK", _headers("application/json", len(body)))
        return [body]

    def _by_uuid(self, wanted: str) -> StoredZaak | None:
        """The zaak with this uuid, found in a map (as a real API finds it by its key, not by
        a scan: a benchmark asking one zaak of 100,000 measures Ketenbrug, not this loop)."""
        with self._uuid_lock:
            identificatie = self._uuids.get(wanted)
            if identificatie is None:  # a zaak added since: map them all again
                self._uuids = {
                    zaak_uuid(s.zaak.identificatie): s.zaak.identificatie
                    for s in self.store.zaken()
                }
                identificatie = self._uuids.get(wanted)
        return self.store.stored_zaak(identificatie) if identificatie is not None else None

    def _list(self, base: str, query: dict[str, list[str]]) -> dict[str, Any] | None:
        """The page asked for, None for a page that does not exist; raises :class:`_Invalid`."""
        params = {name: values[0] for name, values in query.items() if values}
        try:
            page = int(params.get("page", "1"))
        except ValueError:
            return None
        if page < 1:
            return None
        days = _days(params)
        matches = [s for s in self.store.zaken() if _selected(s, params, days)]
        _order(matches, params.get("ordering"))
        count = len(matches)
        if page > max(1, math.ceil(count / self.page_size)):
            return None
        offset = (page - 1) * self.page_size
        found = matches[offset : offset + self.page_size]
        filters = {k: v for k, v in params.items() if k != "page"}
        link = f"{base}{ZAKEN_PATH}"

        def page_url(number: int) -> str:
            wanted = dict(filters, page=str(number)) if number > 1 else filters
            return f"{link}?{urlencode(wanted)}" if wanted else link

        return {
            "count": count,
            "next": page_url(page + 1) if offset + len(found) < count else None,
            "previous": page_url(page - 1) if page > 1 else None,
            "results": [_item(base, stored) for stored in found],
        }


def _days(params: dict[str, str]) -> list[tuple[str, Callable[[date, date], bool], date]]:
    """The date filters asked for (field, comparison, day); raises :class:`_Invalid`."""
    wanted = params.get("zaaktype")
    if wanted is not None and not wanted.startswith(("http://", "https://")):
        raise _Invalid("zaaktype", "invalid", "Voer een geldige URL in.")
    days = []
    for name in _DATE_FIELDS:
        for suffix, compare in _LOOKUPS.items():
            raw = params.get(name + suffix)
            if raw is None:
                continue
            try:
                days.append((name, compare, date.fromisoformat(raw)))
            except ValueError:
                raise _Invalid(name + suffix, "invalid", "Voer een geldige datum in.") from None
    return days


def _selected(
    stored: StoredZaak,
    params: dict[str, str],
    days: list[tuple[str, Callable[[date, date], bool], date]],
) -> bool:
    zaak = stored.zaak
    if "identificatie" in params and zaak.identificatie != params["identificatie"]:
        return False
    if _BSN_FILTER in params and _plain(zaak.initiator_bsn) != params[_BSN_FILTER]:
        return False  # the store knows one rol, the initiator: the filter matches on it
    if "bronorganisatie" in params and params["bronorganisatie"] != BRONORGANISATIE:
        return False
    if "zaaktype" in params and _zaaktype_code(params["zaaktype"]) != _plain(zaak.zaaktype_code):
        return False
    for name, compare, day in days:
        value = _date_of(stored, name)
        if value is None or not compare(value, day):
            return False
    return True


def _order(matches: list[StoredZaak], ordering: str | None) -> None:
    if ordering is None:
        matches.sort(key=lambda s: s.zaak.identificatie, reverse=True)
        return
    field = ordering.removeprefix("-")
    if field not in _ORDERINGS:
        raise _Invalid("ordering", "invalid_choice", f"Ongeldige sortering: {ordering}.")
    if field == "identificatie":
        matches.sort(key=lambda s: s.zaak.identificatie, reverse=ordering.startswith("-"))
        return
    matches.sort(key=lambda s: s.zaak.identificatie)  # a stable tie-break
    matches.sort(key=lambda s: _date_of(s, field) or date.min, reverse=ordering.startswith("-"))


def _item(base: str, stored: StoredZaak) -> dict[str, Any]:
    zaak = stored.zaak
    key = zaak_uuid(zaak.identificatie)
    status = None
    if stored.status_count:
        status_key = uuid.uuid5(_STATUS_NAMESPACE, f"{zaak.identificatie}/{stored.status_count}")
        status = f"{base}{ZAKEN_PREFIX}/statussen/{status_key}"
    code = _plain(zaak.zaaktype_code)
    return {
        "url": f"{base}{ZAKEN_PATH}/{key}",
        "uuid": key,
        "identificatie": zaak.identificatie,
        "bronorganisatie": BRONORGANISATIE,
        "omschrijving": _plain(zaak.omschrijving) or "",
        "toelichting": _plain(zaak.toelichting) or "",
        "zaaktype": zaaktype_url(base, str(code)) if code else None,
        "registratiedatum": stored.received.date().isoformat(),
        "startdatum": _plain(zaak.startdatum),
        "einddatum": _plain(zaak.einddatum),
        "einddatumGepland": _plain(zaak.einddatum_gepland),
        "status": status,
        "resultaat": None,
    }


def _base_url(environ: WSGIEnvironment) -> str:
    host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}"


def _headers(content_type: str, length: int) -> list[tuple[str, str]]:
    return [
        ("Content-Type", content_type),
        ("Content-Length", str(length)),
        ("API-version", API_VERSION),
        ("Content-Crs", _CRS),
    ]


def _problem(
    start_response: StartResponse,
    status: int,
    code: str,
    detail: str,
    *,
    invalid: _Invalid | None = None,
) -> list[bytes]:
    """A ZGW ``Fout`` (``ValidatieFout`` with ``invalidParams`` for a refused filter)."""
    params = None
    if invalid is not None:
        params = [{"name": invalid.name, "code": invalid.code, "reason": invalid.reason}]
    return zgw_fout(
        start_response,
        status,
        code,
        detail,
        invalid=params,
        headers=[("API-version", API_VERSION)],
        allow="GET",
    )

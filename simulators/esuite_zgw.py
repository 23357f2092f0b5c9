"""The e-Suite's second protocol on loopback: a read-only slice of the ZGW Documenten API 1.5.

Why: the e-Suite (the new archive) also answers the ZGW Documenten API, whose listing carries
``bestandsomvang`` and ``integriteit`` (a SHA-256) for every document without downloading it.
Ketenbrug's nightly reconciliation and :meth:`EsuiteDocumentTarget.is_applied` read it. The
documents are those of the :class:`~simulators.esuite_store.EsuiteStore` the ZDS side writes.

Endpoints (under ``/documenten/api/v1``, JSON, no authorisation checked):

================================================  ============================================
``GET /enkelvoudiginformatieobjecten``            paginated ``{"count", "next", "previous",
                                                  "results"}``; ``?page=N`` (1-based),
                                                  ``?identificatie=X``, ``?bronorganisatie=Y``;
                                                  a page past the end: 404 "Ongeldige pagina."
``GET /enkelvoudiginformatieobjecten/{uuid}``     one document, 404 when unknown
``GET /enkelvoudiginformatieobjecten/{uuid}/download``  the content (404 when not kept)
================================================  ============================================

Results are ordered by ``identificatie``. The real API does **not** promise an order (nor a
stable one between pages while documents are added), so a client must not rely on it. The page
size is a setting of the simulator (default 100, like the reference implementation).

Faults: the socket-level ones come from :mod:`simulators.http`; of the app-level variants,
``fo02`` answers 500 (a transient server error), ``fo03`` answers 400 (a permanent refusal) and
``schema_invalid`` answers 200 with a body cut off halfway (not JSON).
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs, urlencode
from wsgiref.types import StartResponse, WSGIEnvironment

from simulators.esuite_store import EsuiteStore, StoredDocument
from simulators.faults import FaultDecision
from simulators.http import FAULT_KEY
from simulators.zgw_fout import zgw_fout
from stuf import NoValue

__all__ = [
    "API_VERSION",
    "BRONORGANISATIE",
    "DEFAULT_PAGE_SIZE",
    "EIO_PATH",
    "ZGW_PREFIX",
    "ZgwDocumentenApp",
    "zgw_uuid",
]

ZGW_PREFIX = "/documenten/api/v1"
EIO_PATH = f"{ZGW_PREFIX}/enkelvoudiginformatieobjecten"
API_VERSION = "1.5.0"
DEFAULT_PAGE_SIZE = 100
#: RSIN of the simulated municipality (passes the 11-proef, like a real one must).
BRONORGANISATIE = "001005650"
_UUID_NAMESPACE = uuid.UUID("6f1c3a52-8a43-4c2e-9d7b-3e0f5b1a9c11")
_VERTROUWELIJKHEID = {
    "ZEER GEHEIM": "zeer_geheim",
    "GEHEIM": "geheim",
    "CONFIDENTIEEL": "confidentieel",
    "VERTROUWELIJK": "vertrouwelijk",
    "ZAAKVERTROUWELIJK": "zaakvertrouwelijk",
    "INTERN": "intern",
    "BEPERKT OPENBAAR": "beperkt_openbaar",
    "OPENBAAR": "openbaar",
}


def zgw_uuid(identificatie: str) -> str:
    """The stable uuid of a document in the ZGW urls (derived from its identificatie)."""
    return str(uuid.uuid5(_UUID_NAMESPACE, identificatie))


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, NoValue):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


class ZgwDocumentenApp:
    """WSGI app for the ZGW paths; :class:`simulators.esuite.EsuiteApp` routes to it."""

    def __init__(self, store: EsuiteStore, *, page_size: int = DEFAULT_PAGE_SIZE) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.store = store
        self.page_size = page_size

    @staticmethod
    def handles(path: str) -> bool:
        return path == ZGW_PREFIX or path.startswith(ZGW_PREFIX + "/")

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "").rstrip("/")
        if environ["REQUEST_METHOD"] != "GET":
            return _problem(start_response, 405, "method_not_allowed", "Alleen lezen.", path)
        decision: FaultDecision | None = environ.get(FAULT_KEY)
        if decision is not None and decision.variant == "fo02":
            return _problem(start_response, 500, "error", "Tijdelijke fout (gesimuleerd).", path)
        if decision is not None and decision.variant == "fo03":
            detail = "Verzoek geweigerd (gesimuleerd)."
            return _problem(start_response, 400, "invalid", detail, path)
        base = _base_url(environ)
        if path == EIO_PATH:
            status, data = self._list(base, parse_qs(environ.get("QUERY_STRING", "")))
        elif path.startswith(EIO_PATH + "/"):
            rest = path[len(EIO_PATH) + 1 :].split("/")
            stored = self._by_uuid(rest[0])
            if stored is None or len(rest) > 2 or (len(rest) == 2 and rest[1] != "download"):
                return _problem(start_response, 404, "not_found", "Niet gevonden.", path)
            if len(rest) == 2:
                return self._download(start_response, stored, path)
            status, data = 200, self._item(base, stored)
        else:
            return _problem(start_response, 404, "not_found", "Niet gevonden.", path)
        if status != 200:
            return _problem(start_response, status, "not_found", str(data), path)
        body = json.dumps(data).encode()
        if decision is not None and decision.variant == "schema_invalid":
            body = body[: len(body) // 2]  # processed, but the answer is cut off: not JSON
        start_response("200 OK", _headers("application/json", len(body)))
        return [body]

    # --- resources --------------------------------------------------------------------------

    def _list(self, base: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        raw_page = query.get("page", ["1"])[0]
        identificatie = query.get("identificatie", [None])[0]
        bronorganisatie = query.get("bronorganisatie", [None])[0]
        try:
            page = int(raw_page)
        except ValueError:
            return 404, "Ongeldige pagina."
        if page < 1:
            return 404, "Ongeldige pagina."
        offset = (page - 1) * self.page_size
        found: list[StoredDocument] = []
        if bronorganisatie is not None and bronorganisatie != BRONORGANISATIE:
            count = 0
        else:
            count, found = self.store.document_page(offset, self.page_size, identificatie)
        if page > max(1, math.ceil(count / self.page_size)):
            return 404, "Ongeldige pagina."
        filters = {k: v[0] for k, v in query.items() if k != "page" and v}
        link = f"{base}{EIO_PATH}"

        def page_url(number: int) -> str:
            params = dict(filters, page=str(number)) if number > 1 else filters
            return f"{link}?{urlencode(params)}" if params else link

        return 200, {
            "count": count,
            "next": page_url(page + 1) if offset + len(found) < count else None,
            "previous": page_url(page - 1) if page > 1 else None,
            "results": [self._item(base, stored) for stored in found],
        }

    def _by_uuid(self, wanted: str) -> StoredDocument | None:
        count, _ = self.store.document_page(0, 0)
        _, every = self.store.document_page(0, count)
        return next((s for s in every if zgw_uuid(s.document.identificatie) == wanted), None)

    @staticmethod
    def _item(base: str, stored: StoredDocument) -> dict[str, Any]:
        doc = stored.document
        url = f"{base}{EIO_PATH}/{zgw_uuid(doc.identificatie)}"
        vertrouwelijkheid = _plain(doc.vertrouwelijkheid)
        return {
            "url": url,
            "identificatie": doc.identificatie,
            "bronorganisatie": BRONORGANISATIE,
            "creatiedatum": _plain(doc.creatiedatum),
            "titel": _plain(doc.titel),
            "vertrouwelijkheidaanduiding": _VERTROUWELIJKHEID.get(str(vertrouwelijkheid).upper())
            if vertrouwelijkheid
            else None,
            "auteur": _plain(doc.auteur),
            "status": "definitief",
            "formaat": _plain(doc.formaat) or "",
            "taal": _plain(doc.taal) or "nld",
            "versie": 1,
            "beginRegistratie": f"{stored.registered.isoformat()}T00:00:00Z",
            "bestandsnaam": doc.bestandsnaam or "",
            "inhoud": f"{url}/download?versie=1",
            "bestandsomvang": stored.size,
            "beschrijving": "",
            "integriteit": {
                "algoritme": "sha_256",
                "waarde": stored.sha256,
                "datum": stored.registered.isoformat(),
            },
            "locked": False,
        }

    @staticmethod
    def _download(
        start_response: StartResponse, stored: StoredDocument, path: str
    ) -> Iterable[bytes]:
        if stored.content is None:
            return _problem(start_response, 404, "not_found", "Inhoud niet bewaard.", path)
        content = stored.content
        start_response("200 OK", _headers("application/octet-stream", len(content)))
        view = memoryview(content)
        return (bytes(view[i : i + (1 << 20)]) for i in range(0, len(content), 1 << 20))


def _base_url(environ: WSGIEnvironment) -> str:
    host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}"


def _headers(content_type: str, length: int) -> list[tuple[str, str]]:
    return [
        ("Content-Type", content_type),
        ("Content-Length", str(length)),
        ("API-version", API_VERSION),
    ]


def _problem(
    start_response: StartResponse, status: int, code: str, detail: str, path: str
) -> list[bytes]:
    """A ZGW ``Fout`` (application/problem+json), like the reference implementation."""
    return zgw_fout(
        start_response, status, code, detail, headers=[("API-version", API_VERSION)], allow="GET"
    )

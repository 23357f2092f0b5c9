"""A ZGW API zaaksysteem on loopback: the Zaken, Documenten and Catalogi API subset Ketenbrug uses.

Why: a municipality may put a ZGW zaaksysteem in the zaaksysteem part instead of the e-Suite
(``adapters/zgw``); the tests and the demo deliver into this one. JSON as the OpenAPI specs
(Zaken 1.5, Documenten 1.5, Catalogi 1.3) say: ``url``/``uuid`` fields, paginated lists
``{count, next, previous, results}``, errors as ``application/problem+json`` ``Fout``.

=========================================  ===================================================
``/catalogi/api/v1``                        GET zaaktypen (identificatie), statustypen
                                            (zaaktype), roltypen (zaaktype,
                                            omschrijvingGeneriek), informatieobjecttypen
                                            (omschrijving); seeded (:mod:`simulators.zgw_store`)
``/zaken/api/v1``                           zaken (GET list/one, POST, PATCH), rollen, statussen
                                            (GET, POST), zaakinformatieobjecten (GET plain list,
                                            POST); /zaken wants Accept-Crs (and Content-Crs on a
                                            write), else 412; an eindstatus sets the einddatum
``/documenten/api/v1``                      enkelvoudiginformatieobjecten (GET list/one, POST,
                                            PATCH/PUT with the lock, /lock, /unlock,
                                            /download?versie=N); a new inhoud is a new versie
=========================================  ===================================================

Authorisation: ``Authorization: Bearer <jwt>``, HS256 signed with the secret of the JWT's
``client_id`` (``clients``); none, an unknown client or a bad signature is 403.

Faults: the socket-level ones of :mod:`simulators.http`; ``http_500`` (transient) answers 500
and ``rejected`` (permanent) answers 400, both without processing. With ``writes_only`` the
server faults only POST/PATCH/PUT/DELETE (reads pass), so a test can fail a write that follows
its look-ups.
"""

from __future__ import annotations

import json
import math
import secrets
import tempfile
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode
from wsgiref.types import StartResponse, WSGIEnvironment

import jwt

from simulators.faults import NO_FAULT, FaultConfig, FaultDecision, FaultInjector
from simulators.http import FAULT_KEY, SimulatorServer, json_response
from simulators.zgw_body import BadBody, Blob, read_json
from simulators.zgw_fout import zgw_fout
from simulators.zgw_render import CATALOGI, DOCUMENTEN, EIO_FIELDS, ZAKEN, ZgwRenderer
from simulators.zgw_store import Document, ZgwStore

__all__ = [
    "BRONORGANISATIE",
    "CLIENT_ID",
    "SECRET",
    "ZgwApp",
    "ZgwServer",
    "make_zgw_server",
]

CLIENT_ID = "ketenbrug"
SECRET = "ketenbrug-zgw-simulator-geheim-0001"  # noqa: S105 - a test double's secret, not a real one
BRONORGANISATIE = "001005650"
PAGE_SIZE = 100
_REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    412: "Precondition Failed",
    500: "Internal Server Error",
}
_BETROKKENE = {"natuurlijk_persoon", "niet_natuurlijk_persoon", "vestiging", "medewerker"}
_WRITES = {"POST", "PATCH", "PUT", "DELETE"}


class _Problem(Exception):
    def __init__(self, status: int, code: str, detail: str, invalid: list[Any] | None = None):
        super().__init__(detail)
        self.status, self.code, self.detail, self.invalid = status, code, detail, invalid or []


def _invalid(name: str, code: str, reason: str) -> _Problem:
    return _Problem(
        400, "invalid", "Ongeldige invoer.", [{"name": name, "code": code, "reason": reason}]
    )


def _now() -> str:
    return datetime.now(UTC).isoformat()


class ZgwApp:
    """WSGI app of the three APIs over one :class:`ZgwStore`."""

    transient_variants = ("http_500",)
    permanent_variants = ("rejected",)

    def __init__(
        self,
        store: ZgwStore | None = None,
        *,
        clients: dict[str, str] | None = None,
        content_dir: Path | None = None,
    ) -> None:
        self.store = store or ZgwStore()
        self.render = ZgwRenderer(self.store)
        self.clients = dict(clients or {CLIENT_ID: SECRET})
        if content_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="zgw-sim-")
            content_dir = Path(self._tmp.name)
        self.content_dir = content_dir

    # --- WSGI -------------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "").rstrip("/")
        if path == "/_admin/state":
            return json_response(start_response, self.summary())
        try:
            self._authorise(environ)
            decision: FaultDecision = environ.get(FAULT_KEY) or NO_FAULT
            if decision.variant == "http_500":
                raise _Problem(500, "error", "Tijdelijke fout (gesimuleerd).")
            if decision.variant == "rejected":
                raise _Problem(400, "invalid", "Verzoek geweigerd (gesimuleerd).")
            status, answer = self._route(environ, path)
        except _Problem as problem:
            return self._problem(start_response, environ, problem)
        if isinstance(answer, Path):  # a download
            return _file(start_response, answer)
        body = b"" if answer is None else json.dumps(answer).encode()
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        if path.startswith(ZAKEN):
            headers.append(("Content-Crs", "EPSG:4326"))
        start_response(f"{status} {_REASONS[status]}", headers)
        return [body]

    def _authorise(self, environ: WSGIEnvironment) -> None:
        header = environ.get("HTTP_AUTHORIZATION", "")
        if not header.startswith("Bearer "):
            raise _Problem(403, "not_authenticated", "Authenticatiegegevens zijn niet opgegeven.")
        token = header[len("Bearer ") :]
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
            secret = self.clients.get(str(claims.get("client_id") or claims.get("iss") or ""))
            if secret is None:
                raise jwt.InvalidTokenError("client onbekend")
            jwt.decode(token, secret, algorithms=["HS256"])
        except jwt.PyJWTError:
            raise _Problem(
                403, "permission_denied", "Client-identificatie of handtekening ongeldig."
            ) from None

    def _problem(
        self, start_response: StartResponse, environ: WSGIEnvironment, problem: _Problem
    ) -> list[bytes]:
        if environ.get("CONTENT_LENGTH") and environ.get("ketenbrug.body_read") is None:
            _drain(environ)  # unread request bytes would turn the close into a reset
        return zgw_fout(
            start_response, problem.status, problem.code, problem.detail, invalid=problem.invalid
        )

    # --- routing ----------------------------------------------------------------------------

    def _route(self, environ: WSGIEnvironment, path: str) -> tuple[int, Any]:
        method = environ["REQUEST_METHOD"]
        base = _base_url(environ)
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        for prefix, table in (
            (CATALOGI, self._catalogi),
            (ZAKEN, self._zaken),
            (DOCUMENTEN, self._documenten),
        ):
            if path.startswith(prefix + "/"):
                parts = path[len(prefix) + 1 :].split("/")
                handler = table(parts[0])
                if handler is None:
                    break
                with self.store.lock:
                    return handler(environ, method, base, parts[1:], query)
        raise _Problem(404, "not_found", "Niet gevonden.")

    Handler = Callable[[WSGIEnvironment, str, str, list[str], dict[str, str]], tuple[int, Any]]

    def _catalogi(self, resource: str) -> ZgwApp.Handler | None:
        tables = {
            "zaaktypen": (self.store.zaaktypen, self.render.zaaktype, ("identificatie",)),
            "statustypen": (self.store.statustypen, self.render.statustype, ("zaaktype",)),
            "roltypen": (
                self.store.roltypen,
                self.render.roltype,
                ("zaaktype", "omschrijvingGeneriek"),
            ),
            "informatieobjecttypen": (
                self.store.informatieobjecttypen,
                self.render.iotype,
                ("omschrijving",),
            ),
        }
        if resource not in tables:
            return None
        objects, render, filters = tables[resource]

        def handle(
            env: WSGIEnvironment, method: str, base: str, rest: list[str], query: dict[str, str]
        ) -> tuple[int, Any]:
            if method != "GET":
                raise _Problem(405, "method_not_allowed", "Alleen lezen.")
            link = f"{base}{CATALOGI}/{resource}"
            return _one_or_list(objects, rest, query, filters, link, lambda k: render(base, k))

        return handle

    def _zaken(self, resource: str) -> ZgwApp.Handler | None:
        return {
            "zaken": self._zaken_resource,
            "rollen": self._rollen,
            "statussen": self._statussen,
            "zaakinformatieobjecten": self._zios,
        }.get(resource)

    def _documenten(self, resource: str) -> ZgwApp.Handler | None:
        return self._eios if resource == "enkelvoudiginformatieobjecten" else None

    # --- Zaken API --------------------------------------------------------------------------

    def _zaken_resource(
        self, env: WSGIEnvironment, method: str, base: str, rest: list[str], query: dict[str, str]
    ) -> tuple[int, Any]:
        if not env.get("HTTP_ACCEPT_CRS") or (
            method in _WRITES and not env.get("HTTP_CONTENT_CRS")
        ):
            raise _Problem(
                412, "precondition_failed", "'Accept-Crs' en 'Content-Crs' zijn verplicht."
            )
        zaken = self.store.zaken
        link = f"{base}{ZAKEN}/zaken"
        if method == "GET":
            return _one_or_list(
                zaken,
                rest,
                query,
                ("identificatie", "bronorganisatie"),
                link,
                lambda k: self.render.zaak(base, k),
            )
        if method == "POST" and not rest:
            data = self._body(env)
            zaaktype = _ref(
                data.get("zaaktype"),
                f"{base}{CATALOGI}/zaaktypen",
                self.store.zaaktypen,
                "zaaktype",
            )
            for name in ("bronorganisatie", "verantwoordelijkeOrganisatie", "startdatum"):
                if not data.get(name):
                    raise _invalid(name, "required", "Dit veld is vereist.")
            if len(str(data.get("omschrijving") or "")) > 80:
                raise _invalid("omschrijving", "max_length", "Maximaal 80 tekens.")
            identificatie = data.get("identificatie") or f"ZAAK-{len(zaken) + 1:06d}"
            if any(
                z["identificatie"] == identificatie
                and z["bronorganisatie"] == data["bronorganisatie"]
                for z in zaken.values()
            ):
                raise _invalid(
                    "identificatie",
                    "identificatie-niet-uniek",
                    "Deze identificatie bestaat al voor deze bronorganisatie.",
                )
            key = str(uuid.uuid4())
            zaken[key] = {
                "identificatie": identificatie,
                "bronorganisatie": data["bronorganisatie"],
                "verantwoordelijkeOrganisatie": data["verantwoordelijkeOrganisatie"],
                "zaaktype": zaaktype,
                "startdatum": data["startdatum"],
                "registratiedatum": data.get("registratiedatum")
                or datetime.now(UTC).date().isoformat(),
                "omschrijving": data.get("omschrijving") or "",
                "toelichting": data.get("toelichting") or "",
                "einddatum": None,
            }
            return 201, self.render.zaak(base, key)
        if method == "PATCH" and len(rest) == 1:
            zaak = _get(zaken, rest[0])
            data = self._body(env)
            for name in ("omschrijving", "toelichting", "startdatum", "einddatumGepland"):
                if name in data:
                    zaak[name] = data[name]
            return 200, self.render.zaak(base, rest[0])
        raise _Problem(405, "method_not_allowed", "Methode niet toegestaan.")

    def _rollen(
        self, env: WSGIEnvironment, method: str, base: str, rest: list[str], query: dict[str, str]
    ) -> tuple[int, Any]:
        rollen = self.store.rollen
        link = f"{base}{ZAKEN}/rollen"
        if method == "GET":
            query = {k: (_uuid_of(v) if k == "zaak" else v) for k, v in query.items()}
            return _one_or_list(
                rollen,
                rest,
                query,
                ("zaak", "betrokkeneType", "omschrijvingGeneriek"),
                link,
                lambda k: self.render.rol(base, k),
            )
        if method != "POST" or rest:
            raise _Problem(405, "method_not_allowed", "Methode niet toegestaan.")
        data = self._body(env)
        zaak = _ref(data.get("zaak"), f"{base}{ZAKEN}/zaken", self.store.zaken, "zaak")
        roltype = _ref(
            data.get("roltype"), f"{base}{CATALOGI}/roltypen", self.store.roltypen, "roltype"
        )
        if data.get("betrokkeneType") not in _BETROKKENE:
            raise _invalid("betrokkeneType", "invalid_choice", "Ongeldige keuze.")
        if not data.get("roltoelichting"):
            raise _invalid("roltoelichting", "required", "Dit veld is vereist.")
        key = str(uuid.uuid4())
        rollen[key] = {
            "zaak": zaak,
            "roltype": roltype,
            "betrokkeneType": data["betrokkeneType"],
            "roltoelichting": data["roltoelichting"],
            "omschrijvingGeneriek": self.store.roltypen[roltype]["omschrijvingGeneriek"],
            "omschrijving": self.store.roltypen[roltype]["omschrijving"],
            "betrokkeneIdentificatie": data.get("betrokkeneIdentificatie") or {},
            "registratiedatum": _now(),
        }
        return 201, self.render.rol(base, key)

    def _statussen(
        self, env: WSGIEnvironment, method: str, base: str, rest: list[str], query: dict[str, str]
    ) -> tuple[int, Any]:
        statussen = self.store.statussen
        link = f"{base}{ZAKEN}/statussen"
        if method == "GET":
            query = {
                k: (_uuid_of(v) if k in ("zaak", "statustype") else v) for k, v in query.items()
            }
            return _one_or_list(
                statussen,
                rest,
                query,
                ("zaak", "statustype"),
                link,
                lambda k: self.render.status(base, k),
            )
        if method != "POST" or rest:
            raise _Problem(405, "method_not_allowed", "Methode niet toegestaan.")
        data = self._body(env)
        zaak = _ref(data.get("zaak"), f"{base}{ZAKEN}/zaken", self.store.zaken, "zaak")
        statustype = _ref(
            data.get("statustype"),
            f"{base}{CATALOGI}/statustypen",
            self.store.statustypen,
            "statustype",
        )
        if self.store.statustypen[statustype]["zaaktype"] != self.store.zaken[zaak]["zaaktype"]:
            raise _invalid(
                "statustype", "zaaktype-mismatch", "Statustype hoort niet bij het zaaktype."
            )
        try:
            moment = datetime.fromisoformat(
                str(data.get("datumStatusGezet")).replace("Z", "+00:00")
            )
        except ValueError:
            raise _invalid("datumStatusGezet", "invalid", "Geen geldige datumtijd.") from None
        key = str(uuid.uuid4())
        statussen[key] = {
            "zaak": zaak,
            "statustype": statustype,
            "datumStatusGezet": moment.isoformat(),
            "statustoelichting": data.get("statustoelichting") or "",
        }
        if self.store.statustypen[statustype]["isEindstatus"]:
            self.store.zaken[zaak]["einddatum"] = moment.date().isoformat()
        return 201, self.render.status(base, key)

    def _zios(
        self, env: WSGIEnvironment, method: str, base: str, rest: list[str], query: dict[str, str]
    ) -> tuple[int, Any]:
        zios = self.store.zaakinformatieobjecten
        if method == "GET":
            if rest:
                return 200, self.render.zio(base, _key(zios, rest[0]))
            wanted = {k: _uuid_of(v) for k, v in query.items() if k in ("zaak", "informatieobject")}
            return 200, [
                self.render.zio(base, key)
                for key, zio in zios.items()
                if all(zio[k] == v for k, v in wanted.items())
            ]  # a plain list: this resource is not paginated
        if method != "POST" or rest:
            raise _Problem(405, "method_not_allowed", "Methode niet toegestaan.")
        data = self._body(env)
        zaak = _ref(data.get("zaak"), f"{base}{ZAKEN}/zaken", self.store.zaken, "zaak")
        document = _ref(
            data.get("informatieobject"),
            f"{base}{DOCUMENTEN}/enkelvoudiginformatieobjecten",
            self.store.documenten,
            "informatieobject",
        )
        if any(z["zaak"] == zaak and z["informatieobject"] == document for z in zios.values()):
            raise _invalid(
                "nonFieldErrors", "unique", "Dit informatieobject is al aan de zaak gekoppeld."
            )
        key = str(uuid.uuid4())
        zios[key] = {
            "zaak": zaak,
            "informatieobject": document,
            "titel": data.get("titel") or "",
            "registratiedatum": _now(),
        }
        return 201, self.render.zio(base, key)

    # --- Documenten API ---------------------------------------------------------------------

    def _eios(
        self, env: WSGIEnvironment, method: str, base: str, rest: list[str], query: dict[str, str]
    ) -> tuple[int, Any]:
        documenten = self.store.documenten
        link = f"{base}{DOCUMENTEN}/enkelvoudiginformatieobjecten"
        if method == "GET" and len(rest) == 2 and rest[1] == "download":
            document = documenten.get(rest[0]) or _missing()
            versie = int(query.get("versie") or len(document.versions))
            if (
                not 1 <= versie <= len(document.versions)
                or document.versions[versie - 1]["_path"] is None
            ):
                raise _Problem(404, "not_found", "Geen inhoud voor deze versie.")
            return 200, document.versions[versie - 1]["_path"]
        if method == "GET":
            latest = {k: d.latest for k, d in documenten.items()}
            return _one_or_list(
                latest,
                rest,
                query,
                ("identificatie", "bronorganisatie"),
                link,
                lambda k: self.render.eio(base, k),
            )
        if method == "POST" and not rest:
            data, blob = self._upload_body(env)
            try:
                return 201, self._create_eio(base, data, blob)
            except _Problem:
                _forget(blob)
                raise
        if method == "POST" and len(rest) == 2 and rest[1] in ("lock", "unlock"):
            document = documenten.get(rest[0]) or _missing()
            data = self._body(env)
            if rest[1] == "lock":
                if document.lock:
                    raise _invalid("nonFieldErrors", "existing-lock", "Het document is al gelockt.")
                document.lock = secrets.token_hex(16)
                return 200, {"lock": document.lock}
            if data.get("lock") != document.lock:
                raise _invalid("nonFieldErrors", "incorrect-lock-id", "Onjuist lock-ID.")
            document.lock = None
            return 204, None
        if method in ("PATCH", "PUT") and len(rest) == 1:
            document = documenten.get(rest[0]) or _missing()
            data, blob = self._upload_body(env)
            if not document.lock or data.get("lock") != document.lock:
                _forget(blob)
                raise _invalid(
                    "nonFieldErrors",
                    "unlocked" if not document.lock else "incorrect-lock-id",
                    "Het document is niet (met dit lock-ID) gelockt.",
                )
            version = {
                **document.latest,
                "versie": document.latest["versie"] + 1,
                "beginRegistratie": _now(),
            }
            version.update({k: v for k, v in data.items() if k in EIO_FIELDS})
            if blob is not None:
                version.update(_path=blob.path, _sha256=blob.sha256, bestandsomvang=blob.size)
            document.versions.append(version)
            return 200, self.render.eio(base, rest[0])
        raise _Problem(405, "method_not_allowed", "Methode niet toegestaan.")

    def _create_eio(self, base: str, data: dict[str, Any], blob: Blob | None) -> dict[str, Any]:
        for name in ("bronorganisatie", "creatiedatum", "titel", "auteur", "taal"):
            if not data.get(name):
                raise _invalid(name, "required", "Dit veld is vereist.")
        if len(str(data["taal"])) != 3:
            raise _invalid("taal", "max_length", "ISO 639-2/B: drie letters.")
        iotype = _ref(
            data.get("informatieobjecttype"),
            f"{base}{CATALOGI}/informatieobjecttypen",
            self.store.informatieobjecttypen,
            "informatieobjecttype",
        )
        identificatie = data.get("identificatie") or f"DOC-{len(self.store.documenten) + 1:06d}"
        for document in self.store.documenten.values():
            latest = document.latest
            if (
                latest["identificatie"] == identificatie
                and latest["bronorganisatie"] == data["bronorganisatie"]
            ):
                raise _invalid(
                    "identificatie", "identificatie-niet-uniek", "Deze identificatie bestaat al."
                )
        version = {k: v for k, v in data.items() if k in EIO_FIELDS}
        version.update(
            identificatie=identificatie,
            informatieobjecttype=iotype,
            versie=1,
            beginRegistratie=_now(),
            _path=blob.path if blob else None,
            _sha256=blob.sha256 if blob else None,
        )
        if blob is not None:
            version["bestandsomvang"] = blob.size
        key = str(uuid.uuid4())
        self.store.documenten[key] = Document([version])
        return self.render.eio(base, key)

    # --- bodies -----------------------------------------------------------------------------

    def _body(self, env: WSGIEnvironment) -> dict[str, Any]:
        data, blob = self._upload_body(env)
        _forget(blob)
        return data

    def _upload_body(self, env: WSGIEnvironment) -> tuple[dict[str, Any], Blob | None]:
        env["ketenbrug.body_read"] = True
        try:
            data, blob = read_json(
                env["wsgi.input"], int(env.get("CONTENT_LENGTH") or 0), self.content_dir
            )
        except BadBody as exc:
            raise _Problem(400, "parse_error", str(exc)) from None
        if not isinstance(data, dict):
            _forget(blob)
            raise _Problem(400, "parse_error", "Body is geen JSON-object.")
        return data, blob

    def summary(self) -> dict[str, Any]:
        """``GET /_admin/state``: how many of each (what the demo shows)."""
        with self.store.lock:
            return {
                "zaken": len(self.store.zaken),
                "statussen": len(self.store.statussen),
                "rollen": len(self.store.rollen),
                "documenten": len(self.store.documenten),
                "zaakinformatieobjecten": len(self.store.zaakinformatieobjecten),
            }


def _missing() -> Any:
    raise _Problem(404, "not_found", "Niet gevonden.")


def _uuid_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def _ref(url: Any, prefix: str, objects: dict[str, Any], name: str) -> str:
    """The uuid a URL names, which must be one of ``objects`` under ``prefix``."""
    if not isinstance(url, str) or not url:
        raise _invalid(name, "required", "Dit veld is vereist.")
    key = _uuid_of(url)
    if not url.startswith(prefix + "/") or key not in objects:
        raise _invalid(name, "bad-url", "De URL verwijst niet naar een bestaand object.")
    return key


def _get(objects: dict[str, Any], key: str) -> Any:
    return objects[_key(objects, key)]


def _key(objects: dict[str, Any], key: str) -> str:
    if key not in objects:
        raise _Problem(404, "not_found", "Niet gevonden.")
    return key


def _one_or_list(
    objects: dict[str, Any],
    rest: list[str],
    query: dict[str, str],
    filters: tuple[str, ...],
    link: str,
    render: Callable[[str], dict[str, Any]],
) -> tuple[int, Any]:
    """One object (``rest`` = [uuid]) or the filtered, paginated list."""
    if rest:
        if len(rest) != 1:
            raise _Problem(404, "not_found", "Niet gevonden.")
        return 200, render(_key(objects, rest[0]))
    wanted = {k: v for k, v in query.items() if k in filters}
    rendered_filters = {k: v for k, v in wanted.items()}
    keys = [
        key
        for key, item in objects.items()
        if all(_plain(item.get(k)) == _uuid_of(v) or item.get(k) == v for k, v in wanted.items())
    ]
    try:
        page = int(query.get("page", "1"))
    except ValueError:
        page = 0
    pages = max(1, math.ceil(len(keys) / PAGE_SIZE))
    if not 1 <= page <= pages:
        raise _Problem(404, "not_found", "Ongeldige pagina.")

    def url(number: int) -> str:
        return f"{link}?{urlencode({**rendered_filters, 'page': number})}"

    chunk = keys[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return 200, {
        "count": len(keys),
        "next": url(page + 1) if page < pages else None,
        "previous": url(page - 1) if page > 1 else None,
        "results": [render(key) for key in chunk],
    }


def _plain(value: Any) -> Any:
    return value


def _forget(blob: Blob | None) -> None:
    if blob is not None:
        blob.path.unlink(missing_ok=True)


def _drain(environ: WSGIEnvironment) -> None:
    remaining = int(environ.get("CONTENT_LENGTH") or 0)
    while remaining > 0:
        chunk = environ["wsgi.input"].read(min(1 << 16, remaining))
        if not chunk:
            return
        remaining -= len(chunk)


def _file(start_response: StartResponse, path: Path) -> Iterable[bytes]:
    start_response(
        "200 OK",
        [
            ("Content-Type", "application/octet-stream"),
            ("Content-Length", str(path.stat().st_size)),
        ],
    )

    def pieces() -> Iterable[bytes]:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 16):
                yield chunk

    return pieces()


def _base_url(environ: WSGIEnvironment) -> str:
    host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}"


class ZgwServer(SimulatorServer):
    """The ZGW app served on loopback; ``writes_only`` keeps faults off the reads."""

    app: ZgwApp

    def __init__(
        self,
        app: ZgwApp,
        *,
        port: int = 0,
        faults: FaultInjector | FaultConfig | None = None,
        writes_only: bool = False,
    ) -> None:
        super().__init__(app, port=port, name="zgw", faults=faults)
        self.writes_only = writes_only

    @property
    def store(self) -> ZgwStore:
        return self.app.store

    def decide(self, environ: WSGIEnvironment) -> FaultDecision:
        if self.writes_only and environ.get("REQUEST_METHOD") not in _WRITES:
            return NO_FAULT
        return super().decide(environ)


def make_zgw_server(
    port: int = 0, faults: FaultConfig | None = None, **app_options: Any
) -> ZgwServer:
    """An unstarted ZGW simulator (the registry's ``simulator=`` and the demo use this)."""
    return ZgwServer(ZgwApp(**app_options), port=port, faults=faults)

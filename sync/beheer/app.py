"""The beheer pages: a FastAPI app of server-rendered Dutch pages on the state store.

The Airflow plugin (``plugins/ketenbrug_beheer.py``) mounts it in the API server and hands in
how to authenticate (Airflow's auth manager); tests hand in their own. Every route asks for
a :class:`Beheerder` first: no route answers an unauthenticated request (401) or a user the
auth manager refuses (403). Actions are POST forms with a CSRF token bound to the user, and
need ``may_operate``. A BSN is searched by POST only, so it never lands in a URL or access log.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from privacy.masking import mask_text
from sync.beheer import archief, fouten, koppel, overzicht, vernietiging, zoeken
from sync.beheer.security import Authenticate, AuthRefused, Beheerder, check_csrf, make_csrf
from sync.beheer.texts import STATES, reason_text
from sync.store.db import Store

__all__ = ["BeheerConfig", "create_app"]

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class BeheerConfig:
    """What the app needs from its host; ``store`` is called once, on first use."""

    store: Callable[[], Store]
    authenticate: Authenticate
    secret: bytes  # signs CSRF tokens (the plugin passes Airflow's [api] secret_key)
    bsn_key: bytes  # the key of the keyed BSN hash
    mappings_dir: Path | None
    login_url: str = "/auth/login"
    #: When the nightly purge last succeeded (the plugin asks Airflow); None: not shown.
    last_purge: Callable[[], datetime | None] | None = None
    #: The purge DAG of this municipality (``ketenbrug_onderhoud_deventer`` with tenants).
    purge_dag: str = "ketenbrug_onderhoud"


def _fmt_dt(value: Any) -> str:
    return "—" if value is None else f"{value:%Y-%m-%d %H:%M} UTC"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["dt"] = _fmt_dt
    env.filters["staat"] = lambda s: STATES.get(str(s), str(s))
    env.filters["mask"] = lambda s: mask_text(str(s or ""))
    env.filters["leeftijd"] = overzicht.age_text
    env.globals["reason_text"] = reason_text
    return env


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


async def _beheerder(request: Request) -> Beheerder:
    config: BeheerConfig = request.app.state.beheer
    return await config.authenticate(request)


Viewer = Annotated[Beheerder, Depends(_beheerder)]


def _operator(request: Request, user: Viewer, csrf: Annotated[str, Form()] = "") -> Beheerder:
    """A user the auth manager lets act, posting a form this server gave them."""
    config: BeheerConfig = request.app.state.beheer
    if not user.may_operate:
        raise AuthRefused(403, "U mag hier alleen kijken: uw rol mag geen acties uitvoeren.")
    if not check_csrf(config.secret, user.name, csrf):
        raise AuthRefused(
            403, "Het formulier is verlopen of niet van deze site; laad de pagina opnieuw."
        )
    return user


Operator = Annotated[Beheerder, Depends(_operator)]


def create_app(config: BeheerConfig) -> FastAPI:
    app = FastAPI(title="Ketenbrug beheer", docs_url=None, redoc_url=None, openapi_url=None)
    env = _environment()
    store_of = functools.cache(config.store)
    app.state.beheer = config

    def base(request: Request) -> str:
        return str(request.scope.get("root_path", "")).rstrip("/")

    def page(
        request: Request, user: Beheerder, template: str, status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        html = env.get_template(template).render(
            base=base(request),
            user=user,
            csrf=make_csrf(config.secret, user.name),
            melding=mask_text(request.query_params.get("melding", ""))[:500],
            **context,
        )
        return HTMLResponse(html, status_code=status_code)

    def back(request: Request, path: str, melding: str, **params: str) -> RedirectResponse:
        query = urlencode({**{k: v for k, v in params.items() if v}, "melding": melding})
        return RedirectResponse(f"{base(request)}{path}?{query}", status_code=303)

    @app.middleware("http")
    async def headers(request: Request, call_next: Callable[[Request], Any]) -> Response:
        response: Response = await call_next(request)
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Frame-Options"] = "SAMEORIGIN"  # the Airflow UI frames us
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'self'"
        )
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @app.exception_handler(AuthRefused)
    async def refused(request: Request, error: AuthRefused) -> HTMLResponse:
        html = env.get_template("geweigerd.html").render(
            base=base(request), error=error, login_url=config.login_url
        )
        return HTMLResponse(html, status_code=error.status_code)

    @app.get("/static/beheer.css")
    def css(user: Viewer) -> Response:
        return Response((HERE / "static" / "beheer.css").read_bytes(), media_type="text/css")

    # -- 1. Overzicht -------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse)
    def overview(request: Request, user: Viewer) -> HTMLResponse:
        flows = overzicht.flow_overview(store_of())
        charts = {f.name: overzicht.chart_svg(f.runs) for f in flows}
        purge = overzicht.purge_status(config.last_purge, dag_id=config.purge_dag)
        return page(
            request,
            user,
            "overzicht.html",
            flows=flows,
            charts=charts,
            purge=purge,
            tab="overzicht",
        )

    # -- 2. Foutafhandeling -------------------------------------------------------------------
    def _filter(
        flow: str, systeem: str, reden: str, status: str, van: str, tot: str
    ) -> fouten.LetterFilter:
        return fouten.LetterFilter(flow, systeem, reden, status or "open", _date(van), _date(tot))

    @app.get("/fouten", response_class=HTMLResponse)
    def letters(
        request: Request,
        user: Viewer,
        flow: str = "",
        systeem: str = "",
        reden: str = "",
        status: str = "open",
        van: str = "",
        tot: str = "",
    ) -> HTMLResponse:
        flt = _filter(flow, systeem, reden, status, van, tot)
        rows, total = fouten.list_letters(store_of(), flt)
        return page(
            request,
            user,
            "fouten.html",
            rows=rows,
            total=total,
            flt=flt,
            van=van,
            tot=tot,
            choices=fouten.filter_choices(store_of()),
            tab="fouten",
        )

    @app.get("/fouten/{letter_id}", response_class=HTMLResponse)
    def letter(request: Request, user: Viewer, letter_id: int) -> HTMLResponse:
        detail = fouten.letter_detail(store_of(), letter_id)
        if detail is None:
            return page(request, user, "niet_gevonden.html", status_code=404, tab="fouten")
        return page(request, user, "fout.html", d=detail, tab="fouten")

    @app.post("/fouten/{letter_id}/opnieuw")
    def resend_one(request: Request, user: Operator, letter_id: int) -> RedirectResponse:
        result = fouten.resend(store_of(), [letter_id], actor=user.actor)
        return back(
            request, f"/fouten/{letter_id}", result.message("aangevraagd om opnieuw aan te bieden")
        )

    @app.post("/fouten/{letter_id}/overslaan")
    def skip_one(
        request: Request, user: Operator, letter_id: int, reden: Annotated[str, Form()] = ""
    ) -> RedirectResponse:
        result = fouten.skip(store_of(), [letter_id], actor=user.actor, reason=reden)
        return back(request, f"/fouten/{letter_id}", result.message("overgeslagen"))

    @app.post("/fouten/bulk")
    def bulk(
        request: Request,
        user: Operator,
        actie: Annotated[str, Form()],
        flow: Annotated[str, Form()] = "",
        systeem: Annotated[str, Form()] = "",
        reden_filter: Annotated[str, Form()] = "",
        status: Annotated[str, Form()] = "open",
        van: Annotated[str, Form()] = "",
        tot: Annotated[str, Form()] = "",
        reden: Annotated[str, Form()] = "",
    ) -> RedirectResponse:
        flt = _filter(flow, systeem, reden_filter, status, van, tot)
        if actie == "opnieuw":
            text = fouten.bulk_resend(store_of(), flt, actor=user.actor).message(
                "aangevraagd om opnieuw aan te bieden"
            )
        elif actie == "overslaan":
            text = fouten.bulk_skip(store_of(), flt, actor=user.actor, reason=reden).message(
                "overgeslagen"
            )
        else:
            text = "Onbekende actie."
        return back(
            request,
            "/fouten",
            text,
            flow=flow,
            systeem=systeem,
            reden=reden_filter,
            status=status,
            van=van,
            tot=tot,
        )

    # -- 3. Koppeltabellen --------------------------------------------------------------------
    @app.get("/koppeltabellen", response_class=HTMLResponse)
    def tables(
        request: Request, user: Viewer, systeem: str = "", tabel: str = "", code: str = ""
    ) -> HTMLResponse:
        blocked = koppel.blocked_letters(store_of(), systeem, tabel, code) if code else []
        return page(
            request,
            user,
            "koppeltabellen.html",
            codes=koppel.unmapped_codes(store_of(), config.mappings_dir),
            tables=koppel.mapping_tables(config.mappings_dir),
            mappings_dir=config.mappings_dir,
            added={"systeem": systeem, "tabel": tabel, "code": code} if code else None,
            blocked=blocked,
            tab="koppeltabellen",
        )

    @app.post("/koppeltabellen/toevoegen")
    def add_mapping(
        request: Request,
        user: Operator,
        tabel: Annotated[str, Form()],
        bronsysteem: Annotated[str, Form()] = "",
        broncode: Annotated[str, Form()] = "",
        zaaktype: Annotated[str, Form()] = "",
        volgnummer: Annotated[str, Form()] = "",
        omschrijving: Annotated[str, Form()] = "",
    ) -> RedirectResponse:
        values = {
            "bronsysteem": bronsysteem,
            "broncode": broncode,
            "zaaktype": zaaktype,
            "volgnummer": volgnummer,
            "omschrijving": omschrijving,
        }
        try:
            old = koppel.add_mapping(
                store_of(), config.mappings_dir, tabel, values, actor=user.actor
            )
        except koppel.MappingRefused as refused:
            return back(
                request, "/koppeltabellen", "Niet opgeslagen: " + "; ".join(refused.findings)
            )
        verb = "gewijzigd" if old else "toegevoegd"
        return back(
            request,
            "/koppeltabellen",
            f"Koppeling {tabel} {bronsysteem} {broncode} {verb}.",
            systeem=bronsysteem,
            tabel=tabel,
            code=broncode,
        )

    @app.post("/koppeltabellen/opnieuw")
    def resend_blocked(
        request: Request,
        user: Operator,
        systeem: Annotated[str, Form()],
        tabel: Annotated[str, Form()],
        code: Annotated[str, Form()],
    ) -> RedirectResponse:
        result = koppel.resend_blocked(store_of(), systeem, tabel, code, actor=user.actor)
        return back(
            request, "/koppeltabellen", result.message("aangevraagd om opnieuw aan te bieden")
        )

    # -- 4. Zoeken ----------------------------------------------------------------------------
    @app.get("/zoeken", response_class=HTMLResponse)
    def search_form(request: Request, user: Viewer) -> HTMLResponse:
        return page(request, user, "zoeken.html", result=None, tab="zoeken")

    @app.post("/zoeken", response_class=HTMLResponse)
    def search(
        request: Request,
        user: Viewer,
        q: Annotated[str, Form()] = "",
        csrf: Annotated[str, Form()] = "",
    ) -> HTMLResponse:
        if not check_csrf(config.secret, user.name, csrf):
            raise AuthRefused(
                403, "Het formulier is verlopen of niet van deze site; laad de pagina opnieuw."
            )
        result = zoeken.search(store_of(), q, bsn_key=config.bsn_key) if q.strip() else None
        return page(request, user, "zoeken.html", result=result, tab="zoeken")

    # -- 5. Archief ---------------------------------------------------------------------------
    @app.get("/archief", response_class=HTMLResponse)
    def archive(request: Request, user: Viewer, status: str = "open") -> HTMLResponse:
        store = store_of()
        return page(
            request,
            user,
            "archief.html",
            runs=archief.reconciliations(store)[:10],
            items=archief.drift_items(store, status),
            status=status,
            repairs=archief.repairs(store),
            migratie=archief.migratie(store),
            tab="archief",
        )

    @app.post("/archief/drift/{item_id}/afgehandeld")
    def drift_handled(
        request: Request, user: Operator, item_id: int, reden: Annotated[str, Form()] = ""
    ) -> RedirectResponse:
        try:
            archief.mark_handled(store_of(), item_id, actor=user.actor, reason=reden)
            text = f"Drift-item {item_id} afgehandeld."
        except archief.DriftRefused as refused:
            text = f"Niet afgehandeld: {refused}"
        return back(request, "/archief", text)

    @app.get("/archief/vernietigingslijst", response_class=HTMLResponse)
    def destruction_list(
        request: Request, user: Viewer, status: str = "voorgesteld"
    ) -> HTMLResponse:
        return page(
            request,
            user,
            "vernietigingslijst.html",
            rows=vernietiging.rows(store_of(), status),
            status=status,
            statussen=vernietiging.STATUSSEN,
            tab="archief",
        )

    @app.post("/archief/vernietigingslijst/{kandidaat_id}/{actie}")
    def destruction_judged(
        request: Request,
        user: Operator,
        kandidaat_id: int,
        actie: Literal["goedkeuren", "afwijzen"],
        reden: Annotated[str, Form()] = "",
    ) -> RedirectResponse:
        try:
            text = vernietiging.judge(
                store_of(), kandidaat_id, actie, actor=user.actor, reason=reden
            )
        except vernietiging.VernietigingRefused as refused:
            text = f"Niet beoordeeld: {refused}"
        return back(request, "/archief/vernietigingslijst", text)

    return app

"""The vernietigingslijst page over HTTP: roles, CSRF, approve and reject, audit, no deletion."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select

from adapters.mylex.bewaring import Bewaring
from sync.store.db import Store
from sync.store.models import AuditEntry, VernietigingKandidaat
from sync.vernietiging import run_vernietigingslijst
from tests.beheer.test_http import OPERATOR, VIEWER, csrf

PAGE = "/beheer/archief/vernietigingslijst"


def _seed(store: Store) -> dict[str, int]:
    listing = [
        Bewaring("DOC-OUD-1", "ZAAK-1", "B1026", "V", "P10Y", "1.1.4", date(2020, 1, 1)),
        Bewaring("DOC-OUD-2", "ZAAK-2", None, "V", "P10Y", "1.1.4", date(2021, 5, 4)),
        Bewaring("DOC-2062", "ZAAK-3", "B1027", "V", "P10Y", "1.1.4", date(2062, 1, 1)),
    ]
    run_vernietigingslijst(store, listing, date(2026, 12, 2))
    with store.session() as session:
        return {r.identificatie: r.id for r in session.scalars(select(VernietigingKandidaat))}


def _states(store: Store) -> dict[str, str]:
    with store.session() as session:
        return {r.identificatie: r.state for r in session.scalars(select(VernietigingKandidaat))}


def test_the_page_lists_proposals_and_the_archief_page_links_to_it(
    client: TestClient, sqlite_store: Store
) -> None:
    _seed(sqlite_store)
    assert (
        'href="/beheer/archief/vernietigingslijst"'
        in client.get("/beheer/archief", headers=VIEWER).text
    )
    page = client.get(PAGE, headers=OPERATOR)
    assert page.status_code == 200
    assert "DOC-OUD-1" in page.text and "DOC-OUD-2" in page.text and "DOC-2062" not in page.text
    assert "2020-01-01" in page.text and "B1026" in page.text and "onbekend" in page.text
    assert "vernietigt zelf nooit" in page.text and "Goedkeuren" in page.text
    viewer = client.get(PAGE, headers=VIEWER).text
    assert "DOC-OUD-1" in viewer and "Goedkeuren" not in viewer
    assert client.get(PAGE).status_code == 401
    assert client.get(PAGE, headers={"X-Test-User": "x:none"}).status_code == 403


def test_approve_and_reject_through_the_forms_once_each_with_audit(
    client: TestClient, sqlite_store: Store
) -> None:
    ids = _seed(sqlite_store)
    token = csrf(client, OPERATOR, PAGE)
    approve = f"{PAGE}/{ids['DOC-OUD-1']}/goedkeuren"
    reject = f"{PAGE}/{ids['DOC-OUD-2']}/afwijzen"

    refused = [
        client.post(approve, data={"csrf": token, "reden": "x"}, headers=VIEWER),
        client.post(approve, data={"csrf": "123.abc", "reden": "x"}, headers=OPERATOR),
        client.post(approve, data={"reden": "x"}, headers=OPERATOR),
        client.post(approve, data={"csrf": token, "reden": "x"}),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403, 401]
    assert (
        client.post(f"{PAGE}/1/vernietigen", data={"csrf": token}, headers=OPERATOR).status_code
        == 422
    )
    assert _states(sqlite_store)["DOC-OUD-1"] == "voorgesteld"

    no_reason = client.post(approve, data={"csrf": token, "reden": " "}, headers=OPERATOR)
    assert no_reason.status_code == 303 and "reden" in no_reason.headers["location"]
    done = client.post(approve, data={"csrf": token, "reden": "akkoord"}, headers=OPERATOR)
    assert done.status_code == 303 and "goedgekeurd" in done.headers["location"]
    assert "Voorstel" in client.get(done.headers["location"], headers=OPERATOR).text
    twice = client.post(approve, data={"csrf": token, "reden": "nog eens"}, headers=OPERATOR)
    assert "niet+%28meer%29+voorgesteld" in twice.headers["location"]
    rejected = client.post(reject, data={"csrf": token, "reden": "bezwaar"}, headers=OPERATOR)
    assert "afgewezen" in rejected.headers["location"]

    assert _states(sqlite_store) == {"DOC-OUD-1": "goedgekeurd", "DOC-OUD-2": "afgewezen"}
    with sqlite_store.session() as session:
        audits = {(a.actor, a.action, a.detail) for a in session.scalars(select(AuditEntry))}
    assert audits == {
        ("airflow:anna", "vernietiging_goedgekeurd", "akkoord"),
        ("airflow:anna", "vernietiging_afgewezen", "bezwaar"),
    }
    judged = client.get(f"{PAGE}?status=alle", headers=OPERATOR).text
    assert "goedgekeurd" in judged and "afgewezen" in judged and "Goedkeuren" not in judged

"""The beheer app over HTTP (TestClient): login, roles, CSRF, every page and action, no BSN."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sync.store.db import Store
from sync.store.models import AuditEntry, DeadLetter
from tests.beheer.seed import BSN, OTHER_BSN, UNKNOWN_CODE, ZAAK, seed

OPERATOR = {"X-Test-User": "anna:operate"}
VIEWER = {"X-Test-User": "victor:view"}
GET_ROUTES = [
    "/beheer/",
    "/beheer/fouten",
    "/beheer/fouten/1",
    "/beheer/koppeltabellen",
    "/beheer/zoeken",
    "/beheer/archief",
    "/beheer/static/beheer.css",
]
POST_ROUTES = [
    "/beheer/fouten/1/opnieuw",
    "/beheer/fouten/1/overslaan",
    "/beheer/fouten/bulk",
    "/beheer/koppeltabellen/toevoegen",
    "/beheer/koppeltabellen/opnieuw",
    "/beheer/zoeken",
    "/beheer/archief/drift/1/afgehandeld",
]


def csrf(client: TestClient, headers: dict[str, str], path: str = "/beheer/zoeken") -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', client.get(path, headers=headers).text)
    assert match, "the page carries a CSRF token"
    return match.group(1)


def test_every_route_refuses_without_login(client: TestClient, sqlite_store: Store) -> None:
    seed(sqlite_store)
    for path in GET_ROUTES:
        response = client.get(path)
        assert response.status_code == 401, path
        assert "Inloggen bij Airflow" in response.text
        assert client.get(path, headers={"X-Test-User": "x:none"}).status_code == 403, path
    for path in POST_ROUTES:
        assert client.post(path, data={"csrf": "x"}).status_code == 401, path
        assert client.post(path, data={}, headers={"X-Test-User": "x:none"}).status_code == 403, (
            path
        )
    with sqlite_store.session() as session:
        assert session.scalars(select(AuditEntry)).all() == []


def test_a_viewer_sees_pages_but_cannot_act(client: TestClient, sqlite_store: Store) -> None:
    seed(sqlite_store)
    token = csrf(client, VIEWER)
    page = client.get("/beheer/fouten/1", headers=VIEWER).text
    assert "Opnieuw aanbieden" not in page and "(alleen kijken)" in page
    for path in POST_ROUTES:
        if path == "/beheer/zoeken":
            continue  # searching is viewing
        response = client.post(
            path,
            data={
                "csrf": token,
                "reden": "x",
                "actie": "opnieuw",
                "tabel": "statussen",
                "systeem": "g",
                "code": "c",
            },
            headers=VIEWER,
        )
        assert response.status_code == 403, path
    with sqlite_store.session() as session:
        assert session.scalars(select(AuditEntry)).all() == []
        assert session.get(DeadLetter, 1).state == "open"  # type: ignore[union-attr]


def test_actions_need_a_csrf_token_of_this_user(client: TestClient, sqlite_store: Store) -> None:
    seed(sqlite_store)
    other_users_token = csrf(client, VIEWER)
    for data in ({}, {"csrf": "123.abc"}, {"csrf": other_users_token}):
        response = client.post("/beheer/fouten/1/opnieuw", data=data, headers=OPERATOR)
        assert response.status_code == 403 and "formulier is verlopen" in response.text
    assert client.post("/beheer/zoeken", data={"q": ZAAK}, headers=VIEWER).status_code == 403
    with sqlite_store.session() as session:
        assert session.get(DeadLetter, 1).state == "open"  # type: ignore[union-attr]


def test_every_page_renders_seeded_data_without_an_unmasked_bsn(
    client: TestClient, sqlite_store: Store
) -> None:
    ids = seed(sqlite_store)
    token = csrf(client, OPERATOR)
    pages = {path: client.get(path, headers=OPERATOR) for path in GET_ROUTES[:-1]}
    for letter_id in ids.values():
        pages[f"/beheer/fouten/{letter_id}"] = client.get(
            f"/beheer/fouten/{letter_id}", headers=OPERATOR
        )
    for status in ("alle", "actief", "skipped"):
        pages[f"/beheer/fouten?status={status}"] = client.get(
            f"/beheer/fouten?status={status}", headers=OPERATOR
        )
    pages["/beheer/archief?status=alle"] = client.get(
        "/beheer/archief?status=alle", headers=OPERATOR
    )
    for query in (BSN, "111 222 333", OTHER_BSN, ZAAK, "ALG-7"):
        pages[f"zoeken {query[:3]}"] = client.post(
            "/beheer/zoeken", data={"q": query, "csrf": token}, headers=OPERATOR
        )
    for name, response in pages.items():
        assert response.status_code == 200, name
        digits = re.sub(r"\D", "", response.text)
        assert BSN not in response.text and OTHER_BSN not in response.text, name
        assert "111 222 333" not in response.text and "111.222.333" not in response.text, name
        assert digits.count(BSN) == 0 or BSN not in re.findall(r"\d{9}", response.text), name
    assert "*****2333" in pages["/beheer/fouten/1"].text
    assert "Zaken (GWS4all" in pages["/beheer/"].text and "<svg" in pages["/beheer/"].text
    assert "laatste run mislukt" in pages["/beheer/"].text
    assert (
        "Een code (zaaktype of status) staat niet in een koppeltabel."
        in pages["/beheer/fouten/1"].text
    )
    assert UNKNOWN_CODE in pages["/beheer/koppeltabellen"].text
    assert "Komt voor in 2 zaak/zaken" in pages["zoeken 111"].text
    assert client.get("/beheer/fouten/999", headers=OPERATOR).status_code == 404
    css = client.get("/beheer/static/beheer.css", headers=OPERATOR)
    assert css.headers["content-type"].startswith("text/css")
    assert pages["/beheer/"].headers["x-frame-options"] == "SAMEORIGIN"


def test_resend_skip_bulk_and_drift_through_the_forms(
    client: TestClient, sqlite_store: Store
) -> None:
    ids = seed(sqlite_store)
    token = csrf(client, OPERATOR)
    response = client.post(
        f"/beheer/fouten/{ids['unmapped0']}/opnieuw", data={"csrf": token}, headers=OPERATOR
    )
    assert response.status_code == 303 and response.headers["location"].startswith(
        f"/beheer/fouten/{ids['unmapped0']}?"
    )
    page = client.get(response.headers["location"], headers=OPERATOR).text
    assert (
        "1 aangevraagd om opnieuw aan te bieden." in page
        and "opnieuw aanbieden aangevraagd" in page
    )
    again = client.post(
        f"/beheer/fouten/{ids['unmapped0']}/opnieuw", data={"csrf": token}, headers=OPERATOR
    )
    assert "waren+al+aangevraagd" in again.headers["location"]
    no_reason = client.post(
        f"/beheer/fouten/{ids['rejected']}/overslaan",
        data={"csrf": token, "reden": ""},
        headers=OPERATOR,
    )
    assert "reden" in no_reason.headers["location"]
    bulk = client.post(
        "/beheer/fouten/bulk",
        data={
            "csrf": token,
            "actie": "overslaan",
            "reden": "vervallen",
            "systeem": "allegro",
            "status": "open",
        },
        headers=OPERATOR,
    )
    assert bulk.status_code == 303 and "1+overgeslagen" in bulk.headers["location"]
    drift = client.post(
        f"/beheer/archief/drift/{ids['drift']}/afgehandeld",
        data={"csrf": token, "reden": "juist"},
        headers=OPERATOR,
    )
    assert drift.status_code == 303
    with sqlite_store.session() as session:
        states = {d.id: d.state for d in session.scalars(select(DeadLetter))}
        actors = {(a.actor, a.action) for a in session.scalars(select(AuditEntry))}
    assert states[ids["unmapped0"]] == "resend_requested" and states[ids["rejected"]] == "skipped"
    assert states[ids["unmapped1"]] == "open"
    assert actors == {
        ("airflow:anna", "resend_requested"),
        ("airflow:anna", "skipped"),
        ("airflow:anna", "drift_handled"),
    }


def test_add_mapping_then_one_click_resends_what_it_blocked(
    client: TestClient, sqlite_store: Store, mappings_dir: Path
) -> None:
    ids = seed(sqlite_store)
    token = csrf(client, OPERATOR, "/beheer/koppeltabellen")
    form = {
        "csrf": token,
        "tabel": "statussen",
        "bronsysteem": "gws4all",
        "broncode": UNKNOWN_CODE,
        "omschrijving": "Onderzoek",
    }
    bad = client.post(
        "/beheer/koppeltabellen/toevoegen", data={**form, "volgnummer": "77"}, headers=OPERATOR
    )
    assert (
        "Niet+opgeslagen" in bad.headers["location"]
        and UNKNOWN_CODE not in (mappings_dir / "statussen.csv").read_text()
    )
    added = client.post(
        "/beheer/koppeltabellen/toevoegen", data={**form, "volgnummer": "3"}, headers=OPERATOR
    )
    page = client.get(added.headers["location"], headers=OPERATOR).text
    assert f"gws4all;{UNKNOWN_CODE};3;Onderzoek" in (mappings_dir / "statussen.csv").read_text()
    assert "blokkeerde 2 open dead letter(s)" in page and "Deze 2 opnieuw aanbieden" in page
    assert "gekoppeld; wacht op opnieuw aanbieden" in page
    resent = client.post(
        "/beheer/koppeltabellen/opnieuw",
        data={"csrf": token, "systeem": "gws4all", "tabel": "statussen", "code": UNKNOWN_CODE},
        headers=OPERATOR,
    )
    assert "2+aangevraagd" in resent.headers["location"]
    with sqlite_store.session() as session:
        assert {session.get(DeadLetter, ids[k]).state for k in ("unmapped0", "unmapped1")} == {
            "resend_requested"
        }  # type: ignore[union-attr]
        mapping = session.scalars(
            select(AuditEntry).where(AuditEntry.object_type == "mapping")
        ).one()
    assert mapping.actor == "airflow:anna" and "oud: (geen)" in (mapping.detail or "")


@pytest.mark.parametrize("mappings", [None])
def test_without_a_mappings_dir_tables_are_read_only(sqlite_store: Store, mappings: None) -> None:
    from tests.beheer.conftest import make_client

    seed(sqlite_store)
    with make_client(sqlite_store, mappings) as client:
        page = client.get("/beheer/koppeltabellen", headers=OPERATOR).text
        assert (
            "KETENBRUG_MAPPINGS_DIR is niet ingesteld" in page and "Koppeling toevoegen" not in page
        )
        assert "GWS-AV-01" in page  # the shipped tables are shown

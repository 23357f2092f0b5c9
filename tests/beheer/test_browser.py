"""The beheer plugin in a real Airflow API server, driven by headless Debian chromium.

One server for the module (``airflow api-server`` on a free loopback port, LocalAirflow's
home, the plugins folder with ``ketenbrug_beheer``), on a seeded state store. The HTTP test
logs in through Airflow's own token endpoint; the browser test logs in through Airflow's login
page, opens the plugin from the menu, adds the missing mapping and resends what it blocked,
and saves a screenshot of every page into docs/img/ for docs/beheer.md.
"""

from __future__ import annotations

import json
import shutil
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from adapters.esuite.config import EsuiteConfig
from adapters.gws4all.inbound import decode
from demo.airflow import CeleryAirflow, LocalAirflow
from simulators.esuite import make_esuite_server
from stuf import Systeem, Zaak
from sync.config import load_settings
from sync.store.db import Store
from sync.store.models import AuditEntry, DeadLetter, InboxMessage
from sync.tasks.zaken import run_zaken_resends
from tests.beheer.seed import BSN, OTHER_BSN, UNKNOWN_CODE, ZAAK, mappings_copy, seed
from tests.sync.messages import status

pytestmark = pytest.mark.airflow

IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
SIMPLE_AUTH_MANAGER = (
    "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
)
USERS = {"beheerder": ("user", "beheer-wachtwoord"), "kijker": ("viewer", "kijk-wachtwoord")}


@dataclass
class Server:
    url: str
    store: Store
    mappings: Path
    ids: dict[str, int]


def _start_api_server(airflow: LocalAirflow, processes: CeleryAirflow) -> str:
    """``airflow api-server`` on a free port; again on another port if that one got taken."""
    log = airflow.home / "api-server.log"
    for _attempt in range(3):
        port = _free_port()
        airflow.extra_env["AIRFLOW__API__BASE_URL"] = f"http://127.0.0.1:{port}"
        processes.start(
            "api-server", "api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while processes.running("api-server") and time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/api/v2/monitor/health", timeout=2).status_code == 200:
                    return url
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        processes.stop()
        if "address already in use" not in log.read_text():
            break
        log.write_text("")
    raise AssertionError(log.read_text()[-3000:])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("airflow-beheer")
    store = Store(f"sqlite:///{home / 'state.db'}")
    store.migrate()
    ids = seed(store)
    mappings = mappings_copy(home / "mappings")
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps({name: pw for name, (_, pw) in USERS.items()}))
    airflow = LocalAirflow(
        home,
        extra_env={
            "KETENBRUG_HOME": str(home),
            "KETENBRUG_DATABASE_URL": f"sqlite:///{home / 'state.db'}",
            "KETENBRUG_MAPPINGS_DIR": str(mappings),
            "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH_MANAGER,
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(
                f"{n}:{r}" for n, (r, _) in USERS.items()
            ),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            "AIRFLOW__API__SECRET_KEY": "beheer-test-secret",
            "AIRFLOW__API_AUTH__JWT_SECRET": "beheer-test-jwt-secret",
        },
    )
    assert airflow.airflow("db", "migrate") == 0, (home / "airflow-db.log").read_text()[-3000:]
    processes = CeleryAirflow(airflow)
    try:
        url = _start_api_server(airflow, processes)
        yield Server(url, store, mappings, ids)
    finally:
        processes.stop()
        store.dispose()


def _token(server: Server, user: str) -> str:
    response = httpx.post(
        f"{server.url}/auth/token", json={"username": user, "password": USERS[user][1]}, timeout=10
    )
    assert response.status_code == 201, response.text
    return str(response.json()["access_token"])


def test_the_plugin_answers_through_the_api_server_behind_airflow_login(server: Server) -> None:
    plain = httpx.get(f"{server.url}/beheer/", timeout=10)
    assert plain.status_code == 401 and "Inloggen bij Airflow" in plain.text
    forged = httpx.get(f"{server.url}/beheer/", cookies={"_token": "forged"}, timeout=10)
    assert forged.status_code in (401, 403)
    viewer = {"_token": _token(server, "kijker")}
    page = httpx.get(f"{server.url}/beheer/fouten/1", cookies=viewer, timeout=10)
    assert page.status_code == 200 and "kijker (alleen kijken)" in page.text
    assert BSN not in page.text and "*****2333" in page.text
    refused = httpx.post(
        f"{server.url}/beheer/fouten/1/opnieuw", data={"csrf": "x"}, cookies=viewer, timeout=10
    )
    assert refused.status_code == 403
    beheerder = {"_token": _token(server, "beheerder")}
    overview = httpx.get(f"{server.url}/beheer/", cookies=beheerder, timeout=10)
    assert overview.status_code == 200 and "<svg" in overview.text and "beheerder" in overview.text
    plugins = httpx.get(
        f"{server.url}/api/v2/plugins",
        headers={"Authorization": f"Bearer {beheerder['_token']}"},
        timeout=10,
    ).json()
    [plugin] = [p for p in plugins["plugins"] if p["name"] == "ketenbrug_beheer"]
    assert plugin["external_views"][0]["href"] == "/beheer/"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _shot(driver: WebDriver, name: str) -> None:
    IMG.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, min(max(int(height) + 120, 700), 2400))
    driver.save_screenshot(str(IMG / f"beheer-{name}.png"))
    driver.set_window_size(1400, 1000)


def test_a_beheerder_logs_in_adds_the_mapping_and_resends(
    server: Server, browser: WebDriver
) -> None:
    wait = WebDriverWait(browser, 60)
    browser.get(f"{server.url}/auth/login?next=/")
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "input[type=password]")))
    browser.find_element(By.CSS_SELECTOR, "input:not([type=password])").send_keys("beheerder")
    password = browser.find_element(By.CSS_SELECTOR, "input[type=password]")
    password.send_keys(USERS["beheerder"][1], Keys.ENTER)
    # the Airflow UI, with the plugin's menu entry
    menu = wait.until(
        ec.element_to_be_clickable(
            (By.XPATH, "//*[self::a or self::button][contains(., 'Ketenbrug beheer')]")
        )
    )
    menu.click()
    frame = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "iframe[src*='/beheer/']")))
    time.sleep(1)
    _shot(browser, "airflow-menu")
    browser.switch_to.frame(frame)
    wait.until(ec.presence_of_element_located((By.ID, "flow-zaken")))
    assert "laatste run mislukt" in browser.page_source
    browser.switch_to.default_content()

    # every page on its own (the frame's content), for the guide
    browser.get(f"{server.url}/beheer/")
    _shot(browser, "overzicht")
    browser.get(f"{server.url}/beheer/fouten?status=actief")
    _shot(browser, "fouten")
    browser.get(f"{server.url}/beheer/fouten/{server.ids['unmapped0']}")
    assert "*****2333" in browser.page_source and BSN not in browser.page_source
    _shot(browser, "fout-detail")

    browser.get(f"{server.url}/beheer/koppeltabellen")
    _shot(browser, "koppeltabellen")
    row = browser.find_element(
        By.XPATH, f"//table[@id='ongekoppeld']//tr[td[3][text()='{UNKNOWN_CODE}']]"
    )
    row.find_element(By.NAME, "volgnummer").send_keys("3")
    row.find_element(By.NAME, "omschrijving").send_keys("Onderzoek recht op bijstand (nieuw)")
    row.find_element(By.TAG_NAME, "button").click()
    button = wait.until(ec.element_to_be_clickable((By.ID, "opnieuw-geblokkeerd")))
    assert f"gws4all;{UNKNOWN_CODE};3;" in (server.mappings / "statussen.csv").read_text()
    _shot(browser, "koppeling-toegevoegd")
    button.click()
    wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".melding"), "2 aangevraagd"))

    browser.get(f"{server.url}/beheer/zoeken")
    browser.find_element(By.NAME, "q").send_keys(BSN, Keys.ENTER)
    wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "main"), "Komt voor in 2"))
    assert BSN not in browser.page_source and OTHER_BSN not in browser.page_source
    _shot(browser, "zoeken")
    browser.get(f"{server.url}/beheer/archief")
    _shot(browser, "archief")

    with server.store.session() as session:
        states = {session.get(DeadLetter, server.ids[k]).state for k in ("unmapped0", "unmapped1")}  # type: ignore[union-attr]
        actions = session.execute(select(AuditEntry.actor, AuditEntry.action)).all()
    assert states == {"resend_requested"}
    assert ("airflow:beheerder", "mapping_added") in actions
    assert actions.count(("airflow:beheerder", "resend_requested")) == 2

    # the zaken DAG's resend task runs against the e-Suite; the page then shows it delivered
    letter = server.ids["unmapped0"]
    with make_esuite_server() as esuite:
        esuite.app.store.create_zaak(  # type: ignore[attr-defined]
            Zaak(identificatie=ZAAK, zaaktype_code="PW-LO-AANV", startdatum=date(2026, 3, 1))
        )
        body = status(ZAAK, UNKNOWN_CODE, 3, 4)  # the seed's stand-in, as GWS4all sends it
        [record] = decode(body, soap_action=None, payload_ref="inbox").records
        with server.store.session() as session:
            dead = session.get(DeadLetter, letter)
            assert dead is not None and dead.payload_ref
            dead.source_key = record.key
            message = session.get(InboxMessage, int(dead.payload_ref.split(":")[1]))
            assert message is not None
            message.body = body
        settings = load_settings(
            {
                "KETENBRUG_DATABASE_URL": server.store.url,
                "KETENBRUG_MAPPINGS_DIR": str(server.mappings),
            }
        )
        config = EsuiteConfig(
            url=esuite.url, zender=Systeem("1900", "KB"), ontvanger=Systeem("0153", "ESUITE")
        )
        run_zaken_resends(esuite=config, settings=settings, store=server.store)
        zaak = esuite.app.store.snapshot(ZAAK)["zaken"][ZAAK]  # type: ignore[attr-defined]
        assert [s["volgnummer"] for s in zaak["statussen"]] == [3]
    browser.get(f"{server.url}/beheer/fouten/{letter}")
    wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "main"), "opnieuw afgeleverd"))
    _shot(browser, "opnieuw-afgeleverd")

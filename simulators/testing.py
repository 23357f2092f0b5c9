"""pytest fixtures and helpers for tests that talk to the HTTP simulators.

Import the fixtures into a conftest (``from simulators.testing import esuite, esuite_simulator``).
``esuite_simulator`` is one real e-Suite server on loopback for the whole session (starting it
per test costs little, but one server keeps the suite fast); ``esuite`` hands it out per test
with an empty store and no faults, so tests cannot see each other's zaken.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from wsgiref.types import StartResponse, WSGIEnvironment

import pytest
import requests

from simulators.esuite import EsuiteApp, make_esuite_server
from simulators.esuite_store import EsuiteStore
from simulators.faults import FaultConfig
from simulators.http import SimulatorServer
from stuf import SoapVersion, ZdsVersion, build_message, parse_message, soap_action_for, validate

__all__ = [
    "CapturedRequest",
    "CapturingApp",
    "Gws4allBackofficeHandle",
    "SimulatorHandle",
    "esuite",
    "esuite_simulator",
    "gws4all_backoffice",
    "gws4all_backoffice_simulator",
]


@dataclass
class SimulatorHandle:
    """A running simulator as a test sees it: URL, state over HTTP, faults, direct store."""

    server: SimulatorServer

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def store(self) -> EsuiteStore:
        app = self.server.app
        assert isinstance(app, EsuiteApp), "store is only available on the e-Suite simulator"
        return app.store

    def call(
        self,
        message: Any,
        *,
        soap: SoapVersion = SoapVersion.V1_1,
        check_schema: bool = True,
        path: str = "/zds",
    ) -> tuple[requests.Response, Any]:
        """Send a ZDS 1.2 message like an adapter would; return the response and its parse.

        With ``check_schema`` the answer must be valid against the official ZDS 1.2 schema.
        """
        body = build_message(message, ZdsVersion.V1_2, soap=soap)
        action = soap_action_for(message, ZdsVersion.V1_2)
        if soap is SoapVersion.V1_1:
            headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{action}"'}
        else:
            headers = {"Content-Type": f'application/soap+xml; charset=utf-8; action="{action}"'}
        response = requests.post(self.url + path, data=body, headers=headers, timeout=10)
        if check_schema:
            findings = validate(response.content, ZdsVersion.V1_2)
            assert findings == [], f"answer not valid ZDS 1.2: {findings[:3]}"
        return response, parse_message(response.content)

    def state(self, zaak: str | None = None, *, summary: bool = False) -> dict[str, Any]:
        """``GET /_admin/state``: counts and per zaak its statuses (what the demo shows)."""
        params = {"zaak": zaak} if zaak else {}
        if summary:
            params["summary"] = "1"
        response = requests.get(f"{self.url}/_admin/state", params=params, timeout=5)
        response.raise_for_status()
        return dict(response.json())

    def statuses(self, zaak: str) -> list[tuple[str, int]]:
        """(code, volgnummer) of every status write for ``zaak``, duplicates included."""
        zaken = self.state(zaak)["zaken"]
        if zaak not in zaken:
            return []
        return [(s["code"], s["volgnummer"]) for s in zaken[zaak]["statussen"]]

    def set_faults(self, config: FaultConfig | None = None, **settings: Any) -> dict[str, Any]:
        """``POST /_admin/faults`` (resets the injected counts)."""
        body = (config or FaultConfig.from_dict(settings)).to_dict()
        response = requests.post(f"{self.url}/_admin/faults", json=body, timeout=5)
        response.raise_for_status()
        return dict(response.json())

    def fault_counts(self) -> dict[str, int]:
        return self.server.faults.counts()

    def reset(self) -> None:
        """Empty store, no abonnementen, quiet faults, counters at zero."""
        self.server.faults.configure(FaultConfig())
        app = self.server.app
        if isinstance(app, EsuiteApp):
            app.store.reset()
            app.notificaties.reset()  # abonnementen of one test never reach the next


@pytest.fixture(scope="session")
def esuite_simulator() -> Iterator[SimulatorHandle]:
    """One started e-Suite simulator for the test session."""
    with make_esuite_server() as server:
        yield SimulatorHandle(server)


@pytest.fixture
def esuite(esuite_simulator: SimulatorHandle) -> Iterator[SimulatorHandle]:
    """The session's e-Suite simulator, emptied and without faults for this test."""
    esuite_simulator.reset()
    yield esuite_simulator
    esuite_simulator.reset()


@dataclass(frozen=True)
class CapturedRequest:
    """One request as a capturing endpoint received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes = field(repr=False)

    @property
    def soap_action(self) -> str:
        return self.headers.get("SOAPACTION", "").strip('"')


class CapturingApp:
    """A WSGI app that stores what it receives and answers a fixed reply (default: a Bv03).

    Stands in for an inbox (e.g. Ketenbrug's GWS4all inbound endpoint) when testing a sender.
    """

    def __init__(
        self, reply: bytes | None = None, status: str = "200 OK", content_type: str = "text/xml"
    ) -> None:
        self.reply = reply if reply is not None else _BV03
        self.status = status
        self.content_type = content_type
        self.requests: list[CapturedRequest] = []
        self._lock = threading.Lock()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {k[5:]: str(v) for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["CONTENT_TYPE"] = environ["CONTENT_TYPE"]
        with self._lock:
            self.requests.append(
                CapturedRequest(
                    environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), headers, body
                )
            )
        start_response(
            self.status,
            [("Content-Type", self.content_type), ("Content-Length", str(len(self.reply)))],
        )
        return [self.reply]


_BV03 = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
    b'<soapenv:Body><StUF:Bv03Bericht xmlns:StUF="http://www.egem.nl/StUF/StUF0301">'
    b"<StUF:stuurgegevens><StUF:berichtcode>Bv03</StUF:berichtcode></StUF:stuurgegevens>"
    b"</StUF:Bv03Bericht></soapenv:Body></soapenv:Envelope>"
)


# --- GWS4all as a backoffice (receiving side of the doorgifte) -------------------------------


@dataclass
class Gws4allBackofficeHandle:
    """A running GWS4all backoffice simulator: URL, ZDS 1.1 calls, commands, state."""

    server: Any  # simulators.gws4all_backoffice.Gws4allBackofficeServer (imported lazily)

    @property
    def url(self) -> str:
        return str(self.server.url)

    def post(
        self, body: bytes, soap_action: str | None = None, *, timeout: float = 10
    ) -> requests.Response:
        """POST raw bytes as SOAP 1.1 (``text/xml``) with the SOAPAction header."""
        headers = {"Content-Type": "text/xml; charset=utf-8"}
        if soap_action:
            headers["SOAPAction"] = f'"{soap_action}"'
        return requests.post(self.url + "/stuf", data=body, headers=headers, timeout=timeout)

    def call(
        self, message: Any, *, timeout: float = 10, check_schema: bool = True
    ) -> tuple[requests.Response, Any]:
        """Send a ZDS 1.1 message like the doorgifte would; the response and its parse.

        With ``check_schema`` the answer must be valid against the official ZDS 1.1 schema.
        """
        body = build_message(message, ZdsVersion.V1_1)
        response = self.post(body, soap_action_for(message, ZdsVersion.V1_1), timeout=timeout)
        if check_schema:
            findings = validate(response.content, ZdsVersion.V1_1)
            assert findings == [], f"answer not valid ZDS 1.1: {findings[:3]}"
        return response, parse_message(response.content)

    def snapshot(self) -> dict[str, Any]:
        return dict(self.server.snapshot())

    def reset(self) -> None:
        self.server.reset()


@pytest.fixture(scope="session")
def gws4all_backoffice_simulator() -> Iterator[Gws4allBackofficeHandle]:
    """One started GWS4all backoffice simulator for the test session."""
    from simulators.gws4all_backoffice import make_gws4all_backoffice_server

    with make_gws4all_backoffice_server() as server:
        yield Gws4allBackofficeHandle(server)


@pytest.fixture
def gws4all_backoffice(
    gws4all_backoffice_simulator: Gws4allBackofficeHandle,
) -> Iterator[Gws4allBackofficeHandle]:
    """The session's GWS4all backoffice, emptied and without commands for this test."""
    gws4all_backoffice_simulator.reset()
    yield gws4all_backoffice_simulator
    gws4all_backoffice_simulator.reset()

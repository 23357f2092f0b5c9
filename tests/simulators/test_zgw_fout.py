"""The one ZGW ``Fout`` builder the simulated ZGW APIs share."""

from __future__ import annotations

import json
from typing import Any

from simulators.zgw_fout import zgw_fout


def _answer(*args: Any, **kwargs: Any) -> tuple[str, dict[str, str], dict[str, Any]]:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(zgw_fout(start_response, *args, **kwargs))
    assert seen["headers"]["Content-Length"] == str(len(body))
    return seen["status"], seen["headers"], json.loads(body)


def test_a_fout_names_its_code_status_and_a_unique_instance() -> None:
    status, headers, fout = _answer(404, "not_found", "Niet gevonden.")
    again = _answer(404, "not_found", "Niet gevonden.")[2]
    assert status == "404 Not Found"
    assert headers["Content-Type"] == "application/problem+json"
    assert fout["type"] == "https://ref.tst.vng.cloud/zgw/fouten/not_found/"
    assert (fout["code"], fout["status"], fout["title"]) == ("not_found", 404, "Niet gevonden.")
    assert "invalidParams" not in fout
    assert fout["instance"].startswith("urn:uuid:") and fout["instance"] != again["instance"]


def test_a_validatiefout_lists_the_refused_fields_and_extra_headers_are_sent() -> None:
    invalid = [{"name": "zaak", "code": "invalid", "reason": "Geen geldige URL."}]
    status, headers, fout = _answer(
        400, "invalid", "Ongeldige invoer.", invalid=invalid, headers=[("API-version", "1.0.0")]
    )
    assert status == "400 Bad Request" and headers["API-version"] == "1.0.0"
    assert fout["invalidParams"] == invalid and fout["title"] == "Ongeldig verzoek."
    assert _answer(503, "error", "Even niet.")[2]["title"] == "Er is een serverfout opgetreden."


def test_only_a_405_names_the_allowed_methods() -> None:
    assert _answer(405, "method_not_allowed", "Alleen lezen.", allow="GET")[1]["Allow"] == "GET"
    assert "Allow" not in _answer(404, "not_found", "Niet gevonden.", allow="GET")[1]

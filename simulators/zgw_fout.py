"""A ZGW ``Fout`` (``application/problem+json``), as every simulated ZGW API answers an error.

The VNG reference implementation answers a refused request with a ``Fout``: a ``type`` URL made
from the error ``code``, a Dutch ``title``, the ``status``, a ``detail`` and a unique
``instance``; a refused field or filter makes it a ``ValidatieFout`` with ``invalidParams``.
One builder for the Documenten, Zaken and Notificaties simulators, so they answer alike.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any
from wsgiref.types import StartResponse

__all__ = ["zgw_fout"]

_TITLES = {
    400: "Ongeldig verzoek.",
    403: "Geen rechten.",
    404: "Niet gevonden.",
    405: "Methode niet toegestaan.",
    412: "Precondition failed",
}


def zgw_fout(
    start_response: StartResponse,
    status: int,
    code: str,
    detail: str,
    *,
    invalid: list[dict[str, str]] | None = None,
    headers: Sequence[tuple[str, str]] = (),
    allow: str | None = None,
) -> list[bytes]:
    """Answer ``status`` with a ``Fout`` (a ``ValidatieFout`` when ``invalid`` names fields);
    a 405 names the methods ``allow``-ed."""
    fallback = "Er is een serverfout opgetreden." if status >= 500 else "Ongeldige invoer."
    data: dict[str, Any] = {
        "type": f"https://ref.tst.vng.cloud/zgw/fouten/{code}/",
        "code": code,
        "title": _TITLES.get(status, fallback),
        "status": status,
        "detail": detail,
        "instance": f"urn:uuid:{uuid.uuid4()}",
    }
    if invalid:
        data["invalidParams"] = invalid
    body = json.dumps(data).encode()
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [
            ("Content-Type", "application/problem+json"),
            ("Content-Length", str(len(body))),
            *headers,
            *([("Allow", allow)] if status == 405 and allow else []),
        ],
    )
    return [body]

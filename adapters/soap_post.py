"""One SOAP POST over HTTP, its transport failures put on the error tree: shared by the StUF
clients (the e-Suite's ZDS 1.2, GWS4all's ZDS 1.1 doorgifte endpoint).

Why one: whether a failed POST may have landed decides whether the engine checks the target
before writing again, so every StUF client must classify the same way: no connection at all is
transient (nothing was sent); a timeout or a dropped line after sending is ambiguous for a
write (:func:`adapters.errors.no_answer`); 429 and the gateway statuses are transient.
"""

from __future__ import annotations

from typing import Any

import requests

from adapters.errors import TransientError, no_answer

__all__ = ["RETRY_STATUSES", "post_soap"]

#: HTTP statuses a gateway or a busy service answers: try again later.
RETRY_STATUSES = frozenset({429, 502, 503, 504})


def post_soap(
    session: requests.Session,
    url: str,
    body: Any,
    *,
    action: str,
    timeout_s: float,
    verify: bool | str,
    service: str,
    system: str,
    operation: str,
    writes: bool,
    stream: bool = False,
) -> requests.Response:
    """POST ``body`` (bytes, or a file-like with ``__len__``: a Content-Length is sent) with
    ``action`` as SOAPAction; the response, unparsed. ``service`` names the other side in the
    Dutch error texts ("e-Suite", "GWS4all")."""
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{action}"'}
    try:
        response = session.post(
            url,
            data=body,
            headers=headers,
            timeout=timeout_s,
            # per request: a REQUESTS_CA_BUNDLE in the environment would override the session's
            verify=verify,
            stream=stream,
        )
    except requests.ConnectTimeout as exc:
        raise TransientError(
            f"{service} niet bereikbaar (connect timeout)", system=system, operation=operation
        ) from exc
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise no_answer(
            f"{service} gaf geen antwoord: {type(exc).__name__}",
            writes=writes,
            system=system,
            operation=operation,
        ) from exc
    if response.status_code in RETRY_STATUSES:
        response.close()
        raise TransientError(
            f"{service} HTTP {response.status_code}", system=system, operation=operation
        )
    return response

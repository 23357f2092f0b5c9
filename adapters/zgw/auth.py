"""The ZGW client-id/secret scheme: a short-lived HS256 JWT per request.

Why per request: the token carries ``iat`` and the APIs refuse tokens older than their
leeway (a few minutes), so a token made once per task would expire in a long run.
"""

from __future__ import annotations

import time

import jwt

from adapters.zgw.config import ZgwConfig

__all__ = ["authorization"]


def authorization(config: ZgwConfig, now: float | None = None) -> str:
    """The ``Authorization`` header value: ``Bearer <jwt>`` signed with the secret."""
    claims = {
        "iss": config.client_id,
        "client_id": config.client_id,
        "iat": int(time.time() if now is None else now),
        "user_id": config.user_id,
        "user_representation": config.user_representation,
    }
    return f"Bearer {jwt.encode(claims, config.secret, algorithm='HS256')}"

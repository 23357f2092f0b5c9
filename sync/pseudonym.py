"""A keyed hash of a BSN: a stable key for ledger rows and dead letters that reveals nothing.

Why HMAC and not a plain hash: BSNs are nine digits with a checksum, so a plain SHA-256 of one
is reversed by trying all 10^8 of them in minutes. With a secret key (from an Airflow
Connection) the same person gets the same reference in every run, and without the key the
reference says nothing.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["bsn_ref"]


def bsn_ref(secret: str | bytes, bsn: str, *, length: int = 24) -> str:
    """HMAC-SHA256 of the BSN under ``secret``, hex, ``length`` characters."""
    if not secret:
        raise ValueError("geen sleutel voor de pseudonimisering van het BSN")
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, bsn.strip().encode(), hashlib.sha256).hexdigest()[:length]

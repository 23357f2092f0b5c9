"""Connection settings of the e-Suite's ZDS 1.2 endpoint: validated once, then frozen."""

from __future__ import annotations

from dataclasses import dataclass

from stuf import Systeem

__all__ = ["DEFAULT_TIMEOUT_S", "EsuiteConfig"]

DEFAULT_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class EsuiteConfig:
    """Where and as whom Ketenbrug talks to the e-Suite.

    ``client_cert``/``client_key`` are file paths for mTLS; ``verify`` is a CA bundle path or
    True. A timeout is never None: a hung e-Suite must not hang the nightly run.
    """

    url: str
    zender: Systeem
    ontvanger: Systeem
    timeout_s: float = DEFAULT_TIMEOUT_S
    verify: bool | str = True
    client_cert: str | None = None
    client_key: str | None = None

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"e-Suite url must be http(s): {self.url!r}")
        if self.timeout_s <= 0:
            raise ValueError("timeout_s must be positive")

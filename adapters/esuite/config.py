"""Connection settings of the e-Suite's ZDS 1.2 endpoint: validated once, then frozen."""

from __future__ import annotations

from dataclasses import dataclass

from stuf import Systeem

__all__ = ["DEFAULT_TIMEOUT_S", "DEFAULT_ZGW_PATH", "EsuiteConfig"]

DEFAULT_TIMEOUT_S = 15.0
#: Where the e-Suite's ZGW Documenten API lives, on the host of ``url`` (or a full URL).
DEFAULT_ZGW_PATH = "/documenten/api/v1"


@dataclass(frozen=True)
class EsuiteConfig:
    """Where and as whom Ketenbrug talks to the e-Suite.

    ``client_cert``/``client_key`` are file paths for mTLS; ``verify`` is a CA bundle path or
    True. A timeout is never None: a hung e-Suite must not hang the nightly run.
    ``zgw_path`` locates the ZGW Documenten API: a path on the host of ``url``, or a full URL.
    """

    url: str
    zender: Systeem
    ontvanger: Systeem
    timeout_s: float = DEFAULT_TIMEOUT_S
    verify: bool | str = True
    client_cert: str | None = None
    client_key: str | None = None
    zgw_path: str = DEFAULT_ZGW_PATH

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"e-Suite url must be http(s): {self.url!r}")
        if not self.zgw_path.startswith(("/", "http://", "https://")):
            raise ValueError(f"zgw_path must be a path or an http(s) url: {self.zgw_path!r}")
        if self.timeout_s <= 0:
            raise ValueError("timeout_s must be positive")

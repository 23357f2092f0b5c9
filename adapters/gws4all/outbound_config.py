"""Connection settings of GWS4all's own StUF endpoint (the doorgifte, ZDS 1.1): frozen once read.

Why apart from the inbox settings: for the doorgifte Ketenbrug is the *sender* and GWS4all the
receiving backoffice, with its own URL, certificate and stuurgegevens.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from stuf import Systeem

__all__ = [
    "DEFAULT_GEMEENTECODE",
    "DEFAULT_TIMEOUT_S",
    "Gws4allOutboundConfig",
    "gws4all_systeem",
    "ketenbrug_systeem",
]

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_GEMEENTECODE = "1900"


def ketenbrug_systeem(gemeentecode: str = DEFAULT_GEMEENTECODE) -> Systeem:
    """Ketenbrug as zender of the doorgifte."""
    return Systeem(organisatie=gemeentecode, applicatie="Ketenbrug")


def gws4all_systeem(gemeentecode: str = DEFAULT_GEMEENTECODE) -> Systeem:
    """GWS4all as ontvanger: organisatie is the gemeentecode."""
    return Systeem(organisatie=gemeentecode, applicatie="GWS4all")


@dataclass(frozen=True)
class Gws4allOutboundConfig:
    """Where and as whom Ketenbrug delivers to GWS4all.

    ``client_cert``/``client_key`` are file paths for mTLS; ``verify`` is a CA bundle path or
    True. A timeout is never None: a hung GWS4all must not hang the run.
    """

    url: str
    zender: Systeem = field(default_factory=ketenbrug_systeem)
    ontvanger: Systeem = field(default_factory=gws4all_systeem)
    timeout_s: float = DEFAULT_TIMEOUT_S
    verify: bool | str = True
    client_cert: str | None = None
    client_key: str | None = None

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"GWS4all url must be http(s): {self.url!r}")
        if self.timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        if not self.ontvanger.organisatie:
            raise ValueError("ontvanger.organisatie (the gemeentecode) is required")

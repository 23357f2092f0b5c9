"""Connection settings of the e-Suite's ZDS 1.2 endpoint: validated once, then frozen."""

from __future__ import annotations

from dataclasses import dataclass

from stuf import Systeem

__all__ = [
    "DEFAULT_RONDE_DAGEN",
    "DEFAULT_TIMEOUT_S",
    "DEFAULT_ZGW_CATALOGI_PATH",
    "DEFAULT_ZGW_PATH",
    "DEFAULT_ZGW_ZAKEN_PATH",
    "EsuiteConfig",
]

DEFAULT_TIMEOUT_S = 15.0
#: Where the e-Suite's ZGW Documenten API lives, on the host of ``url`` (or a full URL).
DEFAULT_ZGW_PATH = "/documenten/api/v1"
#: Where the e-Suite's ZGW Zaken API lives (the incremental listing of new zaken).
DEFAULT_ZGW_ZAKEN_PATH = "/zaken/api/v1"
#: The Catalogi API root that names the zaaktypen the Zaken API filters on.
DEFAULT_ZGW_CATALOGI_PATH = "/catalogi/api/v1"
#: With notificaties, the documenten source still walks every zaak once a week.
DEFAULT_RONDE_DAGEN = 7


@dataclass(frozen=True)
class EsuiteConfig:
    """Where and as whom Ketenbrug talks to the e-Suite.

    ``client_cert``/``client_key`` are file paths for mTLS; ``verify`` is a CA bundle path or
    True. A timeout is never None: a hung e-Suite must not hang the nightly run.
    ``zgw_path`` locates the ZGW Documenten API: a path on the host of ``url``, or a full URL;
    ``zgw_zaken_path`` and ``zgw_catalogi_path`` likewise the Zaken and Catalogi APIs.
    ``documenten_notificaties``: the e-Suite posts ZGW notificaties to Ketenbrug's
    ``/notificaties`` when a zaak gets a document, so the documenten source reads those instead
    of walking every zaak, and walks all zaken once every ``documenten_ronde_dagen`` days to
    find what a lost notificatie did not tell.
    """

    url: str
    zender: Systeem
    ontvanger: Systeem
    timeout_s: float = DEFAULT_TIMEOUT_S
    verify: bool | str = True
    client_cert: str | None = None
    client_key: str | None = None
    zgw_path: str = DEFAULT_ZGW_PATH
    zgw_zaken_path: str = DEFAULT_ZGW_ZAKEN_PATH
    zgw_catalogi_path: str = DEFAULT_ZGW_CATALOGI_PATH
    documenten_notificaties: bool = False
    documenten_ronde_dagen: int = DEFAULT_RONDE_DAGEN

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"e-Suite url must be http(s): {self.url!r}")
        for name in ("zgw_path", "zgw_zaken_path", "zgw_catalogi_path"):
            value = getattr(self, name)
            if not value.startswith(("/", "http://", "https://")):
                raise ValueError(f"{name} must be a path or an http(s) url: {value!r}")
        if self.timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        if self.documenten_ronde_dagen < 1:
            raise ValueError("documenten_ronde_dagen must be at least 1")

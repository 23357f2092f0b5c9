"""The ZGW adapter's settings, frozen and checked when made (not at 3 a.m.)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from adapters.errors import ConfigError

__all__ = ["DEFAULT_TIMEOUT_S", "ZgwConfig"]

DEFAULT_TIMEOUT_S = 30.0
_RSIN = re.compile(r"^\d{9}$")


def _problem(text: str) -> ConfigError:
    return ConfigError(f"zgw: {text}", system="zgw")


@dataclass(frozen=True)
class ZgwConfig:
    """Where the three APIs are and as whom Ketenbrug calls them.

    ``zaken_url``/``documenten_url``/``catalogi_url`` are API roots (``.../zaken/api/v1``).
    ``client_id``/``secret`` sign the JWT; ``bronorganisatie`` and
    ``verantwoordelijke_organisatie`` are RSINs. ``informatieobjecttype`` is the omschrijving
    of the type a document gets when its documenttype is not in the catalogus (None: refuse
    such a document). A timeout is never None: a hung API must not hang the nightly run.
    """

    zaken_url: str
    documenten_url: str
    catalogi_url: str
    client_id: str
    secret: str
    bronorganisatie: str
    verantwoordelijke_organisatie: str
    timeout_s: float = DEFAULT_TIMEOUT_S
    user_id: str = "ketenbrug"
    user_representation: str = "Ketenbrug"
    informatieobjecttype: str | None = "Bijlage"
    verify: bool | str = True

    def __post_init__(self) -> None:
        for name in ("zaken_url", "documenten_url", "catalogi_url"):
            if not getattr(self, name).startswith(("http://", "https://")):
                raise _problem(f"{name} moet een http(s)-adres zijn: {getattr(self, name)!r}")
        if not self.client_id or not self.secret:
            raise _problem("client_id (login) en secret (wachtwoord) zijn verplicht")
        for name in ("bronorganisatie", "verantwoordelijke_organisatie"):
            if not _RSIN.match(getattr(self, name)):
                raise _problem(f"{name} moet een RSIN van 9 cijfers zijn")
        if self.timeout_s <= 0:
            raise _problem("timeout_s moet positief zijn")

"""The e-Suite's ZGW API slices (Documenten, Zaken, Catalogi): where they are, how they page.

Shared by the archive listing (``archive.py``) and the zaken listing (``zaak_lijst.py``), so
both find an API root and follow ``next`` the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from adapters.esuite.config import EsuiteConfig

__all__ = ["next_page", "zgw_root"]


def zgw_root(config: EsuiteConfig, path: str) -> str:
    """A ZGW API root: ``path`` on the host of the ZDS ``url``, or ``path`` itself when a URL."""
    if path.startswith(("http://", "https://")):
        return path.rstrip("/")
    parts = urlsplit(config.url)
    return f"{parts.scheme}://{parts.netloc}{path.rstrip('/')}"


def _page_number(link: str) -> int | None:
    values = parse_qs(urlsplit(link).query).get("page")
    try:
        return int(values[0]) if values else None
    except ValueError:
        return None


def next_page(data: Mapping[str, Any], page: int, error: Callable[[str], Exception]) -> int | None:
    """The page after ``page`` (from its ``next`` link), None at the end.

    The page number is read from the link and asked for at our own URL: behind a gateway the
    API may name another host. A link that does not move forward raises ``error(text)``.
    """
    link = data.get("next")
    if not link:
        return None
    following = _page_number(str(link))
    if following is None:
        following = page + 1
    if following <= page:
        raise error(f"ZGW-paginering loopt niet op (pagina {page} verwijst naar {following})")
    return following

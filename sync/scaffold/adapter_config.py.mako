"""The ${name} adapter's settings, frozen and checked when made (not at 3 a.m.)."""

from __future__ import annotations

from dataclasses import dataclass

from adapters.errors import ConfigError

__all__ = ["${Name}Config"]


@dataclass(frozen=True)
class ${Name}Config:
    """Where ${Name} is and how to talk to it. Timeouts are never None."""

    url: str
    timeout_s: float = 30.0

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ConfigError(f"${name}: url must be http(s): {self.url!r}", system="${name}")
        if self.timeout_s <= 0:
            raise ConfigError("${name}: timeout_s must be positive", system="${name}")

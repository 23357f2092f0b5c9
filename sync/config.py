"""Where Ketenbrug keeps its state: one frozen settings object, read once from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DEFAULT_BATCH_SIZE", "DEFAULT_PARTITIONS", "Settings", "load_settings"]

DEFAULT_BATCH_SIZE = 500
DEFAULT_PARTITIONS = 4


@dataclass(frozen=True)
class Settings:
    """Settings of one Ketenbrug installation.

    ``home`` holds the embedded SQLite state store and working files. ``database_url`` points the
    state store elsewhere (PostgreSQL in production); it defaults to SQLite under ``home``.
    """

    home: Path
    database_url: str
    batch_size: int = DEFAULT_BATCH_SIZE
    partitions: int = DEFAULT_PARTITIONS
    mappings_dir: Path | None = None


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read settings from ``KETENBRUG_*`` environment variables."""
    source = os.environ if env is None else env
    home = Path(source.get("KETENBRUG_HOME", str(Path.home() / ".ketenbrug"))).expanduser()
    url = source.get("KETENBRUG_DATABASE_URL") or f"sqlite:///{home / 'ketenbrug.db'}"
    mappings = source.get("KETENBRUG_MAPPINGS_DIR")
    return Settings(
        home=home,
        database_url=url,
        batch_size=int(source.get("KETENBRUG_BATCH_SIZE", DEFAULT_BATCH_SIZE)),
        partitions=int(source.get("KETENBRUG_PARTITIONS", DEFAULT_PARTITIONS)),
        mappings_dir=Path(mappings) if mappings else None,
    )

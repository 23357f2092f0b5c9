"""Code tables (CSV, reviewed by functioneel beheer) and their loader and validator."""

from mappings import tables
from mappings.tables import *  # noqa: F403  (the loader and its types: tables.__all__)

__all__: list[str] = []
__all__ += tables.__all__

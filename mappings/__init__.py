"""Code tables (CSV, reviewed by functioneel beheer) and their loader and validator."""

from mappings.tables import (
    MappingError,
    MappingTables,
    StatusMapping,
    Statustype,
    ZaaktypeMapping,
    load_tables,
    validate_tables,
)

__all__ = [
    "MappingError",
    "MappingTables",
    "StatusMapping",
    "Statustype",
    "ZaaktypeMapping",
    "load_tables",
    "validate_tables",
]

"""Functioneel beheer pages (Dutch, server-rendered) on the state store; no Airflow imports.

The Airflow plugin in ``plugins/`` mounts :func:`create_app` in the API server.
"""

from sync.beheer.app import BeheerConfig, create_app
from sync.beheer.security import AuthRefused, Beheerder

__all__ = ["AuthRefused", "BeheerConfig", "Beheerder", "create_app"]

"""The Airflow Connection form of a pinned SFTP adapter: the fields ``connection_fields`` reads.

Why on its own: plugins are read while Airflow parses DAG files, so this module imports nothing
heavy (no paramiko). One form for every SFTP adapter: host, port and login as Airflow has them,
the key path, the pinned host key line and the adapter's folders in ``extra``.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["connection_form"]


def connection_form(system: str, **folders: str) -> dict[str, Any]:
    """``ui_behaviour`` for ``system``'s Connection; ``folders`` are its folder extras with an
    example value (``export_dir="export"``), shown as the placeholder of ``extra``."""
    example = {
        "private_key_path": f"/run/secrets/{system}_key",
        "known_hosts_line": f"[{system}.local]:22 ssh-ed25519 AAAA...",
        **folders,
    }
    return {
        "hidden_fields": ["schema", "password"],
        "relabeling": {"login": "Gebruiker"},
        "placeholders": {"port": "22", "extra": json.dumps(example)},
    }

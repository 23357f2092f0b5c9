"""The Airflow hook: Connection ``ketenbrug_allegro`` (JSON env form) → AllegroConfig."""

from __future__ import annotations

import json

import pytest

from adapters.errors import ConfigError

LINE = (
    "[127.0.0.1]:2222 ssh-ed25519 "
    "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
)


def _set(monkeypatch: pytest.MonkeyPatch, extra: dict[str, object]) -> None:
    connection = {
        "conn_type": "sftp",
        "host": "127.0.0.1",
        "port": 2222,
        "login": "ketenbrug",
        "extra": extra,
    }
    monkeypatch.setenv("AIRFLOW_CONN_KETENBRUG_ALLEGRO", json.dumps(connection))


def test_hook_builds_the_config_from_the_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    from adapters.allegro.hook import AllegroHook

    _set(
        monkeypatch,
        {
            "private_key_path": "/keys/allegro_ed25519",
            "known_hosts_line": LINE,
            "export_dir": "uit",
            "timeout_s": "7.5",
        },
    )
    config = AllegroHook().get_config()
    assert (config.host, config.port, config.username) == ("127.0.0.1", 2222, "ketenbrug")
    assert config.key_path == "/keys/allegro_ed25519" and config.known_hosts_line == LINE
    assert (config.export_dir, config.return_dir, config.timeout_s) == ("uit", "return", 7.5)


def test_hook_refuses_a_connection_without_pinned_host_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from adapters.allegro.hook import AllegroHook

    _set(monkeypatch, {"private_key_path": "/keys/allegro_ed25519"})
    with pytest.raises(ConfigError, match="known_hosts_line"):
        AllegroHook().get_config()

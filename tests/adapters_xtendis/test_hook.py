"""The Airflow hooks: Connections ``ketenbrug_xtendis`` / ``ketenbrug_mylex`` → frozen configs."""

from __future__ import annotations

import json

import pytest

from adapters.errors import ConfigError

LINE = (
    "[127.0.0.1]:2222 ssh-ed25519 "
    "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
)


def _set(monkeypatch: pytest.MonkeyPatch, conn_id: str, extra: dict[str, object]) -> None:
    connection = {
        "conn_type": "sftp",
        "host": "127.0.0.1",
        "port": 2222,
        "login": "ketenbrug",
        "extra": extra,
    }
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(connection))


def test_xtendis_hook_builds_the_config(monkeypatch: pytest.MonkeyPatch) -> None:
    from adapters.xtendis.hook import XtendisHook

    extra = {"private_key_path": "/k", "known_hosts_line": LINE, "hotfolder_dir": "in"}
    _set(monkeypatch, "ketenbrug_xtendis", {**extra, "timeout_s": "7.5"})
    config = XtendisHook().get_config()
    assert (config.host, config.port, config.username) == ("127.0.0.1", 2222, "ketenbrug")
    assert (config.hotfolder_dir, config.receipts_dir, config.timeout_s) == ("in", "receipts", 7.5)


def test_mylex_hook_builds_the_config(monkeypatch: pytest.MonkeyPatch) -> None:
    from adapters.mylex.hook import MyLexHook

    _set(monkeypatch, "ketenbrug_mylex", {"private_key_path": "/k", "known_hosts_line": LINE})
    config = MyLexHook().get_config()
    assert (config.root_dir, config.key_path, config.known_hosts_line) == ("mylex", "/k", LINE)


@pytest.mark.parametrize("conn_id", ["ketenbrug_xtendis", "ketenbrug_mylex"])
def test_hooks_refuse_a_connection_without_pinned_host_key(
    monkeypatch: pytest.MonkeyPatch, conn_id: str
) -> None:
    from adapters.mylex.hook import MyLexHook
    from adapters.xtendis.hook import XtendisHook

    _set(monkeypatch, conn_id, {"private_key_path": "/k"})
    hook = XtendisHook() if conn_id == "ketenbrug_xtendis" else MyLexHook()
    with pytest.raises(ConfigError, match="known_hosts_line"):
        hook.get_config()

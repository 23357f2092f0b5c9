"""The Airflow Connection ``ketenbrug_gws4all_stuf`` read as the doorgifte's config."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from stuf import Systeem

pytest.importorskip("airflow.sdk")

from adapters.gws4all.outbound_hook import Gws4allOutboundHook


def _hook(extra: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Gws4allOutboundHook:
    hook = Gws4allOutboundHook()
    connection = SimpleNamespace(host="gws.local", port=8443, schema="https", extra_dejson=extra)
    monkeypatch.setattr(hook, "get_connection", lambda conn_id: connection)
    return hook


def test_the_connection_becomes_the_config(monkeypatch: pytest.MonkeyPatch) -> None:
    extra = {"path": "/stuf/zkn", "gemeentecode": "0153", "timeout_s": 7, "verify": "/ca.pem"}
    config = _hook(extra, monkeypatch).get_config()
    assert Gws4allOutboundHook.default_conn_name == "ketenbrug_gws4all_stuf"
    assert config.url == "https://gws.local:8443/stuf/zkn"
    assert config.zender == Systeem("0153", "Ketenbrug")
    assert config.ontvanger == Systeem("0153", "GWS4all")
    assert (config.timeout_s, config.verify, config.client_cert) == (7.0, "/ca.pem", None)


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    config = _hook({}, monkeypatch).get_config()
    assert config.url == "https://gws.local:8443/"
    assert config.ontvanger == Systeem("1900", "GWS4all")
    assert (config.timeout_s, config.verify) == (10.0, True)

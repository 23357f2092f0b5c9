"""The Airflow hook: Connection ``ketenbrug_suwinet`` → frozen config; the key from the SSD one."""

from __future__ import annotations

import json

import pytest

from adapters.errors import ConfigError


def _set(monkeypatch: pytest.MonkeyPatch, conn_id: str, **fields: object) -> None:
    connection = {"conn_type": "http", "host": "broker.tst.suwi.net", **fields}
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(connection))


def test_the_hook_builds_the_config_and_takes_the_key_of_the_ssd_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from adapters.suwinet.hook import SuwinetHook

    extra = {"client_cert": "/c.pem", "client_key": "/k.pem", "inkomsten_maanden": "6"}
    _set(monkeypatch, "ketenbrug_suwinet", port=443, password="not-the-key", extra=extra)
    _set(monkeypatch, "ketenbrug_ssd", password="de-sleutel-van-de-gemeente")
    hook = SuwinetHook()
    config = hook.get_config()
    assert config.service_url("BRPDossierPersoonGSD") == (
        "https://broker.tst.suwi.net:443/suwibroker/soap/BRPDossierPersoonGSD-v0200"
    )
    assert (config.client_cert, config.inkomsten_maanden) == ("/c.pem", 6)
    assert hook.get_secret() == "de-sleutel-van-de-gemeente"


def test_the_hook_refuses_a_connection_without_client_certificate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from adapters.suwinet.hook import SuwinetHook

    _set(monkeypatch, "ketenbrug_suwinet", extra={"client_cert": "/c.pem"})
    with pytest.raises(ConfigError, match=r"ketenbrug_suwinet: .*client certificate"):
        SuwinetHook().get_config()

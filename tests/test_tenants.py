"""Several municipalities in one deployment: each its own store, home, mappings, names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sync.config import load_settings
from sync.notify import flow_of
from sync.tenants import DEFAULT, TenantError, load_tenants, split_dag_id

DOWR = [
    {"code": "deventer", "naam": "Gemeente Deventer", "gemeentecode": "0150"},
    {"code": "olstwijhe", "naam": "Gemeente Olst-Wijhe", "gemeentecode": "1773"},
    {"code": "raalte", "naam": "Gemeente Raalte", "gemeentecode": "0177", "mappings_dir": "/m/r"},
]


def _env(tmp_path: Path, tenants: object = DOWR, **extra: str) -> dict[str, str]:
    path = tmp_path / "tenants.json"
    path.write_text(json.dumps(tenants))
    return {"KETENBRUG_TENANTS": str(path), "KETENBRUG_HOME": str(tmp_path / "home"), **extra}


def test_without_tenants_everything_keeps_its_single_municipality_names(tmp_path: Path) -> None:
    settings = load_settings({"KETENBRUG_HOME": str(tmp_path)})
    assert settings.tenant == DEFAULT
    assert settings.home == tmp_path
    assert settings.database_url == f"sqlite:///{tmp_path / 'ketenbrug.db'}"
    assert DEFAULT.conn_id("ketenbrug_esuite") == "ketenbrug_esuite"
    assert DEFAULT.dag_id("zaken") == "ketenbrug_zaken"
    assert DEFAULT.zaak_number_prefix == "1900KB"


def test_each_tenant_has_its_own_home_store_mappings_and_names(tmp_path: Path) -> None:
    env = _env(tmp_path)
    deventer = load_settings(env, tenant="deventer")
    raalte = load_settings(env, tenant="raalte")
    assert deventer.home == tmp_path / "home" / "tenants" / "deventer"
    assert deventer.database_url != raalte.database_url
    assert "tenants/raalte" in raalte.database_url
    assert raalte.mappings_dir == Path("/m/r")
    assert deventer.tenant.conn_id("ketenbrug_esuite") == "ketenbrug_esuite_deventer"
    assert raalte.tenant.dag_id("zaken") == "ketenbrug_zaken_raalte"
    assert (deventer.tenant.zaak_number_prefix, raalte.tenant.zaak_number_prefix) == (
        "0150KB",
        "0177KB",
    )


def test_a_shared_database_url_without_tenant_placeholder_is_refused(tmp_path: Path) -> None:
    env = _env(tmp_path, KETENBRUG_DATABASE_URL="postgresql://kb@db/ketenbrug")
    with pytest.raises(TenantError, match=r"\{tenant\}"):
        load_settings(env, tenant="deventer")
    env["KETENBRUG_DATABASE_URL"] = "postgresql://kb@db/ketenbrug_{tenant}"
    assert load_settings(env, tenant="raalte").database_url == "postgresql://kb@db/ketenbrug_raalte"


def test_with_several_tenants_a_process_must_name_its_own(tmp_path: Path) -> None:
    env = _env(tmp_path)
    with pytest.raises(TenantError, match="noem de gemeente"):
        load_settings(env)
    with pytest.raises(TenantError, match="zwolle"):
        load_settings(env, tenant="zwolle")
    assert load_settings({**env, "KETENBRUG_TENANT": "raalte"}).tenant.code == "raalte"


@pytest.mark.parametrize(
    "tenants",
    [
        [{"code": "deventer", "gemeentecode": "0150"}, {"code": "deventer", "gemeentecode": "1"}],
        [{"code": "a1", "gemeentecode": "0150"}, {"code": "b1", "gemeentecode": "0150"}],
        [{"code": "Deventer!", "gemeentecode": "0150"}],
        [{"code": "deventer", "gemeentecode": "150"}],
        [],
    ],
)
def test_a_bad_tenants_file_is_refused_with_a_reason(tmp_path: Path, tenants: object) -> None:
    with pytest.raises(TenantError):
        load_tenants(_env(tmp_path, tenants))


def test_a_dag_run_names_its_flow_and_municipality(tmp_path: Path) -> None:
    tenants = load_tenants(_env(tmp_path))
    flow, tenant = split_dag_id("ketenbrug_archief_reconciliatie_olstwijhe", tenants)
    assert (flow, tenant.code) == ("archief_reconciliatie", "olstwijhe")
    assert split_dag_id("ketenbrug_zaken", (DEFAULT,)) == ("zaken", DEFAULT)
    with pytest.raises(TenantError):
        split_dag_id("ketenbrug_zaken_zwolle", tenants)


def test_the_run_note_reads_the_flow_of_a_tenant_dag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in _env(tmp_path).items():
        monkeypatch.setenv(key, value)
    assert flow_of("ketenbrug_documenten_raalte") == "documenten"


def test_each_tenant_gets_its_own_beheer_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sync.beheer.host import config_from_env

    for key, value in _env(tmp_path).items():
        monkeypatch.setenv(key, value)
    deventer, raalte = (t for t in load_tenants() if t.code in ("deventer", "raalte"))

    async def nobody(_request: object) -> object:
        raise AssertionError

    for tenant in (deventer, raalte):
        config = config_from_env(nobody, secret="s", login_url="/", tenant=tenant)  # type: ignore[arg-type]
        store = config.store()
        try:
            assert f"tenants/{tenant.code}/" in store.url
        finally:
            store.dispose()
        assert config.purge_dag == f"ketenbrug_onderhoud_{tenant.code}"


def test_db_upgrade_migrates_every_municipality_s_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sync.cli import main

    for key, value in _env(tmp_path).items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("KETENBRUG_DATABASE_URL", raising=False)
    monkeypatch.delenv("KETENBRUG_TENANT", raising=False)
    assert main(["db", "upgrade"]) == 0
    for code in ("deventer", "olstwijhe", "raalte"):
        assert (tmp_path / "home" / "tenants" / code / "ketenbrug.db").is_file()
    assert "Gemeente Raalte: state store up to date" in capsys.readouterr().out

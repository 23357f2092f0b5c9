"""Several municipalities: each tenant's questions go to its own e-Suite, never another's or
the shared one (issue 12, item 6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulators.testing import SimulatorHandle
from stuf import Fout, ZaakdetailsAntwoord, parse_message
from sync.blobs import BlobStore
from sync.inbox import Inbox
from sync.store.db import Store
from sync.tenants import DEFAULT, Tenant
from sync.vragen import esuite_config_from_env
from tests.vragen.messages import esuite_zaak, geef_zaakdetails

DEVENTER = Tenant(code="deventer", naam="Gemeente Deventer", gemeentecode="0150")
RAALTE = Tenant(code="raalte", naam="Gemeente Raalte", gemeentecode="0177")
ZAAK = "1900KB0000000042"


def test_a_tenant_reads_only_its_own_suffixed_esuite_settings() -> None:
    env = {
        "KETENBRUG_ESUITE_URL": "https://gedeeld.example/zds",
        "KETENBRUG_ESUITE_CLIENT_CERT": "/gedeeld.pem",
        "KETENBRUG_ESUITE_URL_DEVENTER": "https://deventer.example/zds",
        "KETENBRUG_ESUITE_ONTVANGER_DEVENTER": "0150:ESUITE-DEV",
    }
    deventer = esuite_config_from_env(env, DEVENTER)
    assert deventer is not None and deventer.url == "https://deventer.example/zds"
    assert (deventer.zender.organisatie, deventer.zender.applicatie) == ("0150", "Ketenbrug")
    assert deventer.ontvanger.applicatie == "ESUITE-DEV"
    assert deventer.client_cert is None, "never the shared certificate"
    assert esuite_config_from_env(env, RAALTE) is None, "no fallback to the shared e-Suite"
    default = esuite_config_from_env(env, DEFAULT)
    assert default is not None and default.url == "https://gedeeld.example/zds"
    assert default.zender.organisatie == "1900" and default.client_cert == "/gedeeld.pem"


def test_a_question_of_a_tenant_without_its_own_esuite_is_not_asked_of_the_shared_one(
    sqlite_store: Store,
    esuite: SimulatorHandle,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tenants = tmp_path / "tenants.json"
    tenants.write_text(
        json.dumps([{"code": t.code, "gemeentecode": t.gemeentecode} for t in (DEVENTER, RAALTE)])
    )
    monkeypatch.setenv("KETENBRUG_TENANTS", str(tenants))
    monkeypatch.setenv("KETENBRUG_HOME", str(tmp_path))
    # The shared e-Suite knows the zaak: a tenant falling back to it would get an answer.
    monkeypatch.setenv("KETENBRUG_ESUITE_URL", esuite.url + "/zds")
    monkeypatch.setenv("KETENBRUG_ESUITE_URL_DEVENTER", esuite.url + "/zds")
    monkeypatch.delenv("KETENBRUG_ESUITE_URL_RAALTE", raising=False)
    esuite_zaak(esuite.store, ZAAK)
    answers = {}
    for tenant in (DEVENTER, RAALTE):
        inbox = Inbox(sqlite_store, blobs=BlobStore(tmp_path / tenant.code), tenant=tenant)
        answers[tenant.code] = inbox.receive(geef_zaakdetails(ZAAK)[0], None)
    deventer = parse_message(answers["deventer"].body)
    assert isinstance(deventer, ZaakdetailsAntwoord) and deventer.zaak is not None
    raalte = parse_message(answers["raalte"].body)
    assert answers["raalte"].status == 500
    assert isinstance(raalte, Fout) and "niet ingesteld" in raalte.omschrijving

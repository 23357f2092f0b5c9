"""Parts, not products: which system plays the zaaksysteem is a deployment's choice."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from adapters import registry
from adapters.registry import AdapterRegistration, BuiltTarget, Pool
from adapters.roles import ZAAKSYSTEEM
from sync.flows.documenten import DocumentenFlow
from sync.flows.zaken import ZakenFlow
from sync.tasks.flow import flow_targets

ME = "tests.test_roles"
LOOKUPS: list[str] = []


class _Target:
    def apply(self, operation: Any) -> None: ...

    def is_applied(self, operation: Any) -> bool:
        return False


def target(config: Any, context: Any) -> BuiltTarget:
    return BuiltTarget(_Target())


def bsn_lookup(config: Any) -> tuple[Any, Any]:
    LOOKUPS.append(config)
    return (lambda zaak: "000000000"), (lambda: None)


REGISTRATION = AdapterRegistration(
    system="anderzaaksysteem",
    title="Another zaaksysteem",
    pool=Pool("anderzaaksysteem", 2, "a test system"),
    roles=(ZAAKSYSTEEM,),
    targets={"zaken": f"{ME}:target", "documenten": f"{ME}:target"},
    bsn_lookup=f"{ME}:bsn_lookup",
)


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(registry, "BUILTIN", (*registry.BUILTIN, ME))
    monkeypatch.delenv("KETENBRUG_ROL_ZAAKSYSTEEM", raising=False)
    LOOKUPS.clear()
    yield


def test_without_a_choice_the_first_registered_system_plays_the_part() -> None:
    assert registry.role_system(ZAAKSYSTEEM) == "esuite"
    assert [r.system for r in registry.targets_for("zaken")] == ["esuite"]
    assert ZakenFlow().zaaksysteem == "esuite"


def test_a_chosen_zaaksysteem_replaces_the_esuite_in_both_flows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KETENBRUG_ROL_ZAAKSYSTEEM", "anderzaaksysteem")
    assert [r.system for r in registry.targets_for("zaken")] == ["anderzaaksysteem"]
    documenten = {r.system for r in registry.targets_for("documenten")}
    assert "anderzaaksysteem" in documenten and "esuite" not in documenten
    assert ZakenFlow().zaaksysteem == "anderzaaksysteem"
    flow = DocumentenFlow()
    assert (flow.zaaksysteem, flow.dossier, flow.archief) == (
        "anderzaaksysteem",
        "xtendis",
        "mylex",
    )
    assert registry.flow_pool("zaken") == "anderzaaksysteem"


def test_the_dossier_bsn_comes_from_the_zaaksysteem_in_play(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KETENBRUG_ROL_ZAAKSYSTEEM", "anderzaaksysteem")
    built = flow_targets("zaken", {"esuite": "esuite-config", "anderzaaksysteem": "own-config"})
    assert set(built.targets) == {"anderzaaksysteem"}
    assert LOOKUPS == ["own-config"]  # not the e-Suite's, which plays no part here


def test_a_system_that_cannot_play_the_part_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KETENBRUG_ROL_ZAAKSYSTEEM", "xtendis")
    with pytest.raises(LookupError, match="xtendis"):
        registry.role_system(ZAAKSYSTEEM)


def test_the_summary_names_the_systems_in_play(monkeypatch: pytest.MonkeyPatch) -> None:
    from sync.summary import flow_sources

    assert ("zaken", "gws4all", "zaken (GWS4all → e-Suite)") in flow_sources()
    monkeypatch.setenv("KETENBRUG_ROL_ZAAKSYSTEEM", "anderzaaksysteem")
    titles = {title for _flow, _system, title in flow_sources()}
    assert "zaken (GWS4all → Another zaaksysteem)" in titles
    assert "documenten (GWS4all → Xtendis, MyLex, Another zaaksysteem)" in titles
    assert not any(title.startswith("documenten (e-Suite") for title in titles)


def test_a_system_whose_part_another_plays_is_no_source_either(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert "esuite" in {r.system for r in registry.sources_for("documenten")}
    monkeypatch.setenv("KETENBRUG_ROL_ZAAKSYSTEEM", "anderzaaksysteem")
    assert "esuite" not in {r.system for r in registry.sources_for("documenten")}

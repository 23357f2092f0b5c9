"""The adapter registry: one declaration per system feeds pools, runners and task lists."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from adapters import registry
from adapters.registry import AdapterRegistration, BuiltTarget, Pool
from sync.airflow_local import POOLS
from sync.tasks.flow import flow_targets

FAKE = "tests.test_registry"
BUILT: list[str] = []


class _FakeTarget:
    system = "fake"

    def apply(self, operation: Any) -> None: ...

    def is_applied(self, operation: Any) -> bool:
        return False


def fake_target(config: Any, context: Any) -> BuiltTarget:
    BUILT.append(config)
    return BuiltTarget(_FakeTarget(), [lambda: BUILT.append("closed")])


REGISTRATION = AdapterRegistration(
    system="fake",
    title="Fake",
    pool=Pool("fake", 1, "a test system"),
    targets={"zaken": f"{FAKE}:fake_target"},
)


@pytest.fixture
def with_fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(registry, "BUILTIN", (*registry.BUILTIN, FAKE))
    BUILT.clear()
    yield


def test_every_system_has_its_own_pool_and_airflow_gets_them_all() -> None:
    registrations = registry.registrations()
    assert {"esuite", "gws4all", "allegro", "xtendis", "mylex"} <= set(registrations)
    for registration in registrations.values():
        assert registration.pool.name == registration.system
        assert POOLS[registration.system] == (
            registration.pool.slots,
            registration.pool.description,
        )
    assert POOLS["allegro"][0] == 1


def test_a_task_talking_to_several_systems_runs_in_the_scarcest_pool() -> None:
    assert registry.flow_pool("documenten", "allegro") == "allegro"  # 1 slot beats 2 and 4
    assert registry.flow_pool("documenten") == "xtendis"  # 2 ties with MyLex: registry order
    assert registry.flow_pool("zaken") == "esuite"


def test_a_registered_target_is_built_for_its_flow_without_touching_sync(
    with_fake: None,
) -> None:
    built = flow_targets("zaken", {"esuite": _esuite_config(), "fake": "fake-config"})
    assert set(built.targets) == {"esuite", "fake"}
    assert BUILT == ["fake-config"]
    built.close()
    assert BUILT == ["fake-config", "closed"]


def test_a_target_without_config_is_refused_and_what_was_built_is_closed(
    with_fake: None,
) -> None:
    with pytest.raises(TypeError, match="fake"):
        flow_targets("zaken", {"esuite": _esuite_config()})


def test_a_system_registered_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="twee keer"):
        registry.registrations((FAKE, FAKE))


def _esuite_config() -> Any:
    from adapters.esuite.config import EsuiteConfig
    from stuf import Systeem

    return EsuiteConfig(
        url="http://127.0.0.1:9/zds",
        zender=Systeem("0153", "KETENBRUG"),
        ontvanger=Systeem("0153", "ESUITE"),
    )


def test_reading_the_registry_imports_no_client_library() -> None:
    """The DAG files read the registry while Airflow parses them (every 30 s per file)."""
    import subprocess
    import sys

    probe = (
        "import sys; from adapters import registry; registry.registrations(); "
        "registry.pools(); print(sorted(m for m in ('paramiko', 'requests', 'zeep') "
        "if m in sys.modules))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert completed.stdout.strip() == "[]"

"""FaultConfig parsing and the seeded, thread-safe FaultInjector."""

from __future__ import annotations

import threading

import pytest

from simulators.faults import FaultConfig, FaultInjector


def test_default_config_is_quiet_and_injects_nothing() -> None:
    injector = FaultInjector()
    decisions = [injector.decide("x") for _ in range(100)]
    assert all(d.kind == "none" and not d.duplicate and d.latency_ms == 0 for d in decisions)
    assert injector.counts() == {"calls": 100}


@pytest.mark.parametrize(
    "settings",
    [
        {"transient_rate": 1.5},
        {"permanent_rate": -0.1},
        {"transient_rate": 0.7, "permanent_rate": 0.4},
        {"latency_ms": -1},
        {"no_such_knob": 1},
    ],
)
def test_invalid_settings_are_refused(settings: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        FaultConfig.from_dict(settings)


def test_from_json_env_and_back() -> None:
    config = FaultConfig.from_json(
        '{"transient_rate": 0.1, "seed": 7, "transient_variants": ["http_503", "reset"]}'
    )
    assert config.transient_variants == ("http_503", "reset")
    assert FaultConfig.from_dict(config.to_dict()) == config
    env = {
        "KETENBRUG_SIM_FAULTS_PERMANENT_RATE": "0.25",
        "KETENBRUG_SIM_FAULTS_SEED": "3",
        "KETENBRUG_SIM_FAULTS_PERMANENT_VARIANTS": "fo03",
    }
    from_env = FaultConfig.from_env(environ=env)
    assert (from_env.permanent_rate, from_env.seed, from_env.permanent_variants) == (
        0.25,
        3,
        ("fo03",),
    )
    assert FaultConfig.from_env(environ={"KETENBRUG_SIM_FAULTS_JSON": '{"seed": 9}'}).seed == 9
    assert FaultConfig.from_env(environ={}).is_quiet


def test_same_seed_same_decisions() -> None:
    config = FaultConfig(transient_rate=0.2, permanent_rate=0.1, duplicate_rate=0.1, seed=42)
    first = [FaultInjector(config).decide() for _ in range(1)]  # fresh injector each time
    a, b = FaultInjector(config), FaultInjector(config)
    assert [a.decide() for _ in range(500)] == [b.decide() for _ in range(500)]
    assert first[0] == FaultInjector(config).decide()


def test_rates_are_honoured_and_counted() -> None:
    config = FaultConfig(transient_rate=0.10, permanent_rate=0.05, duplicate_rate=0.02, seed=1)
    injector = FaultInjector(config)
    decisions = [injector.decide("op") for _ in range(20_000)]
    transient = sum(d.is_transient for d in decisions)
    permanent = sum(d.is_permanent for d in decisions)
    duplicate = sum(d.duplicate for d in decisions)
    assert 1800 < transient < 2200
    assert 850 < permanent < 1150
    assert 250 < duplicate < 450
    counts = injector.counts()
    assert counts["calls"] == 20_000
    assert counts["transient"] == transient
    assert counts["permanent"] == permanent
    assert counts["duplicate"] == duplicate
    assert counts["op:op"] == transient + permanent
    assert sum(v for k, v in counts.items() if k.startswith("transient:")) == transient


def test_variants_follow_protocol_and_config() -> None:
    config = FaultConfig(transient_rate=1.0, seed=5, transient_variants=("disconnect", "fo02"))
    injector = FaultInjector(config)
    sftp = {injector.decide(transient_variants=("disconnect",)).variant for _ in range(50)}
    assert sftp == {"disconnect"}
    http = {injector.decide().variant for _ in range(50)}  # HTTP offers 5; config allows fo02
    assert http == {"fo02"}
    # nothing in common: the call goes through unharmed
    assert injector.decide(transient_variants=("reset",)).kind == "none"


def test_latency_and_jitter() -> None:
    injector = FaultInjector(FaultConfig(latency_ms=20, latency_jitter_ms=10, seed=2))
    latencies = {injector.decide().latency_ms for _ in range(200)}
    assert min(latencies) >= 20 and max(latencies) <= 30 and len(latencies) > 3
    assert injector.counts()["latency"] == 200


def test_configure_at_runtime_reseeds_and_resets_counts() -> None:
    injector = FaultInjector(FaultConfig(transient_rate=0.5, seed=3))
    before = [injector.decide() for _ in range(50)]
    injector.configure(FaultConfig(transient_rate=0.5, seed=3))
    assert injector.counts() == {}
    assert [injector.decide() for _ in range(50)] == before
    injector.configure(FaultConfig())
    assert injector.decide().kind == "none"


def test_thread_safe_counting() -> None:
    injector = FaultInjector(FaultConfig(transient_rate=0.3, seed=11))
    seen: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        hits = sum(injector.decide().is_transient for _ in range(2_000))
        with lock:
            seen.append(hits)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counts = injector.counts()
    assert counts["calls"] == 16_000
    assert counts["transient"] == sum(seen)
    # the seeded sequence is the same whatever the interleaving: the total is too
    single = FaultInjector(FaultConfig(transient_rate=0.3, seed=11))
    assert sum(single.decide().is_transient for _ in range(16_000)) == counts["transient"]

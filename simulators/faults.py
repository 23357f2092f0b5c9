"""Seeded, thread-safe fault injection shared by every simulator.

Why this exists: Ketenbrug's guarantees (nothing lost, nothing twice, retries by kind) can only
be shown against systems that misbehave the way real ones do: slow answers, HTTP 503s, dropped
connections, StUF Fo02/Fo03 faults, truncated files, files delivered twice. Every simulator
(HTTP/SOAP here, SFTP in ``simulators/sftp``) asks one :class:`FaultInjector` per call what to do,
so the knobs and the counters look the same everywhere.

The injector only *decides*; the simulator applies the decision in its own protocol:

* ``transient``: HTTP 503, connection reset, a hanging answer (timeout), a response lost after
  the request was processed, StUF Fo02 with a transient code, an SFTP disconnect.
* ``permanent``: StUF Fo03, a schema-invalid answer; for files: truncated, wrong checksum.
* ``duplicate``: the effect happens twice (a request processed twice, a file delivered twice).

Decisions come from one seeded ``random.Random`` drawing the same number of values per call, so
a single-threaded run with the same seed injects exactly the same faults in the same calls.
With several threads the *totals* stay statistically stable but the order is up to the scheduler.
"""

from __future__ import annotations

import json
import os
import random
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Literal

__all__ = [
    "HTTP_PERMANENT_VARIANTS",
    "HTTP_TRANSIENT_VARIANTS",
    "FaultConfig",
    "FaultDecision",
    "FaultInjector",
]

FaultKind = Literal["none", "transient", "permanent"]

#: Transient variants an HTTP/SOAP simulator knows how to apply.
HTTP_TRANSIENT_VARIANTS: tuple[str, ...] = (
    "http_503",  # 503 Service Unavailable, request not processed
    "reset",  # connection closed without an answer, request not processed
    "timeout",  # the answer hangs for ``hang_s`` seconds, request not processed
    "lost_response",  # request processed, then the connection is closed: the nasty one
    "fo02",  # SOAP fault Fo02 with a transient StUF code, request not processed
)
#: Permanent variants an HTTP/SOAP simulator knows how to apply.
HTTP_PERMANENT_VARIANTS: tuple[str, ...] = ("fo03", "schema_invalid")

_ENV_PREFIX = "KETENBRUG_SIM_FAULTS"


def _parse_variants(value: Any) -> tuple[str, ...] | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return tuple(str(part) for part in value)


@dataclass(frozen=True)
class FaultConfig:
    """What a simulator should do wrong, and how often.

    Rates are probabilities per call (0.0-1.0). ``transient_rate + permanent_rate`` may not exceed
    1: a call gets at most one of the two. ``duplicate_rate`` is drawn separately but applies only
    to calls that got neither (a failed call has no effect to duplicate).
    ``transient_variants`` / ``permanent_variants`` restrict which variants are used (None: every
    variant the simulator supports). ``hang_s`` is how long a "timeout" answer hangs.
    """

    latency_ms: int = 0
    latency_jitter_ms: int = 0
    transient_rate: float = 0.0
    permanent_rate: float = 0.0
    duplicate_rate: float = 0.0
    seed: int = 0
    transient_variants: tuple[str, ...] | None = None
    permanent_variants: tuple[str, ...] | None = None
    hang_s: float = 5.0

    def __post_init__(self) -> None:
        for name in ("transient_rate", "permanent_rate", "duplicate_rate"):
            rate = getattr(self, name)
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {rate!r}")
        if self.transient_rate + self.permanent_rate > 1.0 + 1e-9:
            raise ValueError("transient_rate + permanent_rate must not exceed 1")
        if self.latency_ms < 0 or self.latency_jitter_ms < 0 or self.hang_s < 0:
            raise ValueError("latency_ms, latency_jitter_ms and hang_s must not be negative")

    @property
    def is_quiet(self) -> bool:
        """True when the config injects nothing at all (the default)."""
        return (
            self.latency_ms == 0
            and self.latency_jitter_ms == 0
            and self.transient_rate == 0
            and self.permanent_rate == 0
            and self.duplicate_rate == 0
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaultConfig:
        """Build from a plain mapping (JSON body, YAML, kwargs); unknown keys are an error."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault setting(s): {', '.join(sorted(unknown))}")
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key in ("transient_variants", "permanent_variants"):
                kwargs[key] = _parse_variants(value)
            elif key in ("latency_ms", "latency_jitter_ms", "seed"):
                kwargs[key] = int(value)
            else:
                kwargs[key] = float(value)
        return cls(**kwargs)

    @classmethod
    def from_json(cls, text: str | bytes) -> FaultConfig:
        """Build from a JSON object, e.g. the body of ``POST /_admin/faults``."""
        data = json.loads(text or "{}")
        if not isinstance(data, dict):
            raise ValueError("fault config JSON must be an object")
        return cls.from_dict(data)

    @classmethod
    def from_env(
        cls, prefix: str = _ENV_PREFIX, environ: Mapping[str, str] | None = None
    ) -> FaultConfig:
        """Read ``<prefix>_JSON`` or per-field ``<prefix>_<FIELD>`` variables (upper case).

        Example: ``KETENBRUG_SIM_FAULTS_TRANSIENT_RATE=0.05 KETENBRUG_SIM_FAULTS_SEED=7``.
        """
        env = os.environ if environ is None else environ
        if env.get(f"{prefix}_JSON"):
            return cls.from_json(env[f"{prefix}_JSON"])
        data = {
            f.name: env[f"{prefix}_{f.name.upper()}"]
            for f in fields(cls)
            if env.get(f"{prefix}_{f.name.upper()}")
        }
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (tuples become lists)."""
        data = asdict(self)
        for key in ("transient_variants", "permanent_variants"):
            if data[key] is not None:
                data[key] = list(data[key])
        return data

    def with_changes(self, **changes: Any) -> FaultConfig:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)


@dataclass(frozen=True)
class FaultDecision:
    """What to do with one call. ``variant`` is empty when ``kind`` is ``none``."""

    kind: FaultKind = "none"
    variant: str = ""
    latency_ms: int = 0
    duplicate: bool = False

    @property
    def is_transient(self) -> bool:
        return self.kind == "transient"

    @property
    def is_permanent(self) -> bool:
        return self.kind == "permanent"


NO_FAULT = FaultDecision()


@dataclass
class _State:
    config: FaultConfig
    rng: random.Random
    counts: Counter[str] = field(default_factory=Counter)


class FaultInjector:
    """Decides per call which fault to inject; thread-safe; counts what it injected.

    ``counts()`` keys: ``calls``, ``latency``, ``transient``, ``permanent``, ``duplicate`` and one
    ``transient:<variant>`` / ``permanent:<variant>`` per variant, so tests can assert e.g. that
    exactly as many 503s were injected as the client retried.
    """

    def __init__(self, config: FaultConfig | None = None) -> None:
        self._lock = threading.Lock()
        cfg = config or FaultConfig()
        self._state = _State(cfg, random.Random(cfg.seed))

    @property
    def config(self) -> FaultConfig:
        with self._lock:
            return self._state.config

    def configure(self, config: FaultConfig, *, reset_counts: bool = True) -> None:
        """Replace the config at runtime and reseed, so a test starts from a known point."""
        with self._lock:
            counts = Counter[str]() if reset_counts else self._state.counts
            self._state = _State(config, random.Random(config.seed), counts)

    def reset_counts(self) -> None:
        with self._lock:
            self._state.counts.clear()

    def counts(self) -> dict[str, int]:
        """A snapshot of what was injected so far."""
        with self._lock:
            return dict(self._state.counts)

    def decide(
        self,
        operation: str = "",
        *,
        transient_variants: Iterable[str] = HTTP_TRANSIENT_VARIANTS,
        permanent_variants: Iterable[str] = HTTP_PERMANENT_VARIANTS,
    ) -> FaultDecision:
        """Decide what to do with one call.

        The caller passes the variants its protocol can apply (an SFTP simulator passes e.g.
        ``("disconnect",)`` and ``("truncated", "bad_checksum")``); the config may narrow them
        further. Always four random draws per call, whatever the outcome, to stay reproducible.
        ``operation`` is counted as ``op:<operation>`` so tests can see which calls were hit.
        """
        supported_t = tuple(transient_variants)
        supported_p = tuple(permanent_variants)
        with self._lock:
            cfg = self._state.config
            rng = self._state.rng
            counts = self._state.counts
            counts["calls"] += 1
            if cfg.is_quiet:
                return NO_FAULT
            u_kind, u_variant, u_dup, u_latency = (rng.random() for _ in range(4))
            latency = cfg.latency_ms + int(u_latency * (cfg.latency_jitter_ms + 1))
            kind: FaultKind = "none"
            variant = ""
            if u_kind < cfg.transient_rate:
                pool = _narrow(supported_t, cfg.transient_variants)
                if pool:
                    kind, variant = "transient", pool[int(u_variant * len(pool))]
            elif u_kind < cfg.transient_rate + cfg.permanent_rate:
                pool = _narrow(supported_p, cfg.permanent_variants)
                if pool:
                    kind, variant = "permanent", pool[int(u_variant * len(pool))]
            duplicate = kind == "none" and u_dup < cfg.duplicate_rate
            if latency:
                counts["latency"] += 1
            if kind != "none":
                counts[kind] += 1
                counts[f"{kind}:{variant}"] += 1
                if operation:
                    counts[f"op:{operation}"] += 1
            if duplicate:
                counts["duplicate"] += 1
            return FaultDecision(kind, variant, latency, duplicate)


def _narrow(supported: tuple[str, ...], wanted: tuple[str, ...] | None) -> tuple[str, ...]:
    if wanted is None:
        return supported
    return tuple(v for v in supported if v in wanted)

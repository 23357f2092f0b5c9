"""${Name}'s registry entry (``adapters.registry``): the one place Ketenbrug learns of it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.registry import AdapterRegistration, BuiltTarget, Pool, TargetContext

if TYPE_CHECKING:  # the registry is read while DAG files are parsed: import lazily
    from adapters.${name}.config import ${Name}Config

SYSTEM = "${name}"

__all__ = ["REGISTRATION"]


def target(config: ${Name}Config, _context: TargetContext) -> BuiltTarget:
    from adapters.${name}.target import ${Name}Target

    built = ${Name}Target(config)
    return BuiltTarget(built, [built.close])


def probe(config: ${Name}Config) -> None:
    """One cheap call that changes nothing: the hook's test_connection."""
    raise NotImplementedError("${name}: probe is not written yet")


REGISTRATION = AdapterRegistration(
    system=SYSTEM,
    title="${Name}",
    pool=Pool(SYSTEM, 2, "${Name}: parallelle aanroepen"),
    hook="adapters.${name}.hook:${Name}Hook",
    conn_id="ketenbrug_${name}",
    # The key is the flow this target serves: change it to "zaken" or "documenten" (and let
    # that flow plan operations for "${name}") once the contract kit is green.
    targets={"${name}": "adapters.${name}.plugin:target"},
    probe="adapters.${name}.plugin:probe",
    simulator="simulators.${name}:${Name}Simulator",
    contract="tests.adapters_${name}.harness:${Name}Harness",
    ui_behaviour={
        "hidden_fields": ["login", "password"],
        "relabeling": {"schema": "Protocol (http/https)"},
        "placeholders": {"host": "${name}.gemeente.local", "extra": '{"path": "/api"}'},
    },
)

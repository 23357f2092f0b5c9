"""The adapter contract kit: what every adapter in the registry must do, asked the same way.

Use it from any adapter's tests (``ketenbrug new-adapter`` writes such a module)::

    from tests.contract.kit import contract_cases, run_case

    @pytest.mark.parametrize("case", contract_cases(["adapters.zgw.plugin"]))
    def test_contract(case: Case, request: pytest.FixtureRequest, tmp_path: Path) -> None:
        run_case(case, request, tmp_path)

``tests/contract/test_contract.py`` runs it over every built-in registration. Structural checks
need nothing running; behavioural ones start the adapter's simulator on loopback through its
contract harness (``tests/contract/harnesses.py``) and inject faults through the simulator.
Checks that do not apply to an adapter (source checks for a target-only system) are not
generated at all, so nothing is skipped.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, is_dataclass
from pathlib import Path
from typing import Any

import pytest

from adapters.base import Operation, RecordError, Source, SourceRecord, Target, content_hash
from adapters.errors import AlreadyExistsError, AmbiguousWriteError, PermanentError, TransientError
from adapters.registry import BUILTIN, AdapterRegistration, TargetContext, load
from mappings.tables import DEFAULT_DIR
from privacy.masking import mask_text
from tests.contract.harnesses import BSN, Harness

__all__ = ["CHECKS", "Case", "contract_cases", "run_case"]


@dataclass(frozen=True)
class Case:
    plugin: str
    check: str

    def __str__(self) -> str:
        return f"{self.plugin.split('.')[-2]}-{self.check}"


def _registration(plugin: str) -> AdapterRegistration:
    registration = importlib.import_module(plugin).REGISTRATION
    assert isinstance(registration, AdapterRegistration), f"{plugin}.REGISTRATION"
    return registration


# --------------------------------------------------------------------------- helpers
def _no_bsn(*texts: object) -> None:
    """The mask check: masking changes nothing, and the harness's BSN is nowhere."""
    for text in texts:
        shown = str(text)
        assert BSN not in shown, f"BSN in {shown[:200]!r}"
        assert mask_text(shown) == shown, f"a BSN-like number in {shown[:200]!r}"


def _log_texts(records: list[logging.LogRecord]) -> list[str]:
    """Ketenbrug's own log lines (libraries' DEBUG lines carry random numbers that can pass
    the elfproef; they are checked for the harness's BSN itself)."""
    for record in records:
        assert BSN not in record.getMessage(), f"BSN in a {record.name} log line"
    own = ("adapters", "sync", "stuf", "mappings")
    return [r.getMessage() for r in records if r.name.split(".")[0] in own]


def _config(registration: AdapterRegistration, connection: dict[str, Any]) -> Any:
    """The adapter's config from a Connection, the way a task gets it (AIRFLOW_CONN_<ID>)."""
    assert registration.conn_id, f"{registration.system}: no conn_id"
    name = f"AIRFLOW_CONN_{registration.conn_id.upper()}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(name, json.dumps(connection))
        return registration.hook_class()().get_config()


def _target(registration: AdapterRegistration, harness: Harness, connection: Any = None) -> Target:
    target = harness.target(_config(registration, connection or harness.connection()))
    assert isinstance(target, Target)
    return target


def _guarded_write(target: Target, operation: Operation) -> None:
    """What the engine does with an operation found in flight: check, then write if missing."""
    if not target.is_applied(operation):
        with contextlib.suppress(AlreadyExistsError):
            target.apply(operation)


def _texts(error: BaseException) -> list[str]:
    return [str(error), repr(error), getattr(error, "message", "")]


@contextlib.contextmanager
def _logs(records: list[logging.LogRecord]) -> Iterator[None]:
    """Every log record made meanwhile, whatever logger (DEBUG and up)."""

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler, root = Keep(logging.DEBUG), logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


# --------------------------------------------------------------------------- structural
def check_registration(registration: AdapterRegistration, _harness: None) -> None:
    """Complete and loadable: pool per system, every dotted name resolves, tables exist."""
    assert registration.system and registration.system == registration.system.lower()
    assert registration.pool.name == registration.system, "one pool per system, named after it"
    assert registration.pool.slots >= 1 and registration.pool.description
    assert registration.targets or registration.sources, "neither a source nor a target"
    names = [
        registration.hook,
        registration.probe,
        registration.bsn_lookup,
        registration.simulator,
        registration.contract,
        *registration.targets.values(),
        *(spec.factory for spec in registration.sources),
    ]
    for dotted in filter(None, names):
        assert callable(load(dotted)), f"{dotted} is not callable"
    for table in registration.mapping_tables:
        assert (Path(str(DEFAULT_DIR)) / table).is_file(), f"mapping table {table} missing"
    if registration.hook:
        assert registration.contract, "an adapter with a Connection needs a contract harness"


def check_hook_shape(registration: AdapterRegistration, _harness: None) -> None:
    """The hook is an Airflow hook with the Connection form and the test button."""
    from airflow.sdk import BaseHook

    hook = registration.hook_class()
    assert issubclass(hook, BaseHook)
    assert hook.default_conn_name == registration.conn_id
    behaviour = hook.get_ui_field_behaviour()
    assert set(behaviour) == {"hidden_fields", "relabeling", "placeholders"}
    assert callable(hook.test_connection) and callable(hook.get_config)


def check_no_simulator_import(registration: AdapterRegistration, _harness: None) -> None:
    """Production code never imports a test double (simulators/)."""
    package = importlib.import_module(registration.hook.split(":")[0].rsplit(".", 1)[0])
    folder = Path(package.__file__ or "").parent
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            modules = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not any(m.split(".")[0] == "simulators" for m in modules), path


# --------------------------------------------------------------------------- the hook
def check_hook_connection(registration: AdapterRegistration, harness: Harness) -> None:
    """Connection -> frozen config; test_connection says yes to the simulator, no to a dead port."""
    config = _config(registration, harness.connection())
    assert is_dataclass(config) and type(config).__dataclass_params__.frozen  # type: ignore[attr-defined]
    hook = registration.hook_class()
    with pytest.MonkeyPatch.context() as patch:
        name = f"AIRFLOW_CONN_{(registration.conn_id or '').upper()}"
        patch.setenv(name, json.dumps(harness.connection()))
        ok, message = hook().test_connection()
        assert ok, message
        patch.setenv(name, json.dumps(harness.unreachable_connection()))
        ok, message = hook().test_connection()
        assert not ok and message
        _no_bsn(message)


def check_factories(registration: AdapterRegistration, harness: Harness) -> None:
    """The registered target factories build a Target from the hook's config."""
    config = _config(registration, harness.connection())
    for flow, dotted in registration.targets.items():
        built = load(dotted)(config, TargetContext(settings=None, dossier_bsn=lambda _z: BSN))
        try:
            assert isinstance(built.target, Target), flow
            assert built.target.system == registration.system
        finally:
            for close in built.closers:
                close()


# --------------------------------------------------------------------------- targets
def check_is_applied_exactly_after_apply(registration: AdapterRegistration, h: Harness) -> None:
    target, operation = _target(registration, h), h.operation()
    assert not target.is_applied(operation)
    assert h.effects(operation) == 0
    target.apply(operation)
    assert target.is_applied(operation)
    assert h.effects(operation) == 1


def check_idempotent_write(registration: AdapterRegistration, h: Harness) -> None:
    """Applied twice (as the engine would, after a crash) -> one effect."""
    target, operation = _target(registration, h), h.operation()
    if h.apply_is_idempotent:
        target.apply(operation)
        with contextlib.suppress(AlreadyExistsError):
            target.apply(operation)
    else:
        _guarded_write(target, operation)
        _guarded_write(_target(registration, h), operation)  # a later run, a fresh target
    assert h.effects(operation) == 1


def _faulted(
    registration: AdapterRegistration, h: Harness, kind: Any
) -> tuple[Operation, BaseException]:
    records: list[logging.LogRecord] = []
    with _logs(records), h.fault(kind) as connection:
        operation = h.operation()
        target = _target(registration, h, connection)
        with pytest.raises(Exception) as caught:
            target.apply(operation)
    _no_bsn(*_texts(caught.value), *_log_texts(records))
    return operation, caught.value


def check_transient_error(registration: AdapterRegistration, h: Harness) -> None:
    """A transient fault raises TransientError; once it is gone the write lands once."""
    operation, error = _faulted(registration, h, "transient")
    assert isinstance(error, TransientError), repr(error)
    _guarded_write(_target(registration, h), operation)
    assert h.effects(operation) == 1


def check_permanent_error(registration: AdapterRegistration, h: Harness) -> None:
    """A permanent fault raises PermanentError with a reason (a dead letter), no effect."""
    operation, error = _faulted(registration, h, "permanent")
    assert isinstance(error, PermanentError), repr(error)
    assert (error.reason and error.reason != "permanent") or isinstance(error, PermanentError)
    assert h.effects(operation) == 0


def check_lost_answer(registration: AdapterRegistration, h: Harness) -> None:
    """A write whose answer was lost: AmbiguousWriteError (or, for an idempotent apply, at
    least transient); the engine's check-then-write afterwards leaves exactly one effect."""
    operation, error = _faulted(registration, h, "lost_response")
    if h.apply_is_idempotent:
        assert isinstance(error, TransientError), repr(error)
    else:
        assert isinstance(error, AmbiguousWriteError), repr(error)
    _guarded_write(_target(registration, h), operation)
    assert h.effects(operation) == 1


def check_target_logs_no_bsn(registration: AdapterRegistration, h: Harness) -> None:
    """A whole write, logged at DEBUG, never shows the BSN the operation carries."""
    records: list[logging.LogRecord] = []
    with _logs(records):
        target, operation = _target(registration, h), h.operation()
        target.apply(operation)
        target.is_applied(operation)
    _no_bsn(*_log_texts(records))


# --------------------------------------------------------------------------- sources
def _source(registration: AdapterRegistration, h: Harness, connection: Any = None) -> Source:
    source = h.source(_config(registration, connection or h.connection()))
    assert isinstance(source, Source) and source.system == registration.system
    return source


def _keys(records: Iterable[SourceRecord | RecordError]) -> list[tuple[str, str]]:
    return [
        (r.key, content_hash(r.data) if isinstance(r, SourceRecord) else r.error.reason)
        for r in records
    ]


def check_stable_keys(registration: AdapterRegistration, h: Harness) -> None:
    """The same change read twice (nothing committed in between) has the same key."""
    h.produce(10)
    first = _source(registration, h).read_batch(None, 100)
    second = _source(registration, h).read_batch(None, 100)
    assert first is not None and second is not None and first.records
    assert _keys(first.records) == _keys(second.records)
    assert len({key for key, _ in _keys(first.records)}) == len(first.records), "keys unique"


def check_cursor_monotonic(registration: AdapterRegistration, h: Harness) -> None:
    """Batch after batch, the cursor only moves forward, and every record comes once."""
    for _ in range(3):
        h.produce(7)
    source = _source(registration, h)
    cursor: str | None = None
    seen: list[str] = []
    orders: list[Any] = []
    for _ in range(50):
        batch = source.read_batch(cursor, 4)
        if batch is None:
            break
        seen.extend(r.key for r in batch.records)
        source.after_commit(batch)
        if batch.cursor_after is not None:
            orders.append(h.cursor_order(batch.cursor_after))
            cursor = batch.cursor_after
    assert len(orders) >= 3, "expected several batches"
    assert orders == sorted(orders) and len(set(map(str, orders))) == len(orders)
    assert len(seen) == len(set(seen))


def check_source_errors(registration: AdapterRegistration, h: Harness) -> None:
    """A dropped line is TransientError; an unreadable input a permanent RecordError; no BSN."""
    records: list[logging.LogRecord] = []
    texts: list[str] = []
    with _logs(records), h.source_fault("transient") as connection:
        with pytest.raises(TransientError) as caught:
            source = _source(registration, h, connection)
            while source.read_batch(None, 1000) is not None:
                pass
        texts += _texts(caught.value)
    permanent: list[RecordError] = []
    with _logs(records), h.source_fault("permanent") as connection:
        source = _source(registration, h, connection)
        cursor = None
        while (batch := source.read_batch(cursor, 1000)) is not None and not permanent:
            permanent += [r for r in batch.records if isinstance(r, RecordError)]
            source.after_commit(batch)
            cursor = batch.cursor_after
    assert permanent, "an unreadable input gave no RecordError"
    for error in permanent:
        assert isinstance(error.error, PermanentError) and error.error.reason
        texts += _texts(error.error)
    _no_bsn(*texts, *_log_texts(records))


STRUCTURAL: dict[str, Callable[[AdapterRegistration, None], None]] = {
    "registration": check_registration,
}
WITH_HOOK: dict[str, Callable[[AdapterRegistration, None], None]] = {
    "hook_shape": check_hook_shape,
    "no_simulator_import": check_no_simulator_import,
}
HOOK_LIVE: dict[str, Callable[[AdapterRegistration, Harness], None]] = {
    "hook_connection": check_hook_connection,
}
TARGET: dict[str, Callable[[AdapterRegistration, Harness], None]] = {
    "factories": check_factories,
    "is_applied": check_is_applied_exactly_after_apply,
    "idempotent_write": check_idempotent_write,
    "transient_error": check_transient_error,
    "permanent_error": check_permanent_error,
    "lost_answer": check_lost_answer,
    "no_bsn_in_logs": check_target_logs_no_bsn,
}
SOURCE: dict[str, Callable[[AdapterRegistration, Harness], None]] = {
    "stable_keys": check_stable_keys,
    "cursor_monotonic": check_cursor_monotonic,
    "source_errors": check_source_errors,
}
CHECKS: dict[str, Callable[..., None]] = {
    **STRUCTURAL,
    **WITH_HOOK,
    **HOOK_LIVE,
    **TARGET,
    **SOURCE,
}
_NEEDS_HARNESS = {*HOOK_LIVE, *TARGET, *SOURCE}


def contract_cases(plugins: Iterable[str] = BUILTIN) -> list[Any]:
    """One pytest param per (adapter, check) that applies to the adapter."""
    cases: list[Any] = []
    for plugin in plugins:
        registration = _registration(plugin)
        names = list(STRUCTURAL)
        if registration.hook:
            names += [*WITH_HOOK, *HOOK_LIVE]
        if registration.targets:
            names += list(TARGET)
        own = f"adapters.{registration.system}."  # not Ketenbrug's own walks (the e-Suite's)
        if any(
            spec.kind == "cursor" and (spec.factory or "").startswith(own)
            for spec in registration.sources
        ):
            names += list(SOURCE)
        for name in names:
            case = Case(plugin, name)
            cases.append(pytest.param(case, id=str(case)))
    return cases


def run_case(case: Case, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """Run one check; start the adapter's simulator first when the check needs it."""
    registration = _registration(case.plugin)
    check = CHECKS[case.check]
    if case.check not in _NEEDS_HARNESS:
        check(registration, None)
        return
    assert registration.contract, f"{registration.system}: no contract harness named"
    harness: Harness = load(registration.contract)(request, tmp_path)
    harness.start()
    try:
        check(registration, harness)
    finally:
        harness.stop()

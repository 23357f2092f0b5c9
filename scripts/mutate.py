#!/usr/bin/env python3
"""A small mutation run: break one guarantee at a time and check that the tests notice.

Each :class:`Mutation` below names a file, an exact source snippet, its replacement, the tests
that must fail ("kill" it) and the guarantee it breaks. For each mutation the runner copies the
repository (``git ls-files`` plus untracked, not-ignored files, as they are in the working tree;
no ``.venv``, no ``.git``) to a temporary folder, applies the mutation there, and runs the named
tests with the project's ``.venv`` python, ``cwd`` and ``PYTHONPATH`` set to the copy. The venv
has the project installed editable (pointing at the real checkout) through a meta-path finder
that comes *after* the normal path search, so the copy wins; the runner checks that (every
top-level package must import from the copy) before it trusts a result.

Before any mutation, the same tests run once on the unmutated copy: a test that fails there
would "kill" every mutation and prove nothing, so the run stops.

A snippet that is not found exactly once is an error (the list drifted from the code): the run
fails loudly, it never skips. To add a mutation, append a :class:`Mutation` to ``MUTATIONS``.

Usage::

    scripts/mutate.py --all             # every mutation; writes docs/mutation.md
    scripts/mutate.py --smoke           # the few most important (CI)
    scripts/mutate.py --only NAME ...   # chosen mutations
    scripts/mutate.py --list
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("adapters", "mappings", "simulators", "stuf", "sync")
REPORT = REPO / "docs" / "mutation.md"
PYTEST = ("-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "--no-header")
TEST_TIMEOUT_S = 900


@dataclass(frozen=True)
class Mutation:
    """One guarantee-breaking change: ``snippet`` in ``file`` becomes ``replacement``."""

    name: str
    area: str
    guarantee: str
    file: str
    snippet: str
    replacement: str
    tests: tuple[str, ...]  # pytest arguments (paths, node ids, -k ...)
    smoke: bool = False


# fmt: off
MUTATIONS: list[Mutation] = [
    # ---------------------------------------------------------------- engine
    Mutation(
        "engine-cursor-despite-deferral", "engine/cursor",
        "the cursor does not move past a batch with deferred records",
        "sync/engine.py",
        "if cursor_source is not None and batch.cursor_after is not None and not out.deferred:",
        "if cursor_source is not None and batch.cursor_after is not None:",
        ("tests/sync/test_engine_cursor.py",),
        smoke=True,
    ),
    Mutation(
        "engine-no-check-of-in-flight", "engine",
        "an operation left in_flight by a crashed run is checked (is_applied) before writing",
        "sync/engine.py",
        "needs_check = entry is not None and entry.state == LedgerState.IN_FLIGHT",
        "needs_check = False",
        ("tests/sync/test_engine.py", "tests/sync/test_engine_intent.py"),
        smoke=True,
    ),
    Mutation(
        "engine-intent-not-in-flight", "engine",
        "intent: every operation is recorded in_flight before it is written",
        "sync/engine.py",
        "        entry.state = LedgerState.IN_FLIGHT\n        entry.content_hash = digest",
        "        entry.state = LedgerState.PENDING\n        entry.content_hash = digest",
        ("tests/sync/test_engine_intent.py",),
    ),
    Mutation(
        "engine-ambiguous-not-checked", "engine",
        "a write whose answer was lost is checked before it is retried",
        "sync/engine.py",
        "                must_check = True\n                raise",
        "                must_check = False\n                raise",
        ("tests/sync/test_engine.py",),
    ),
    Mutation(
        "engine-already-exists-dead", "engine",
        "a create refused because the object exists counts as delivered, not a dead letter",
        "sync/engine.py",
        "        except AlreadyExistsError:\n            pass",
        "        except AlreadyExistsError as error:\n"
        "            return LedgerState.DEAD, PermanentError(str(error))",
        ("tests/sync/test_already_exists.py",),
    ),
    Mutation(
        "esuite-exists-fault-rejected", "engine",
        "the e-Suite's Fo03 'Zaak ... bestaat al' for a zaak it has is AlreadyExistsError",
        "adapters/esuite/target.py",
        "                    raise AlreadyExistsError(str(error), system=SYSTEM) from error",
        "                    raise",
        ("tests/sync/test_already_exists.py",),
    ),
    Mutation(
        "engine-deferred-as-delivered", "engine",
        "a write whose transient faults outlast the retries is deferred, never counted delivered",
        "sync/engine.py",
        "            return _DEFERRED, None",
        "            return LedgerState.DELIVERED, None",
        ("tests/sync/test_engine.py",),
    ),
    Mutation(
        "engine-later-writes-do-not-wait", "engine/order",
        "after a deferral, later writes to the same object wait (order holds)",
        "sync/engine.py",
        "                if deferred:\n                    results[index] = (item, _BLOCKED, None)",
        "                if False:\n                    results[index] = (item, _BLOCKED, None)",
        ("tests/sync/test_engine.py",),
    ),
    Mutation(
        "engine-older-status-written", "engine/order",
        "a status older than one delivered is never written over the newer one",
        "sync/engine.py",
        "if unwritten and current is not None and value < current:",
        "if False:",
        ("tests/sync/test_engine.py",),
    ),
    # ---------------------------------------------------------------- inbox
    Mutation(
        "inbox-answer-before-store", "inbox",
        "a pushed message is stored before it is answered Bv03",
        "sync/inbox.py",
        "        message_id = self._commit(row)\n"
        "        return self._bv03(sender, decoded.referentienummer, message_id)",
        "        message_id = 0\n"
        "        return self._bv03(sender, decoded.referentienummer, message_id)",
        ("tests/sync/test_inbox.py",),
        smoke=True,
    ),
    Mutation(
        "inbox-deferred-not-returned", "inbox",
        "a deferred message goes back to the pool (unclaimed, still received)",
        "sync/inbox.py",
        "        if deferred_refs:\n            session.execute(",
        "        if False:\n            session.execute(",
        ("tests/sync/test_inbox_deferred.py",),
        smoke=True,
    ),
    Mutation(
        "inbox-duplicate-stored-twice", "inbox",
        "an exact duplicate push is stored once",
        "sync/inbox.py",
        "            partition=partition_hash(decoded.zaak_identificatie),\n"
        "            content_hash=digest,",
        "            partition=partition_hash(decoded.zaak_identificatie),\n"
        "            content_hash=__import__('os').urandom(32).hex(),",
        ("tests/sync/test_inbox.py",),
    ),
    Mutation(
        "inbox-dead-marked-processed", "inbox",
        "a message whose record became a dead letter is marked dead, not processed",
        "sync/inbox.py",
        "        if dead_refs:\n            session.execute(",
        "        if False:\n            session.execute(",
        ("tests/sync/test_inbox_deferred.py",),
    ),
    # ---------------------------------------------------------------- resend
    Mutation(
        "resend-transition-without-cas", "resend",
        "a resend request or skip changes a letter only from an allowed state (compare-and-set)",
        "sync/resend.py",
        ".where(DeadLetter.id == letter_id, DeadLetter.state.in_(allowed))",
        ".where(DeadLetter.id == letter_id)",
        ("tests/sync/test_resend.py", "tests/sync/test_resend_safety.py"),
    ),
    Mutation(
        "resend-deferred-marked-resent", "resend",
        "a resend that was deferred leaves the letter open (requestable again)",
        "sync/resend.py",
        'if any(state in ("deferred", "pending", None) for state in states):',
        "if False:",
        ("tests/sync/test_resend_safety.py",),
    ),
    Mutation(
        "resend-claim-without-cas", "resend",
        "two runs that saw the same resend request claim it once (compare-and-set on the row)",
        "sync/resend.py",
        "                .where(_claimable(candidate, now))",
        "                .where(DeadLetter.id == candidate.letter_id)",
        ("tests/sync/test_resend_safety.py",),
        smoke=True,
    ),
    Mutation(
        "resend-failed-run-keeps-claims", "resend",
        "a resend run that fails gives its remaining claims back at once",
        "sync/resend.py",
        "        for letter_id in pending:  # an unexpected error",
        "        for letter_id in []:  # an unexpected error",
        ("tests/sync/test_resend_safety.py",),
    ),
    # ---------------------------------------------------------------- claims (work batches)
    Mutation(
        "batch-commit-without-owner-check", "claims",
        "a run whose batch claim was taken over cannot commit its outcome",
        "sync/inbox.py",
        "                WorkBatch.id == batch_id,\n"
        "                WorkBatch.owner == self.owner,\n"
        "                WorkBatch.state == BatchState.OPEN,\n            )\n"
        "            .values(state=BatchState.COMMITTED, committed_at=now)",
        "                WorkBatch.id == batch_id,\n            )\n"
        "            .values(state=BatchState.COMMITTED, committed_at=now)",
        ("tests/sync/test_work_batches.py",),
    ),
    Mutation(
        "batch-busy-zaak-claimed", "claims",
        "a zaak held by one open batch is not claimed into a second one (no writes side by side)",
        "sync/inbox.py",
        "InboxMessage.ordering_key.not_in(self._busy_objects()),",
        "InboxMessage.ordering_key.is_not(None),",
        ("tests/sync/test_work_batches.py",),
        smoke=True,
    ),
    Mutation(
        "batch-live-claim-released", "claims",
        "a batch whose owner still runs and renews is never released to another drain",
        "sync/inbox.py",
        "            if not expired and not claims.owner_is_dead(owner):\n                continue",
        "            if False:\n                continue",
        ("tests/sync/test_work_batches.py",),
    ),
    Mutation(
        "engine-supersede-only-new", "engine",
        "a pending or deferred change older than a delivered one is superseded, not written late",
        "sync/engine.py",
        "unwritten = entry is None or entry.state in (LedgerState.PENDING, LedgerState.IN_FLIGHT)",
        "unwritten = entry is None",
        ("tests/sync/test_order_kept.py",),
    ),
    Mutation(
        "engine-in-flight-newer-ignored", "engine",
        "an older change waits while a newer one of its object is in flight elsewhere",
        "sync/engine.py",
        "            if unwritten and elsewhere is not None and value < elsewhere:",
        "            if False:",
        ("tests/sync/test_order_kept.py",),
    ),
    Mutation(
        "resend-deferred-left-in-flight", "resend",
        "a deferred resend parks its writes with the open letter (dead), not in flight for good",
        "sync/resend.py",
        "        if state == DeadLetterState.OPEN:\n            # Open again",
        "        if False:\n            # Open again",
        ("tests/sync/test_resend_safety.py",),
    ),
    Mutation(
        "engine-landed-newer-not-settled", "engine",
        "a newer change in flight that landed is found before older ones of its object are written",
        "sync/engine.py",
        "            decided = self._settle_landed([planned[index] for index in indexes])",
        "            decided: dict[int, WriteState] = {}",
        ("tests/sync/test_order_kept.py",),
    ),
    Mutation(
        "engine-future-date-accepted", "engine",
        "a change dated implausibly far in the future is a dead letter",
        "sync/engine.py",
        "        if moment > limit:",
        "        if False:",
        ("tests/sync/test_future_dates.py",),
    ),
    # ---------------------------------------------------------------- cursor (Allegro)
    Mutation(
        "documenten-archive-despite-deferral", "cursor",
        "an Allegro document export with a deferred document is not archived: it comes back",
        "sync/drain.py",
        "        if outcome.deferred:\n            yield",
        "        if False:\n            yield",
        ("tests/sync/test_allegro_documenten_cursor.py",),
    ),
    # ---------------------------------------------------------------- checksum
    Mutation(
        "sftp-upload-sha-not-compared", "checksum",
        "an SFTP upload (Xtendis, MyLex) whose SHA-256 differs from the source publishes nothing",
        "adapters/sftp/pinned.py",
        "if expected_sha256 is not None and actual != expected_sha256:",
        "if False:",
        ("tests/adapters_mylex/test_client.py", "tests/adapters_xtendis/test_client.py"),
    ),
    Mutation(
        "allegro-download-sha-not-compared", "checksum",
        "a document downloaded from Allegro is published only when its SHA-256 and size match",
        "adapters/allegro/document_download.py",
        "good = (sha256, size) == (row.sha256, row.omvang)",
        "good = True",
        ("tests/adapters_allegro/test_documents.py", "-k", "checksum"),
    ),
    Mutation(
        "blob-size-not-compared", "checksum",
        "a blob of another size than its record says is refused before a byte is sent",
        "adapters/document.py",
        "        if actual != self.size:\n            handle.close()",
        "        if False:\n            handle.close()",
        ("tests/sync/test_document_content.py",),
    ),
    # ---------------------------------------------------------------- masking
    Mutation(
        "mask-text-off", "masking",
        "every nine-digit number in free text is masked (Fo texts, dead letters, logs)",
        "privacy/masking.py",
        "    return _BSN_IN_TEXT.sub(_mask_match, text)",
        "    return text",
        ("tests/sync/test_inbox_fo_privacy.py",),
        smoke=True,
    ),
    Mutation(
        "mask-bsn-shows-all", "masking",
        "a masked BSN shows its last four digits only",
        "privacy/masking.py",
        '    return "*" * max(len(value) - 4, 0) + value[-4:]',
        "    return value",
        ("tests/sync/test_inbox_fo_privacy.py",),
    ),
    Mutation(
        "log-filter-not-masking", "masking",
        "the logging filter masks BSNs in every log line",
        "privacy/masking.py",
        "        if masked != message:\n            record.msg = masked",
        "        if False:\n            record.msg = masked",
        ("tests/stuf/test_privacy_filter.py",),
    ),
    Mutation(
        "log-filter-traceback-not-masked", "masking",
        "the logging filter masks BSNs in a logged traceback",
        "privacy/masking.py",
        "        if record.exc_text:\n            record.exc_text = mask_text(record.exc_text)",
        "        if False:\n            record.exc_text = mask_text(record.exc_text)",
        ("tests/stuf/test_privacy_filter.py",),
    ),
    # ---------------------------------------------------------------- XML safety
    Mutation(
        "xml-entities-resolved", "xml",
        "the XML parser expands no entity and reads no external entity",
        "stuf/xml.py",
        "resolve_entities=False,",
        "resolve_entities=True,",
        ("tests/stuf/test_parser_behaviour.py",),
    ),
    Mutation(
        "xml-dtd-loaded", "xml",
        "the XML parser loads no external DTD",
        "stuf/xml.py",
        "load_dtd=False,",
        "load_dtd=True,",
        ("tests/stuf/test_parser_behaviour.py",),
    ),
]
# fmt: on


# ---------------------------------------------------------------------- the copy
def repository_files(repo: Path = REPO) -> list[str]:
    """Tracked and untracked-but-not-ignored files that exist in the working tree."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=repo,
        check=True,
        capture_output=True,
    ).stdout.decode()
    files = []
    for name in sorted(set(filter(None, listed.split("\0")))):
        parts = Path(name).parts
        if parts[0] in (".venv", ".git") or "__pycache__" in parts:
            continue
        if (repo / name).is_file():
            files.append(name)
    return files


def copy_repository(target: Path, files: Sequence[str], repo: Path = REPO) -> None:
    for name in files:
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(repo / name, destination)


def mutated_source(mutation: Mutation, root: Path) -> str:
    """The mutated text of ``mutation.file`` under ``root``; the snippet must occur once."""
    path = root / mutation.file
    if not path.is_file():
        raise SystemExit(f"mutation {mutation.name}: {mutation.file} does not exist (list drifted)")
    source = path.read_text()
    found = source.count(mutation.snippet)
    if found != 1:
        raise SystemExit(
            f"mutation {mutation.name}: snippet found {found} times in {mutation.file}, "
            "expected exactly once: the list drifted from the code, update it"
        )
    mutated = source.replace(mutation.snippet, mutation.replacement)
    try:  # a mutant that does not even compile would be "killed" by anything: refuse it
        compile(mutated, str(path), "exec")
    except SyntaxError as error:
        raise SystemExit(f"mutation {mutation.name} does not compile: {error}") from None
    return mutated


def apply(mutation: Mutation, root: Path) -> None:
    """Apply ``mutation`` in the copy at ``root``."""
    (root / mutation.file).write_text(mutated_source(mutation, root))


def environment(root: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    env["PYTHONPATH"] = str(root)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("PYTHONHOME", None)
    return env


def python() -> str:
    venv = REPO / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def check_imports_from(root: Path) -> None:
    """Every top-level package must be imported from ``root``, not the editable checkout."""
    code = "import importlib\nfor name in %r:\n    print(importlib.import_module(name).__file__)"
    result = subprocess.run(
        [python(), "-c", code % (PACKAGES,)],
        cwd=root,
        env=environment(root),
        capture_output=True,
        text=True,
        check=False,
    )
    files = result.stdout.split()
    resolved = root.resolve()
    if (
        result.returncode != 0
        or len(files) != len(PACKAGES)
        or not all(Path(f).resolve().is_relative_to(resolved) for f in files)
    ):
        raise SystemExit(
            f"the copy's code is not what gets imported ({files or result.stderr.strip()}); "
            "results would be meaningless"
        )


@dataclass
class TestRun:
    passed: bool
    seconds: float
    tail: str


def run_tests(root: Path, tests: Sequence[str]) -> TestRun:
    started = time.monotonic()
    try:
        result = subprocess.run(
            [python(), *PYTEST, *tests],
            cwd=root,
            env=environment(root),
            capture_output=True,
            text=True,
            timeout=TEST_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return TestRun(False, time.monotonic() - started, "timeout")
    output = (result.stdout + result.stderr).strip().splitlines()
    failed = [line for line in output if line.startswith(("FAILED", "ERROR"))]
    tail = "; ".join(failed[:3]) or (output[-1] if output else "")
    return TestRun(result.returncode == 0, time.monotonic() - started, tail)


# ---------------------------------------------------------------------- the run
@dataclass
class Result:
    mutation: Mutation
    killed: bool
    seconds: float
    by: str = ""


@dataclass
class Run:
    results: list[Result] = field(default_factory=list)

    @property
    def killed(self) -> int:
        return sum(result.killed for result in self.results)


def _test_paths(tests: Sequence[str]) -> list[str]:
    """The path arguments of a test selection (for the baseline run: no ``-k``)."""
    paths, skip = [], False
    for arg in tests:
        if skip:
            skip = False
        elif arg in ("-k", "-m"):
            skip = True
        elif not arg.startswith("-"):
            paths.append(arg)
    return paths


def run_mutations(mutations: Sequence[Mutation], *, verbose: bool = True) -> Run:
    files = repository_files()
    with tempfile.TemporaryDirectory(prefix="ketenbrug-mutate-") as temp:
        pristine = Path(temp) / "pristine"
        copy_repository(pristine, files)
        check_imports_from(pristine)
        for mutation in mutations:  # drift is an error before anything runs
            mutated_source(mutation, pristine)
        baseline_tests = sorted({path for m in mutations for path in _test_paths(m.tests)})
        if verbose:
            print(f"baseline: {len(baseline_tests)} test file(s) on the unmutated copy", flush=True)
        baseline = run_tests(pristine, baseline_tests)
        if not baseline.passed:
            raise SystemExit(f"the tests fail without any mutation: {baseline.tail}")
        run = Run()
        for mutation in mutations:
            root = Path(temp) / "mutant"
            shutil.rmtree(root, ignore_errors=True)
            shutil.copytree(pristine, root)
            apply(mutation, root)
            check_imports_from(root)
            outcome = run_tests(root, mutation.tests)
            result = Result(mutation, not outcome.passed, outcome.seconds, outcome.tail)
            run.results.append(result)
            if verbose:
                verdict = "killed  " if result.killed else "SURVIVED"
                print(
                    f"{verdict} {mutation.name} ({outcome.seconds:.1f} s): {outcome.tail}",
                    flush=True,
                )
    return run


def report(run: Run, *, seconds: float) -> str:
    total = len(run.results)
    lines = [
        "# Mutation run",
        "",
        "Each mutation below is one small change to the code that breaks one guarantee; the",
        "tests named must then fail (the mutation is *killed*). A survivor is a guarantee no test",
        "watches. Produced by `scripts/mutate.py --all` (the list lives in that script; CI runs",
        "`--smoke` through `tests/mutation/test_mutation_smoke.py`).",
        "",
        f"**Score: {run.killed} of {total} killed** (run took {seconds:.0f} s).",
        "",
        "| mutation | area | guarantee broken | file | killed | by (first failing tests) |",
        "|---|---|---|---|---|---|",
    ]
    for result in run.results:
        m = result.mutation
        by = (result.by or "").replace("|", "\\|")[:220]
        lines.append(
            f"| `{m.name}`{' (smoke)' if m.smoke else ''} | {m.area} | {m.guarantee} | "
            f"`{m.file}` | {'killed' if result.killed else '**survived**'} | {by} |"
        )
    survivors = [r.mutation.name for r in run.results if not r.killed]
    lines += ["", "Survivors: " + (", ".join(f"`{name}`" for name in survivors) or "none") + "."]
    lines += ["", *NOTES]
    return "\n".join(lines) + "\n"


NOTES = [
    "## How it runs",
    "",
    "Each mutation runs on its own copy of the working tree (`git ls-files` plus untracked,",
    "not-ignored files; no `.venv`, no `.git`), with `cwd` and `PYTHONPATH` set to the copy. The",
    "runner checks that every package is imported from the copy (the venv's editable install",
    "points at the checkout, but its finder comes after `PYTHONPATH`). The named tests first run",
    "once on the unmutated copy and must pass there; a mutant that does not compile, or a snippet",
    "not found exactly once (the list drifted from the code), stops the run.",
    "",
    "## Adding a mutation",
    "",
    "Append a `Mutation(name, area, guarantee, file, snippet, replacement, tests)` to",
    "`MUTATIONS` in `scripts/mutate.py`; `smoke=True` puts it in CI's smoke check (keep that to",
    "a handful of fast, targeted test files). `scripts/mutate.py --only NAME` tries one.",
    "",
    "## Left out on purpose",
    "",
    "- `no_network=True` → `False` in `stuf/xml.py` alone is an equivalent mutation: with",
    "  `resolve_entities=False` and `load_dtd=False` the parser fetches nothing either way (and",
    "  every entry point refuses a DOCTYPE before the parser sees it). It stays as a third line.",
]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--all", action="store_true", help="every mutation; writes the report")
    group.add_argument("--smoke", action="store_true", help="the most important few")
    group.add_argument("--only", nargs="+", metavar="NAME", help="chosen mutations")
    group.add_argument("--list", action="store_true", help="list the mutations")
    parser.add_argument("--report", type=Path, default=REPORT, help="where --all writes")
    args = parser.parse_args(argv)
    names = [m.name for m in MUTATIONS]
    if len(set(names)) != len(names):
        raise SystemExit("mutation names must be unique")
    if args.list:
        for m in MUTATIONS:
            print(f"{m.name:40} {'smoke ' if m.smoke else '      '}{m.file}: {m.guarantee}")
        return 0
    if args.only:
        unknown = set(args.only) - set(names)
        if unknown:
            raise SystemExit(f"unknown mutation(s): {', '.join(sorted(unknown))}")
        chosen = [m for m in MUTATIONS if m.name in args.only]
    else:
        chosen = [m for m in MUTATIONS if args.all or m.smoke]
    started = time.monotonic()
    run = run_mutations(chosen)
    seconds = time.monotonic() - started
    print(f"score: {run.killed} of {len(run.results)} killed in {seconds:.0f} s")
    if args.all:
        args.report.write_text(report(run, seconds=seconds))
        print(f"written: {args.report}")
    return 0 if run.killed == len(run.results) else 1


if __name__ == "__main__":
    sys.exit(main())

"""The repository carries everything its tests, benches and demo read.

A newcomer's clone must pass ``./run test`` on a machine of their own, so no tracked file may
name a path on the machine this was written on (a shared folder, a home directory). Paths of
the operating system (``/dev/null``, ``/tmp``, ``/usr/sbin/sshd``, ``/etc/passwd``, ``/proc``)
are fine: those are the system tools and files every machine has. So are a few places inside
the deployment's container image, listed below with their reason.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Top-level folders where a machine keeps its own (user, project, mounted) data. A tracked file
# naming a path under one of these depends on that machine. Other first segments are either the
# system's (usr, etc, dev, tmp, proc, sys, run, var/run ...) or not file paths at all (URL paths
# such as /documenten/api/v1, XPaths such as /zakLk01/object).
MACHINE_ROOTS = frozenset(
    {
        "afs",
        "builds",
        "data",
        "home",
        "media",
        "mnt",
        "net",
        "nfs",
        "opt",
        "private",
        "root",
        "scratch",
        "shared",
        "snap",
        "srv",
        "Users",
        "Volumes",
        "work",
        "workspace",
    }
)
# Deployment paths inside the container image, not on the developer's machine.
ALLOWED_PREFIXES = (
    "/opt/airflow",  # AIRFLOW_HOME of the official apache/airflow image
    "/var/lib/ketenbrug",  # Ketenbrug's own state folder in a deployment (written, not read)
    "/opt/ketenbrug",  # where the Dockerfile copies the project inside the image
    "/var/lib/apt",  # Debian's package lists, cleaned in the image
)
# An absolute path: a slash at the start of a token (not after a word, a dot or another path),
# then at least one path segment.
_PATH = re.compile(r"(?<![\w.:/~$}>-])/([A-Za-z0-9_.+-]+)(?:/[A-Za-z0-9_.+*-]+)*")


def absolute_paths_outside(text: str) -> list[str]:
    """The absolute paths in ``text`` that point at a machine's own data."""
    found = []
    for match in _PATH.finditer(text):
        path, first = match.group(0), match.group(1)
        if first == "var" and path.startswith(("/var/lib/", "/var/opt/")):
            pass  # package state lives here; only the project's own is allowed below
        elif first not in MACHINE_ROOTS:
            continue
        if path.startswith(ALLOWED_PREFIXES):
            continue
        found.append(path)
    return found


def tracked_files() -> list[Path]:
    """Files git tracks plus new ones it would track (the working tree under review)."""
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout
    return [REPO / name for name in out.decode().split("\0") if name]


def test_no_tracked_file_names_a_path_outside_the_checkout() -> None:
    findings = []
    for path in tracked_files():
        if path.is_symlink():
            target = path.resolve()
            if not target.is_relative_to(REPO):
                findings.append(f"{path.relative_to(REPO)}: symlink to {target}")
            continue
        if not path.is_file():
            continue  # deleted in the working tree
        data = path.read_bytes()
        if b"\0" in data:
            continue  # binary
        text = data.decode("utf-8", errors="replace")
        for line_no, line in enumerate(text.splitlines(), 1):
            findings.extend(
                f"{path.relative_to(REPO)}:{line_no}: {found}"
                for found in absolute_paths_outside(line)
            )
    assert not findings, "paths outside the checkout:\n" + "\n".join(findings)


# The examples are built at run time so this file does not name them itself.
def _p(*parts: str) -> str:
    return "/" + "/".join(parts)


@pytest.mark.parametrize(
    "line",
    [
        f'REFERENCE = Path("{_p("work", "shared", "reference")}")',
        f"open('{_p('home', 'alice', 'msgs', 'a.xml')}')",
        f"cp {_p('root', 'data.csv')} .",
        f"volumes: [{_p('srv', 'certs')}:/certs]",
        f"STATE={_p('var', 'lib', 'someone-else')}",
        f"see {_p('Users', 'bob', 'ketenbrug')}",
    ],
)
def test_paths_on_a_machine_are_found(line: str) -> None:
    assert absolute_paths_outside(line)


@pytest.mark.parametrize(
    "line",
    [
        "stdout=open('/dev/null', 'w')",
        "tempfile.mkdtemp(dir='/tmp')",
        "SSHD = '/usr/sbin/sshd'; chromium = '/usr/bin/chromium'",
        "known_hosts = '/etc/ssh/ssh_known_hosts'; Path('/proc/self/status')",
        "GET http://127.0.0.1:18080/documenten/api/v1/enkelvoudiginformatieobjecten",
        "xpath('/zakLk01/object/startdatum'); root = state_dir / 'root'",
        "<state_dir>/root and ./relative/path and ~/.cache/uv and $HOME/x",
        "AIRFLOW_HOME=/opt/airflow; --state-dir /var/lib/ketenbrug-sim; /run/secrets/pg",
        "https://github.com/owner/repo/blob/main/home/file.py",
    ],
)
def test_system_paths_urls_and_xpaths_are_allowed(line: str) -> None:
    assert absolute_paths_outside(line) == []

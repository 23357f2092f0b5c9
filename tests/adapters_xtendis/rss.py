"""Measure peak RSS growth of one streamed upload in a fresh subprocess.

Why a subprocess: ``ru_maxrss`` is a high-water mark per process; pytest's own memory would
hide the upload's. The child imports everything and opens the session first, takes the
current RSS as baseline, resets the kernel's high-water mark (``/proc/self/clear_refs``), then
uploads; peak minus baseline is what the upload itself cost.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

MB = 1 << 20

_CHILD = r"""
import json, sys
from datetime import date
def rss_kb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(field)
args = json.loads(sys.argv[1])
if args["kind"] == "xtendis":
    from adapters.xtendis import XtendisClient, XtendisConfig, XtendisIndex
    client = XtendisClient(XtendisConfig(**args["config"]))
    client.pending("warmup")  # connect before the baseline
    def upload(handle):
        index = XtendisIndex(**args["index"])
        return client.drop(args["name"], handle, index, args["sha256"])
else:
    from adapters.mylex import MdtoMetadata, MyLexClient, MyLexConfig
    client = MyLexClient(MyLexConfig(**args["config"]))
    list(client.iter_listing())  # connect (and load the schema) before the baseline
    meta = args["metadata"]
    meta["creatiedatum"] = date.fromisoformat(meta["creatiedatum"])
    def upload(handle):
        return client.put_document(args["name"], handle, MdtoMetadata(**meta), args["sha256"])
before = rss_kb("VmRSS")
with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")  # reset the high-water mark (VmHWM) to the current RSS
with open(args["file"], "rb") as handle:
    if args.get("whole"):
        import io
        handle = io.BytesIO(handle.read())  # the anti-pattern, to prove the test can fail
    digest = upload(handle)
after = rss_kb("VmHWM")
print(json.dumps({"growth_kb": after - before, "sha256": digest}))
"""


def generated_file(path: Path, size_mb: int, seed: int = 7) -> Path:
    """``size_mb`` MiB of seeded pseudo-random bytes, written 1 MiB at a time."""
    rng = random.Random(seed)
    with open(path, "wb") as handle:
        handle.write(b"%PDF-1.4\n")
        for _ in range(size_mb):
            handle.write(rng.randbytes(MB))
    return path


def measure_upload(kind: str, config: Any, file: Path, **extra: Any) -> dict[str, Any]:
    """Run one upload in a child; returns ``{"growth_kb": ..., "sha256": ...}``."""
    args = {"kind": kind, "config": asdict(config), "file": str(file), **extra}
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(args, default=str)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result

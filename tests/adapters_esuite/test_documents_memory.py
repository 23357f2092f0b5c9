"""A 64 MB document goes to the e-Suite and back without the client holding it in memory.

The simulator runs in this (pytest) process and keeps the content; the client runs in a child
process, so its peak RSS (``VmHWM``, reset after warming up) is the client's alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest

from simulators.testing import SimulatorHandle
from tests.adapters_esuite.conftest import make_config, operation, write_big_blob

REPO = Path(__file__).resolve().parents[2]
MB = 1 << 20

CHILD = r"""
import json, sys
from adapters.base import Operation
from adapters.esuite.client import EsuiteClient
from adapters.esuite.config import EsuiteConfig
from adapters.esuite.document_target import EsuiteDocumentTarget
from stuf import Systeem

def rss_kb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(field)

def reset_peak():
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # the high-water mark (VmHWM) starts again from the current RSS

args = json.loads(sys.argv[1])
settings = args["config"]
settings["zender"] = Systeem(**settings["zender"])
settings["ontvanger"] = Systeem(**settings["ontvanger"])
target = EsuiteDocumentTarget(EsuiteClient(EsuiteConfig(**settings)), retry_delay_s=0)
small, big = (Operation(**op) for op in args["operations"])
# warm up: session, schema, codec, stream parser, ZGW listing
target.apply(small)
with open(args["out"] + ".small", "wb") as sink:
    target.documents.read_document(small.target_key, sink)
target.is_applied(small)

before = rss_kb("VmRSS")
reset_peak()
target.apply(big)
upload_kb = rss_kb("VmHWM") - before
before_read = rss_kb("VmRSS")
reset_peak()
with open(args["out"], "wb") as sink:
    document, sha256, size = target.documents.read_document(big.target_key, sink)
read_kb = rss_kb("VmHWM") - before_read
before_control = rss_kb("VmRSS")
reset_peak()
with open(args["out"], "rb") as whole:
    held = whole.read()  # the anti-pattern, to show the measurement would see it
control_kb = rss_kb("VmHWM") - before_control
del held
print(json.dumps({
    "upload_kb": upload_kb, "read_kb": read_kb, "control_kb": control_kb,
    "sha256": sha256, "size": size, "applied": target.is_applied(big),
}))
"""


@pytest.mark.slow
def test_64mb_document_round_trip_with_flat_client_memory(
    esuite: SimulatorHandle, zaak: str, tmp_path: Path
) -> None:
    size = 64 * MB
    big_path = tmp_path / "big.pdf"
    sha = write_big_blob(big_path, size)
    small_path = tmp_path / "small.pdf"
    small_sha = write_big_blob(small_path, 1000)
    operations = [
        operation("0153ESUITED3000001", small_path, small_sha, 1000),
        operation("0153ESUITED3000002", big_path, sha, size),
    ]
    config = asdict(make_config(esuite, timeout_s=60.0))
    args = {
        "config": config,
        "operations": [asdict(op) for op in operations],
        "out": str(tmp_path / "read-back.bin"),
    }
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(args, default=dict)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    stored = esuite.store.document("0153ESUITED3000002")
    assert stored is not None and stored.sha256 == sha and stored.size == size
    assert report["applied"] is True
    assert (report["sha256"], report["size"]) == (sha, size)
    assert (tmp_path / "read-back.bin").stat().st_size == size
    # 64 MB of document, 85 MB of base64: the client holds a few chunks of either at a time
    assert report["upload_kb"] < 16 * 1024, report
    assert report["read_kb"] < 16 * 1024, report
    assert report["control_kb"] > 60 * 1024, report  # holding the document would show

"""Slowloris against the inbox's door (on demand, not a test): N idle connections, then 85 pushes.

The inbox runs in a child process as ``ketenbrug inbox serve`` would run it (TLS, mTLS sender,
default limits, its soft ``RLIMIT_NOFILE`` first set to the usual 1024). Attacker processes open
``--connections`` TCP connections to it that never send a byte (so never a TLS ClientHello, let
alone a header) and, with ``--reconnect``, open a new one for every one the server closes, as a
real slowloris does. While they hold them, 85 normal pushes (8 at a time, a new TLS connection
each, 30 s timeout) must all be answered 200.

    .venv/bin/python bench/slowloris.py                 # 20,000 connections, reconnecting
    .venv/bin/python bench/slowloris.py --connections 2000 --no-reconnect
    .venv/bin/python bench/slowloris.py --unguarded     # plain uvicorn, as before issue 11

Prints one JSON line with the result.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
import resource
import selectors
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from simulators.tls import SimulatorPki  # noqa: E402
from tests.sync.messages import status  # noqa: E402

PUSHES = 85
PER_ATTACKER = 9_000  # each attacker process stays under a 20,000 descriptor hard limit

_SERVER = r"""
import json, resource, ssl, sys, threading, time
from pathlib import Path
home, pki, guarded = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] == "1"
resource.setrlimit(resource.RLIMIT_NOFILE, (1024, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
from sync.blobs import BlobStore
from sync.inbox import Inbox
from sync.inbox_app import Door, InboxServer, create_app
from sync.inbox_door import load_senders
from sync.inbox_guard import server_tls_context
from sync.store.db import Store
store = Store(f"sqlite:///{home / 'state.db'}")
store.migrate()
inbox = Inbox(store, blobs=BlobStore(home / "blobs"))
door = Door(senders=load_senders(home / "senders.json"))
tls = server_tls_context(pki / "server.pem", pki / "server.key", pki / "ca.pem")
if guarded:
    server = InboxServer(inbox, door=door, tls=tls).start()
    url = server.url
else:  # uvicorn as it was served before the door: its own TLS, no guard
    import uvicorn
    config = uvicorn.Config(
        create_app(inbox, door), host="127.0.0.1", port=0, log_level="warning",
        ssl_certfile=str(pki / "server.pem"), ssl_keyfile=str(pki / "server.key"),
        ssl_ca_certs=str(pki / "ca.pem"), ssl_cert_reqs=ssl.CERT_OPTIONAL,
    )
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    url = f"https://127.0.0.1:{port}/"
print(url, flush=True)
sys.stdin.readline()
guard = getattr(server, "guard", None)
stats = {"evicted": guard.evicted, "timed_out": guard.timed_out, "refused": guard.refused,
         "open": len(guard.connections)} if guard else {}
print(json.dumps(stats), flush=True)
"""


def _attacker(
    port: int, count: int, reconnect: bool, ready: mp.Event, stop: mp.Event, out: mp.Queue
) -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 1024), hard))
    selector = selectors.DefaultSelector()
    opened = closed = failed = 0

    def open_one() -> None:
        nonlocal opened, failed
        sock = socket.socket()
        sock.setblocking(False)
        try:
            sock.connect_ex(("127.0.0.1", port))
            selector.register(sock, selectors.EVENT_READ)
            opened += 1
        except OSError:
            sock.close()
            failed += 1

    for _ in range(count):
        open_one()
    ready.set()
    while not stop.is_set():
        for key, _mask in selector.select(timeout=0.2):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            try:
                data = sock.recv(1)
            except OSError:
                data = b""
            if not data:
                selector.unregister(sock)
                sock.close()
                closed += 1
                if reconnect and not stop.is_set():
                    open_one()
    held = len(selector.get_map())
    for key in list(selector.get_map().values()):
        key.fileobj.close()  # type: ignore[union-attr]
    out.put(
        {
            "opened": opened,
            "closed_by_server": closed,
            "connect_failed": failed,
            "held_at_end": held,
        }
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=20_000)
    parser.add_argument("--no-reconnect", dest="reconnect", action="store_false")
    parser.add_argument("--unguarded", action="store_true", help="plain uvicorn (before the fix)")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="kb-slowloris-"))
    pki = SimulatorPki.create(home / "pki")
    pair = pki.issue("gws4all")
    der = x509.load_pem_x509_certificate(pair.cert.read_bytes()).public_bytes(Encoding.DER)
    sender = {
        "name": "gws4all",
        "zender": [{"organisatie": "1900", "applicatie": "GWS4all"}],
        "certificate_sha256": hashlib.sha256(der).hexdigest(),
    }
    (home / "senders.json").write_text(json.dumps({"senders": [sender]}))
    guarded = "0" if args.unguarded else "1"
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(home), str(pki.directory), guarded],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None and server.stdin is not None
    url = server.stdout.readline().strip()
    port = int(url.rstrip("/").rsplit(":", 1)[1])

    stop, out = mp.Event(), mp.Queue()
    attackers = []
    remaining = args.connections
    began = time.monotonic()
    while remaining > 0:
        count = min(PER_ATTACKER, remaining)
        remaining -= count
        ready = mp.Event()
        proc = mp.Process(target=_attacker, args=(port, count, args.reconnect, ready, stop, out))
        proc.start()
        ready.wait(120)
        attackers.append(proc)
    opened_in = time.monotonic() - began
    time.sleep(2)

    def push(n: int) -> tuple[int, float]:
        body = status(f"1900Z-{n}", "GWS-AV-03", 3, 1 + n % 28)
        started = time.monotonic()
        try:
            response = requests.post(
                url,
                data=body,
                headers={"Content-Type": "text/xml"},
                cert=pair.as_requests_cert,
                verify=str(pki.ca_file),
                timeout=30,
            )
            code = response.status_code
        except requests.RequestException:
            code = 0
        return code, time.monotonic() - started

    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(push, range(PUSHES)))
    pushes_took = time.monotonic() - began
    stop.set()
    attack = [out.get(timeout=60) for _ in attackers]
    for proc in attackers:
        proc.join(timeout=30)
    server.stdin.write("done\n")
    server.stdin.flush()
    stats = json.loads(server.stdout.readline() or "{}")
    server.terminate()
    server.wait(timeout=30)
    latencies = sorted(t for _c, t in results)
    result = {
        "guarded": not args.unguarded,
        "idle_connections": args.connections,
        "reconnect": args.reconnect,
        "opened_in_s": round(opened_in, 1),
        "pushes": PUSHES,
        "failed": sum(code != 200 for code, _t in results),
        "pushes_took_s": round(pushes_took, 1),
        "push_p50_s": round(latencies[len(latencies) // 2], 3),
        "push_max_s": round(latencies[-1], 3),
        "attacker": {k: sum(a[k] for a in attack) for k in attack[0]},
        "server": stats,
    }
    print(json.dumps(result))
    return 0 if result["failed"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
